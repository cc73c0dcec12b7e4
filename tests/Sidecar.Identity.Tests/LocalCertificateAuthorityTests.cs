using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Testing;

namespace Sidecar.Identity.Tests;

public sealed class LocalCertificateAuthorityTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("local-ca-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Sidecars_opening_the_directory_at_once_all_end_up_with_one_root()
    {
        var opened = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => LocalCertificateAuthority.OpenOrCreate(_directory, "cluster.local", TimeProvider.System))));
        try
        {
            Assert.Single(opened.Select(ca => ca.Roots[0].Thumbprint).Distinct());
            Assert.Equal(["ca.pem", "root-cert.pem"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order());
        }
        finally
        {
            foreach (var ca in opened)
            {
                ca.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(KeyAlgorithm.Rsa2048)]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    public void Issued_certificates_carry_the_spiffe_id_chain_to_the_root_and_live_the_given_ttl(KeyAlgorithm algorithm)
    {
        using var ca = LocalCertificateAuthority.OpenOrCreate(_directory, "cluster.local", TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        using var certificate = ca.Issue("spiffe://cluster.local/ns/default/sa/reviews", algorithm, TimeSpan.FromHours(1), now);

        Assert.Equal("spiffe://cluster.local/ns/default/sa/reviews", certificate.SpiffeId);
        Assert.Equal("", certificate.Leaf.Subject);
        Assert.True(TrustBundle.Verify(certificate.Leaf, null, certificate.Roots));
        Assert.InRange(certificate.NotAfter - now, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }

    [Fact]
    public void A_certificate_from_another_root_is_not_trusted()
    {
        using var ours = LocalCertificateAuthority.OpenOrCreate(_directory, "cluster.local", TimeProvider.System);
        using var theirs = LocalCertificateAuthority.OpenOrCreate(Path.Combine(_directory, "other"), "cluster.local", TimeProvider.System);
        using var foreign = theirs.Issue("spiffe://cluster.local/ns/default/sa/x", KeyAlgorithm.EcdsaP256, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
        Assert.False(TrustBundle.Verify(foreign.Leaf, null, ours.Roots));
    }

    [Fact]
    public void Rotation_is_at_half_life_within_one_percent_jitter()
    {
        var notBefore = DateTimeOffset.UnixEpoch;
        var notAfter = notBefore + TimeSpan.FromHours(24);
        var random = new Random(42);
        for (var i = 0; i < 1000; i++)
        {
            var at = RotationSchedule.RenewAt(notBefore, notAfter, random);
            Assert.InRange(at, notAfter - TimeSpan.FromHours(24 * 0.51), notAfter - TimeSpan.FromHours(24 * 0.49));
        }
    }

    [Fact]
    public async Task Mounted_files_are_reloaded_when_they_change()
    {
        using var ca = LocalCertificateAuthority.OpenOrCreate(_directory, "cluster.local", TimeProvider.System);
        var mounted = Directory.CreateDirectory(Path.Combine(_directory, "certs")).FullName;
        WriteFiles(ca, mounted, "spiffe://cluster.local/ns/default/sa/first");
        await using var store = new CertificateStore(new FileCertificateProvider(mounted), TimeProvider.System, NullLogger.Instance);
        await store.StartAsync(CancellationToken.None);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/first", store.Current!.SpiffeId);

        WriteFiles(ca, mounted, "spiffe://cluster.local/ns/default/sa/second");
        await Wait.UntilAsync(() => store.Current!.SpiffeId == "spiffe://cluster.local/ns/default/sa/second", TimeSpan.FromSeconds(10), "the store to pick up the new files");
        Assert.True(store.Generation >= 2);
    }

    private static void WriteFiles(LocalCertificateAuthority ca, string directory, string spiffeId)
    {
        // Valid for longer than a timer can wait (as mounted certificates often are): changes must still be seen.
        using var certificate = ca.Issue(spiffeId, KeyAlgorithm.EcdsaP256, TimeSpan.FromDays(400), DateTimeOffset.UtcNow);
        var key = certificate.Leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        // cert-manager style: write elsewhere, then move into place.
        foreach (var (name, content) in new[] { ("key.pem", key), ("cert-chain.pem", certificate.Leaf.ExportCertificatePem()), ("root-cert.pem", ca.Roots[0].ExportCertificatePem()) })
        {
            var temporary = Path.Combine(directory, $".{name}.tmp");
            File.WriteAllText(temporary, content);
            File.Move(temporary, Path.Combine(directory, name), overwrite: true);
        }
    }
}
