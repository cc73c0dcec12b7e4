using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Sidecar.Model;
using Sidecar.Proxy.Security.Jwt;
using Sidecar.Testing;

namespace Sidecar.Proxy.Tests.Security;

/// <summary>RequestAuthentication's jwtRules as Envoy's jwt_authn applies them: locations, issuers, audiences, outputs.</summary>
public sealed class JwtAuthenticatorTests : IDisposable
{
    private readonly TestJwtIssuer _issuer = new("https://issuer.example.com");
    private readonly JwksCache _jwks = new(new FakeTimeProvider());

    public void Dispose()
    {
        _issuer.Dispose();
        _jwks.Dispose();
    }

    [Fact]
    public async Task Inline_jwks_verifies_a_token_and_the_principal_is_iss_slash_sub()
    {
        var outcome = await AuthenticateAsync([Rule()], r => r.Headers.Authorization = $"Bearer {_issuer.Token("alice", claims: new Dictionary<string, object> { ["aud"] = new[] { "a", "b" }, ["azp"] = "web" })}");

        Assert.Null(outcome.Failure);
        Assert.Equal("https://issuer.example.com/alice", outcome.Identity!.Principal);
        Assert.Equal(["a", "b"], outcome.Identity.Audiences);
        Assert.Equal("web", outcome.Identity.Presenter);
    }

    [Fact]
    public async Task A_request_without_a_token_passes_with_no_identity()
    {
        var outcome = await AuthenticateAsync([Rule()], _ => { });

        Assert.Equal(JwtOutcome.NoToken, outcome);
    }

    [Fact]
    public async Task Audiences_must_include_one_configured_audience()
    {
        var rule = Rule() with { Audiences = ["bookinfo"] };
        var wrong = await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {_issuer.Token("alice", claims: new Dictionary<string, object> { ["aud"] = "other" })}");
        var right = await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {_issuer.Token("alice", claims: new Dictionary<string, object> { ["aud"] = "bookinfo" })}");

        Assert.Equal("Audiences in Jwt are not allowed", wrong.Failure);
        Assert.Null(right.Failure);
    }

    [Fact]
    public async Task The_token_goes_to_the_provider_of_its_issuer()
    {
        using var other = new TestJwtIssuer("https://other.example.com", keyId: "other-key");
        var rules = new[] { Rule(), new JwtRuleConfig { Issuer = other.Issuer, Jwks = other.Jwks } };

        var outcome = await AuthenticateAsync(rules, r => r.Headers.Authorization = $"Bearer {other.Token("bob")}");

        Assert.Equal("https://other.example.com/bob", outcome.Identity!.Principal);
    }

    [Fact]
    public async Task Custom_locations_replace_the_default_and_outputs_are_written_on_the_request()
    {
        var rule = Rule() with
        {
            FromHeaders = [new JwtHeaderLocationConfig("x-jwt-assertion", "Token ")],
            FromParams = ["token"],
            OutputPayloadToHeader = "x-jwt-payload",
            OutputClaimToHeaders = [new JwtClaimToHeaderConfig("x-user", "sub")],
        };
        var token = _issuer.Token("carol");
        var context = new DefaultHttpContext();
        context.Request.Headers["x-jwt-assertion"] = $"Token {token}";

        var fromHeader = await new JwtAuthenticator([rule], _jwks).AuthenticateAsync(context.Request);
        var fromDefaultHeader = await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {token}");
        var fromParam = await AuthenticateAsync([rule], r => r.QueryString = new QueryString($"?token={token}"));

        Assert.NotNull(fromHeader.Identity);
        Assert.Equal("carol", context.Request.Headers["x-user"].ToString());
        Assert.Equal(token.Split('.')[1], context.Request.Headers["x-jwt-payload"].ToString());
        Assert.False(context.Request.Headers.ContainsKey("x-jwt-assertion"));
        Assert.Equal(JwtOutcome.NoToken, fromDefaultHeader);
        Assert.NotNull(fromParam.Identity);
    }

    [Fact]
    public async Task ForwardOriginalToken_keeps_the_header()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = $"Bearer {_issuer.Token("dave")}";

        await new JwtAuthenticator([Rule() with { ForwardOriginalToken = true }], _jwks).AuthenticateAsync(context.Request);

        Assert.True(context.Request.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task Symmetric_oct_keys_verify_HS256_tokens()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var jwks = $$"""{"keys":[{"kty":"oct","kid":"hmac","alg":"HS256","k":"{{Base64Url(key)}}"}]}""";
        var header = Base64Url("""{"alg":"HS256","typ":"JWT","kid":"hmac"}"""u8.ToArray());
        var payload = Base64Url(Encoding.UTF8.GetBytes($$"""{"iss":"hmac-issuer","sub":"erin","exp":{{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}"""));
        var signature = Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        var rule = new JwtRuleConfig { Issuer = "hmac-issuer", Jwks = jwks };

        var good = await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {header}.{payload}.{signature}");
        var bad = await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {header}.{payload}.{Base64Url(new byte[32])}");

        Assert.Equal("hmac-issuer/erin", good.Identity!.Principal);
        Assert.Equal("Jwt verification fails", bad.Failure);
    }

    [Fact]
    public async Task Nested_and_list_claims_are_read_by_path()
    {
        var outcome = await AuthenticateAsync([Rule()], r => r.Headers.Authorization = $"Bearer {_issuer.Token("frank", claims: new Dictionary<string, object>
        {
            ["groups"] = new[] { "dev", "ops" },
            ["realm_access"] = new Dictionary<string, object> { ["roles"] = new[] { "admin" } },
            ["level"] = 3,
        })}");

        Assert.Equal(["dev", "ops"], outcome.Identity!.ClaimValues(["groups"]));
        Assert.Equal(["admin"], outcome.Identity.ClaimValues(["realm_access", "roles"]));
        Assert.Equal(["3"], outcome.Identity.ClaimValues(["level"]));
        Assert.Empty(outcome.Identity.ClaimValues(["missing"]));
    }

    [Fact]
    public async Task Space_delimited_claims_are_matched_as_their_parts()
    {
        // Envoy's normalize_payload_in_metadata.space_delimited_claims: Istio always lists scope and permission, and
        // RequestAuthentication's spaceDelimitedClaims adds more; other string claims stay whole.
        var rule = Rule() with { SpaceDelimitedClaims = ["scope", "permission", "roles"] };
        var outcome = await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {_issuer.Token("gina", claims: new Dictionary<string, object>
        {
            ["scope"] = "read  write",
            ["roles"] = "admin ops",
            ["name"] = "Gina Smith",
        })}");

        Assert.Equal(["read", "write"], outcome.Identity!.ClaimValues(["scope"]));
        Assert.Equal(["admin", "ops"], outcome.Identity.ClaimValues(["roles"]));
        Assert.Equal(["Gina Smith"], outcome.Identity.ClaimValues(["name"]));
    }

    [Fact]
    public async Task A_rule_without_an_issuer_takes_a_token_from_any_issuer_its_keys_verify()
    {
        // Istio 1.27+: jwksUri (here inline keys) without an issuer; Envoy then does not check iss, and the principal
        // is the token's own iss/sub.
        var outcome = await AuthenticateAsync([Rule() with { Issuer = "" }], r => r.Headers.Authorization = $"Bearer {_issuer.Token("hank")}");

        Assert.Null(outcome.Failure);
        Assert.Equal($"{_issuer.Issuer}/hank", outcome.Identity!.Principal);
    }

    /// <summary>Envoy's Jwt::parseFromString checks, in its order; the first failed one is the 401 body (jwt_verify status texts).</summary>
    [Theory]
    [InlineData("a.b", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")]
    [InlineData("a.b.c.d", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")]
    [InlineData("a!.b.c", "Jwt header is an invalid Base64url encoded")]
    [InlineData("HEADER:abc|PAYLOAD:{}", "Jwt header is an invalid JSON")]
    [InlineData("HEADER:{\"typ\":\"JWT\"}|PAYLOAD:{}", "Jwt header [alg] field is required and must be a string")]
    [InlineData("HEADER:{\"alg\":5}|PAYLOAD:{}", "Jwt header [alg] field is required and must be a string")]
    [InlineData("HEADER:{\"alg\":\"none\"}|PAYLOAD:{}", "Jwt header [alg] is not supported")]
    [InlineData("HEADER:{\"alg\":\"RS256\",\"kid\":7}|PAYLOAD:{}", "Jwt header [kid] field is not a string")]
    [InlineData("HEADER:{\"alg\":\"RS256\"}|PAYLOAD:not json", "Jwt payload is an invalid JSON")]
    [InlineData("HEADER:{\"alg\":\"RS256\"}|PAYLOAD:{\"iss\":5}", "Jwt payload [iss] field is not a string")]
    [InlineData("HEADER:{\"alg\":\"RS256\"}|PAYLOAD:{\"sub\":[]}", "Jwt payload [sub] field is not a string")]
    [InlineData("HEADER:{\"alg\":\"RS256\"}|PAYLOAD:{\"exp\":\"soon\"}", "Jwt payload [exp] field is not an integer")]
    [InlineData("HEADER:{\"alg\":\"RS256\"}|PAYLOAD:{\"nbf\":-1}", "Jwt payload [nbf] field is not a positive 64 bit integer")]
    [InlineData("HEADER:{\"alg\":\"RS256\"}|PAYLOAD:{\"aud\":[1]}", "Jwt payload [aud] field is not a string or string list")]
    [InlineData("HEADER:{\"alg\":\"RS256\"}|PAYLOAD:{}|SIGNATURE:s!g", "Jwt signature is an invalid Base64url encoded")]
    public async Task A_malformed_token_is_refused_with_the_check_Envoy_makes_first(string token, string failure)
    {
        var outcome = await AuthenticateAsync([Rule()], r => r.Headers.Authorization = $"Bearer {Compose(token)}");

        Assert.Null(outcome.Identity);
        Assert.Equal(failure, outcome.Failure);
    }

    /// <summary>Envoy's authenticator checks the lifetime and the audiences before it looks for a key, and tries only
    /// the keys the token's kid and alg select.</summary>
    [Fact]
    public async Task Lifetime_then_audiences_then_the_key_then_the_signature()
    {
        var rule = Rule() with { Audiences = ["https://bookinfo/"] };
        var issuer = _issuer.Issuer;
        var expiredUnsigned = Compose($$"""HEADER:{"alg":"RS256","kid":"unknown"}|PAYLOAD:{"iss":"{{issuer}}","exp":1000}""");
        var wrongAudience = Compose($$"""HEADER:{"alg":"RS256","kid":"unknown"}|PAYLOAD:{"iss":"{{issuer}}","aud":"other"}""");
        var unknownKey = Compose($$"""HEADER:{"alg":"RS256","kid":"unknown"}|PAYLOAD:{"iss":"{{issuer}}","aud":"bookinfo"}""");
        var badSignature = Compose($$"""HEADER:{"alg":"RS256","kid":"{{_issuer.KeyId}}"}|PAYLOAD:{"iss":"{{issuer}}","aud":"http://bookinfo"}""");

        Assert.Equal("Jwt is expired", (await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {expiredUnsigned}")).Failure);
        Assert.Equal("Audiences in Jwt are not allowed", (await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {wrongAudience}")).Failure);
        Assert.Equal("Jwks doesn't have key to match kid or alg from Jwt", (await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {unknownKey}")).Failure);
        Assert.Equal("Jwt verification fails", (await AuthenticateAsync([rule], r => r.Headers.Authorization = $"Bearer {badSignature}")).Failure);
    }

    [Fact]
    public async Task outputClaimToHeaders_copies_strings_numbers_and_booleans_but_not_lists()
    {
        // Envoy's addJWTClaimToHeader: only a primitive claim becomes a header, a string as its UTF-8 bytes (held one
        // char per byte, as every header value is).
        var rule = Rule() with
        {
            OutputClaimToHeaders =
            [
                new JwtClaimToHeaderConfig("x-jwt-groups", "groups"), new JwtClaimToHeaderConfig("x-jwt-level", "level"),
                new JwtClaimToHeaderConfig("x-jwt-admin", "admin"), new JwtClaimToHeaderConfig("x-jwt-team", "org.team"),
                new JwtClaimToHeaderConfig("x-jwt-name", "name"),
            ],
        };
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = $"Bearer {_issuer.Token("ivan", claims: new Dictionary<string, object>
        {
            ["groups"] = new[] { "group1", "group2" },
            ["level"] = 3,
            ["admin"] = true,
            ["org"] = new Dictionary<string, object> { ["team"] = "mesh" },
            ["name"] = "Jos\u00e9",
        })}";

        var outcome = await new JwtAuthenticator([rule], _jwks).AuthenticateAsync(context.Request);

        Assert.NotNull(outcome.Identity);
        Assert.False(context.Request.Headers.ContainsKey("x-jwt-groups"));
        Assert.Equal("3", context.Request.Headers["x-jwt-level"].ToString());
        Assert.Equal("true", context.Request.Headers["x-jwt-admin"].ToString());
        Assert.Equal("mesh", context.Request.Headers["x-jwt-team"].ToString());
        Assert.Equal("Jos\u00c3\u00a9", context.Request.Headers["x-jwt-name"].ToString());
    }

    /// <summary>"HEADER:json|PAYLOAD:json|SIGNATURE:text" as a token of base64url sections (signature "c2ln" unless given); other text as it is.</summary>
    private static string Compose(string spec)
    {
        if (!spec.StartsWith("HEADER:", StringComparison.Ordinal))
        {
            return spec;
        }

        var parts = spec.Split('|').Select(p => p.Split(':', 2)).ToDictionary(p => p[0], p => p[1]);
        return $"{Base64Url(Encoding.UTF8.GetBytes(parts["HEADER"]))}.{Base64Url(Encoding.UTF8.GetBytes(parts["PAYLOAD"]))}.{parts.GetValueOrDefault("SIGNATURE", "c2ln")}";
    }

    private JwtRuleConfig Rule() => new() { Issuer = _issuer.Issuer, Jwks = _issuer.Jwks };

    private async Task<JwtOutcome> AuthenticateAsync(JwtRuleConfig[] rules, Action<HttpRequest> configure)
    {
        var context = new DefaultHttpContext();
        configure(context.Request);
        return await new JwtAuthenticator([.. rules], _jwks).AuthenticateAsync(context.Request);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
