using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Identity;
using Sidecar.Model;
using Sidecar.Proxy.Security;

namespace Sidecar.Benchmarks;

/// <summary>
/// The cost of one new mTLS connection between two sidecars: TCP connect on loopback, then the full handshake as the
/// data plane runs it (client: workload certificate, Istio SNI and ALPN, root and SPIFFE SAN check; server: client
/// certificate required and verified, trust-domain prefix), with RSA 2048 or ECDSA P-256 workload keys.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class MutualTlsHandshakeBenchmarks
{
    private readonly UpstreamTlsConfig _upstream = new()
    {
        Mode = UpstreamTlsMode.IstioMutual,
        Sni = "outbound_.9080_._.reviews.default.svc.cluster.local",
        SubjectAltNames = ["spiffe://cluster.local/ns/default/sa/server"],
        Alpn = ["istio-peer-exchange", "istio"],
    };

    private readonly DownstreamTlsConfig _downstream = new() { PeerSanPrefixes = ["spiffe://cluster.local/"], Alpn = ["istio-h2", "istio-http/1.1", "istio-http/1.0"] };
    private string _caDirectory = null!;
    private Socket _listener = null!;
    private UpstreamTlsOriginator _client = null!;
    private DownstreamTlsTerminator _server = null!;

    [Params(KeyAlgorithm.Rsa2048, KeyAlgorithm.EcdsaP256)]
    public KeyAlgorithm Key { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _caDirectory = Directory.CreateTempSubdirectory("bench-ca-").FullName;
        var ca = LocalCertificateAuthority.OpenOrCreate(_caDirectory, "cluster.local", TimeProvider.System);
        _client = new UpstreamTlsOriginator(Identity(ca, "client"));
        _server = new DownstreamTlsTerminator(Identity(ca, "server"));
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        // Check the result once before timing.
        if (Handshake().GetAwaiter().GetResult() != "spiffe://cluster.local/ns/default/sa/client")
        {
            throw new InvalidOperationException("the handshake did not prove the client's identity");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        Directory.Delete(_caDirectory, recursive: true);
    }

    [Benchmark(Description = "new mTLS connection (connect + handshake, both sides)")]
    public Task<string?> Handshake() => HandshakeAsync();

    private async Task<string?> HandshakeAsync()
    {
        var accept = _listener.AcceptAsync();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync((IPEndPoint)_listener.LocalEndPoint!);
        var accepted = await accept;
        var serverSide = _server.AcceptAsync(accepted, _downstream, TimeSpan.FromSeconds(10)).AsTask();
        await using var client = await _client.AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), _upstream, "127.0.0.1", IstioAlpn.Http11, CancellationToken.None);
        var result = await serverSide ?? throw new InvalidOperationException("the server refused the handshake");
        await using var server = result.Stream;
        return result.Peer?.Principal;
    }

    private WorkloadIdentity Identity(LocalCertificateAuthority ca, string serviceAccount)
    {
        var spiffeId = $"spiffe://cluster.local/ns/default/sa/{serviceAccount}";
        var store = new CertificateStore(new LocalCaCertificateProvider(ca, spiffeId, Key, TimeSpan.FromHours(1), TimeProvider.System, _caDirectory), TimeProvider.System, NullLogger.Instance);
        store.Publish(ca.Issue(spiffeId, Key, TimeSpan.FromHours(1), DateTimeOffset.UtcNow));
        return new WorkloadIdentity(store, new WorkloadInfo { ServiceAccount = serviceAccount });
    }
}
