namespace Sidecar.Model;

/// <summary>
/// An Envoy <c>RouteConfiguration</c>: what an HTTP connection manager looks requests up in. Outbound tables are named
/// by port (<c>"9080"</c>), inbound ones <c>inbound|9080||</c>.
/// </summary>
public sealed record RouteTableConfig
{
    public required string Name { get; init; }

    /// <summary>Virtual hosts in priority order; the data plane picks one by the request's authority.</summary>
    public EquatableArray<VirtualHostConfig> VirtualHosts { get; init; }
}

/// <summary>
/// An Envoy <c>VirtualHost</c>: the routes for a set of domains. Istio makes one per service and port, named
/// <c>reviews.default.svc.cluster.local:9080</c>, plus a catch-all (<c>allow_any</c> or <c>block_all</c>).
/// </summary>
public sealed record VirtualHostConfig
{
    public required string Name { get; init; }

    /// <summary>Exact domains (<c>reviews</c>, <c>reviews:9080</c>), suffix wildcards (<c>*.example.com</c>),
    /// prefix wildcards (<c>foo.*</c>) or <c>*</c>; matched as Envoy does, exact first, then longest wildcard.</summary>
    public EquatableArray<string> Domains { get; init; }

    /// <summary>Routes in order; the first that matches wins.</summary>
    public EquatableArray<RouteConfig> Routes { get; init; }
}
