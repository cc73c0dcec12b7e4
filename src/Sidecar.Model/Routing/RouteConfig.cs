namespace Sidecar.Model;

/// <summary>
/// An Envoy <c>Route</c>: a match and exactly one action (forward, redirect or direct response), with the fault and
/// header policies Istio attaches. Istio turns each <c>http[]</c> entry of a VirtualService into one route per match.
/// </summary>
public sealed record RouteConfig
{
    /// <summary>Istio's route name (<c>http[].name</c>), or null.</summary>
    public string? Name { get; init; }

    public RouteMatchConfig Match { get; init; } = RouteMatchConfig.Any;

    /// <summary>Forward to one cluster or a weighted set.</summary>
    public RouteActionConfig? Route { get; init; }

    public RedirectConfig? Redirect { get; init; }

    public DirectResponseConfig? DirectResponse { get; init; }

    /// <summary>Fault injection (Envoy's <c>envoy.filters.http.fault</c> per-route config).</summary>
    public FaultConfig? Fault { get; init; }

    /// <summary>Cross-origin resource sharing (Envoy's <c>envoy.filters.http.cors</c> per-route config), or null.</summary>
    public CorsPolicyConfig? Cors { get; init; }

    /// <summary>Applied to the request before it is forwarded (Envoy's <c>request_headers_to_add/remove</c>).</summary>
    public HeaderMutationConfig RequestHeaders { get; init; } = HeaderMutationConfig.None;

    /// <summary>Applied to the response before it is returned (Envoy's <c>response_headers_to_add/remove</c>).</summary>
    public HeaderMutationConfig ResponseHeaders { get; init; } = HeaderMutationConfig.None;

    /// <summary>The resource this route came from (e.g. <c>VirtualService default/reviews</c>), for dumps and traces.</summary>
    public string? Origin { get; init; }
}
