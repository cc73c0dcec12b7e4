using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Identity;
using Sidecar.Model;
using Sidecar.Proxy.Security;

namespace Sidecar.Proxy.Tests.Security;

/// <summary>Both halves of the data plane's mTLS over a real loopback connection, then Istio's TCP metadata exchange.</summary>
public sealed class TcpMetadataExchangeTests : IDisposable
{
    private readonly string _caDirectory = Directory.CreateTempSubdirectory("exchange-ca-").FullName;

    public void Dispose() => Directory.Delete(_caDirectory, recursive: true);

    [Fact]
    public async Task After_an_istio_peer_exchange_handshake_each_side_learns_the_others_workload()
    {
        using var ca = LocalCertificateAuthority.OpenOrCreate(_caDirectory, "cluster.local", TimeProvider.System);
        var clientWorkload = new WorkloadInfo { Namespace = "default", ServiceAccount = "productpage", WorkloadName = "productpage-v1", PodName = "productpage-v1-abc" };
        var serverWorkload = new WorkloadInfo { Namespace = "default", ServiceAccount = "reviews", WorkloadName = "reviews-v2", PodName = "reviews-v2-xyz" };
        var client = new UpstreamTlsOriginator(await Identity(ca, clientWorkload));
        var server = new DownstreamTlsTerminator(await Identity(ca, serverWorkload));

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();

        var serverSide = server.AcceptAsync(accepted, new DownstreamTlsConfig { PeerSanPrefixes = ["spiffe://cluster.local/"], Alpn = ["istio-peer-exchange", "istio"] }, TimeSpan.FromSeconds(10)).AsTask();
        var upstream = new UpstreamTlsConfig { Mode = UpstreamTlsMode.IstioMutual, Sni = "outbound_.9090_._.reviews.default.svc.cluster.local", SubjectAltNames = [serverWorkload.SpiffeId] };
        await using var clientStream = await client.AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), upstream, "127.0.0.1", IstioAlpn.Tcp, CancellationToken.None);
        var (serverStream, peer) = (await serverSide)!.Value;
        await using var _ = serverStream;

        Assert.Equal(clientWorkload.SpiffeId, peer!.Principal);
        var exchanges = await Task.WhenAll(
            TcpMetadataExchange.ExchangeAsync(clientStream, client.Identity.TcpPreamble, CancellationToken.None).AsTask(),
            TcpMetadataExchange.ExchangeAsync(serverStream, server.Identity.TcpPreamble, CancellationToken.None).AsTask());

        Assert.Equal("reviews-v2", exchanges[0]!.WorkloadName);
        Assert.Equal("productpage-v1", exchanges[1]!.WorkloadName);
    }

    private static async Task<WorkloadIdentity> Identity(LocalCertificateAuthority ca, WorkloadInfo workload)
    {
        var store = new CertificateStore(new LocalCaCertificateProvider(ca, workload.SpiffeId, KeyAlgorithm.EcdsaP256, TimeSpan.FromHours(1), TimeProvider.System, "test"), TimeProvider.System, NullLogger.Instance);
        await store.StartAsync(CancellationToken.None);
        return new WorkloadIdentity(store, workload);
    }
}
