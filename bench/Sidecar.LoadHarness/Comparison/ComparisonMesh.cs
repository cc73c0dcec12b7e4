using System.Globalization;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// The standalone config of the comparison's sidecars: a client-side sidecar routes <c>echo:8080</c> to its
/// destination (the backend, or the server-side sidecar) through a VirtualService with header and uri matches,
/// retries and a timeout, among <see cref="OtherServices"/> other services, so the measured path does the
/// foundation's routing work on a realistic table; a server-side sidecar exposes the backend through a Sidecar
/// ingress listener bound on its own address, as an injected sidecar fronts its app.
/// </summary>
internal static class ComparisonMesh
{
    public const int ServicePort = 8080;
    public const string Authority = "echo:8080";

    /// <summary>Services besides echo in the client's registry, each with its own VirtualService.</summary>
    public const int OtherServices = 200;

    /// <summary>
    /// Writes the client sidecar's config: the echo service with one endpoint at
    /// <paramref name="endpointAddress"/>:<paramref name="endpointPort"/>, among <paramref name="otherServices"/> others,
    /// routed by <see cref="EchoRoutes"/> with the timeouts given.
    /// </summary>
    public static string WriteClient(string directory, string endpointAddress, int endpointPort, int otherServices = OtherServices, string perTryTimeout = "2s", string timeout = "10s")
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "echo.yaml"), string.Create(CultureInfo.InvariantCulture, $$$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: echo, namespace: default}
            spec:
              hosts: [echo.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports:
              - {number: {{{ServicePort}}}, name: http, protocol: HTTP}
              endpoints:
              - address: {{{endpointAddress}}}
                ports: {http: {{{endpointPort}}}}
                labels: {app: echo, version: v1}
            ---
            {{{EchoRoutes(perTryTimeout, timeout)}}}
            """));
        File.WriteAllText(Path.Combine(directory, "others.yaml"), Sidecar.Bench.MeshYaml.Services(otherServices));
        return directory;
    }

    /// <summary>
    /// The echo service's DestinationRule and VirtualService: a fault-injected match (header or regex), then the
    /// default route with a header set, retries and a timeout. bench/hot-path-order.sh records the hot path over the
    /// same routing (<c>loadgen compare-routes</c>) and bench/instruction-count.sh counts it on the client's whole
    /// config (<c>loadgen compare-client-config</c>), both with callgrind-sized timeouts.
    /// </summary>
    public static string EchoRoutes(string perTryTimeout = "2s", string timeout = "10s") => string.Create(CultureInfo.InvariantCulture, $$$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: echo, namespace: default}
        spec:
          host: echo.default.svc.cluster.local
          subsets:
          - {name: v1, labels: {version: v1}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: default}
        spec:
          hosts: [echo.default.svc.cluster.local]
          http:
          - match:
            - headers: {end-user: {exact: jason}}
            - uri: {regex: "^/admin/.*"}
            route:
            - destination: {host: echo.default.svc.cluster.local, subset: v1}
            fault:
              abort: {httpStatus: 503, percentage: {value: 100}}
          - match:
            - uri: {prefix: /}
            route:
            - destination: {host: echo.default.svc.cluster.local, subset: v1}
              headers:
                request:
                  set: {x-mesh-route: echo-default}
            retries: {attempts: 2, perTryTimeout: {{{perTryTimeout}}}, retryOn: "5xx,connect-failure,refused-stream"}
            timeout: {{{timeout}}}
        """);

    /// <summary>Writes the server sidecar's config: an ingress listener on <paramref name="bind"/>:8080 in front of the backend.</summary>
    public static string WriteServer(string directory, string bind, int backendPort)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "ingress.yaml"), string.Create(CultureInfo.InvariantCulture, $$$"""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: echo, namespace: default}
            spec:
              workloadSelector:
                labels: {app: echo}
              ingress:
              - port: {number: {{{ServicePort}}}, protocol: HTTP, name: http}
                bind: {{{bind}}}
                captureMode: NONE
                defaultEndpoint: 127.0.0.1:{{{backendPort}}}
            """));
        return directory;
    }
}
