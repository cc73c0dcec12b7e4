using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;
using Sidecar.Model;
using Sidecar.Model.Json;

namespace Sidecar.Istio.Translation;

/// <summary>
/// A stable content hash of a snapshot, used as its version: the same resources always give the same version, and
/// any change to a listener, route table, cluster, endpoint or policy gives another. The origin (time, file list) is
/// excluded. The snapshot's JSON (the fields <c>/config_dump</c> shows) streams into XxHash3 through a small buffer:
/// no text of megabytes for a mesh of thousands of services, and no OpenSSL for a plaintext proxy (a version needs
/// no cryptographic hash).
/// </summary>
internal static class ConfigFingerprint
{
    private static readonly ConfigOrigin NoOrigin = new("", "", default);

    public static string Compute(ProxyConfig config)
    {
        using var sink = new HashingBufferWriter();
        using (var writer = new Utf8JsonWriter(sink, new JsonWriterOptions { SkipValidation = true }))
        {
            JsonSerializer.Serialize(writer, config with { Version = "", Origin = NoOrigin }, ProxyConfigJsonContext.Default.ProxyConfig);
        }

        return sink.Hash.GetCurrentHashAsUInt64().ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>Whether two snapshots have the same content, whatever their version and origin.</summary>
    public static bool SameContent(ProxyConfig a, ProxyConfig b) =>
        a.Mesh == b.Mesh && a.Listeners == b.Listeners && a.RouteTables == b.RouteTables && a.Clusters == b.Clusters
        && a.AuthorizationPolicies == b.AuthorizationPolicies && a.ExtAuthz == b.ExtAuthz
        && a.JwtRules == b.JwtRules && a.NameTable == b.NameTable;

    /// <summary>An <see cref="IBufferWriter{T}"/> that hashes what is written into one pooled buffer and reuses it.</summary>
    private sealed class HashingBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);

        public XxHash3 Hash { get; } = new();

        public void Advance(int count) => Hash.Append(_buffer.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0) => Buffer(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Buffer(sizeHint);

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

        private byte[] Buffer(int sizeHint)
        {
            if (sizeHint > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(sizeHint);
            }

            return _buffer;
        }
    }
}
