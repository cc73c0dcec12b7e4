namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// What the authorization service decided: allowed (with headers to set, append and remove on the request and to
/// add to the response) or denied (the client's answer: status, headers, body; <see cref="Error"/> when the service
/// could not be asked).
/// </summary>
internal sealed record ExtAuthzDecision(bool Allowed, int Status, KeyValuePair<string, string>[] UpstreamHeaders, KeyValuePair<string, string>[] ClientHeaders, byte[] Body, bool Error)
{
    /// <summary>Request headers whose values are appended to the request's own (gRPC <c>append: true</c>).</summary>
    public KeyValuePair<string, string>[] UpstreamAppendedHeaders { get; init; } = [];

    /// <summary>Request headers removed before the request goes on (gRPC <c>headers_to_remove</c>).</summary>
    public string[] UpstreamRemovedHeaders { get; init; } = [];

    public static ExtAuthzDecision Allow(KeyValuePair<string, string>[] upstream, KeyValuePair<string, string>[] client) => new(true, 200, upstream, client, [], false);

    public static ExtAuthzDecision Deny(int status, KeyValuePair<string, string>[] client, byte[] body, bool error) => new(false, status, [], client, body, error);
}
