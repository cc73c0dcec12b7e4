namespace Sidecar.Model;

/// <summary>An Envoy <c>RedirectAction</c>, from Istio's <c>HTTPRedirect</c>.</summary>
public sealed record RedirectConfig
{
    /// <summary>Replaces the scheme (Istio's <c>scheme</c>).</summary>
    public string? Scheme { get; init; }

    /// <summary>Replaces the host (Istio's <c>authority</c>).</summary>
    public string? Host { get; init; }

    /// <summary>Envoy's <c>port_redirect</c>: Istio's <c>port</c>, or the route table's port for <c>derivePort: FROM_REQUEST_PORT</c>.</summary>
    public int? Port { get; init; }

    /// <summary>Replaces the whole path (Istio's <c>uri</c> when the route matched by exact path or regex).</summary>
    public string? PathRedirect { get; init; }

    /// <summary>Replaces the matched prefix (Istio's <c>uri</c> when the route matched by prefix).</summary>
    public string? PrefixRewrite { get; init; }

    /// <summary>301 unless Istio's <c>redirectCode</c> says otherwise.</summary>
    public int ResponseCode { get; init; } = 301;

    public bool StripQuery { get; init; }
}

/// <summary>An Envoy <c>DirectResponseAction</c>, from Istio's <c>HTTPDirectResponse</c>.</summary>
public sealed record DirectResponseConfig(int Status, string? Body = null);
