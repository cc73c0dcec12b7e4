using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sidecar.Model;

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

    public JwtProvider(JwtRuleConfig config, JwksCache jwks)
    {
        Config = config;
        _jwks = jwks;
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

    /// <summary>Verifies <paramref name="token"/> (already known to name this provider's issuer): null and a claims set, or Envoy's failure text.</summary>
    public async ValueTask<(JwtIdentity? Identity, string? Failure)> VerifyAsync(JsonWebToken token)
    {
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
            return (null, "Jwks doesn't have key to match kid or alg from Jwt");
        }

        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = Config.Issuer.Length > 0,
            ValidIssuer = Config.Issuer,
            ValidateAudience = !Config.Audiences.IsEmpty,
            ValidAudiences = Config.Audiences.IsEmpty ? null : [.. Config.Audiences],
            IssuerSigningKeys = keys,
            TryAllIssuerSigningKeys = true,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(60),
        };
        var result = await Handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, FailureText(result.Exception));
        }

        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
        return (new JwtIdentity(Config.Issuer.Length > 0 ? Config.Issuer : token.Issuer, payload.RootElement.Clone(), Config.SpaceDelimitedClaims), null);
    }

    /// <summary>What Envoy's <c>jwt_authn</c> writes on a request it verified: outputs, and the token removed unless forwarded.</summary>
    public void ApplyOutputs(HttpRequest request, JsonWebToken token, JwtIdentity identity, JwtHeaderLocationConfig? location)
    {
        if (Config.OutputPayloadToHeader is { } payloadHeader)
        {
            request.Headers[payloadHeader] = token.EncodedPayload;
        }

        foreach (var output in Config.OutputClaimToHeaders)
        {
            var values = identity.ClaimValues([output.Claim]);
            if (values.Count > 0)
            {
                request.Headers[output.Header] = string.Join(',', values);
            }
        }

        if (!Config.ForwardOriginalToken && location is not null)
        {
            request.Headers.Remove(location.Name);
        }
    }

    /// <summary>Envoy's jwt_verify status texts, which it sends as the 401 body.</summary>
    private static string FailureText(Exception? error) => error switch
    {
        SecurityTokenExpiredException => "Jwt is expired",
        SecurityTokenNotYetValidException => "Jwt not yet valid",
        SecurityTokenInvalidAudienceException => "Audiences in Jwt are not allowed",
        SecurityTokenSignatureKeyNotFoundException => "Jwks doesn't have key to match kid or alg from Jwt",
        SecurityTokenInvalidIssuerException => "Jwt issuer is not configured",
        _ => "Jwt verification fails",
    };

    /// <summary>The token parsed but not verified (its issuer picks the provider), or null when it is not a JWS in compact form.</summary>
    public static JsonWebToken? Read(string token)
    {
        if (!Handler.CanReadToken(token))
        {
            return null;
        }

        try
        {
            var jwt = new JsonWebToken(token);
            return jwt.IsEncrypted ? null : jwt;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }
}
