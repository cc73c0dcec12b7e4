using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Istio's egress TLS origination task: the app speaks plain HTTP to port 80 and a DestinationRule with
/// <c>tls.mode: SIMPLE</c> (no <c>sni</c>) has the sidecar open TLS to the external service's 443. Istio sets Envoy's
/// <c>auto_sni</c> and <c>auto_san_validation</c> for such a rule: the request's host is the server name and the name
/// the certificate is checked against, even though the endpoint is an IP address.
/// </summary>
public sealed class EgressTlsOriginationTests
{
    private const string Host = "secure.example.com";

    [Fact]
    public async Task SIMPLE_tls_without_sni_sends_the_requests_host_as_SNI_and_checks_the_certificate_against_it()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Host);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        using var config = new ConfigDirectory();
        var caFile = Path.Combine(config.Path, "..", $"ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(caFile, certificate.ExportCertificatePem());

        var serverNames = new List<string?>();
        var address = LoopbackAddresses.Next();
        var (server, port) = await TlsTestServer.StartAsync(address, hello =>
        {
            lock (serverNames)
            {
                serverNames.Add(hello.ServerName);
            }

            return certificate;
        });
        await using var _ = server;

        try
        {
            config.Write("secure.yaml", $$$"""
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: secure, namespace: default}
                spec:
                  hosts: [{{{Host}}}, misnamed.example.com]
                  location: MESH_EXTERNAL
                  resolution: STATIC
                  ports: [{number: 80, name: http, protocol: HTTP, targetPort: {{{port}}}}]
                  endpoints: [{address: {{{address}}}}]
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: secure, namespace: default}
                spec:
                  host: {{{Host}}}
                  trafficPolicy:
                    portLevelSettings:
                    - port: {number: 80}
                      tls: {mode: SIMPLE, caCertificates: {{{caFile}}}}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: misnamed, namespace: default}
                spec:
                  host: misnamed.example.com
                  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: {{{caFile}}}}}
                """);
            await using var sidecar = await SidecarProcess.StartAsync(config.Path);

            using var response = await sidecar.SendAsync($"{Host}:80", "/politics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("secure", await response.Content.ReadAsStringAsync());
            lock (serverNames)
            {
                Assert.Equal([Host], serverNames);
            }

            // The same server under a name its certificate does not carry: auto SAN validation refuses it, and the
            // 503 says why as Envoy does (BoringSSL's CERTIFICATE_VERIFY_FAILED as the transport failure reason).
            using var misnamed = await sidecar.SendAsync("misnamed.example.com:80", "/politics");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, misnamed.StatusCode);
            Assert.EndsWith("reset reason: connection failure, transport failure reason: TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end",
                await misnamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(caFile);
        }
    }
}
