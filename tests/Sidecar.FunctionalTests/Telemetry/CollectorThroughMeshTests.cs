using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// Collectors reached as Envoy reaches them, through the collector service's cluster (Istio's LookupCluster names
/// <c>outbound|4317||host</c> for a provider; Envoy's <c>envoy_grpc</c> and tracer clusters use its endpoints and its
/// mTLS): a collector that is a mesh service behind a sidecar with STRICT mTLS, named by a host no DNS resolves,
/// receives the client sidecar's access log records and spans.
/// </summary>
public sealed class CollectorThroughMeshTests
{
    [Fact]
    public async Task Access_log_records_and_spans_reach_a_collector_behind_a_STRICT_sidecar_through_its_cluster()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var reviews = await TestBackend.StartAsync("reviews-v1");
        var ca = Directory.CreateTempSubdirectory("sidecar-ca-").FullName;
        try
        {
            using var config = new ConfigDirectory();
            var collectorAddress = LoopbackAddresses.Next();
            config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (reviews, "v1")));
            config.Write("collector.yaml", MeshYaml.MeshConfig($$$"""
                defaultConfig:
                  tracing: {sampling: 100}
                extensionProviders:
                - name: otel-logs
                  envoyOtelAls: {service: default/otel-collector.default.svc.cluster.local, port: 4317}
                - name: otel-traces
                  opentelemetry: {service: otel-collector.default.svc.cluster.local, port: 4317}
                """) + "---\n" + $$$"""
                apiVersion: telemetry.istio.io/v1
                kind: Telemetry
                metadata: {name: client, namespace: default}
                spec:
                  selector: {matchLabels: {app: client}}
                  accessLogging: [{providers: [{name: otel-logs}]}]
                  tracing: [{providers: [{name: otel-traces}]}]
                ---
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: otel-collector, namespace: default}
                spec:
                  hosts: [otel-collector.default.svc.cluster.local]
                  location: MESH_INTERNAL
                  resolution: STATIC
                  ports: [{number: 4317, name: grpc-otlp, protocol: GRPC}]
                  endpoints:
                  - address: {{{collectorAddress}}}
                    serviceAccount: otel-collector
                    labels: {app: otel-collector, security.istio.io/tlsMode: istio}
                ---
                apiVersion: networking.istio.io/v1
                kind: Sidecar
                metadata: {name: otel-collector, namespace: default}
                spec:
                  workloadSelector: {labels: {app: otel-collector}}
                  ingress:
                  - port: {number: 4317, protocol: GRPC, name: grpc-otlp}
                    bind: {{{collectorAddress}}}
                    defaultEndpoint: 127.0.0.1:{{{new Uri(collector.GrpcEndpoint).Port}}}
                ---
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: otel-collector, namespace: default}
                spec:
                  selector: {matchLabels: {app: otel-collector}}
                  mtls: {mode: STRICT}
                """);
            string[] identity = ["--ca-dir", ca];
            var collectorSidecar = SidecarProcess.StartAsync(config.Path, collectorAddress, ["--labels", "app=otel-collector", "--service-account", "otel-collector", .. identity]);
            var clientSidecar = SidecarProcess.StartAsync(config.Path, null, ["--labels", "app=client", "--service-account", "client", .. identity]);
            await using var collectorProxy = await collectorSidecar;
            await using var client = await clientSidecar;

            var requestId = Guid.NewGuid().ToString();
            using (var response = await client.SendAsync("reviews:9080", "/reviews/1", configure: r => r.Headers.Add("x-request-id", requestId)))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // The collector's hostname resolves nowhere: only its cluster's endpoint, over mTLS, could have delivered these.
            await Wait.UntilAsync(() => collector.Logs.Any(r => r.Body.Contains(requestId, StringComparison.Ordinal)), TimeSpan.FromSeconds(20), "the request's access log record at the collector");
            await Wait.UntilAsync(() => collector.Spans.Any(s => s.Attributes.GetValueOrDefault("guid:x-request-id") == requestId), TimeSpan.FromSeconds(20), "the request's span at the collector");

            // The collector's sidecar admitted them as mTLS from the client's identity (it refuses plaintext).
            Assert.Contains(
                await PrometheusScrape.GetAsync($"http://{collectorAddress}:15090/stats/prometheus"),
                s => s.Name == "istio_requests_total" && s.Has(("reporter", "destination"), ("source_principal", "spiffe://cluster.local/ns/default/sa/client"), ("connection_security_policy", "mutual_tls")));
        }
        finally
        {
            Directory.Delete(ca, recursive: true);
        }
    }
}
