namespace Sidecar.Istio.Resources.GatewayApi;

/// <summary>
/// A Gateway API <c>HTTPRoute</c> (gateway.networking.k8s.io v1, v1beta1). Attached to a Service (GAMMA mesh routing),
/// it routes that service's traffic in every sidecar, as istiod converts it into a VirtualService.
/// </summary>
public sealed record HttpRouteSpec : IstioSpec
{
    public IReadOnlyList<ParentReference> ParentRefs { get; init; } = [];

    public IReadOnlyList<string> Hostnames { get; init; } = [];

    public IReadOnlyList<HttpRouteRule> Rules { get; init; } = [];
}

/// <summary>A <c>parentRefs</c> entry: a Service (mesh routing), a ServiceEntry or a Gateway.</summary>
/// <param name="Group">"" for the core group (Service); <c>gateway.networking.k8s.io</c> by default.</param>
public sealed record ParentReference(string Group, string Kind, string Name, string? Namespace, int? Port, string? SectionName)
{
    /// <summary>A Service of the core group: the GAMMA parent a sidecar routes for.</summary>
    public bool IsService => Kind == "Service" && Group is "" or "core";

    /// <summary>An Istio ServiceEntry, which istiod accepts as a mesh parent too.</summary>
    public bool IsServiceEntry => Kind == "ServiceEntry" && Group == "networking.istio.io";
}

/// <summary>One of <c>rules</c>: its matches (ORed), filters, backends and timeouts.</summary>
public sealed record HttpRouteRule
{
    public string? Name { get; init; }

    /// <summary>The matches; empty means Gateway API's default, a <c>PathPrefix</c> of <c>/</c>.</summary>
    public IReadOnlyList<HttpRouteMatch> Matches { get; init; } = [];

    public IReadOnlyList<HttpRouteFilter> Filters { get; init; } = [];

    public IReadOnlyList<HttpBackendRef> BackendRefs { get; init; } = [];

    /// <summary><c>timeouts.request</c>: the whole request, retries included.</summary>
    public IstioDuration? RequestTimeout { get; init; }

    /// <summary><c>timeouts.backendRequest</c>: each request to a backend.</summary>
    public IstioDuration? BackendRequestTimeout { get; init; }

    /// <summary><c>retry</c> (experimental channel): codes, attempts and backoff.</summary>
    public HttpRouteRetry? Retry { get; init; }
}

/// <summary>One of <c>matches</c>: every condition must hold.</summary>
public sealed record HttpRouteMatch
{
    /// <summary><c>path</c>; null: Gateway API's default, <c>PathPrefix</c> <c>/</c>.</summary>
    public HttpPathMatch? Path { get; init; }

    public IReadOnlyList<HttpValueMatch> Headers { get; init; } = [];

    public IReadOnlyList<HttpValueMatch> QueryParams { get; init; } = [];

    public string? Method { get; init; }
}

/// <summary><c>path</c>: <c>Exact</c>, <c>PathPrefix</c> (whole segments) or <c>RegularExpression</c>.</summary>
public sealed record HttpPathMatch(string Type, string Value);

/// <summary>A header or query parameter condition: <c>Exact</c> or <c>RegularExpression</c>.</summary>
public sealed record HttpValueMatch(string Type, string Name, string Value);

/// <summary>One of <c>filters</c>, by its <c>type</c>.</summary>
public sealed record HttpRouteFilter
{
    public required string Type { get; init; }

    public HeaderModifier? RequestHeaderModifier { get; init; }

    public HeaderModifier? ResponseHeaderModifier { get; init; }

    public RequestRedirectFilter? RequestRedirect { get; init; }

    public UrlRewriteFilter? UrlRewrite { get; init; }

    public RequestMirrorFilter? RequestMirror { get; init; }

    /// <summary><c>cors</c>, read into Istio's policy as istiod converts it (origins matched exactly).</summary>
    public Networking.CorsPolicy? Cors { get; init; }
}

/// <summary><c>requestHeaderModifier</c>/<c>responseHeaderModifier</c>.</summary>
public sealed record HeaderModifier(
    IReadOnlyList<KeyValuePair<string, string>> Set,
    IReadOnlyList<KeyValuePair<string, string>> Add,
    IReadOnlyList<string> Remove);

/// <summary>A path modifier: <c>ReplaceFullPath</c> or <c>ReplacePrefixMatch</c> with its value.</summary>
public sealed record HttpPathModifier(string Type, string Value);

/// <summary><c>requestRedirect</c>.</summary>
public sealed record RequestRedirectFilter(string? Scheme, string? Hostname, HttpPathModifier? Path, int? Port, int StatusCode);

/// <summary><c>urlRewrite</c>.</summary>
public sealed record UrlRewriteFilter(string? Hostname, HttpPathModifier? Path);

/// <summary><c>requestMirror</c>: the backend and the share of requests mirrored (percent, or a fraction).</summary>
public sealed record RequestMirrorFilter(BackendReference BackendRef, double? Percent);

/// <summary>A reference to a backend: a Service by default, or an Istio ServiceEntry or Hostname.</summary>
public sealed record BackendReference(string Group, string Kind, string Name, string? Namespace, int? Port);

/// <summary>One of <c>backendRefs</c>: a backend with its weight and filters.</summary>
public sealed record HttpBackendRef(BackendReference Backend, int Weight, IReadOnlyList<HttpRouteFilter> Filters);

/// <summary><c>retry</c>: the status codes retried, the attempts and the backoff.</summary>
public sealed record HttpRouteRetry(IReadOnlyList<int> Codes, int? Attempts, IstioDuration? Backoff);
