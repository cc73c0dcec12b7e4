using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sidecar.Testing;

/// <summary>
/// Signs RS256 JWTs with its own RSA key and publishes the key as a JWKS, written from RFC 7515/7517 directly (not
/// with the library the sidecar verifies with, so the two are checked against each other).
/// </summary>
public sealed class TestJwtIssuer : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public TestJwtIssuer(string issuer, string keyId = "test-key")
    {
        Issuer = issuer;
        KeyId = keyId;
    }

    public string Issuer { get; }

    public string KeyId { get; }

    /// <summary>The public key as a JSON Web Key Set.</summary>
    public string Jwks
    {
        get
        {
            var parameters = _key.ExportParameters(includePrivateParameters: false);
            return new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject
                {
                    ["kty"] = "RSA",
                    ["kid"] = KeyId,
                    ["use"] = "sig",
                    ["alg"] = "RS256",
                    ["n"] = Base64Url(parameters.Modulus!),
                    ["e"] = Base64Url(parameters.Exponent!),
                }),
            }.ToJsonString();
        }
    }

    /// <summary>A token for <paramref name="subject"/>; <paramref name="claims"/> are added to the payload (and may override iss, exp, ...).</summary>
    public string Token(string subject, TimeSpan? lifetime = null, IReadOnlyDictionary<string, object>? claims = null)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.Add(lifetime ?? TimeSpan.FromHours(1)).ToUnixTimeSeconds(),
        };
        foreach (var (name, value) in claims ?? new Dictionary<string, object>())
        {
            payload[name] = value;
        }

        var header = Base64Url(Encoding.UTF8.GetBytes($$"""{"alg":"RS256","typ":"JWT","kid":"{{KeyId}}"}"""));
        var body = Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = _key.SignData(Encoding.ASCII.GetBytes($"{header}.{body}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{body}.{Base64Url(signature)}";
    }

    public void Dispose() => _key.Dispose();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
