using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// An AuthorizationPolicy's <c>paths</c> see the request path as Istio normalizes it (Istio's "Authorization Policy
/// Normalization" reference), on real server sidecars: one with the default BASE normalization, one with the mesh
/// config's DECODE_AND_MERGE_SLASHES. A DENY on <c>/admin/*</c> must not be walked around with an encoding Envoy
/// would have undone. Requests are written raw: HttpClient would canonicalize them before they left.
/// </summary>
public sealed class PathNormalizationTests(PathNormalizationTests.Servers servers) : IClassFixture<PathNormalizationTests.Servers>
{
    private readonly IPAddress _baseAddress = servers.BaseAddress;
    private readonly IPAddress _decodeSlashesAddress = servers.DecodeSlashesAddress;
    private readonly TestBackend _app = servers.App;

    [Theory]
    [InlineData("/admin/settings")]
    [InlineData("/%61dmin/settings")] // %61 is 'a': unreserved, decoded
    [InlineData("/admin\\settings")] // a backslash is a slash
    [InlineData("/public/../admin/settings")]
    [InlineData("/public/%2e%2e/admin/settings")] // encoded dots resolve like dots
    public async Task BASE_denies_every_spelling_Envoy_would_normalize_to_the_denied_path(string target)
    {
        var response = await RawHttp.SendAsync(_baseAddress, 8000, "httpbin:8000", target);

        Assert.Equal(403, response.StatusCode);
        Assert.EndsWith("RBAC: access denied", response.HeadersAndBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BASE_keeps_an_encoded_slash_so_the_policy_sees_it_and_forwards_it_encoded()
    {
        // Istio's documented behaviour for BASE (the reason DECODE_AND_MERGE_SLASHES exists): %2F is not a slash.
        var response = await RawHttp.SendAsync(_baseAddress, 8000, "httpbin:8000", "/admin%2Fsettings");

        Assert.Equal(200, response.StatusCode);
        Assert.Contains(_app.Received, r => r.RawTarget == "/admin%2Fsettings");
    }

    [Fact]
    public async Task A_method_not_in_upper_case_or_unknown_to_Envoys_parser_is_refused_with_400()
    {
        // Istio's normalization reference: "Istio will reject requests with HTTP 400 if the verb is not in upper
        // case". An ASP.NET Core application would read `get` as GET, past a policy written for GET.
        var lower = await RawHttp.SendAsync(_baseAddress, 8000, "httpbin:8000", "/public/x", method: "get");
        var custom = await RawHttp.SendAsync(_baseAddress, 8000, "httpbin:8000", "/public/purged", method: "PURGE");
        // Envoy's HTTP/1 parser knows a fixed list of methods (WebDAV's and PURGE among them); Istio leaves
        // allow_custom_methods off, so any other is a codec error.
        var unknown = await RawHttp.SendAsync(_baseAddress, 8000, "httpbin:8000", "/public/foo", method: "FOO");

        Assert.Equal(400, lower.StatusCode);
        Assert.Equal(200, custom.StatusCode);
        Assert.Equal(400, unknown.StatusCode);
        Assert.DoesNotContain(_app.Received, r => r.Path == "/public/foo");
        Assert.Contains(_app.Received, r => r.Method == "PURGE" && r.Path == "/public/purged");
        Assert.DoesNotContain(_app.Received, r => r.Path == "/public/x");
    }

    [Theory]
    [InlineData("/admin%2Fsettings")]
    [InlineData("/admin%5csettings")]
    [InlineData("//admin//settings")]
    public async Task DECODE_AND_MERGE_SLASHES_denies_encoded_and_doubled_slashes_too(string target)
    {
        var response = await RawHttp.SendAsync(_decodeSlashesAddress, 8000, "httpbin:8000", target);

        Assert.Equal(403, response.StatusCode);
    }

    [Fact]
    public async Task The_application_receives_the_normalized_path()
    {
        var response = await RawHttp.SendAsync(_decodeSlashesAddress, 8000, "httpbin:8000", "/public//a%2Fb/./%63?x=%2F");

        Assert.Equal(200, response.StatusCode);
        Assert.Contains(_app.Received, r => r.RawTarget == "/public/a/b/c?x=%2F");
    }

    /// <summary>The application and its two sidecars, started once for the class.</summary>
    public sealed class Servers : IAsyncLifetime
    {
        private readonly ConfigDirectory _baseConfig = new();
        private readonly ConfigDirectory _decodeSlashesConfig = new();
        private SidecarProcess _base = null!;
        private SidecarProcess _decodeSlashes = null!;

        public IPAddress BaseAddress { get; } = LoopbackAddresses.Next();

        public IPAddress DecodeSlashesAddress { get; } = LoopbackAddresses.Next();

        public TestBackend App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            App = await TestBackend.StartAsync("httpbin");
            _baseConfig.Write("server.yaml", ServerYaml(BaseAddress, App.Port));
            _decodeSlashesConfig.Write("server.yaml", ServerYaml(DecodeSlashesAddress, App.Port));
            _decodeSlashesConfig.Write("mesh.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: istio-system}
                data:
                  mesh: |-
                    pathNormalization:
                      normalization: DECODE_AND_MERGE_SLASHES
                """);
            _base = await SidecarProcess.StartAsync(_baseConfig.Path, BaseAddress, ["--labels", "app=httpbin"]);
            _decodeSlashes = await SidecarProcess.StartAsync(_decodeSlashesConfig.Path, DecodeSlashesAddress, ["--labels", "app=httpbin"]);
        }

        public async Task DisposeAsync()
        {
            await _base.DisposeAsync();
            await _decodeSlashes.DisposeAsync();
            await App.DisposeAsync();
            _baseConfig.Dispose();
            _decodeSlashesConfig.Dispose();
        }

        private static string ServerYaml(IPAddress address, int appPort) => $$$"""
            {{{MeshYaml.HttpbinIngress(address, appPort)}}}
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: deny-admin, namespace: default}
            spec:
              selector: {matchLabels: {app: httpbin}}
              action: DENY
              rules:
              - to: [{operation: {paths: ["/admin/*"]}}]
            """;
    }
}
