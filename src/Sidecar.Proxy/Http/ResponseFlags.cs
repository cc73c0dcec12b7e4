using System.Collections.Concurrent;
using System.Text;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Envoy's response flags (<c>%RESPONSE_FLAGS%</c>), in Envoy's own order: they appear in access logs, in the
/// <c>response_flags</c> metric label and on local replies.
/// </summary>
[Flags]
internal enum ResponseFlags : uint
{
    None = 0,

    /// <summary>LH: failed local health check.</summary>
    FailedLocalHealthCheck = 1u << 0,

    /// <summary>UH: no healthy upstream host.</summary>
    NoHealthyUpstream = 1u << 1,

    /// <summary>UT: upstream request timeout.</summary>
    UpstreamRequestTimeout = 1u << 2,

    /// <summary>LR: connection local reset.</summary>
    LocalReset = 1u << 3,

    /// <summary>UR: upstream remote reset.</summary>
    UpstreamRemoteReset = 1u << 4,

    /// <summary>UF: upstream connection failure.</summary>
    UpstreamConnectionFailure = 1u << 5,

    /// <summary>UC: upstream connection termination.</summary>
    UpstreamConnectionTermination = 1u << 6,

    /// <summary>UO: upstream overflow (circuit breaking).</summary>
    UpstreamOverflow = 1u << 7,

    /// <summary>NR: no route configured.</summary>
    NoRouteFound = 1u << 8,

    /// <summary>DI: the request was delayed by fault injection.</summary>
    DelayInjected = 1u << 9,

    /// <summary>FI: the request was aborted by fault injection.</summary>
    FaultInjected = 1u << 10,

    /// <summary>RL: rate limited.</summary>
    RateLimited = 1u << 11,

    /// <summary>UAEX: unauthorized by an external authorization service.</summary>
    UnauthorizedExternalService = 1u << 12,

    /// <summary>DC: downstream connection termination.</summary>
    DownstreamConnectionTermination = 1u << 13,

    /// <summary>URX: upstream retry limit exceeded.</summary>
    UpstreamRetryLimitExceeded = 1u << 14,

    /// <summary>SI: stream idle timeout.</summary>
    StreamIdleTimeout = 1u << 15,

    /// <summary>DPE: downstream protocol error.</summary>
    DownstreamProtocolError = 1u << 16,

    /// <summary>DT: request or connection exceeded its maximum duration.</summary>
    DurationTimeout = 1u << 17,

    /// <summary>UPE: upstream protocol error.</summary>
    UpstreamProtocolError = 1u << 18,

    /// <summary>NC: no cluster found for the route.</summary>
    NoClusterFound = 1u << 19,

    /// <summary>DF: DNS resolution failed.</summary>
    DnsResolutionFailure = 1u << 20,

    /// <summary>DR: the downstream reset the stream (an HTTP/2 RST_STREAM), its connection still open.</summary>
    DownstreamRemoteReset = 1u << 21,
}

/// <summary>Envoy's short strings for <see cref="ResponseFlags"/>, comma-joined, cached per combination.</summary>
internal static class ResponseFlagNames
{
    private static readonly string[] ShortNames =
    [
        "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "DC", "URX", "SI", "DPE", "DT", "UPE", "NC", "DF", "DR",
    ];

    /// <summary>Envoy's <c>%RESPONSE_FLAGS_LONG%</c> names, in the same order.</summary>
    private static readonly string[] LongNames =
    [
        "FailedLocalHealthCheck", "NoHealthyUpstream", "UpstreamRequestTimeout", "LocalReset", "UpstreamRemoteReset",
        "UpstreamConnectionFailure", "UpstreamConnectionTermination", "UpstreamOverflow", "NoRouteFound", "DelayInjected",
        "FaultInjected", "RateLimited", "UnauthorizedExternalService", "DownstreamConnectionTermination",
        "UpstreamRetryLimitExceeded", "StreamIdleTimeout", "DownstreamProtocolError", "DurationTimeout",
        "UpstreamProtocolError", "NoClusterFound", "DnsResolutionFailed", "DownstreamRemoteReset",
    ];

    private static readonly ConcurrentDictionary<ResponseFlags, string> Cache = new();
    private static readonly ConcurrentDictionary<ResponseFlags, string> LongCache = new();

    /// <summary>The flags as Envoy prints them (<c>UF,URX</c>), or <c>-</c> when none.</summary>
    public static string ToShortString(this ResponseFlags flags) =>
        flags == ResponseFlags.None ? "-" : Cache.GetOrAdd(flags, static f => Format(f, ShortNames));

    /// <summary>The flags by Envoy's long names (<c>UpstreamConnectionFailure,UpstreamRetryLimitExceeded</c>), or <c>-</c>.</summary>
    public static string ToLongString(this ResponseFlags flags) =>
        flags == ResponseFlags.None ? "-" : LongCache.GetOrAdd(flags, static f => Format(f, LongNames));

    private static string Format(ResponseFlags flags, string[] names)
    {
        var text = new StringBuilder();
        for (var bit = 0; bit < names.Length; bit++)
        {
            if (((uint)flags & (1u << bit)) != 0)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }

                text.Append(names[bit]);
            }
        }

        return text.ToString();
    }
}
