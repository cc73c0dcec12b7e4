namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>VirtualService</c> spec (networking.istio.io).</summary>
public sealed record VirtualServiceSpec : IstioSpec
{
    public IReadOnlyList<string> Hosts { get; init; } = [];

    public IReadOnlyList<string> Gateways { get; init; } = [];

    public IReadOnlyList<HttpRoute> Http { get; init; } = [];

    public IReadOnlyList<TlsRoute> Tls { get; init; } = [];

    public IReadOnlyList<TcpRoute> Tcp { get; init; } = [];

    public IReadOnlyList<string> ExportTo { get; init; } = [];

    /// <summary>
    /// Converted from a Gateway API route (istiod's <c>internal.istio.io/route-semantics: gateway</c>): prefixes match
    /// whole path segments, a missing backend answers 500, and a consumer route is preferred in its own namespace.
    /// </summary>
    public bool GatewaySemantics { get; init; }

    /// <summary>The resources a converted VirtualService came from (<c>HTTPRoute default/reviews</c>); null: itself.</summary>
    public string? Origin { get; init; }
}

/// <summary>One <c>http[]</c> rule: matches (ORed) and exactly one action, with its policies.</summary>
public sealed record HttpRoute
{
    public string? Name { get; init; }

    public IReadOnlyList<HttpMatchRequest> Match { get; init; } = [];

    public IReadOnlyList<HttpRouteDestination> Route { get; init; } = [];

    public HttpRedirect? Redirect { get; init; }

    public HttpDirectResponse? DirectResponse { get; init; }

    public VirtualServiceDelegate? Delegate { get; init; }

    public HttpRewrite? Rewrite { get; init; }

    public IstioDuration? Timeout { get; init; }

    public HttpRetry? Retries { get; init; }

    public HttpFaultInjection? Fault { get; init; }

    public Destination? Mirror { get; init; }

    public IReadOnlyList<HttpMirrorPolicy> Mirrors { get; init; } = [];

    /// <summary>Deprecated integer <c>mirrorPercent</c>.</summary>
    public uint? MirrorPercent { get; init; }

    /// <summary><c>mirrorPercentage.value</c>.</summary>
    public double? MirrorPercentage { get; init; }

    public CorsPolicy? CorsPolicy { get; init; }

    public Headers? Headers { get; init; }
}

/// <summary>A reference to a delegate VirtualService (<c>http[].delegate</c>).</summary>
public sealed record VirtualServiceDelegate(string? Name, string? Namespace);

/// <summary>A weighted destination of an HTTP route, with destination-level header operations.</summary>
public sealed record HttpRouteDestination
{
    public Destination? Destination { get; init; }

    public int Weight { get; init; }

    public Headers? Headers { get; init; }
}

/// <summary>A weighted destination of a TCP or TLS route.</summary>
public sealed record RouteDestination
{
    public Destination? Destination { get; init; }

    public int Weight { get; init; }
}

/// <summary>Istio's <c>Destination</c>: a service host, an optional DestinationRule subset and port.</summary>
public sealed record Destination
{
    public string Host { get; init; } = "";

    public string? Subset { get; init; }

    /// <summary><c>port.number</c>, or null to use the service's only port or the listener's.</summary>
    public int? Port { get; init; }
}

/// <summary>One <c>tcp[]</c> rule.</summary>
public sealed record TcpRoute
{
    public IReadOnlyList<L4MatchAttributes> Match { get; init; } = [];

    public IReadOnlyList<RouteDestination> Route { get; init; } = [];
}

/// <summary>One <c>tls[]</c> rule (routing by SNI without terminating TLS).</summary>
public sealed record TlsRoute
{
    public IReadOnlyList<TlsMatchAttributes> Match { get; init; } = [];

    public IReadOnlyList<RouteDestination> Route { get; init; } = [];
}
