using System.Globalization;
using System.Text;

namespace Sidecar.Bench;

/// <summary>
/// The YAML of a mesh of services, as the benchmarks load it: for each <c>svc-N.default.svc.cluster.local</c> a
/// ServiceEntry on port 9080 with one endpoint and a VirtualService with a header match, a timeout and a default route.
/// Compiled into the load harness (the comparison's routing table) and the micro-benchmarks (config load).
/// </summary>
internal static class MeshYaml
{
    public static string Services(int count)
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $$$$"""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: svc-{{{{i}}}}, namespace: default}
                spec:
                  hosts: [svc-{{{{i}}}}.default.svc.cluster.local]
                  location: MESH_INTERNAL
                  resolution: STATIC
                  ports:
                  - {number: 9080, name: http, protocol: HTTP}
                  endpoints:
                  - {address: 127.0.0.1, ports: {http: 1}, labels: {version: v1}}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: svc-{{{{i}}}}, namespace: default}
                spec:
                  hosts: [svc-{{{{i}}}}.default.svc.cluster.local]
                  http:
                  - match: [{headers: {x-canary: {exact: "true"}}}]
                    route: [{destination: {host: svc-{{{{i}}}}.default.svc.cluster.local}}]
                    timeout: 1s
                  - route: [{destination: {host: svc-{{{{i}}}}.default.svc.cluster.local}}]
                ---

                """);
        }

        return yaml.ToString();
    }
}
