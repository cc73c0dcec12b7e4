using System.Buffers.Text;
using System.Text.Json;

namespace Sidecar.Proxy.Security.Jwt;

/// <summary>
/// A JWT read as Envoy's <c>jwt_authn</c> reads it before verifying anything (<c>Jwt::parseFromString</c>): three
/// dot-separated sections (empty ones skipped), a base64url JSON header with a supported <c>alg</c> and a string
/// <c>kid</c> if any, a base64url JSON payload whose registered claims have their types (<c>iss</c>, <c>sub</c>,
/// <c>jti</c> strings; <c>iat</c>, <c>nbf</c>, <c>exp</c> non-negative numbers; <c>aud</c> a string or list of
/// strings), and a base64url signature. The first check a token fails is its 401 body, in Envoy's words.
/// </summary>
internal sealed class ParsedJwt
{
    private static readonly HashSet<string> SupportedAlgorithms = new(StringComparer.Ordinal)
    {
        "ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA",
    };

    private ParsedJwt(string token, string alg, string? kid, JsonElement payload, string encodedPayload)
    {
        Token = token;
        Algorithm = alg;
        KeyId = kid;
        Payload = payload;
        EncodedPayload = encodedPayload;
    }

    /// <summary>The token as it arrived.</summary>
    public string Token { get; }

    public string Algorithm { get; }

    /// <summary>The header's <c>kid</c>; null when it has none.</summary>
    public string? KeyId { get; }

    /// <summary>The payload's claims (a JSON object).</summary>
    public JsonElement Payload { get; }

    /// <summary>The payload section as sent (base64url), for <c>outputPayloadToHeader</c>.</summary>
    public string EncodedPayload { get; }

    /// <summary>The <c>iss</c> claim; empty when absent.</summary>
    public string Issuer { get; private init; } = "";

    public ulong NotBefore { get; private init; }

    /// <summary>The <c>exp</c> claim; 0 when absent (the token does not expire).</summary>
    public ulong Expires { get; private init; }

    public IReadOnlyList<string> Audiences { get; private init; } = [];

    /// <summary>Parses <paramref name="token"/>; null and Envoy's status text when it is malformed.</summary>
    public static ParsedJwt? Parse(string token, out string? failure)
    {
        var sections = token.Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (sections.Length != 3)
        {
            failure = "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
            return null;
        }

        failure = ReadObject(sections[0], "header", out var header);
        if (failure is not null)
        {
            return null;
        }

        using var headerDocument = header;
        if (!TryGetString(headerDocument!.RootElement, "alg", out var alg, out _))
        {
            failure = "Jwt header [alg] field is required and must be a string";
            return null;
        }

        if (!SupportedAlgorithms.Contains(alg!))
        {
            failure = "Jwt header [alg] is not supported";
            return null;
        }

        if (!TryGetString(headerDocument.RootElement, "kid", out var kid, out var kidPresent) && kidPresent)
        {
            failure = "Jwt header [kid] field is not a string";
            return null;
        }

        failure = ReadObject(sections[1], "payload", out var payloadDocument);
        if (failure is not null)
        {
            return null;
        }

        using (payloadDocument)
        {
            var payload = payloadDocument!.RootElement;
            // In Envoy's order; the first claim of the wrong type is the answer.
            string? issuer = null;
            ulong nbf = 0, exp = 0;
            IReadOnlyList<string> audiences = [];
            failure = CheckString(payload, "iss", out issuer) ?? CheckString(payload, "sub", out _)
                ?? CheckNumber(payload, "iat", out _) ?? CheckNumber(payload, "nbf", out nbf) ?? CheckNumber(payload, "exp", out exp)
                ?? CheckString(payload, "jti", out _) ?? CheckAudiences(payload, out audiences);
            if (failure is not null)
            {
                return null;
            }

            if (!IsBase64Url(sections[2]))
            {
                failure = "Jwt signature is an invalid Base64url encoded";
                return null;
            }

            return new ParsedJwt(token, alg!, kid, payload.Clone(), sections[1])
            {
                Issuer = issuer ?? "",
                NotBefore = nbf,
                Expires = exp,
                Audiences = audiences,
            };
        }
    }

    /// <summary>Envoy's time check (<c>verifyTimeConstraint</c>), with its clock skew; null when the token is within its lifetime.</summary>
    public string? CheckLifetime(DateTimeOffset now, TimeSpan clockSkew)
    {
        var seconds = (ulong)Math.Max(0, now.ToUnixTimeSeconds());
        var skew = (ulong)clockSkew.TotalSeconds;
        if (seconds + skew < NotBefore)
        {
            return "Jwt not yet valid";
        }

        return Expires != 0 && seconds > Expires + skew ? "Jwt is expired" : null;
    }

    private static string? ReadObject(string section, string part, out JsonDocument? document)
    {
        document = null;
        byte[] json;
        try
        {
            json = Base64Url.DecodeFromChars(section);
        }
        catch (FormatException)
        {
            return $"Jwt {part} is an invalid Base64url encoded";
        }

        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return $"Jwt {part} is an invalid JSON";
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null;
            return $"Jwt {part} is an invalid JSON";
        }

        return null;
    }

    private static bool IsBase64Url(string section) => Base64Url.IsValid(section);

    /// <summary>A string member: true with its value; false when absent (<paramref name="present"/> false) or of another type.</summary>
    private static bool TryGetString(JsonElement element, string name, out string? value, out bool present)
    {
        value = null;
        present = element.TryGetProperty(name, out var member);
        if (!present || member.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = member.GetString();
        return true;
    }

    private static string? CheckString(JsonElement payload, string claim, out string? value) =>
        TryGetString(payload, claim, out value, out var present) || !present ? null : $"Jwt payload [{claim}] field is not a string";

    private static string? CheckNumber(JsonElement payload, string claim, out ulong value)
    {
        value = 0;
        if (!payload.TryGetProperty(claim, out var member))
        {
            return null;
        }

        if (member.ValueKind != JsonValueKind.Number)
        {
            return $"Jwt payload [{claim}] field is not an integer";
        }

        // Envoy reads the number as a double: negative or beyond 64 bits is out of range, a fraction is truncated.
        if (!member.TryGetDouble(out var number) || number < 0 || number >= ulong.MaxValue)
        {
            return $"Jwt payload [{claim}] field is not a positive 64 bit integer";
        }

        value = (ulong)number;
        return null;
    }

    private static string? CheckAudiences(JsonElement payload, out IReadOnlyList<string> audiences)
    {
        audiences = [];
        if (!payload.TryGetProperty("aud", out var member))
        {
            return null;
        }

        if (member.ValueKind == JsonValueKind.String)
        {
            audiences = [member.GetString()!];
            return null;
        }

        const string NotStrings = "Jwt payload [aud] field is not a string or string list";
        if (member.ValueKind != JsonValueKind.Array)
        {
            return NotStrings;
        }

        var list = new List<string>();
        foreach (var item in member.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return NotStrings;
            }

            list.Add(item.GetString()!);
        }

        audiences = list;
        return null;
    }
}
