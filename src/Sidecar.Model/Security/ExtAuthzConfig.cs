namespace Sidecar.Model;

/// <summary>How the authorization service is asked: Envoy's <c>http_service</c> or <c>grpc_service</c>.</summary>
public enum ExtAuthzProtocol
{
    /// <summary>Istio's <c>envoyExtAuthzHttp</c>: the request's method and path, 200 allows.</summary>
    Http,

    /// <summary>Istio's <c>envoyExtAuthzGrpc</c>: <c>envoy.service.auth.v3.Authorization/Check</c>, status OK allows.</summary>
    Grpc,
}

/// <summary>
/// Envoy's <c>ext_authz</c> HTTP filter, as Istio configures it for the <c>envoyExtAuthzHttp</c> or
/// <c>envoyExtAuthzGrpc</c> provider an AuthorizationPolicy CUSTOM names: requests the CUSTOM rules match are first
/// checked with the service; an allowed check lets them on, a denial is the client's answer.
/// </summary>
public sealed record ExtAuthzConfig
{
    /// <summary>The extension provider's name, for logs.</summary>
    public required string Provider { get; init; }

    public ExtAuthzProtocol Protocol { get; init; } = ExtAuthzProtocol.Http;

    /// <summary>The cluster the check requests go to (<c>outbound|port||host</c>).</summary>
    public required string Cluster { get; init; }

    public string PathPrefix { get; init; } = "";

    /// <summary>Istio's default is 600s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary><c>failOpen</c>: a service that cannot be reached allows the request.</summary>
    public bool FailOpen { get; init; }

    /// <summary><c>statusOnError</c>: the status when the service cannot be reached (Envoy's default 403).</summary>
    public int StatusOnError { get; init; } = 403;

    /// <summary>Request headers sent in the check besides Host, Method, Path, Content-Length and Authorization (exact, <c>prefix*</c>, <c>*suffix</c>).</summary>
    public EquatableArray<string> IncludeRequestHeaders { get; init; }

    /// <summary><c>includeAdditionalHeadersInCheck</c>: fixed headers added to the check.</summary>
    public EquatableArray<HeaderValueConfig> AdditionalHeaders { get; init; }

    /// <summary>Check response headers copied onto the allowed request (replacing the request's own).</summary>
    public EquatableArray<string> HeadersToUpstreamOnAllow { get; init; }

    /// <summary>Check response headers passed to the client on a denial; empty: all of them, as Envoy does.</summary>
    public EquatableArray<string> HeadersToDownstreamOnDeny { get; init; }

    /// <summary>Check response headers added to the response of an allowed request.</summary>
    public EquatableArray<string> HeadersToDownstreamOnAllow { get; init; }

    /// <summary><c>includeRequestBodyInCheck.maxRequestBytes</c>: how much of the body the check carries; null: none.</summary>
    public int? MaxRequestBytes { get; init; }

    /// <summary>With a larger body: send the first <see cref="MaxRequestBytes"/> (true) or answer 413 (false).</summary>
    public bool AllowPartialMessage { get; init; }
}
