using System.Net.Sockets;
using Sidecar.FunctionalTests.Telemetry;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// What mTLS tells telemetry: Istio's connection_security_policy and principals on the destination reporter, and the
/// peers' workload labels learnt through the metadata exchange (HTTP headers; the TCP exchange under ALPN
/// istio-peer-exchange), so both sides' series name the other workload as Kiali draws the edge.
/// </summary>
[Collection(nameof(MtlsMeshCollection))]
public sealed class MutualTlsTelemetryTests(MtlsMesh mesh)
{
    private const string ClientId = "spiffe://cluster.local/ns/default/sa/client";
    private const string ServerId = "spiffe://cluster.local/ns/default/sa/server";
    private const string TcpClientId = "spiffe://cluster.local/ns/default/sa/tcpclient";

    [Fact]
    public async Task Http_over_mtls_reports_connection_security_policy_mutual_tls_with_both_principals_and_the_peer_workloads()
    {
        using var response = await mesh.Client.SendAsync(MtlsMesh.Echo, "/allowed/telemetry");
        Assert.True(response.IsSuccessStatusCode);

        var server = await PrometheusScrape.GetAsync($"http://{mesh.Server.Bind}:15090/stats/prometheus");
        Assert.Contains(server, s => s.Name == "istio_requests_total" && s.Value >= 1 && s.Has(
            ("reporter", "destination"),
            ("connection_security_policy", "mutual_tls"),
            ("source_principal", ClientId),
            ("destination_principal", ServerId),
            ("source_app", "client"),
            ("destination_app", "server"),
            ("response_code", "200")));

        var client = await PrometheusScrape.GetAsync($"http://{mesh.Client.Bind}:15090/stats/prometheus");
        Assert.Contains(client, s => s.Name == "istio_requests_total" && s.Value >= 1 && s.Has(
            ("reporter", "source"),
            ("source_app", "client"),
            ("destination_app", "server"),
            ("destination_principal", ServerId),
            ("response_code", "200")));
    }

    [Fact]
    public async Task A_request_AuthorizationPolicy_denies_is_reported_as_a_403_with_the_callers_identity()
    {
        using var response = await mesh.Intruder.SendAsync(MtlsMesh.Echo, "/allowed/denied-telemetry");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("RBAC: access denied", await response.Content.ReadAsStringAsync());

        // Envoy's RBAC filter sets no response flag; Istio still counts the request on both reporters.
        var server = await PrometheusScrape.GetAsync($"http://{mesh.Server.Bind}:15090/stats/prometheus");
        Assert.Contains(server, s => s.Name == "istio_requests_total" && s.Value >= 1 && s.Has(
            ("reporter", "destination"),
            ("response_code", "403"),
            ("response_flags", "-"),
            ("source_principal", "spiffe://cluster.local/ns/default/sa/intruder"),
            ("connection_security_policy", "mutual_tls")));
    }

    [Fact]
    public async Task Tcp_over_mtls_reports_the_peer_workloads_from_the_istio_peer_exchange_on_both_reporters()
    {
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(mesh.TcpClient.Bind, 9090);
            await socket.SendAsync("telemetry"u8.ToArray());
            var buffer = new byte[16];
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.NotEqual(0, await socket.ReceiveAsync(buffer, deadline.Token));
            socket.Shutdown(SocketShutdown.Both);
        }

        // The connection's closed series is written when both sidecars have seen it end.
        await Wait.UntilAsync(
            async () => (await PrometheusScrape.GetAsync($"http://{mesh.Server.Bind}:15090/stats/prometheus")).Any(s =>
                s.Name == "istio_tcp_connections_closed_total" && s.Value >= 1 && s.Has(
                    ("reporter", "destination"),
                    ("connection_security_policy", "mutual_tls"),
                    ("source_principal", TcpClientId),
                    ("source_app", "tcpclient"))),
            TimeSpan.FromSeconds(10),
            "the server sidecar reports the TCP connection with the client's identity and workload");

        await Wait.UntilAsync(
            async () => (await PrometheusScrape.GetAsync($"http://{mesh.TcpClient.Bind}:15090/stats/prometheus")).Any(s =>
                s.Name == "istio_tcp_connections_closed_total" && s.Value >= 1 && s.Has(
                    ("reporter", "source"),
                    ("destination_app", "server"),
                    ("destination_principal", ServerId))),
            TimeSpan.FromSeconds(10),
            "the client sidecar reports the TCP connection with the server's workload from the exchange");
    }
}
