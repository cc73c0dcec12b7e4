using System.Globalization;
using System.Text.Json;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// Envoy's <c>/memory</c> (admin.v3.Memory: 64-bit counts as strings), filled from the .NET GC where Envoy reads
/// tcmalloc. The heap figures are one consistent picture, taken by the last collection: <c>allocated</c> is what
/// survived it, <c>heap_size</c> what the GC had committed, <c>pageheap_free</c> the free space between objects.
/// <c>total_physical_bytes</c> is the process's resident set now. The GC keeps no page heap or thread caches.
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
            Count(json, "allocated", info.HeapSizeBytes - info.FragmentedBytes);
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
