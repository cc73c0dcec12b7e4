using System.Collections.Concurrent;
using Sidecar.Proxy.MetadataExchange;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Decoded <c>x-envoy-peer-metadata</c> values: a peer sends the same value on every request, so it is decoded once
/// and its labels reused. Bounded: past the limit the cache starts over rather than grow without end.
/// </summary>
internal sealed class PeerLabelCache
{
    private const int MaxEntries = 4096;
    private readonly ConcurrentDictionary<string, WorkloadLabels> _byHeader = new(StringComparer.Ordinal);

    /// <summary>The labels of a header value; <see cref="WorkloadLabels.Unknown"/> for a missing or undecodable one.</summary>
    public WorkloadLabels For(string? headerValue)
    {
        if (string.IsNullOrEmpty(headerValue))
        {
            return WorkloadLabels.Unknown;
        }

        if (_byHeader.TryGetValue(headerValue, out var labels))
        {
            return labels;
        }

        labels = PeerMetadataCodec.TryFromHeaderValue(headerValue, out var metadata) && metadata is not null
            ? WorkloadLabels.From(metadata)
            : WorkloadLabels.Unknown;
        if (_byHeader.Count >= MaxEntries)
        {
            _byHeader.Clear();
        }

        _byHeader.TryAdd(headerValue, labels);
        return labels;
    }
}
