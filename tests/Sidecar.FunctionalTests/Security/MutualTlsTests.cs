using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sidecar.Identity;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>Istio mTLS between real sidecar processes: ISTIO_MUTUAL (auto mTLS), PeerAuthentication, SAN checks, RBAC, rotation.</summary>
[Collection(nameof(MtlsMeshCollection))]
public sealed class MutualTlsTests(MtlsMesh mesh)
{
    private const string ClientId = "spiffe://cluster.local/ns/default/sa/client";
    private const string ServerId = "spiffe://cluster.local/ns/default/sa/server";

    [Fact]
    public async Task Auto_mtls_carries_plain_app_traffic_over_mutual_tls_and_the_app_sees_the_client_identity_in_xfcc()
    {
        using var response = await mesh.Client.SendAsync(MtlsMesh.Echo, "/allowed/hello");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Istio's forward_client_cert_details APPEND_FORWARD: By=<own>;Hash=<sha256>;Subject="";URI=<peer>.
        Assert.StartsWith($"By={ServerId};Hash=", body, StringComparison.Ordinal);
        Assert.EndsWith($";Subject=\"\";URI={ClientId}", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_config_dump_shows_the_workload_certificate_as_SDS_secrets_and_the_inbound_mtls_chains()
    {
        using var dump = System.Text.Json.JsonDocument.Parse(await mesh.Server.Client.GetStringAsync($"{mesh.Server.AdminUrl}/config_dump"));
        var configs = dump.RootElement.GetProperty("configs").EnumerateArray().ToList();

        // istioctl proxy-config secret: "default" is the workload chain (key redacted), "ROOTCA" the trust roots.
        var secrets = configs.Single(c => c.GetProperty("@type").GetString()!.EndsWith(".SecretsConfigDump", StringComparison.Ordinal))
            .GetProperty("dynamic_active_secrets").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("secret"));
        var tlsCertificate = secrets["default"].GetProperty("tls_certificate");
        using var leaf = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(tlsCertificate.GetProperty("certificate_chain").GetProperty("inline_bytes").GetBytesFromBase64()));
        Assert.Equal([ServerId], SpiffeIds.Read(leaf));
        Assert.Equal("[redacted]", tlsCertificate.GetProperty("private_key").GetProperty("inline_string").GetString());
        Assert.Contains("BEGIN CERTIFICATE", Encoding.ASCII.GetString(secrets["ROOTCA"].GetProperty("validation_context").GetProperty("trusted_ca").GetProperty("inline_bytes").GetBytesFromBase64()), StringComparison.Ordinal);

        // The inbound side terminates mTLS (client certificate required) and routes by a table inlined in its chain.
        var inbound = configs.Single(c => c.GetProperty("@type").GetString()!.EndsWith(".ListenersConfigDump", StringComparison.Ordinal))
            .GetProperty("dynamic_listeners").EnumerateArray()
            .Single(l => l.GetProperty("name").GetString() == "virtualInbound").GetProperty("active_state").GetProperty("listener");
        var mtlsChain = inbound.GetProperty("filter_chains").EnumerateArray().First(c =>
            c.TryGetProperty("transport_socket", out var socket)
            && c.GetProperty("filter_chain_match").TryGetProperty("destination_port", out var port) && port.GetInt32() == 9080);
        var tls = mtlsChain.GetProperty("transport_socket").GetProperty("typed_config");
        Assert.Equal("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", tls.GetProperty("@type").GetString());
        Assert.True(tls.GetProperty("require_client_certificate").GetBoolean());
        var manager = mtlsChain.GetProperty("filters")[0].GetProperty("typed_config");
        Assert.StartsWith("inbound|9080", manager.GetProperty("route_config").GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Equal("APPEND_FORWARD", manager.GetProperty("forward_client_cert_details").GetString());
    }

    [Fact]
    public async Task Certs_lists_the_workload_chain_and_roots_with_their_SANs_and_validity_as_Envoy_does()
    {
        using var certs = System.Text.Json.JsonDocument.Parse(await mesh.Client.Client.GetStringAsync($"{mesh.Client.AdminUrl}/certs"));
        var entry = Assert.Single(certs.RootElement.GetProperty("certificates").EnumerateArray());
        var leaf = entry.GetProperty("cert_chain")[0];
        Assert.Equal(ClientId, leaf.GetProperty("subject_alt_names")[0].GetProperty("uri").GetString());
        Assert.Matches("^[0-9a-f]+$", leaf.GetProperty("serial_number").GetString());
        Assert.True(DateTimeOffset.Parse(leaf.GetProperty("expiration_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow);
        var root = Assert.Single(entry.GetProperty("ca_cert").EnumerateArray());
        Assert.True(long.Parse(root.GetProperty("days_until_expiration").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 300, "the local CA's root lasts years");
    }

    [Fact]
    public async Task An_app_cannot_claim_another_identity_with_its_own_xfcc_header()
    {
        // The outbound sidecar keeps Envoy's default forward_client_cert_details (SANITIZE): the app's header never
        // leaves it, so the server app sees the one element its own sidecar appended from the verified certificate.
        using var response = await mesh.Client.SendAsync(MtlsMesh.Echo, "/allowed/spoof",
            configure: r => r.Headers.Add("x-forwarded-client-cert", "By=spiffe://evil;URI=spiffe://cluster.local/ns/default/sa/admin"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith($"By={ServerId};Hash=", body, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", body, StringComparison.Ordinal);
        Assert.EndsWith($";Subject=\"\";URI={ClientId}", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_HTTP2_port_is_carried_over_mutual_tls_with_the_istio_h2_alpn()
    {
        using var response = await mesh.Client.SendAsync(MtlsMesh.Grpc, "/allowed/h2");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("HTTP/2 By=", body, StringComparison.Ordinal);
        Assert.EndsWith($"URI={ClientId}", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peer_authentication_STRICT_refuses_a_plaintext_client()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"http://{mesh.Server.Bind}:9080/allowed/plain"));
    }

    [Fact]
    public async Task Peer_authentication_portLevelMtls_PERMISSIVE_accepts_plaintext_and_mutual_tls()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{mesh.Server.Bind}:9081/anything");
        request.Headers.Add("x-forwarded-client-cert", $"URI={ClientId}"); // a plaintext client cannot claim an identity
        using var plain = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal("no-xfcc", await plain.Content.ReadAsStringAsync());

        using var mutual = await mesh.Client.SendAsync(MtlsMesh.Permissive, "/anything");
        Assert.Equal(HttpStatusCode.OK, mutual.StatusCode);
        Assert.EndsWith($"URI={ClientId}", await mutual.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_spiffe_id_is_not_the_destinations_service_account_is_refused_by_the_san_check()
    {
        // The impostor service's endpoint is the real server sidecar, but its declared service account is another.
        using var response = await mesh.Client.SendAsync(MtlsMesh.Impostor, "/allowed/x");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(0, mesh.App.Received.Count(r => r.Path == "/allowed/x" && r.Host.StartsWith("impostor", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_rbac_logger_at_debug_shows_each_decision_as_istioctl_proxy_config_log_asks()
    {
        // Istio's security troubleshooting: `istioctl proxy-config log POD --level rbac:debug`, then read the proxy's log.
        var admin = $"{mesh.Server.AdminUrl}/logging";
        using (var debug = await mesh.Server.Client.PostAsync($"{admin}?rbac=debug", null))
        {
            Assert.Equal(HttpStatusCode.OK, debug.StatusCode);
        }

        try
        {
            using var intruder = await mesh.Intruder.SendAsync(MtlsMesh.Echo, "/allowed/rbac-log");
            Assert.Equal(HttpStatusCode.Forbidden, intruder.StatusCode);
            await mesh.Server.WaitForOutputAsync("/allowed/rbac-log from spiffe://cluster.local/ns/default/sa/intruder: enforced denied, matched policy none", TimeSpan.FromSeconds(10));
        }
        finally
        {
            using var reset = await mesh.Server.Client.PostAsync($"{admin}?rbac=warning", null);
        }
    }

    [Fact]
    public async Task AuthorizationPolicy_ALLOW_by_principal_and_path_lets_the_client_in_and_keeps_others_out_with_403()
    {
        using var allowed = await mesh.Client.SendAsync(MtlsMesh.Echo, "/allowed/rbac");
        using var otherPath = await mesh.Client.SendAsync(MtlsMesh.Echo, "/private");
        using var intruder = await mesh.Intruder.SendAsync(MtlsMesh.Echo, "/allowed/rbac");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherPath.StatusCode);
        Assert.Equal("RBAC: access denied", await otherPath.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, intruder.StatusCode);
        Assert.Equal("RBAC: access denied", await intruder.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_rotated_certificate_is_used_by_new_connections_while_an_established_connection_keeps_working()
    {
        // Act as a mesh client: a certificate from the shared local CA, Istio's ALPN.
        using var ca = LocalCertificateAuthority.OpenOrCreate(mesh.CaDirectory, "cluster.local", TimeProvider.System);
        using var identity = ca.Issue(ClientId, KeyAlgorithm.EcdsaP256, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);
        await using var first = await ConnectAsync(identity);
        var firstSerial = first.Tls.RemoteCertificate!.GetSerialNumberString();
        Assert.Equal("200", await first.GetAsync("/allowed/before"));

        // The server's certificates live 20 s: a new handshake soon presents another one.
        string? rotatedSerial = null;
        await Wait.UntilAsync(async () =>
        {
            await using var probe = await ConnectAsync(identity);
            rotatedSerial = probe.Tls.RemoteCertificate!.GetSerialNumberString();
            return rotatedSerial != firstSerial;
        }, TimeSpan.FromSeconds(45), "the server sidecar to present a rotated certificate");

        Assert.NotEqual(firstSerial, rotatedSerial);
        Assert.Equal("200", await first.GetAsync("/allowed/after"));
    }

    [Fact]
    public async Task Tcp_traffic_is_upgraded_to_mutual_tls_with_the_istio_peer_exchange_alpn_and_passes_a_STRICT_port()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(mesh.TcpClient.Bind, 9090);
        await socket.SendAsync("ping over mtls"u8.ToArray());
        var buffer = new byte[64];
        var received = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received < "ping over mtls".Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(received), deadline.Token);
            Assert.NotEqual(0, read);
            received += read;
        }

        Assert.Equal("ping over mtls", Encoding.ASCII.GetString(buffer, 0, received));
    }

    [Fact]
    public async Task A_plaintext_tcp_client_is_closed_by_the_STRICT_tcp_port()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(mesh.Server.Bind, 9090);
        await socket.SendAsync("plain"u8.ToArray());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[64];
        var read = 0;
        try
        {
            read = await socket.ReceiveAsync(buffer, deadline.Token);
        }
        catch (SocketException)
        {
            // reset: refused as well
        }

        Assert.Equal(0, read);
    }

    private async Task<TlsClient> ConnectAsync(WorkloadCertificate identity)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(mesh.Server.Bind, 9080);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "outbound_.9080_._.server.default.svc.cluster.local",
            ApplicationProtocols = [new SslApplicationProtocol("istio-http/1.1"), new SslApplicationProtocol("istio")],
            ClientCertificateContext = identity.Context,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                certificate is X509Certificate2 server && TrustBundle.Verify(server, chain, identity.Roots) && SpiffeIds.Read(server).Contains(ServerId),
        });
        return new TlsClient(tls);
    }

    /// <summary>A raw HTTP/1.1 keep-alive connection over TLS, so the test controls which connection a request uses.</summary>
    private sealed class TlsClient(SslStream tls) : IAsyncDisposable
    {
        public SslStream Tls { get; } = tls;

        public async Task<string> GetAsync(string path)
        {
            await Tls.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: server\r\n\r\n"));
            var buffer = new byte[16 * 1024];
            var received = new StringBuilder();
            while (true)
            {
                var read = await Tls.ReadAsync(buffer);
                Assert.NotEqual(0, read);
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                var text = received.ToString();
                var headersEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (headersEnd < 0)
                {
                    continue;
                }

                var chunked = text[..headersEnd].Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase);
                if (chunked && !text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
                {
                    continue;
                }

                var lengthLine = text[..headersEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
                if (lengthLine is not null && text.Length - headersEnd - 4 < int.Parse(lengthLine[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                {
                    continue;
                }

                var status = text.Split(' ', 3);
                Assert.True(status.Length == 3, $"not an HTTP response: {text}");
                return status[1];
            }
        }

        public ValueTask DisposeAsync() => Tls.DisposeAsync();
    }
}

[CollectionDefinition(nameof(MtlsMeshCollection))]
public sealed class MtlsMeshCollection : ICollectionFixture<MtlsMesh>;
