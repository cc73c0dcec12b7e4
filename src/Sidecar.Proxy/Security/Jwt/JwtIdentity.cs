using System.Text.Json;

namespace Sidecar.Proxy.Security.Jwt;

/// <summary>
/// What a verified JWT tells AuthorizationPolicy (Istio's <c>request.auth.*</c> attributes): the request principal
/// <c>iss/sub</c>, the audiences, the presenter (<c>azp</c>) and the claims.
/// </summary>
internal sealed class JwtIdentity
{
    private readonly JsonElement _claims;

    public JwtIdentity(string issuer, JsonElement claims)
    {
        _claims = claims;
        var subject = Claim(claims, "sub") is [var sub, ..] ? sub : "";
        Issuer = issuer;
        Subject = subject;
        Principal = $"{issuer}/{subject}";
        Audiences = Claim(claims, "aud");
        Presenter = Claim(claims, "azp") is [var azp, ..] ? azp : null;
    }

    /// <summary><c>request.auth.principal</c>: <c>iss/sub</c>.</summary>
    public string Principal { get; }

    public string Issuer { get; }

    /// <summary>The <c>sub</c> claim; empty when the token has none.</summary>
    public string Subject { get; }

    public IReadOnlyList<string> Audiences { get; }

    public string? Presenter { get; }

    /// <summary><c>request.auth.claims[a][b]</c>: a claim's values (a string, or each string of a list); nested claims by path.</summary>
    public IReadOnlyList<string> ClaimValues(IReadOnlyList<string> path)
    {
        var element = _claims;
        for (var i = 0; i < path.Count - 1; i++)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(path[i], out element))
            {
                return [];
            }
        }

        return path.Count == 0 ? [] : Claim(element, path[^1]);
    }

    /// <summary>A claim as text values: strings as they are, numbers and booleans as JSON text, a list element by element.</summary>
    public static IReadOnlyList<string> Claim(JsonElement claims, string name)
    {
        if (claims.ValueKind != JsonValueKind.Object || !claims.TryGetProperty(name, out var value))
        {
            return [];
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array => value.EnumerateArray().Where(v => v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)).Select(Text).ToArray(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => [value.GetRawText()],
            _ => [],
        };
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
