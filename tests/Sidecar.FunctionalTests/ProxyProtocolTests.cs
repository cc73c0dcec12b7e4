using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// DestinationRule <c>trafficPolicy.proxyProtocol</c>: istiod wraps the cluster's transport socket in Envoy's
/// <c>envoy.transport_sockets.upstream_proxy_protocol</c>, so each upstream connection starts, ahead of TLS, with a
/// PROXY protocol header naming the downstream connection's client and the address it connected to. Envoy keys its
/// pools by that header: a client connection's requests share upstream connections, two clients never do.
/// </summary>
public sealed class ProxyProtocolTests
{
    private const string Host = "pp.example.com";

    [Fact]
    public async Task Version_1_names_each_client_connection_on_upstream_connections_of_its_own()
    {
        var backendAddress = LoopbackAddresses.Next();
        await using var backend = await ProxyProtocolBackend.StartAsync(backendAddress);
        using var config = new ConfigDirectory();
        config.Write("pp.yaml", ServiceEntry(Host, "HTTP", backendAddress, backend.Port) + "---\n" + ServiceEntry("plain.example.com", "HTTP", backendAddress, backend.Port)
            + "---\n" + Rule(Host, "{proxyProtocol: {version: V1} }"));
        var address = LoopbackAddresses.Next();
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, address);

        using var first = new RecordingClient(address);
        var (header, upstreamConnection) = await first.GetAsync(Host);
        Assert.Equal($"V1 TCP4 {first.Local} {address}:15001", header);
        var (again, sameConnection) = await first.GetAsync(Host);
        Assert.Equal(header, again);
        Assert.Equal(upstreamConnection, sameConnection);

        using var second = new RecordingClient(address);
        var (secondHeader, secondConnection) = await second.GetAsync(Host);
        Assert.NotEqual(first.Local, second.Local);
        Assert.Equal($"V1 TCP4 {second.Local} {address}:15001", secondHeader);
        Assert.NotEqual(upstreamConnection, secondConnection);

        // The backend refuses a connection without the header: a host with no DestinationRule sends none.
        using var plain = await first.SendAsync("plain.example.com");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, plain.StatusCode);
    }

    [Fact]
    public async Task Version_2_goes_ahead_of_the_TLS_the_DestinationRule_originates()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest($"CN={Host}", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var backendAddress = LoopbackAddresses.Next();
        await using var backend = await ProxyProtocolBackend.StartAsync(backendAddress, certificate);
        using var config = new ConfigDirectory();
        config.Write("pp.yaml", ServiceEntry(Host, "HTTP", backendAddress, backend.Port) + "---\n"
            + Rule(Host, "{tls: {mode: SIMPLE, insecureSkipVerify: true}, proxyProtocol: {version: V2} }"));
        var address = LoopbackAddresses.Next();
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, address);

        using var client = new RecordingClient(address);
        var (header, _) = await client.GetAsync(Host);
        Assert.Equal($"V2 PROXY TCP4 {client.Local} {address}:15001", header);

        // The config dump shows the socket as istiod writes it: upstream_proxy_protocol wrapping the TLS one.
        var dump = await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/config_dump");
        var cluster = dump[dump.IndexOf($"\"outbound|80||{Host}\"", StringComparison.Ordinal)..];
        var wrapper = cluster.IndexOf("envoy.transport_sockets.upstream_proxy_protocol", StringComparison.Ordinal);
        Assert.True(wrapper > 0, "no upstream_proxy_protocol socket in the cluster's dump");
        Assert.True(cluster.IndexOf("envoy.transport_sockets.tls", wrapper, StringComparison.Ordinal) > wrapper);
    }

    [Fact]
    public async Task A_tcp_proxied_connection_starts_with_version_2_naming_the_client_and_the_egress_listener()
    {
        var backendAddress = LoopbackAddresses.Next();
        await using var backend = await ProxyProtocolBackend.StartAsync(backendAddress);
        using var config = new ConfigDirectory();
        var address = LoopbackAddresses.Next();
        config.Write("pp.yaml", ServiceEntry(Host, "TCP", backendAddress, backend.Port) + "---\n" + Rule(Host, "{proxyProtocol: {version: V2} }") + $$"""
            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: tcpclient, namespace: default}
            spec:
              workloadSelector: {labels: {app: tcpclient} }
              egress:
              - port: {number: 80, protocol: TCP, name: tcp}
                bind: {{address}}
                hosts: ["./{{Host}}"]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=tcpclient"]);

        // The client's bytes follow the header unchanged: here, an HTTP request the backend answers.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address, 80);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n"));
        var response = await ReadToEndAsync(socket);
        Assert.StartsWith("HTTP/1.1 200 ", response, StringComparison.Ordinal);
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.StartsWith($"V2 PROXY TCP4 {socket.LocalEndPoint} {address}:80|", body, StringComparison.Ordinal);
    }

    [HaproxyFact]
    public async Task HAProxy_reads_both_versions_as_the_client_and_the_address_it_connected_to()
    {
        // An independent reader of the protocol: HAProxy's accept-proxy takes src and dst from the header.
        using var config = new ConfigDirectory();
        var haproxyAddress = LoopbackAddresses.Next();
        var haproxyConfig = System.IO.Path.Combine(config.Path, "..", $"haproxy-{Guid.NewGuid():N}.cfg");
        File.WriteAllText(haproxyConfig, $"""
            defaults
              mode http
              timeout client 10s
              timeout connect 5s
              timeout server 10s
            frontend proxied
              bind {haproxyAddress}:8081 accept-proxy
              bind {haproxyAddress}:8082 accept-proxy
              http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port] %[dst]:%[dst_port] %[fc_rcvd_proxy]"

            """);
        using var haproxy = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(HaproxyFactAttribute.Path!, ["-db", "-f", haproxyConfig])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            await Wait.UntilAsync(() => Listening(haproxyAddress, 8081) && Listening(haproxyAddress, 8082), TimeSpan.FromSeconds(15), "haproxy listening");
            config.Write("pp.yaml", string.Join("---\n",
                ServiceEntry("hap-v1.example.com", "HTTP", haproxyAddress, 8081), ServiceEntry("hap-v2.example.com", "HTTP", haproxyAddress, 8082),
                Rule("hap-v1.example.com", "{proxyProtocol: {version: V1} }"), Rule("hap-v2.example.com", "{proxyProtocol: {version: V2} }")));
            var address = LoopbackAddresses.Next();
            await using var sidecar = await SidecarProcess.StartAsync(config.Path, address);

            using var client = new RecordingClient(address);
            foreach (var host in new[] { "hap-v1.example.com", "hap-v2.example.com" })
            {
                using var response = await client.SendAsync(host);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal($"{client.Local} {address}:15001 1", await response.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            haproxy.Kill();
            File.Delete(haproxyConfig);
        }
    }

    private static bool Listening(IPAddress address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(address, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string ServiceEntry(string host, string protocol, IPAddress address, int port) => $$$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: {{{host.Split('.')[0]}}}, namespace: default}
        spec:
          hosts: [{{{host}}}]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports: [{number: 80, name: {{{protocol.ToLowerInvariant()}}}, protocol: {{{protocol}}}, targetPort: {{{port}}} }]
          endpoints: [{address: {{{address}}} }]

        """;

    private static string Rule(string host, string trafficPolicy) => $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: {{host.Split('.')[0]}}, namespace: default}
        spec:
          host: {{host}}
          trafficPolicy: {{trafficPolicy}}

        """;

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>One downstream connection to the sidecar's outbound listener (Host routing), its local end recorded.</summary>
    private sealed class RecordingClient : IDisposable
    {
        private readonly HttpClient _client;

        public RecordingClient(IPAddress sidecar)
        {
            _client = new HttpClient(new SocketsHttpHandler
            {
                UseProxy = false,
                MaxConnectionsPerServer = 1,
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(sidecar, 15001, cancellationToken);
                    Local = socket.LocalEndPoint!.ToString();
                    return new NetworkStream(socket, ownsSocket: true);
                },
            });
        }

        public string? Local { get; private set; }

        public Task<HttpResponseMessage> SendAsync(string host) => _client.GetAsync($"http://{host}/");

        public async Task<(string Header, string Connection)> GetAsync(string host)
        {
            using var response = await SendAsync(host);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
            var parts = body.Split('|');
            return (parts[0], parts[1]);
        }

        public void Dispose() => _client.Dispose();
    }
}
