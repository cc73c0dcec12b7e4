using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// DestinationRule <c>tls.caCrl</c> on TLS origination: istiod puts the file in the validation context's <c>crl</c>
/// beside <c>caCertificates</c>, and Envoy refuses a server whose certificate the CRL revokes.
/// </summary>
public sealed class EgressTlsRevocationTests
{
    [Fact]
    public async Task A_server_whose_certificate_the_caCrl_revokes_is_refused_as_Envoy_refuses_it()
    {
        using var ca = TestPki.CreateRoot("Egress Test Root");
        var revoked = ca.IssueServer("revoked.example.com");
        var good = ca.IssueServer("good.example.com");
        using var config = new ConfigDirectory();
        var files = Path.Combine(config.Path, "..", $"pki-{Guid.NewGuid():N}");
        Directory.CreateDirectory(files);
        var caFile = Path.Combine(files, "ca.pem");
        var crlFile = Path.Combine(files, "ca.crl");
        File.WriteAllText(caFile, ca.Certificate.ExportCertificatePem());
        File.WriteAllText(crlFile, TestPki.Pem(ca.Crl([revoked])));

        var address = LoopbackAddresses.Next();
        // One server, the certificate its SNI names.
        var (server, port) = await TlsTestServer.StartAsync(address, hello => hello.ServerName == "revoked.example.com" ? revoked : good);
        await using var _ = server;

        try
        {
            config.Write("egress.yaml", $$$"""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: egress, namespace: default}
                spec:
                  hosts: [good.example.com, revoked.example.com, unreadable.example.com]
                  location: MESH_EXTERNAL
                  resolution: STATIC
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: {{{port}}} }]
                  endpoints: [{address: {{{address}}} }]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: good, namespace: default}
                spec:
                  host: good.example.com
                  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: {{{caFile}}}, caCrl: {{{crlFile}}} } }
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: revoked, namespace: default}
                spec:
                  host: revoked.example.com
                  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: {{{caFile}}}, caCrl: {{{crlFile}}} } }
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: unreadable, namespace: default}
                spec:
                  host: unreadable.example.com
                  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: {{{caFile}}}, caCrl: {{{crlFile}}}.missing } }
                """);
            await using var sidecar = await SidecarProcess.StartAsync(config.Path);

            using var accepted = await sidecar.SendAsync("good.example.com:80", "/");
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal("secure", await accepted.Content.ReadAsStringAsync());

            using var refused = await sidecar.SendAsync("revoked.example.com:80", "/");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.EndsWith("transport failure reason: TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end",
                await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // A CRL that cannot be read checks nothing through: the connection fails (Envoy would refuse the cluster).
            using var unreadable = await sidecar.SendAsync("unreadable.example.com:80", "/");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unreadable.StatusCode);

            // The config dump carries the list where istiod puts it.
            var dump = await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/config_dump");
            Assert.Contains($"\"crl\":{{\"filename\":\"{crlFile.Replace("\\", "\\\\", StringComparison.Ordinal)}\"}}", dump.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(files, recursive: true);
        }
    }
}
