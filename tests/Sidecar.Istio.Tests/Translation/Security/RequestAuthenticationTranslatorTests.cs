using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Security;

public sealed class RequestAuthenticationTranslatorTests
{
    [Fact]
    public void Jwt_rules_of_the_policies_in_scope_are_merged_with_their_locations_and_outputs()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: mesh, namespace: istio-system}
            spec:
              jwtRules:
              - issuer: https://accounts.example.com
                jwksUri: https://accounts.example.com/.well-known/jwks.json
            ---
            apiVersion: security.istio.io/v1beta1
            kind: RequestAuthentication
            metadata: {name: productpage, namespace: default}
            spec:
              selector: {matchLabels: {app: productpage}}
              jwtRules:
              - issuer: testing@secure.istio.io
                audiences: [bookinfo, productpage]
                jwks: '{"keys": []}'
                fromHeaders: [{name: X-Jwt-Assertion, prefix: "Token "}]
                fromParams: [token]
                fromCookies: [session]
                forwardOriginalToken: true
                outputPayloadToHeader: x-jwt-payload
                outputClaimToHeaders: [{header: x-user, claim: sub}]
                timeout: 2s
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: reviews, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews}}
              jwtRules: [{issuer: reviews-only}]
            """));

        Assert.Equal(["testing@secure.istio.io", "https://accounts.example.com"], config.JwtRules.Select(r => r.Issuer));
        Assert.Equal(
            new JwtRuleConfig
            {
                Issuer = "testing@secure.istio.io",
                Audiences = ["bookinfo", "productpage"],
                Jwks = """{"keys": []}""",
                JwksFetchTimeout = TimeSpan.FromSeconds(2),
                FromHeaders = [new JwtHeaderLocationConfig("x-jwt-assertion", "Token ")],
                FromParams = ["token"],
                FromCookies = ["session"],
                ForwardOriginalToken = true,
                OutputPayloadToHeader = "x-jwt-payload",
                OutputClaimToHeaders = [new JwtClaimToHeaderConfig("x-user", "sub")],
                SpaceDelimitedClaims = ["scope", "permission"],
                Origin = "RequestAuthentication default/productpage",
            },
            config.JwtRules[0]);
        Assert.Equal("https://accounts.example.com/.well-known/jwks.json", config.JwtRules[1].JwksUri);
        Assert.True(config.JwtRules[1].FromHeaders.IsEmpty);
    }

    [Theory]
    [InlineData("jwtRules: [{jwks: '{\"keys\": []}'}]", "spec.jwtRules[0].issuer", "issuer or jwksUri must be non-empty string")]
    [InlineData("jwtRules: [{issuer: a, jwksUri: 'ftp://example.com/jwks'}]", "spec.jwtRules[0].jwksUri", "URI scheme ftp is not supported")]
    [InlineData("jwtRules: [{issuer: a, jwks: 'not json'}]", "spec.jwtRules[0].jwks", "jwks parse error")]
    [InlineData("jwtRules: [{issuer: a, fromHeaders: [{prefix: 'Bearer '}]}]", "spec.jwtRules[0].fromHeaders", "location header name must be non-empty")]
    [InlineData("jwtRules: [{issuer: a, outputClaimToHeaders: [{header: x-sub}]}]", "spec.jwtRules[0].outputClaimToHeaders", "must be non-empty")]
    [InlineData("jwtRules: [{issuer: a, audiences: ['']}]", "spec.jwtRules[0].audiences", "audience must be non-empty")]
    public void Invalid_jwt_rules_are_refused_naming_the_field(string spec, string field, string message)
    {
        var error = Assert.Single(Errors(Bookinfo.All(Bookinfo.Services, $"""
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {"{name: bad, namespace: default}"}
            spec:
              {spec}
            """)));
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
