using System.Runtime.InteropServices;

namespace Sidecar.Testing;

/// <summary>kill(2): SIGTERM for graceful-shutdown tests (Process.Kill sends SIGKILL).</summary>
public static class ProcessSignals
{
    private const int SigTerm = 15;

    public static void Terminate(int processId) => _ = kill(processId, SigTerm);

#pragma warning disable SYSLIB1054 // blittable arguments; this library does not enable unsafe code.
    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
