using System.Text;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>Istio YAML for services backed by real test backends (standalone form: ServiceEntries with endpoints).</summary>
internal static class MeshYaml
{
    /// <summary>Istio's mesh config as the ConfigMap <c>istio-system/istio</c> carries it (<c>data.mesh</c>), from its YAML.</summary>
    public static string MeshConfig(string mesh) => $$"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
        {{string.Join('\n', mesh.TrimEnd().Split('\n').Select(line => line.Length == 0 ? line : "    " + line))}}

        """;

    /// <summary>A ServiceEntry for <paramref name="service"/> on <paramref name="port"/> whose endpoints are the backends, each labelled with its version.</summary>
    public static string Service(string service, int port, params (TestBackend Backend, string Version)[] endpoints)
    {
        var yaml = new StringBuilder($$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: {{service}}
              namespace: default
            spec:
              hosts: [{{service}}.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports:
              - {number: {{port}}, name: http, protocol: HTTP}
              endpoints:

            """);
        foreach (var (backend, version) in endpoints)
        {
            yaml.Append($$"""
                  - address: {{backend.Address}}
                    ports: {http: {{backend.Port}}}
                    labels: {app: {{service}}, version: {{version}}}

                """);
        }

        return yaml.ToString();
    }

    /// <summary>A DestinationRule with one subset per version label.</summary>
    public static string Subsets(string service, params string[] versions)
    {
        var yaml = new StringBuilder($$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: {{service}}
              namespace: default
            spec:
              host: {{service}}
              subsets:

            """);
        foreach (var version in versions)
        {
            yaml.Append($$"""
                  - name: {{version}}
                    labels: {version: {{version}}}

                """);
        }

        return yaml.ToString();
    }

    /// <summary>
    /// A Sidecar resource for the workload <c>app: httpbin</c>: an HTTP ingress listener on port 8000 of
    /// <paramref name="address"/>, bound by the sidecar itself (<c>captureMode: NONE</c>), forwarding to the app on
    /// loopback; <paramref name="extraIngress"/> is one more ingress entry (flow-style YAML) or empty.
    /// </summary>
    public static string HttpbinIngress(System.Net.IPAddress address, int appPort, string extraIngress = "") => $$$"""
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: httpbin, namespace: default}
        spec:
          workloadSelector: {labels: {app: httpbin}}
          ingress:
          - port: {number: 8000, protocol: HTTP, name: http}
            bind: {{{address}}}
            captureMode: NONE
            defaultEndpoint: 127.0.0.1:{{{appPort}}}
          {{{(extraIngress.Length > 0 ? "- " + extraIngress : "")}}}
        """;
}
