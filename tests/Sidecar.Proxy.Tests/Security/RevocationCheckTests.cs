using System.Security.Cryptography.X509Certificates;
using Sidecar.Proxy.Security.Revocation;
using Sidecar.Testing;

namespace Sidecar.Proxy.Tests.Security;

/// <summary>
/// A DestinationRule's <c>caCrl</c> as Envoy applies its validation context's <c>crl</c>: the chain's certificates must
/// each be covered by a current CRL their issuer signed, and none may be on it.
/// </summary>
public sealed class RevocationCheckTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_server_certificate_on_its_authoritys_list_is_refused_and_one_not_on_it_accepted(bool rsaRoot)
    {
        using var root = TestPki.CreateRoot("Revoking Root", rsaRoot);
        var revoked = root.IssueServer("revoked.example.com");
        var good = root.IssueServer("good.example.com");
        var lists = new[] { RevocationList.Parse(root.Crl([revoked])) };
        var roots = new X509Certificate2Collection(root.Certificate);

        Assert.False(RevocationCheck.Verify(revoked, null, roots, lists, DateTimeOffset.UtcNow));
        Assert.True(RevocationCheck.Verify(good, null, roots, lists, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_list_for_one_authority_of_a_chain_requires_one_for_each()
    {
        // Envoy: "if a CRL is provided for any certificate authority in a trust chain, a CRL must be provided for all".
        using var root = TestPki.CreateRoot("Chain Root");
        using var intermediate = root.CreateIntermediate("Chain Intermediate");
        var server = intermediate.IssueServer("chained.example.com");
        var roots = new X509Certificate2Collection(root.Certificate);
        var intermediateOnly = new[] { RevocationList.Parse(intermediate.Crl([])) };
        var both = new[] { RevocationList.Parse(intermediate.Crl([])), RevocationList.Parse(root.Crl([])) };

        using var presented = new X509Chain();
        presented.ChainPolicy.ExtraStore.Add(intermediate.Certificate);

        Assert.False(RevocationCheck.Verify(server, presented, roots, intermediateOnly, DateTimeOffset.UtcNow));
        Assert.True(RevocationCheck.Verify(server, presented, roots, both, DateTimeOffset.UtcNow));

        // The intermediate revoked by the root: everything under it fails.
        var intermediateRevoked = new[] { RevocationList.Parse(intermediate.Crl([])), RevocationList.Parse(root.Crl([intermediate.Certificate])) };
        Assert.False(RevocationCheck.Verify(server, presented, roots, intermediateRevoked, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_list_that_is_not_current_or_not_signed_by_the_issuer_does_not_count()
    {
        using var root = TestPki.CreateRoot("Root");
        using var impostor = TestPki.CreateRoot("Root"); // same name, another key
        var server = root.IssueServer("server.example.com");
        var roots = new X509Certificate2Collection(root.Certificate);

        var expired = RevocationList.Parse(root.Crl([], nextUpdate: DateTimeOffset.UtcNow.AddMinutes(-1), thisUpdate: DateTimeOffset.UtcNow.AddHours(-2)));
        Assert.False(RevocationCheck.Verify(server, null, roots, [expired], DateTimeOffset.UtcNow));

        var forged = RevocationList.Parse(impostor.Crl([]));
        Assert.False(forged.IsSignedBy(root.Certificate));
        Assert.False(RevocationCheck.Verify(server, null, roots, [forged], DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_file_may_hold_several_PEM_lists()
    {
        using var root = TestPki.CreateRoot("Root A");
        using var other = TestPki.CreateRoot("Root B");
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, TestPki.Pem(root.Crl([])) + "\n" + TestPki.Pem(other.Crl([])) + "\n");
            var lists = RevocationList.LoadFile(path);
            Assert.Equal(2, lists.Count);
            Assert.Equal(root.Certificate.SubjectName.RawData, lists[0].Issuer);
            Assert.Equal(other.Certificate.SubjectName.RawData, lists[1].Issuer);

            File.WriteAllText(path, "not a CRL");
            Assert.Throws<InvalidDataException>(() => RevocationList.LoadFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
