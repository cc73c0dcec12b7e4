namespace Sidecar.Proxy.Security.Authorization;

/// <summary>What the authorization service decided: allowed (with headers for the upstream and the client) or denied (the client's answer).</summary>
internal sealed record ExtAuthzDecision(bool Allowed, int Status, KeyValuePair<string, string>[] UpstreamHeaders, KeyValuePair<string, string>[] ClientHeaders, byte[] Body, bool Error)
{
    public static ExtAuthzDecision Allow(KeyValuePair<string, string>[] upstream, KeyValuePair<string, string>[] client) => new(true, 200, upstream, client, [], false);

    public static ExtAuthzDecision Deny(int status, KeyValuePair<string, string>[] client, byte[] body, bool error) => new(false, status, [], client, body, error);
}
