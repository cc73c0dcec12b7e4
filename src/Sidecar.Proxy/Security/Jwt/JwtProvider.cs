using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Security.Jwt;

/// <summary>
/// One RequestAuthentication <c>jwtRules[]</c> entry compiled (Envoy's <c>jwt_authn</c> provider): where its token
/// is looked for, how it is verified (issuer, audiences, signature against the JWKS, <c>exp</c>/<c>nbf</c> with Envoy's
/// 60 s clock skew) and what is written on the request once it is.
/// </summary>
internal sealed class JwtProvider
{
    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly JwtHeaderLocationConfig[] DefaultHeaders = [new("authorization", "Bearer ")];
    private static readonly string[] DefaultParams = ["access_token"];
    private readonly JwtHeaderLocationConfig[] _headers;
    private readonly string[] _params;
    private readonly string[] _cookies;
    private readonly IList<SecurityKey>? _inlineKeys;
    private readonly string? _inlineKeysError;
    private readonly JwksCache _jwks;
    private readonly HashSet<string> _audiences;

    public JwtProvider(JwtRuleConfig config, JwksCache jwks)
    {
        Config = config;
        _jwks = jwks;
        _audiences = new HashSet<string>(config.Audiences.Select(SanitizeAudience), StringComparer.Ordinal);
        var defaults = config.FromHeaders.IsEmpty && config.FromParams.IsEmpty && config.FromCookies.IsEmpty;
        _headers = defaults ? DefaultHeaders : [.. config.FromHeaders];
        _params = defaults ? DefaultParams : [.. config.FromParams];
        _cookies = [.. config.FromCookies];
        if (config.Jwks is { } inline)
        {
            try
            {
                _inlineKeys = JwksKeys.Read(inline);
            }
            catch (Exception ex) when (ex is ArgumentException or JsonException or InvalidOperationException)
            {
                _inlineKeysError = ex.Message;
            }
        }
    }

    public JwtRuleConfig Config { get; }

    /// <summary>The token in the first of this provider's locations that has one, and where it was.</summary>
    public (string? Token, JwtHeaderLocationConfig? Header) Extract(HttpRequest request)
    {
        foreach (var location in _headers)
        {
            var value = request.Headers[location.Name].ToString();
            if (value.Length > location.Prefix.Length && value.StartsWith(location.Prefix, StringComparison.OrdinalIgnoreCase))
            {
                return (value[location.Prefix.Length..].Trim(), location);
            }
        }

        foreach (var name in _params)
        {
            if (request.Query.TryGetValue(name, out var value) && value.ToString().Length > 0)
            {
                return (value.ToString(), null);
            }
        }

        foreach (var name in _cookies)
        {
            if (request.Cookies.TryGetValue(name, out var value) && value.Length > 0)
            {
                return (value, null);
            }
        }

        return (null, null);
    }

    /// <summary>
    /// Verifies <paramref name="token"/> (already known to name this provider's issuer) in the order of Envoy's
    /// authenticator: its lifetime (<c>nbf</c>, <c>exp</c>, 60 s of clock skew), its audiences, then its signature
    /// with the keys its <c>kid</c> and <c>alg</c> select. Returns the identity, or null and Envoy's failure text.
    /// </summary>
    public async ValueTask<(JwtIdentity? Identity, string? Failure)> VerifyAsync(ParsedJwt token)
    {
        if (token.CheckLifetime(DateTimeOffset.UtcNow, ClockSkew) is { } expired)
        {
            return (null, expired);
        }

        if (!AudiencesAllowed(token.Audiences))
        {
            return (null, "Audiences in Jwt are not allowed");
        }

        IList<SecurityKey>? keys;
        if (Config.Jwks is not null)
        {
            keys = _inlineKeys;
            if (keys is null)
            {
                return (null, $"Jwks parse error: {_inlineKeysError}");
            }
        }
        else if (Config.JwksUri is { } uri)
        {
            keys = await _jwks.GetKeysAsync(uri, Config.JwksFetchTimeout).ConfigureAwait(false);
            if (keys is null)
            {
                return (null, "Jwks remote fetch is failed");
            }
        }
        else
        {
            keys = [];
        }

        // Envoy's verifyJwt: only keys whose kid (when both name one) and type fit the token's are tried; none is a
        // mismatch, a tried key that does not verify the signature a verification failure.
        var candidates = keys.Where(key => KeyFits(key, token)).ToList();
        if (candidates.Count == 0)
        {
            return (null, "Jwks doesn't have key to match kid or alg from Jwt");
        }

        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            IssuerSigningKeys = candidates,
            TryAllIssuerSigningKeys = true,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
        };
        var result = await Handler.ValidateTokenAsync(token.Token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, "Jwt verification fails");
        }

        return (new JwtIdentity(Config.Issuer.Length > 0 ? Config.Issuer : token.Issuer, token.Payload, Config.SpaceDelimitedClaims), null);
    }

    /// <summary>What Envoy's <c>jwt_authn</c> writes on a request it verified: outputs, and the token removed unless forwarded.</summary>
    public void ApplyOutputs(HttpRequest request, ParsedJwt token, JwtIdentity identity, JwtHeaderLocationConfig? location)
    {
        if (Config.OutputPayloadToHeader is { } payloadHeader)
        {
            request.Headers[payloadHeader] = token.EncodedPayload;
        }

        foreach (var output in Config.OutputClaimToHeaders)
        {
            // Envoy's addJWTClaimToHeader: a string, number or boolean claim (nested by a dotted path); a list or an object is not copied.
            if (PrimitiveClaim(token.Payload, output.Claim) is { Length: > 0 } value)
            {
                request.Headers.Append(output.Header, HeaderValueEncoding.FromText(value));
            }
        }

        if (!Config.ForwardOriginalToken && location is not null)
        {
            request.Headers.Remove(location.Name);
        }
    }

    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    /// <summary>Envoy's CheckAudience: without configured audiences any token passes; else one of its audiences must be
    /// configured, both compared without an <c>http://</c> or <c>https://</c> scheme and a trailing slash.</summary>
    private bool AudiencesAllowed(IReadOnlyList<string> audiences)
    {
        if (_audiences.Count == 0)
        {
            return true;
        }

        foreach (var audience in audiences)
        {
            if (_audiences.Contains(SanitizeAudience(audience)))
            {
                return true;
            }
        }

        return false;
    }

    private static string SanitizeAudience(string audience)
    {
        var span = audience.AsSpan();
        if (span.StartsWith("http://", StringComparison.Ordinal))
        {
            span = span["http://".Length..];
        }
        else if (span.StartsWith("https://", StringComparison.Ordinal))
        {
            span = span["https://".Length..];
        }

        if (span.EndsWith('/'))
        {
            span = span[..^1];
        }

        return span.Length == audience.Length ? audience : span.ToString();
    }

    /// <summary>Whether a JWKS key may verify the token: its kid matches when both name one, and its type suits the algorithm.</summary>
    private static bool KeyFits(SecurityKey key, ParsedJwt token)
    {
        if (token.KeyId is { Length: > 0 } kid && !string.IsNullOrEmpty(key.KeyId) && !string.Equals(kid, key.KeyId, StringComparison.Ordinal))
        {
            return false;
        }

        return token.Algorithm.AsSpan(0, 2) switch
        {
            "RS" or "PS" => key is RsaSecurityKey or X509SecurityKey || key is JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.RSA },
            "ES" => key is ECDsaSecurityKey || key is JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.EllipticCurve },
            "HS" => key is SymmetricSecurityKey || key is JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.Octet },
            _ => false,
        };
    }

    /// <summary>A claim by dotted path as Envoy copies it to a header: a string as it is, a number in its shortest form, a boolean as true/false; null otherwise.</summary>
    private static string? PrimitiveClaim(JsonElement payload, string path)
    {
        var element = payload;
        foreach (var name in path.Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Number => element.GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }
}
