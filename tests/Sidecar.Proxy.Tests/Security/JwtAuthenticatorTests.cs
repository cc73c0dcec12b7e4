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

    private JwtRuleConfig Rule() => new() { Issuer = _issuer.Issuer, Jwks = _issuer.Jwks };

    private async Task<JwtOutcome> AuthenticateAsync(JwtRuleConfig[] rules, Action<HttpRequest> configure)
    {
        var context = new DefaultHttpContext();
        configure(context.Request);
        return await new JwtAuthenticator([.. rules], _jwks).AuthenticateAsync(context.Request);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
