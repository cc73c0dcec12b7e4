using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Testing;

namespace Sidecar.Identity.Tests;

public sealed class IstioCaCertificateProviderTests : IAsyncLifetime
{
    private const string SpiffeId = "spiffe://cluster.local/ns/default/sa/productpage";
    private TestIstioCa _ca = null!;

    public async Task InitializeAsync() => _ca = await TestIstioCa.StartAsync();

    public async Task DisposeAsync() => await _ca.DisposeAsync();

    private IstioCaOptions Options(string? token = TestIstioCa.Token, KeyAlgorithm algorithm = KeyAlgorithm.Rsa2048, TimeSpan? lifetime = null) => new()
    {
        Address = _ca.Address,
        RootCertificatePath = _ca.RootPath,
        Token = token,
        ClusterId = "Kubernetes",
        SpiffeId = SpiffeId,
        KeyAlgorithm = algorithm,
        Lifetime = lifetime ?? TimeSpan.FromHours(24),
    };

    [Theory]
    [InlineData(KeyAlgorithm.Rsa2048, "1.2.840.113549.1.1.1")]
    [InlineData(KeyAlgorithm.EcdsaP256, "1.2.840.10045.2.1")]
    public async Task CreateCertificate_sends_a_csr_with_the_spiffe_uri_san_the_bearer_jwt_cluster_id_and_validity(KeyAlgorithm algorithm, string keyOid)
    {
        using var provider = new IstioCaCertificateProvider(Options(algorithm: algorithm));
        using var certificate = await provider.FetchAsync(CancellationToken.None);

        var (request, headers) = Assert.Single(_ca.Requests);
        Assert.Equal("Bearer test-jwt", headers.GetValue("authorization"));
        Assert.Equal("Kubernetes", headers.GetValue("clusterid"));
        Assert.Equal(86400, request.ValidityDuration);
        Assert.StartsWith("-----BEGIN CERTIFICATE REQUEST-----", request.Csr, StringComparison.Ordinal);

        Assert.Equal(SpiffeId, certificate.SpiffeId);
        Assert.True(certificate.Leaf.HasPrivateKey);
        Assert.Equal(keyOid, certificate.Leaf.PublicKey.Oid.Value);
        Assert.Equal(_ca.Root.Thumbprint, Assert.Single(certificate.Roots).Thumbprint);
        Assert.True(TrustBundle.Verify(certificate.Leaf, null, certificate.Roots));
    }

    [Fact]
    public async Task A_chain_of_one_is_refused()
    {
        _ca.ChainOfOne = true;
        using var provider = new IstioCaCertificateProvider(Options());
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => provider.FetchAsync(CancellationToken.None));
        Assert.Contains("chain of 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_token_istiod_refuses_the_request()
    {
        using var provider = new IstioCaCertificateProvider(Options(token: null) with { TokenPath = "/nonexistent/istio-token" });
        var error = await Assert.ThrowsAsync<RpcException>(() => provider.FetchAsync(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Istiods_tls_is_verified_against_the_given_root_only()
    {
        var otherRoot = Path.GetTempFileName();
        try
        {
            using var ca = LocalCertificateAuthority.OpenOrCreate(Directory.CreateTempSubdirectory().FullName, "cluster.local", TimeProvider.System);
            await File.WriteAllTextAsync(otherRoot, ca.Roots[0].ExportCertificatePem());
            using var provider = new IstioCaCertificateProvider(Options() with { RootCertificatePath = otherRoot });
            await Assert.ThrowsAsync<RpcException>(() => provider.FetchAsync(CancellationToken.None));
            Assert.Empty(_ca.Requests);
        }
        finally
        {
            File.Delete(otherRoot);
        }
    }

    [Fact]
    public async Task The_store_renews_from_the_CA_at_half_life()
    {
        var provider = new IstioCaCertificateProvider(Options(algorithm: KeyAlgorithm.EcdsaP256, lifetime: TimeSpan.FromSeconds(4)));
        await using var store = new CertificateStore(provider, TimeProvider.System, NullLogger.Instance);
        await store.StartAsync(CancellationToken.None);
        var first = store.Current!;

        await Wait.UntilAsync(() => store.Generation >= 2, TimeSpan.FromSeconds(15), "a renewal from the CA");

        var second = store.Current!;
        Assert.NotEqual(first.Leaf.SerialNumber, second.Leaf.SerialNumber);
        Assert.True(_ca.Requests.Count >= 2);
        // Renewed around half of the first certificate's life, not at its end.
        Assert.True(second.NotBefore < first.NotAfter - TimeSpan.FromSeconds(1), $"renewed at {second.NotBefore:O}, first expires {first.NotAfter:O}");
    }
}
