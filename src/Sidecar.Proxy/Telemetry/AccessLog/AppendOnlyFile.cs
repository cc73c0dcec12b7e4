using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// Opens an access log file as Envoy does, with <c>O_APPEND</c>: every write lands at the file's current end, so
/// processes sharing the file never overwrite each other's lines, and after a <c>copytruncate</c> rotation the log
/// starts again at the beginning instead of leaving a hole. .NET's <see cref="FileMode.Append"/> only seeks to the end
/// once, when the file is opened.
/// </summary>
internal static partial class AppendOnlyFile
{
    // Linux's open(2) flags (the same on x86-64 and arm64).
    private const int WriteOnly = 0x1;
    private const int Create = 0x40;
    private const int Append = 0x400;
    private const int CloseOnExec = 0x80000;
    private const int Mode0644 = 0x1A4;

    public static Stream Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 4096, useAsync: true);
        }

        var fd = OpenFile(path, WriteOnly | Create | Append | CloseOnExec, Mode0644);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open access log file {path}: {Marshal.GetPInvokeErrorMessage(error)}", error);
        }

        // FileStream writes with pwrite at its own position; on a file opened with O_APPEND, Linux appends regardless.
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 4096);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenFile(string path, int flags, int mode);
}
