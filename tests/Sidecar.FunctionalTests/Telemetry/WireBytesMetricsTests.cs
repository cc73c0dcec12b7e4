using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// Istio's <c>istio_request_bytes</c> and <c>istio_response_bytes</c> record the downstream connection's wire bytes
/// (istio_stats' <c>wireBytesReceived</c>/<c>wireBytesSent</c>): request line, headers, body and chunk framing, not
/// the bodies alone. Two requests on one keep-alive connection, measured byte for byte on the client's side.
/// </summary>
public sealed class WireBytesMetricsTests
{
    [Fact]
    public async Task Request_and_response_sizes_are_the_bytes_each_request_took_on_the_connection()
    {
        await using var reviews = await TestBackend.StartAsync("reviews-v1", async (context, _) =>
        {
            var body = Encoding.ASCII.GetBytes(new string('r', 300));
            if (context.Request.Path == "/fixed")
            {
                context.Response.ContentLength = body.Length;
            }

            await context.Response.Body.WriteAsync(body);
        });
        using var config = new ConfigDirectory();
        config.Write("reviews.yaml", MeshYaml.Service("reviews", 9080, (reviews, "v1")));
        var bind = LoopbackAddresses.Next();
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, bind);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(bind, 15001);
        var first = Encoding.ASCII.GetBytes("GET /fixed HTTP/1.1\r\nHost: reviews:9080\r\nX-Pad: 0123456789\r\n\r\n");
        var second = Encoding.ASCII.GetBytes("POST /chunked HTTP/1.1\r\nHost: reviews:9080\r\nContent-Length: 5\r\n\r\nhello");
        await socket.SendAsync(first);
        var firstResponse = await ReadResponseAsync(socket);
        await socket.SendAsync(second);
        var secondResponse = await ReadResponseAsync(socket);
        Assert.StartsWith("HTTP/1.1 200 ", firstResponse, StringComparison.Ordinal);
        Assert.Contains("transfer-encoding: chunked", secondResponse, StringComparison.OrdinalIgnoreCase);

        var url = $"http://{bind}:15090/stats/prometheus";
        (string, string)[] series = [("reporter", "source"), ("response_code", "200")];
        await Wait.UntilAsync(async () => (await PrometheusScrape.GetAsync(url)).Any(s => s.Name == "istio_response_bytes_count" && s.Has(series) && s.Value == 2),
            TimeSpan.FromSeconds(15), "both requests recorded");
        var samples = await PrometheusScrape.GetAsync(url);
        Assert.Equal(first.Length + second.Length, samples.Single(s => s.Name == "istio_request_bytes_sum" && s.Has(series)).Value);
        Assert.Equal(Encoding.ASCII.GetByteCount(firstResponse) + Encoding.ASCII.GetByteCount(secondResponse), samples.Single(s => s.Name == "istio_response_bytes_sum" && s.Has(series)).Value);
    }

    [Fact]
    public async Task A_chunked_request_body_is_counted_as_it_is_read()
    {
        await using var reviews = await TestBackend.StartAsync("reviews-v1", (context, _) =>
        {
            context.Response.ContentLength = 2;
            return context.Response.WriteAsync("ok");
        });
        using var config = new ConfigDirectory();
        config.Write("reviews.yaml", MeshYaml.Service("reviews", 9080, (reviews, "v1")));
        var bind = LoopbackAddresses.Next();
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, bind);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(bind, 15001);
        const string Head = "POST /upload HTTP/1.1\r\nHost: reviews:9080\r\nTransfer-Encoding: chunked\r\n\r\n";
        const string Chunks = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(Head + Chunks));
        Assert.EndsWith("\r\n\r\nok", await ReadResponseAsync(socket), StringComparison.Ordinal);
        Assert.Equal("hello world", Encoding.ASCII.GetString(Assert.Single(reviews.Received).Body));

        var url = $"http://{bind}:15090/stats/prometheus";
        (string, string)[] series = [("reporter", "source"), ("response_code", "200")];
        await Wait.UntilAsync(async () => (await PrometheusScrape.GetAsync(url)).Any(s => s.Name == "istio_request_bytes_count" && s.Has(series) && s.Value == 1),
            TimeSpan.FromSeconds(15), "the request recorded");
        var recorded = (await PrometheusScrape.GetAsync(url)).Single(s => s.Name == "istio_request_bytes_sum" && s.Has(series)).Value;

        // The head and the 11 body bytes; Envoy also counts the chunk framing, which this sidecar does not see.
        Assert.InRange(recorded, Head.Length + 11, Head.Length + Chunks.Length);
    }

    /// <summary>One whole response: its head, then a Content-Length body or chunks up to the last one.</summary>
    private static async Task<string> ReadResponseAsync(Socket socket)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!Complete(received.ToString()))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            Assert.True(read > 0, $"connection closed after: {received}");
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return received.ToString();

        static bool Complete(string text)
        {
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd < 0)
            {
                return false;
            }

            var head = text[..headEnd];
            var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
            return length is not null
                ? text.Length - headEnd - 4 >= int.Parse(length["content-length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
                : text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
        }
    }
}
