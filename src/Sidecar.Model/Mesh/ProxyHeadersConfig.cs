namespace Sidecar.Model;

/// <summary>
/// Istio's <c>ProxyConfig.proxyHeaders</c> (mesh config <c>defaultConfig.proxyHeaders</c>): which of its own headers the
/// proxy adds. Everything is on by default, as in Istio.
/// </summary>
public sealed record ProxyHeadersConfig
{
    public static readonly ProxyHeadersConfig Default = new();

    /// <summary><c>server.disabled</c>: Envoy's PASS_THROUGH; the upstream's Server header goes on unchanged, none is added.</summary>
    public bool ServerDisabled { get; init; }

    /// <summary><c>server.value</c>: the Server header written instead of <c>envoy</c> (outbound) or <c>istio-envoy</c> (inbound).</summary>
    public string? ServerValue { get; init; }

    /// <summary><c>requestId.disabled</c>: no <c>x-request-id</c> is generated (a caller's own still passes).</summary>
    public bool RequestIdDisabled { get; init; }

    /// <summary><c>attemptCount.disabled</c>: upstream requests carry no <c>x-envoy-attempt-count</c>.</summary>
    public bool AttemptCountDisabled { get; init; }

    /// <summary>
    /// <c>envoyDebugHeaders.disabled</c>: Envoy's router <c>suppress_envoy_headers</c>; no <c>x-envoy-upstream-service-time</c>,
    /// <c>x-envoy-expected-rq-timeout-ms</c> or <c>x-envoy-overloaded</c> (nor this sidecar's <c>x-envoy-response-flags</c>).
    /// </summary>
    public bool EnvoyDebugHeadersDisabled { get; init; }
}
