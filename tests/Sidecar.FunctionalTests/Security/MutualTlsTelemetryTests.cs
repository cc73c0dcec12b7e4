using System.Net;
using System.Net.Sockets;
using Sidecar.FunctionalTests.Telemetry;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// What mTLS tells telemetry: Istio's connection_security_policy and principals on the destination reporter, and the
/// peers' workload labels learnt through the metadata exchange (HTTP headers; the TCP exchange under ALPN
/// istio-peer-exchange), so both sides' series name the other workload as Kiali draws the edge. Other tests of the
/// collection write the same series, so each test counts what its own traffic added.
/// </summary>
[Collection(nameof(MtlsMeshCollection))]
public sealed class MutualTlsTelemetryTests(MtlsMesh mesh)
{
    private const string ClientId = "spiffe://cluster.local/ns/default/sa/client";
    private const string ServerId = "spiffe://cluster.local/ns/default/sa/server";
    private const string IntruderId = "spiffe://cluster.local/ns/default/sa/intruder";
    private const string TcpClientId = "spiffe://cluster.local/ns/default/sa/tcpclient";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Http_over_mtls_reports_connection_security_policy_mutual_tls_with_both_principals_and_the_peer_workloads()
    {
        var atServer = new Series(mesh.Server, "istio_requests_total",
            ("reporter", "destination"), ("connection_security_policy", "mutual_tls"), ("source_principal", ClientId),
            ("destination_principal", ServerId), ("source_app", "client"), ("destination_app", "server"), ("response_code", "200"));
        var atClient = new Series(mesh.Client, "istio_requests_total",
            ("reporter", "source"), ("source_app", "client"), ("destination_app", "server"), ("destination_principal", ServerId), ("response_code", "200"),
            ("source_principal", ClientId)); // the client's own certificate on the mTLS upstream connection (istio_stats' local SAN)
        var before = (Server: await atServer.ValueAsync(), Client: await atClient.ValueAsync());

        using var response = await mesh.Client.SendAsync(MtlsMesh.Echo, "/allowed/telemetry");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await atServer.WaitForAsync(before.Server + 1);
        await atClient.WaitForAsync(before.Client + 1);
    }

    [Fact]
    public async Task A_request_AuthorizationPolicy_denies_is_reported_as_a_403_with_the_callers_identity()
    {
        // Envoy's RBAC filter sets no response flag; Istio still counts the request.
        var denied = new Series(mesh.Server, "istio_requests_total",
            ("reporter", "destination"), ("response_code", "403"), ("response_flags", "-"), ("source_principal", IntruderId), ("connection_security_policy", "mutual_tls"));
        // The caller's sidecar reports the destination of a denied request as of a served one: Istio's peer metadata
        // filter, first in the inbound chain, puts the callee's metadata on the RBAC filter's reply too.
        var atCaller = new Series(mesh.Intruder, "istio_requests_total",
            ("reporter", "source"), ("response_code", "403"), ("destination_app", "server"),
            ("destination_principal", ServerId), ("source_principal", IntruderId));
        var before = (Server: await denied.ValueAsync(), Caller: await atCaller.ValueAsync());

        using var response = await mesh.Intruder.SendAsync(MtlsMesh.Echo, "/allowed/denied-telemetry");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("RBAC: access denied", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("x-envoy-peer-metadata"), "the caller's sidecar strips the callee's metadata");

        await denied.WaitForAsync(before.Server + 1);
        await atCaller.WaitForAsync(before.Caller + 1);
    }

    [Fact]
    public async Task Tcp_over_mtls_reports_the_peer_workloads_from_the_istio_peer_exchange_on_both_reporters()
    {
        var atServer = new Series(mesh.Server, "istio_tcp_connections_closed_total",
            ("reporter", "destination"), ("connection_security_policy", "mutual_tls"), ("source_principal", TcpClientId), ("source_app", "tcpclient"));
        var atClient = new Series(mesh.TcpClient, "istio_tcp_connections_closed_total",
            ("reporter", "source"), ("destination_app", "server"), ("destination_principal", ServerId), ("source_principal", TcpClientId));
        var before = (Server: await atServer.ValueAsync(), Client: await atClient.ValueAsync());

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(mesh.TcpClient.Bind, 9090);
            await socket.SendAsync("telemetry"u8.ToArray());
            var buffer = new byte[16];
            using var deadline = new CancellationTokenSource(Deadline);
            Assert.NotEqual(0, await socket.ReceiveAsync(buffer, deadline.Token));
            socket.Shutdown(SocketShutdown.Both);
        }

        // The closed series is written when each sidecar has seen the connection end.
        await atServer.WaitForAsync(before.Server + 1);
        await atClient.WaitForAsync(before.Client + 1);
    }

    /// <summary>The sum of one metric over the series carrying the given labels, on one sidecar's 15090.</summary>
    private sealed class Series(SidecarProcess sidecar, string name, params (string Label, string Value)[] labels)
    {
        public async Task<double> ValueAsync() =>
            (await PrometheusScrape.GetAsync($"http://{sidecar.Bind}:15090/stats/prometheus")).Where(s => s.Name == name && s.Has(labels)).Sum(s => s.Value);

        public Task WaitForAsync(double expected) =>
            Wait.UntilAsync(async () => await ValueAsync() == expected, Deadline, $"{name}{{{string.Join(",", labels.Select(l => $"{l.Label}={l.Value}"))}}} to reach {expected}");
    }
}
