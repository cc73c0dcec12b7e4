using System.Runtime.InteropServices;

namespace Sidecar.Testing.Netns;

/// <summary>setns(2): moves the calling thread into another network namespace.</summary>
internal static class NetnsSyscalls
{
    public const int CloneNewNet = 0x40000000;

    // DllImport rather than LibraryImport: the arguments are blittable and this library does not enable unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int setns(int fd, int nstype);
#pragma warning restore SYSLIB1054
}
