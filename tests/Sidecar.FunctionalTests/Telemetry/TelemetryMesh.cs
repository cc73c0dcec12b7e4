using System.Net;
using Microsoft.AspNetCore.Http;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// Two workloads as Istio runs them, each behind its own real sidecar process on its own loopback address:
/// <c>productpage-v1</c> (the test is its application; its sidecar's outbound listener carries the calls) calling
/// <c>ratings-v1</c> (a real Kestrel app behind its sidecar's inbound listener, declared by a Sidecar ingress). Both
/// sidecars export spans to one in-test OTLP collector (client over OTLP/HTTP, server over OTLP/gRPC) with sampling
/// at 0 % so only requests that carry a sampled trace are traced; both write access logs to stdout (client TEXT,
/// server JSON); the server merges the app's own metrics on its status port (ISTIO_PROMETHEUS_ANNOTATIONS).
/// </summary>
public sealed class TelemetryMesh : IAsyncLifetime
{
    public const string AppMetric = "app_orders_total";

    public ConfigDirectory Config { get; } = new();

    public TestBackend App { get; private set; } = null!;

    internal OtlpReceiver Collector { get; private set; } = null!;

    public SidecarProcess Client { get; private set; } = null!;

    public SidecarProcess Server { get; private set; } = null!;

    public IPAddress ServerAddress { get; } = LoopbackAddresses.Next();

    /// <summary>The ratings ServiceEntry alone (its endpoint is the server sidecar), for another caller's config.</summary>
    public string RatingsServiceEntry => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: ratings
          namespace: default
        spec:
          hosts: [ratings.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9080, name: http, protocol: HTTP}
          endpoints:
          - address: {{ServerAddress}}
            ports: {http: 9080}
            labels: {app: ratings, version: v1}
        """;

    public string ClientStatsUrl => $"http://{Client.Bind}:15090/stats/prometheus";

    public string ServerStatsUrl => $"http://{Server.Bind}:15090/stats/prometheus";

    public async Task InitializeAsync()
    {
        Collector = await OtlpReceiver.StartAsync();
        var scripted = ScriptedBackend.Handler("ratings-v1");
        App = await TestBackend.StartAsync("ratings-v1", (context, received) =>
            context.Request.Path == "/metrics"
                ? context.Response.WriteAsync($"# TYPE {AppMetric} counter\n{AppMetric}{{shop=\"main\"}} 7\n")
                : scripted(context, received));

        Config.Write("ratings.yaml", """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata:
              name: ratings
              namespace: default
            spec:
              hosts: [ratings.default.svc.cluster.local]
              location: MESH_INTERNAL
              resolution: STATIC
              ports:
              - {number: 9080, name: http, protocol: HTTP}
              endpoints:
              - address: SERVER_ADDRESS
                ports: {http: 9080}
                labels: {app: ratings, version: v1}
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata:
              name: ratings
              namespace: default
            spec:
              workloadSelector:
                labels: {app: ratings}
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: SERVER_ADDRESS
                defaultEndpoint: 127.0.0.1:APP_PORT
              egress:
              - hosts: ["*/*"]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: deny-flagged
              namespace: default
            spec:
              selector: {matchLabels: {app: ratings}}
              action: DENY
              rules: [{when: [{key: "request.headers[x-deny]", values: ["yes"]}]}]
            ---
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
              - match: [{uri: {prefix: /rewritten}}]
                rewrite: {authority: ratings-rewritten}
                route: [{destination: {host: ratings}}]
              - match: [{uri: {prefix: /route-timeout}}]
                timeout: 300ms
                route: [{destination: {host: ratings}}]
              - match: [{uri: {prefix: /per-try}}]
                retries: {attempts: 1, perTryTimeout: 300ms, retryOn: 5xx}
                route: [{destination: {host: ratings}}]
              - match: [{uri: {prefix: /abort}}]
                fault:
                  abort: {httpStatus: 503, percentage: {value: 100}}
                route: [{destination: {host: ratings}}]
              - route: [{destination: {host: ratings}}]
            """.Replace("SERVER_ADDRESS", ServerAddress.ToString(), StringComparison.Ordinal).Replace("APP_PORT", App.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        Server = await SidecarProcess.StartAsync(Config.Path, ServerAddress,
            [
                "--labels", "app=ratings,version=v1", "--workload", "ratings-v1", "--pod-name", "ratings-v1-0", "--instance-ip", ServerAddress.ToString(),
                "--otlp-endpoint", Collector.GrpcEndpoint, "--tracing-sampling", "0",
                "--access-log", "/dev/stdout", "--access-log-encoding", "JSON",
            ],
            environment: new Dictionary<string, string>
            {
                ["ISTIO_PROMETHEUS_ANNOTATIONS"] = $$"""{"scrape":"true","port":"{{App.Port}}","path":"/metrics"}""",
            });
        Client = await SidecarProcess.StartAsync(Config.Path, arguments:
            [
                "--labels", "app=productpage,version=v1", "--workload", "productpage-v1", "--pod-name", "productpage-v1-0",
                "--otlp-endpoint", Collector.HttpEndpoint, "--otlp-protocol", "http/protobuf", "--tracing-sampling", "0",
                "--access-log", "/dev/stdout",
            ]);
    }

    /// <summary>A request from productpage to ratings through both sidecars.</summary>
    public Task<HttpResponseMessage> CallRatingsAsync(string path, params (string Name, string Value)[] headers) =>
        Client.SendAsync("ratings:9080", path, configure: request =>
        {
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        });

    public async Task DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (Collector is not null)
        {
            await Collector.DisposeAsync();
        }

        Config.Dispose();
    }
}
