using System.Net;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Gateway API HTTPRoutes attached to a Service (GAMMA mesh routing) through a real sidecar: istio.io's request-routing
/// sample with bookinfo's per-version Services, whole-segment prefixes, a prefix rewrite and a missing backend.
/// </summary>
public sealed class GatewayApiRoutingTests : IAsyncLifetime
{
    private readonly ConfigDirectory _config = new();
    private TestBackend _v1 = null!;
    private TestBackend _v2 = null!;
    private SidecarProcess _sidecar = null!;

    public async Task InitializeAsync()
    {
        _v1 = await TestBackend.StartAsync("reviews-v1");
        _v2 = await TestBackend.StartAsync("reviews-v2");
        _config.Write("services.yaml", string.Join("---\n",
            Service("reviews", "{app: reviews}", "10.96.0.10"),
            Service("reviews-v1", "{app: reviews, version: v1}", "10.96.0.11"),
            Service("reviews-v2", "{app: reviews, version: v2}", "10.96.0.12"),
            Endpoints("reviews-v1", _v1),
            Endpoints("reviews-v2", _v2)));
        _config.Write("route.yaml", """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              name: reviews
            spec:
              parentRefs:
              - group: ""
                kind: Service
                name: reviews
                port: 9080
              rules:
              - matches:
                - headers:
                  - name: end-user
                    value: jason
                backendRefs:
                - name: reviews-v2
                  port: 9080
              - matches:
                - path: {type: PathPrefix, value: /api}
                filters:
                - type: URLRewrite
                  urlRewrite:
                    path: {type: ReplacePrefixMatch, replacePrefixMatch: /}
                backendRefs:
                - name: reviews-v2
                  port: 9080
              - matches:
                - path: {type: PathPrefix, value: /retired}
                backendRefs:
                - name: reviews-v0
                  port: 9080
              - backendRefs:
                - name: reviews-v1
                  port: 9080
            """);
        _sidecar = await SidecarProcess.StartAsync(_config.Path);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _v1.DisposeAsync();
        await _v2.DisposeAsync();
        _config.Dispose();
    }

    [Fact]
    public async Task The_request_routing_sample_sends_jason_to_v2_and_others_to_v1()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("reviews-v1", await BodyAsync("/reviews/0", user: null));
            Assert.Equal("reviews-v2", await BodyAsync("/reviews/0", user: "jason"));
        }
    }

    [Fact]
    public async Task A_path_prefix_matches_whole_segments_and_replace_prefix_match_strips_it()
    {
        var id = Guid.NewGuid().ToString("N");
        Assert.Equal("reviews-v2", await BodyAsync("/api/reviews/7", user: null, id));
        Assert.Equal("/reviews/7", Assert.Single(_v2.Received, r => r.Headers.GetValueOrDefault("x-test-id") == id).Path);

        // "/apiary" shares the characters but not the segment: the catch-all rule serves it.
        Assert.Equal("reviews-v1", await BodyAsync("/apiary", user: null));
    }

    [Fact]
    public async Task A_backend_missing_from_the_mesh_is_answered_500()
    {
        using var response = await _sidecar.SendAsync("reviews:9080", "/retired/1");

        // Gateway API requires 500 for a backend that does not resolve (istiod's cluster_not_found_response_code).
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    private async Task<string> BodyAsync(string path, string? user, string? testId = null)
    {
        using var response = await _sidecar.SendAsync("reviews:9080", path, configure: r =>
        {
            if (user is not null)
            {
                r.Headers.Add("end-user", user);
            }

            if (testId is not null)
            {
                r.Headers.Add("x-test-id", testId);
            }
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static string Service(string name, string selector, string clusterIp) => $$"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {{name}}
        spec:
          clusterIP: {{clusterIp}}
          ports:
          - name: http
            port: 9080
          selector: {{selector}}

        """;

    private static string Endpoints(string service, TestBackend backend) => $$"""
        apiVersion: v1
        kind: Endpoints
        metadata:
          name: {{service}}
        subsets:
        - addresses:
          - ip: {{backend.Address}}
          ports:
          - name: http
            port: {{backend.Port}}

        """;
}
