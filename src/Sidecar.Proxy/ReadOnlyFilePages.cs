using System.Globalization;
using System.Runtime.InteropServices;

namespace Sidecar.Proxy;

/// <summary>
/// Takes clean read-only file pages (the executable's, libc's) out of this process's resident set. Start-up (the
/// host, dependency injection, the YAML parser, the first translation) runs code and reads data of the NativeAOT
/// executable that steady state never touches again, and the kernel maps file pages 64 kB around each fault: after a
/// start with 200 services, 19 MB of the 23 MB executable is resident, of which a sidecar under load uses about
/// 10 MB. The pages stay counted until memory pressure evicts them.
/// <para>
/// <c>madvise(MADV_DONTNEED)</c> on a file mapping that cannot be written only unmaps: the pages stay in the page
/// cache and the next access maps them back with a minor fault, so nothing is lost and nothing is read from disk. A
/// mapping that holds any anonymous (copied) page is left alone, since dropping such a page would lose the copy, and
/// so are deleted files and memory-backed ones (<c>/memfd:</c>, <c>/dev/</c>). Linux only; elsewhere nothing is
/// released.
/// </para>
/// </summary>
internal static partial class ReadOnlyFilePages
{
    private const int MadviseDontNeed = 4;

    /// <summary>A file mapping; <see cref="Releasable"/>: a file's pages that cannot be written and hold no copy.</summary>
    internal readonly record struct Mapping(ulong Start, ulong End, string Path, bool Writable, long ResidentKb, long AnonymousKb)
    {
        public bool Releasable => !Writable && AnonymousKb == 0 && ResidentKb > 0
            && !Path.EndsWith(" (deleted)", StringComparison.Ordinal)
            && !Path.StartsWith("/memfd:", StringComparison.Ordinal)
            && !Path.StartsWith("/dev/", StringComparison.Ordinal);
    }

    /// <summary>
    /// Releases the resident pages of every releasable file mapping, or only of <paramref name="path"/>'s; returns the
    /// bytes that were resident.
    /// </summary>
    public static long Release(string? path = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        string smaps;
        try
        {
            smaps = File.ReadAllText("/proc/self/smaps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc to read (a restricted sandbox): keep the pages, lose nothing.
            return 0;
        }

        long released = 0;
        foreach (var mapping in Parse(smaps))
        {
            if (mapping.Releasable && (path is null || mapping.Path == path) &&
                Madvise((nint)mapping.Start, (nuint)(mapping.End - mapping.Start), MadviseDontNeed) == 0)
            {
                released += mapping.ResidentKb * 1024;
            }
        }

        return released;
    }

    /// <summary>The file-backed mappings in <c>/proc/PID/smaps</c> text, with their resident and anonymous sizes.</summary>
    internal static List<Mapping> Parse(string smaps)
    {
        var mappings = new List<Mapping>();
        (ulong Start, ulong End, string Path, bool Writable)? current = null;
        long resident = 0, anonymous = 0;
        foreach (var line in smaps.AsSpan().EnumerateLines())
        {
            if (TryParseHeader(line, out var header))
            {
                Flush();
                current = header;
                resident = anonymous = 0;
            }
            else if (line.StartsWith("Rss:"))
            {
                resident = Kilobytes(line);
            }
            else if (line.StartsWith("Anonymous:"))
            {
                anonymous = Kilobytes(line);
            }
        }

        Flush();
        return mappings;

        void Flush()
        {
            if (current is { } m && m.Path.StartsWith('/'))
            {
                mappings.Add(new Mapping(m.Start, m.End, m.Path, m.Writable, resident, anonymous));
            }
        }
    }

    // "55cf0851e000-55cf08fdc000 r-xp 00029000 08:01 1234 /path/to/file": the path is everything after the inode.
    private static bool TryParseHeader(ReadOnlySpan<char> line, out (ulong Start, ulong End, string Path, bool Writable) header)
    {
        header = default;
        var dash = line.IndexOf('-');
        var space = line.IndexOf(' ');
        if (dash <= 0 || space <= dash ||
            !ulong.TryParse(line[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start) ||
            !ulong.TryParse(line[(dash + 1)..space], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end))
        {
            return false;
        }

        var rest = line[(space + 1)..];
        var writable = rest.Length > 1 && rest[1] == 'w';
        // Skip permissions, offset, device and inode; what is left (trimmed) is the path, possibly empty.
        for (var field = 0; field < 4; field++)
        {
            var next = rest.IndexOf(' ');
            if (next < 0)
            {
                rest = [];
                break;
            }

            rest = rest[(next + 1)..];
        }

        header = (start, end, rest.Trim().ToString(), writable);
        return true;
    }

    private static long Kilobytes(ReadOnlySpan<char> line)
    {
        var value = line[(line.IndexOf(':') + 1)..].Trim();
        var space = value.IndexOf(' ');
        return long.TryParse(space < 0 ? value : value[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
