using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Security.Jwt;

/// <summary>
/// What a verified JWT tells AuthorizationPolicy (Istio's <c>request.auth.*</c> attributes): the request principal
/// <c>iss/sub</c>, the audiences, the presenter (<c>azp</c>) and the claims.
/// </summary>
internal sealed class JwtIdentity
{
    private readonly JsonElement _claims;
    private readonly EquatableArray<string> _spaceDelimitedClaims;

    public JwtIdentity(string issuer, JsonElement claims, EquatableArray<string> spaceDelimitedClaims = default)
    {
        _claims = claims;
        _spaceDelimitedClaims = spaceDelimitedClaims;
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

        if (path.Count == 0)
        {
            return [];
        }

        var values = Claim(element, path[^1]);
        // Envoy's normalize_payload_in_metadata: a listed top-level claim's string is matched as its space-separated parts.
        return path.Count == 1 && values.Count == 1 && _spaceDelimitedClaims.AsSpan().Contains(path[0])
            ? values[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : values;
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
