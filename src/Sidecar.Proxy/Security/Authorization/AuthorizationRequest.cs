using System.Net;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// What a policy can look at, read straight from the connection and request (nothing copied): the mTLS peer's SPIFFE
/// id, the peer address, the destination address and port, the TLS server name, and for HTTP the request.
/// <see cref="Http"/> is null for TCP.
/// </summary>
internal readonly struct AuthorizationRequest(
    string? principal,
    IPAddress? sourceAddress,
    int destinationPort,
    HttpRequest? http,
    Jwt.JwtIdentity? jwt = null,
    IPAddress? destinationAddress = null,
    string? serverName = null)
{
    /// <summary>The verified JWT (RequestAuthentication): <c>request.auth.*</c>; null without one.</summary>
    public Jwt.JwtIdentity? Jwt { get; } = jwt;

    /// <summary><c>spiffe://cluster.local/ns/default/sa/sleep</c>, or null without mTLS.</summary>
    public string? Principal { get; } = principal;

    /// <summary>Istio's <c>source.ip</c>: the peer address of the connection.</summary>
    public IPAddress? SourceAddress { get; } = sourceAddress;

    /// <summary>
    /// Istio's <c>remote.ip</c>: the last <c>X-Forwarded-For</c> address when the request has one, else the peer. A
    /// sidecar's connection manager runs with <c>use_remote_address: false</c> and no trusted hops, so Envoy takes the
    /// client's address from the rightmost entry (traffic through an ingress gateway).
    /// </summary>
    public IPAddress? RemoteAddress => Http is { } http && LastForwardedFor(http.Headers) is { } forwarded ? forwarded : SourceAddress;

    /// <summary>Istio's <c>destination.ip</c>: where the connection was going (the original destination of a captured one).</summary>
    public IPAddress? DestinationAddress { get; } = destinationAddress;

    /// <summary>Istio's <c>connection.sni</c>: the server name of the downstream TLS handshake; null without TLS.</summary>
    public string? ServerName { get; } = serverName;

    public int DestinationPort { get; } = destinationPort;

    public HttpRequest? Http { get; } = http;

    /// <summary>Istio's <c>source.principal</c> form: the SPIFFE id without <c>spiffe://</c>.</summary>
    public ReadOnlySpan<char> PrincipalWithoutScheme =>
        Principal is null ? default : Principal.AsSpan(Principal.StartsWith(Identity.SpiffeIds.Scheme, StringComparison.Ordinal) ? Identity.SpiffeIds.Scheme.Length : 0);

    /// <summary>Istio's <c>source.serviceAccount</c>: <c>namespace/name</c> from the principal's <c>ns</c> and <c>sa</c> segments.</summary>
    public string? ServiceAccount
    {
        get
        {
            var principal = PrincipalWithoutScheme;
            var sa = principal.IndexOf("/sa/", StringComparison.Ordinal);
            return sa < 0 || Namespace.IsEmpty ? null : string.Concat(Namespace, "/", principal[(sa + 4)..]);
        }
    }

    /// <summary>The trust domain of the peer's identity: the principal up to its first '/' (Istio's <c>trustDomains</c>).</summary>
    public ReadOnlySpan<char> TrustDomain
    {
        get
        {
            var principal = PrincipalWithoutScheme;
            var slash = principal.IndexOf('/');
            return slash < 0 ? principal : principal[..slash];
        }
    }

    /// <summary>Istio's <c>source.namespace</c>: the <c>ns</c> segment of the principal.</summary>
    public ReadOnlySpan<char> Namespace
    {
        get
        {
            var principal = PrincipalWithoutScheme;
            var start = principal.IndexOf("/ns/", StringComparison.Ordinal);
            if (start < 0)
            {
                return default;
            }

            var rest = principal[(start + 4)..];
            var end = rest.IndexOf('/');
            return end < 0 ? rest : rest[..end];
        }
    }

    private static IPAddress? LastForwardedFor(IHeaderDictionary headers)
    {
        if (!headers.TryGetValue("x-forwarded-for", out var values) || values.Count == 0)
        {
            return null;
        }

        var last = values[^1].AsSpan();
        var comma = last.LastIndexOf(',');
        return IPAddress.TryParse(last[(comma + 1)..].Trim(), out var address) ? address : null;
    }
}

/// <summary>
/// The outcome: allowed or not, the policy that decided (for logs), and the rule that matched as Envoy's RBAC filter
/// names it (<c>ns[NS]-policy[NAME]-rule[N]</c>, istiod's policy id), null when no rule matched.
/// </summary>
internal readonly record struct AuthorizationDecision(bool Allowed, string? PolicyName, string? MatchedPolicyId = null)
{
    public static readonly AuthorizationDecision AllowedByDefault = new(true, null);
}
