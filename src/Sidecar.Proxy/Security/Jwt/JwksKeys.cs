using Microsoft.IdentityModel.Tokens;

namespace Sidecar.Proxy.Security.Jwt;

/// <summary>The verification keys of a JSON Web Key Set: RSA and EC keys, and symmetric (<c>oct</c>, HS256) keys, which Envoy accepts too.</summary>
internal static class JwksKeys
{
    /// <summary>Parses <paramref name="json"/>; throws <see cref="ArgumentException"/> (or a JSON error) when it is not a key set.</summary>
    public static IList<SecurityKey> Read(string json)
    {
        var set = new JsonWebKeySet(json);
        var keys = set.GetSigningKeys();
        foreach (var key in set.Keys)
        {
            // GetSigningKeys leaves symmetric keys out; a JsonWebKey carrying "k" verifies HMAC signatures itself.
            if (key.Kty == JsonWebAlgorithmsKeyTypes.Octet && !string.IsNullOrEmpty(key.K))
            {
                keys.Add(key);
            }
        }

        return keys;
    }
}
