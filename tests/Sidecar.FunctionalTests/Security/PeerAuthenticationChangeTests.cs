using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// A PeerAuthentication change on a running sidecar: Envoy drains the connections whose filter chain the push removed,
/// so a plaintext keep-alive connection opened under PERMISSIVE does not outlive a switch to STRICT.
/// </summary>
public sealed class PeerAuthenticationChangeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>HTTP/1.1 closes after a response carrying <c>Connection: close</c>; HTTP/2 after a GOAWAY.</summary>
    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task A_plaintext_connection_opened_under_PERMISSIVE_is_closed_once_STRICT_applies(string httpVersion)
    {
        var version = Version.Parse(httpVersion);
        await using var app = await TestBackend.StartAsync("httpbin");
        using var config = new ConfigDirectory();
        var ca = Directory.CreateTempSubdirectory("sidecar-ca-");
        var address = LoopbackAddresses.Next();
        config.Write("mesh.yaml", MeshYaml.HttpbinIngress(address, app.Port));
        config.Write("peer-authentication.yaml", PeerAuthentication("PERMISSIVE"));
        try
        {
            await using var server = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=httpbin", "--service-account", "httpbin", "--ca-dir", ca.FullName]);
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 1 })
            {
                DefaultRequestVersion = version,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            var url = $"http://{address}:8000/";

            using var before = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            Assert.Equal(version, before.Version);
            Assert.False(before.Headers.ConnectionClose ?? false);

            config.Write("peer-authentication.yaml", PeerAuthentication("STRICT"));
            await Wait.UntilAsync(() => CountOf(server.Output, "Applied config") >= 2, Deadline, "the STRICT PeerAuthentication to apply");

            // The same connection: answered, then closed (Envoy's drain), and plaintext is refused after it.
            using var draining = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, draining.StatusCode);
            Assert.Equal(version == HttpVersion.Version11, draining.Headers.ConnectionClose ?? false);
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(url));
        }
        finally
        {
            ca.Delete(recursive: true);
        }
    }

    /// <summary>
    /// STRICT leaves plaintext no filter chain: Envoy closes the connection, and the access log Istio puts on each
    /// listener (kept to response flag NR) writes it as <c>NR filter_chain_not_found</c>, with no cluster.
    /// </summary>
    [Fact]
    public async Task A_plaintext_connection_refused_by_STRICT_is_logged_as_no_filter_chain_found()
    {
        await using var app = await TestBackend.StartAsync("httpbin");
        using var config = new ConfigDirectory();
        var ca = Directory.CreateTempSubdirectory("sidecar-ca-");
        var address = LoopbackAddresses.Next();
        config.Write("mesh.yaml", MeshYaml.HttpbinIngress(address, app.Port));
        config.Write("peer-authentication.yaml", PeerAuthentication("STRICT"));
        config.Write("mesh-config.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                accessLogFile: /dev/stdout
            """);
        try
        {
            await using var server = await SidecarProcess.StartAsync(config.Path, address, ["--labels", "app=httpbin", "--service-account", "httpbin", "--ca-dir", ca.FullName]);
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://{address}:8000/"));

            await server.WaitForOutputAsync("filter_chain_not_found", Deadline);
            var line = server.Output.Split('\n').Single(l => l.Contains("filter_chain_not_found", StringComparison.Ordinal));
            Assert.Contains("\"- - -\" 0 NR filter_chain_not_found - \"-\" 0 0 ", line, StringComparison.Ordinal);
            Assert.Matches($" \"-\" - - {System.Text.RegularExpressions.Regex.Escape(address.ToString())}:8000 [0-9.]+:[0-9]+ - -$", line.TrimEnd());
        }
        finally
        {
            ca.Delete(recursive: true);
        }
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string PeerAuthentication(string mode) => $$"""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: httpbin, namespace: default}
        spec:
          selector: {matchLabels: {app: httpbin} }
          mtls:
            mode: {{mode}}
        """;
}
