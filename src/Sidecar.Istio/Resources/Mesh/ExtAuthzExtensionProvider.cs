namespace Sidecar.Istio.Resources.Mesh;

/// <summary>
/// An external authorization entry of MeshConfig <c>extensionProviders</c>, which AuthorizationPolicy CUSTOM names:
/// <c>envoyExtAuthzHttp</c> (read in full) or <c>envoyExtAuthzGrpc</c>.
/// </summary>
public sealed record ExtAuthzExtensionProvider
{
    public string Name { get; init; } = "";

    /// <summary><c>envoyExtAuthzHttp</c> or <c>envoyExtAuthzGrpc</c>.</summary>
    public string Kind { get; init; } = "";

    /// <summary><c>service</c>: <c>[namespace/]host</c> of the authorization service.</summary>
    public string Service { get; init; } = "";

    public int Port { get; init; }

    public IstioDuration? Timeout { get; init; }

    public string? PathPrefix { get; init; }

    public bool FailOpen { get; init; }

    /// <summary><c>statusOnError</c> as written (an HTTP status code).</summary>
    public string? StatusOnError { get; init; }

    public IReadOnlyList<string> HeadersToUpstreamOnAllow { get; init; } = [];

    public IReadOnlyList<string> HeadersToDownstreamOnDeny { get; init; } = [];

    public IReadOnlyList<string> HeadersToDownstreamOnAllow { get; init; } = [];

    /// <summary><c>includeRequestHeadersInCheck</c> (and the deprecated <c>includeHeadersInCheck</c>).</summary>
    public IReadOnlyList<string> IncludeRequestHeadersInCheck { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> IncludeAdditionalHeadersInCheck { get; init; } = [];

    /// <summary><c>includeRequestBodyInCheck.maxRequestBytes</c>; null when the body is not sent.</summary>
    public uint? MaxRequestBytes { get; init; }

    public bool AllowPartialMessage { get; init; }
}
