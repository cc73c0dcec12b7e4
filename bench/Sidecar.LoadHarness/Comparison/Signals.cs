using System.Runtime.InteropServices;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>kill(2) with SIGTERM: processes under test shut down gracefully, as in a pod.</summary>
internal static partial class Signals
{
    private const int SigTerm = 15;

    public static void Terminate(int processId) => _ = Kill(processId, SigTerm);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
