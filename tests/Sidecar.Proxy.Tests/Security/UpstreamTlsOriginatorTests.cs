using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Sidecar.Identity;
using Sidecar.Model;
using Sidecar.Proxy.Security;

namespace Sidecar.Proxy.Tests.Security;

/// <summary>DestinationRule <c>tls.mode</c> SIMPLE and MUTUAL with files, against a real TLS server on loopback.</summary>
public sealed class UpstreamTlsOriginatorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("upstream-tls-").FullName;
    private readonly LocalCertificateAuthority _ca;
    private readonly WorkloadCertificate _server;

    public UpstreamTlsOriginatorTests()
    {
        _ca = LocalCertificateAuthority.OpenOrCreate(Path.Combine(_directory, "ca"), "cluster.local", TimeProvider.System);
        _server = _ca.Issue("spiffe://cluster.local/ns/external/sa/api", KeyAlgorithm.EcdsaP256, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        File.WriteAllText(Path.Combine(_directory, "ca.pem"), _ca.Roots[0].ExportCertificatePem());
        using var client = _ca.Issue("spiffe://cluster.local/ns/default/sa/client", KeyAlgorithm.EcdsaP256, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        File.WriteAllText(Path.Combine(_directory, "client.pem"), client.Leaf.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "client-key.pem"), client.Leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        _server.Dispose();
        _ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static UpstreamTlsOriginator Originator() => new(new WorkloadIdentity(null, WorkloadInfo.Default));

    [Fact]
    public async Task SIMPLE_verifies_the_server_against_caCertificates_and_subjectAltNames()
    {
        var tls = new UpstreamTlsConfig
        {
            Mode = UpstreamTlsMode.Simple,
            CaCertificatesPath = Path.Combine(_directory, "ca.pem"),
            SubjectAltNames = ["spiffe://cluster.local/ns/external/sa/api"],
        };
        var (clientCertificate, _) = await HandshakeAsync(tls, requireClientCertificate: false);
        Assert.Null(clientCertificate);

        var wrongSan = tls with { SubjectAltNames = ["spiffe://cluster.local/ns/external/sa/other"] };
        var rejected = await Assert.ThrowsAsync<UpstreamTlsException>(() => HandshakeAsync(wrongSan, requireClientCertificate: false));
        // What Envoy reports as the transport failure reason (BoringSSL's queue as Envoy prints it).
        Assert.Equal("TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end", rejected.TransportFailureReason);

        var systemRoots = tls with { CaCertificatesPath = null, SubjectAltNames = default };
        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(systemRoots, requireClientCertificate: false));
    }

    /// <summary>
    /// istiod sets auto_sni and auto_san_validation only on a cluster whose rule gives no sni, and tcp_proxy uses
    /// neither: without subjectAltNames, only an HTTP request's host is checked against the certificate.
    /// </summary>
    [Fact]
    public async Task Without_subjectAltNames_only_the_auto_SNI_of_an_HTTP_request_is_checked_as_a_name()
    {
        // The server's certificate names only its SPIFFE id: no DNS name matches.
        var tls = new UpstreamTlsConfig { Mode = UpstreamTlsMode.Simple, CaCertificatesPath = Path.Combine(_directory, "ca.pem") };

        var (_, tcpServerName) = await HandshakeAsync(tls, requireClientCertificate: false, autoHost: null);
        Assert.Equal("", tcpServerName); // no SNI on a TCP connection

        var (_, sniServerName) = await HandshakeAsync(tls with { Sni = "notincert.example" }, requireClientCertificate: false, autoHost: "api.example");
        Assert.Equal("notincert.example", sniServerName); // the rule's sni is sent but not required of the certificate

        await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(tls, requireClientCertificate: false, autoHost: "api.example"));
    }

    [Fact]
    public async Task MUTUAL_presents_the_given_client_certificate()
    {
        var tls = new UpstreamTlsConfig
        {
            Mode = UpstreamTlsMode.Mutual,
            CaCertificatesPath = Path.Combine(_directory, "ca.pem"),
            ClientCertificatePath = Path.Combine(_directory, "client.pem"),
            PrivateKeyPath = Path.Combine(_directory, "client-key.pem"),
            SubjectAltNames = ["spiffe://cluster.local/ns/external/sa/api"],
            Sni = "api.external",
        };
        var (clientCertificate, serverName) = await HandshakeAsync(tls, requireClientCertificate: true);
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/client"], SpiffeIds.Read(clientCertificate!));
        Assert.Equal("api.external", serverName);
    }

    [Fact]
    public void Certificate_files_are_loaded_once_per_version_and_again_after_a_rewrite()
    {
        var files = new TlsFileCache();
        var certificate = Path.Combine(_directory, "client.pem");
        var key = Path.Combine(_directory, "client-key.pem");
        var ca = Path.Combine(_directory, "ca.pem");

        var first = files.ClientCertificate(certificate, key);
        var roots = files.Roots(ca);
        Assert.Same(first, files.ClientCertificate(certificate, key));
        Assert.Same(roots, files.Roots(ca));
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/client"], SpiffeIds.Read(first.TargetCertificate));

        // A rotated Secret: new files in place, with a later write time.
        using var rotated = _ca.Issue("spiffe://cluster.local/ns/default/sa/rotated", KeyAlgorithm.EcdsaP256, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        File.WriteAllText(certificate, rotated.Leaf.ExportCertificatePem());
        File.WriteAllText(key, rotated.Leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.SetLastWriteTimeUtc(certificate, DateTime.UtcNow.AddSeconds(5));
        File.SetLastWriteTimeUtc(key, DateTime.UtcNow.AddSeconds(5));
        File.SetLastWriteTimeUtc(ca, DateTime.UtcNow.AddSeconds(5));

        var second = files.ClientCertificate(certificate, key);
        Assert.NotSame(first, second);
        Assert.Equal(["spiffe://cluster.local/ns/default/sa/rotated"], SpiffeIds.Read(second.TargetCertificate));
        Assert.NotSame(roots, files.Roots(ca));
    }

    private async Task<(X509Certificate2? ClientCertificate, string ServerName)> HandshakeAsync(UpstreamTlsConfig tls, bool requireClientCertificate, string? autoHost = "127.0.0.1")
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        using var accepted = await listener.AcceptAsync();
        await using var server = new SslStream(new NetworkStream(accepted));
        var serverSide = server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _server.Context,
            ClientCertificateRequired = requireClientCertificate,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) => certificate is null || TrustBundle.Verify((X509Certificate2)certificate, chain, _ca.Roots),
        });
        try
        {
            await using var client = await Originator().AuthenticateAsync(new NetworkStream(socket, ownsSocket: true), tls, autoHost, null, CancellationToken.None);
            await serverSide;
            return (server.RemoteCertificate as X509Certificate2, server.TargetHostName);
        }
        finally
        {
            socket.Dispose();
        }
    }
}
