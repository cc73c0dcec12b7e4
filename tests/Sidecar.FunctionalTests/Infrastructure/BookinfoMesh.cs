using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>
/// One real sidecar process in front of real backends, configured by Istio YAML that exercises every routing
/// feature (reviews v1/v2/v3, ratings with retry/timeout/fault routes, a consistent-hash service). Shared by the
/// tests of a class; each test keeps its own counters through <c>x-test-id</c>.
/// </summary>
public sealed class BookinfoMesh : IAsyncLifetime
{
    private readonly List<TestBackend> _backends = [];

    public ConfigDirectory Config { get; } = new();

    public SidecarProcess Sidecar { get; private set; } = null!;

    public TestBackend ReviewsV1 { get; private set; } = null!;

    public TestBackend ReviewsV2 { get; private set; } = null!;

    public TestBackend ReviewsV3 { get; private set; } = null!;

    public TestBackend Ratings { get; private set; } = null!;

    public IReadOnlyList<TestBackend> HashBackends { get; private set; } = [];

    public async Task InitializeAsync()
    {
        ReviewsV1 = await Start("reviews-v1");
        ReviewsV2 = await Start("reviews-v2");
        ReviewsV3 = await Start("reviews-v3");
        Ratings = await Start("ratings-v1");
        var hash = new List<TestBackend>();
        for (var i = 0; i < 4; i++)
        {
            hash.Add(await Start($"cart-{i}"));
        }

        HashBackends = hash;

        Config.Write("services.yaml", string.Join("---\n",
            MeshYaml.Service("reviews", 9080, (ReviewsV1, "v1"), (ReviewsV2, "v2"), (ReviewsV3, "v3")),
            MeshYaml.Service("ratings", 9080, (Ratings, "v1")),
            MeshYaml.Service("cart", 8080, hash.Select(b => (b, "v1")).ToArray())));
        Config.Write("destination-rules.yaml", string.Join("---\n",
            MeshYaml.Subsets("reviews", "v1", "v2", "v3"),
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: cart
            spec:
              host: cart.default.svc.cluster.local
              trafficPolicy:
                loadBalancer:
                  consistentHash:
                    httpHeaderName: x-user
            """));
        Config.Write("reviews.yaml", ReviewsVirtualService);
        Config.Write("ratings.yaml", RatingsVirtualService);
        Sidecar = await SidecarProcess.StartAsync(Config.Path);
    }

    public async Task DisposeAsync()
    {
        if (Sidecar is not null)
        {
            await Sidecar.DisposeAsync();
        }

        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        Config.Dispose();
    }

    private async Task<TestBackend> Start(string name)
    {
        var backend = await TestBackend.StartAsync(name, ScriptedBackend.Handler(name));
        _backends.Add(backend);
        return backend;
    }

    public const string ReviewsVirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts: [reviews]
          http:
          - name: jason
            match:
            - headers:
                end-user: {exact: jason}
            route:
            - destination: {host: reviews, subset: v2}
          - name: api-or-delete
            match:
            - uri: {regex: "/api/v[0-9]+/reviews"}
            - method: {exact: DELETE}
            route:
            - destination: {host: reviews, subset: v3}
          - name: canary
            match:
            - queryParams:
                canary: {exact: "true"}
            - headers:
                x-group: {prefix: beta-}
            route:
            - destination: {host: reviews, subset: v3}
          - name: legacy
            match:
            - uri: {prefix: /legacy/}
            rewrite:
              uri: /v1/
              authority: reviews.internal
            route:
            - destination: {host: reviews, subset: v1}
          - name: moved
            match:
            - uri: {exact: /old}
            redirect:
              uri: /new
              authority: reviews.example.com
          - name: teapot
            match:
            - uri: {exact: /static}
            directResponse:
              status: 418
              body: {string: short and stout}
          - name: headers
            match:
            - uri: {prefix: /headers}
            headers:
              request:
                set: {x-set: mesh}
                add: {x-add: mesh}
                remove: [x-drop]
              response:
                set: {x-served-by: sidecar}
                remove: [x-backend]
            route:
            - destination: {host: reviews, subset: v1}
          - name: mirror
            match:
            - uri: {prefix: /mirror}
            route:
            - destination: {host: reviews, subset: v1}
            mirror: {host: reviews, subset: v3}
            mirrorPercentage: {value: 100}
          - name: split
            route:
            - destination: {host: reviews, subset: v1}
              weight: 80
            - destination: {host: reviews, subset: v2}
              weight: 20
        """;

    public const string RatingsVirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: ratings
          namespace: default
        spec:
          hosts: [ratings.default.svc.cluster.local]
          http:
          - match: [{uri: {prefix: /retry}}]
            retries: {attempts: 3, retryOn: 5xx}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /limited}}]
            retries: {attempts: 2, retryOn: gateway-error}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /per-try}}]
            retries: {attempts: 2, perTryTimeout: 300ms, retryOn: reset}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /timeout}}]
            timeout: 400ms
            retries: {attempts: 0}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /abort}}]
            fault:
              abort: {httpStatus: 503, percentage: {value: 100}}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /delay}}]
            fault:
              delay: {fixedDelay: 500ms, percentage: {value: 100}}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /partial-abort}}]
            fault:
              abort: {httpStatus: 500, percentage: {value: 30}}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /partial-delay}}]
            fault:
              delay: {fixedDelay: 1ms, percentage: {value: 50}}
            route: [{destination: {host: ratings}}]
          - match: [{uri: {prefix: /cors}}]
            corsPolicy:
              allowOrigins: [{exact: "https://bookinfo.example.com"}, {regex: "https://.*[.]dev[.]example[.]com"}]
              allowMethods: [GET, PUT]
              allowHeaders: [content-type]
              exposeHeaders: [x-ratings-version]
              maxAge: 10m
              unmatchedPreflights: IGNORE
            route: [{destination: {host: ratings}}]
          - route: [{destination: {host: ratings}}]
        """;
}
