using System.IO.MemoryMappedFiles;
using Sidecar.Testing;

namespace Sidecar.Proxy.Tests.Functional;

public sealed class ReadOnlyFilePagesTests
{
    private const int PageSize = 4096;

    [LinuxFact]
    public void Releasing_a_read_only_mapping_empties_its_resident_pages_and_keeps_its_contents()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sidecar-pages-{Guid.NewGuid():N}.bin");
        var contents = new byte[256 * PageSize];
        Random.Shared.NextBytes(contents);
        File.WriteAllBytes(path, contents);
        try
        {
            using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            using var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            Assert.True(ReadAll(view, contents), "the mapping reads back the file");
            Assert.True(ResidentKb(path) >= contents.Length / 1024, "every page was touched, so every page is resident");

            var released = ReadOnlyFilePages.Release(path);

            Assert.True(released >= contents.Length, $"released {released} bytes of a {contents.Length}-byte mapping");
            Assert.Equal(0, ResidentKb(path));
            Assert.True(ReadAll(view, contents), "the pages come back from the page cache unchanged");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Only_files_that_cannot_be_written_hold_no_copied_page_and_still_exist_on_disk_are_released()
    {
        const string Smaps = """
            55cf0851e000-55cf08fdc000 r-xp 00029000 08:01 1234                       /opt/sidecar/Sidecar
            Size:              11000 kB
            Rss:                9636 kB
            Anonymous:             0 kB
            VmFlags: rd ex mr mw me dw sd
            55cf09632000-55cf09a80000 r--p 01113000 08:01 1234                       /opt/sidecar/Sidecar
            Rss:                3808 kB
            Anonymous:             8 kB
            55cf09a82000-55cf09ad3000 rw-p 01562000 08:01 1234                       /opt/sidecar/Sidecar
            Rss:                 324 kB
            Anonymous:             0 kB
            55cf09ad3000-55cf0a1a3000 rw-p 00000000 00:00 0 
            Rss:                6836 kB
            Anonymous:          6836 kB
            7f8e987fc000-7f8e98952000 r-xp 00028000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
            Rss:                1296 kB
            Anonymous:             0 kB
            7f8e99000000-7f8e99100000 r-xs 00000000 00:01 77                         /memfd:doublemapper (deleted)
            Rss:                 512 kB
            Anonymous:             0 kB
            7f8e99200000-7f8e99300000 r--p 00000000 08:01 78                         /opt/sidecar/old.so (deleted)
            Rss:                 128 kB
            Anonymous:             0 kB
            """;

        var mappings = ReadOnlyFilePages.Parse(Smaps);

        Assert.Equal(
            [
                ("/opt/sidecar/Sidecar", 9636L, true),
                ("/opt/sidecar/Sidecar", 3808L, false),
                ("/opt/sidecar/Sidecar", 324L, false),
                ("/usr/lib/x86_64-linux-gnu/libc.so.6", 1296L, true),
                ("/memfd:doublemapper (deleted)", 512L, false),
                ("/opt/sidecar/old.so (deleted)", 128L, false),
            ],
            mappings.Select(m => (m.Path, m.ResidentKb, m.Releasable)));
        Assert.Equal((0x55cf0851e000UL, 0x55cf08fdc000UL), (mappings[0].Start, mappings[0].End));
    }

    private static bool ReadAll(MemoryMappedViewAccessor view, byte[] expected)
    {
        var actual = new byte[expected.Length];
        view.ReadArray(0, actual, 0, actual.Length);
        return actual.AsSpan().SequenceEqual(expected);
    }

    private static long ResidentKb(string path) =>
        ReadOnlyFilePages.Parse(File.ReadAllText("/proc/self/smaps")).Where(m => m.Path == path).Sum(m => m.ResidentKb);
}
