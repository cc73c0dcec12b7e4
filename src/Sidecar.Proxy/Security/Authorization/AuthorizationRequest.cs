using System.Net;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// What a policy can look at, read straight from the connection and request (nothing copied): the mTLS peer's SPIFFE
/// id, the peer address, the destination port, and for HTTP the request. <see cref="Http"/> is null for TCP.
/// </summary>
internal readonly struct AuthorizationRequest(string? principal, IPAddress? sourceAddress, int destinationPort, HttpRequest? http, Jwt.JwtIdentity? jwt = null)
{
    /// <summary>The verified JWT (RequestAuthentication): <c>request.auth.*</c>; null without one.</summary>
    public Jwt.JwtIdentity? Jwt { get; } = jwt;

    /// <summary><c>spiffe://cluster.local/ns/default/sa/sleep</c>, or null without mTLS.</summary>
    public string? Principal { get; } = principal;

    public IPAddress? SourceAddress { get; } = sourceAddress;

    public int DestinationPort { get; } = destinationPort;

    public HttpRequest? Http { get; } = http;

    /// <summary>Istio's <c>source.principal</c> form: the SPIFFE id without <c>spiffe://</c>.</summary>
    public ReadOnlySpan<char> PrincipalWithoutScheme =>
        Principal is null ? default : Principal.AsSpan(Principal.StartsWith(Identity.SpiffeIds.Scheme, StringComparison.Ordinal) ? Identity.SpiffeIds.Scheme.Length : 0);

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
}

/// <summary>The outcome: allowed or not, and the policy that decided (for logs).</summary>
internal readonly record struct AuthorizationDecision(bool Allowed, string? PolicyName)
{
    public static readonly AuthorizationDecision AllowedByDefault = new(true, null);
}
