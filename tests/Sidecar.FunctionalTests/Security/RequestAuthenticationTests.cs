using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// RequestAuthentication and AuthorizationPolicy's <c>requestPrincipals</c>/<c>request.auth.claims</c> on a real
/// server sidecar (Istio's "JWT authentication" task): the JWKS is fetched from <c>jwksUri</c>, a bad token is refused
/// with 401 before authorization, a request without a token has no request principal.
/// </summary>
public sealed class RequestAuthenticationTests : IAsyncLifetime
{
    private const string Issuer = "testing@secure.istio.io";
    private readonly TestJwtIssuer _issuer = new(Issuer);
    private readonly TestJwtIssuer _forger = new(Issuer, keyId: "test-key");
    private readonly TestJwtIssuer _stranger = new("someone-else@example.com");
    private readonly ConfigDirectory _config = new();
    private TestBackend _jwks = null!;
    private TestBackend _app = null!;
    private SidecarProcess _server = null!;

    public async Task InitializeAsync()
    {
        _jwks = await TestBackend.StartAsync("jwks", (context, _) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(_issuer.Jwks);
        });
        _app = await TestBackend.StartAsync("httpbin", (context, request) => context.Response.WriteAsync(
            $"authorization={request.Headers.GetValueOrDefault("authorization") ?? "-"} group={request.Headers.GetValueOrDefault("x-jwt-group") ?? "-"}"));
        var address = LoopbackAddresses.Next();
        _config.Write("server.yaml", $$$"""
            {{{MeshYaml.HttpbinIngress(address, _app.Port)}}}
            ---
            apiVersion: security.istio.io/v1
            kind: RequestAuthentication
            metadata: {name: jwt-example, namespace: default}
            spec:
              selector: {matchLabels: {app: httpbin}}
              jwtRules:
              - issuer: {{{Issuer}}}
                jwksUri: http://127.0.0.1:{{{_jwks.Port}}}/jwks.json
                outputClaimToHeaders:
                - {header: x-jwt-group, claim: group}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: require-jwt, namespace: default}
            spec:
              selector: {matchLabels: {app: httpbin}}
              action: ALLOW
              rules:
              - to: [{operation: {paths: [/public/*]}}]
              - from: [{source: {requestPrincipals: ["{{{Issuer}}}/*"]}}]
                to: [{operation: {paths: [/secure/*]}}]
              - to: [{operation: {paths: [/admin/*]}}]
                when:
                - key: request.auth.claims[groups]
                  values: [admins]
            """);
        _server = await SidecarProcess.StartAsync(_config.Path, address, ["--labels", "app=httpbin"]);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _app.DisposeAsync();
        await _jwks.DisposeAsync();
        _config.Dispose();
        _issuer.Dispose();
        _forger.Dispose();
        _stranger.Dispose();
    }

    [Fact]
    public async Task A_request_without_a_token_passes_authentication_but_has_no_request_principal()
    {
        using var open = await SendAsync("/public/headers", token: null);
        using var secure = await SendAsync("/secure/headers", token: null);

        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, secure.StatusCode);
        Assert.Equal("RBAC: access denied", await secure.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_valid_token_is_verified_against_the_fetched_jwks_its_claims_are_output_and_the_token_is_not_forwarded()
    {
        using var response = await SendAsync("/secure/headers", _issuer.Token("alice", claims: new Dictionary<string, object> { ["group"] = "readers" }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // forwardOriginalToken defaults to false: the app never sees the Authorization header.
        Assert.Equal("authorization=- group=readers", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("forged", "Jwt verification fails")]
    [InlineData("expired", "Jwt is expired")]
    [InlineData("stranger", "Jwt issuer is not configured")]
    [InlineData("garbage", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")]
    public async Task A_bad_token_is_refused_with_401_and_Envoys_reason_even_on_a_public_path(string kind, string reason)
    {
        var token = kind switch
        {
            "forged" => _forger.Token("mallory"),
            "expired" => _issuer.Token("alice", lifetime: TimeSpan.FromMinutes(-5)),
            "stranger" => _stranger.Token("bob"),
            _ => "not-a-jwt",
        };

        using var response = await SendAsync("/public/headers", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(reason, await response.Content.ReadAsStringAsync());
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"invalid_token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Equal(0, _app.RequestCount);
    }

    [Fact]
    public async Task A_when_condition_on_a_list_claim_matches_any_of_its_values()
    {
        using var admin = await SendAsync("/admin/settings", _issuer.Token("carol", claims: new Dictionary<string, object> { ["groups"] = new[] { "dev", "admins" } }));
        using var developer = await SendAsync("/admin/settings", _issuer.Token("dave", claims: new Dictionary<string, object> { ["groups"] = new[] { "dev" } }));

        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, developer.StatusCode);
    }

    private Task<HttpResponseMessage> SendAsync(string path, string? token) =>
        _server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://{_server.Bind}:8000{path}")
        {
            Headers = { Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token) },
        });
}
