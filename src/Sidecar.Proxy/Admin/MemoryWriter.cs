using System.Globalization;
using System.Text.Json;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// Envoy's <c>/memory</c> (admin.v3.Memory: 64-bit counts as strings), filled from the .NET GC where Envoy reads
/// tcmalloc: <c>allocated</c> is the managed heap in use, <c>heap_size</c> what the GC has committed,
/// <c>pageheap_free</c> the free space inside it (fragmentation at the last collection), and
/// <c>total_physical_bytes</c> the process's resident set. The GC keeps no page heap or thread caches of its own.
/// </summary>
internal static class MemoryWriter
{
    public static byte[] Write()
    {
        var info = GC.GetGCMemoryInfo();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            Count(json, "allocated", GC.GetTotalMemory(forceFullCollection: false));
            Count(json, "heap_size", info.TotalCommittedBytes);
            Count(json, "pageheap_unmapped", 0);
            Count(json, "pageheap_free", info.FragmentedBytes);
            Count(json, "total_thread_cache", 0);
            Count(json, "total_physical_bytes", Environment.WorkingSet);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void Count(Utf8JsonWriter json, string name, long value) =>
        json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
}
