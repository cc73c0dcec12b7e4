using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>Bidirectional streaming (gRPC-style over h2c) through the router: nothing waits for a whole body.</summary>
public sealed class StreamingTests
{
    [Fact]
    public async Task A_grpc_style_stream_flows_both_ways_message_by_message()
    {
        await using var backend = await TestBackend.StartAsync("stream", async (context, _) =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.StartAsync();
            var buffer = new byte[256];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }

            context.Response.AppendTrailer("grpc-status", "0");
        }, protocols: HttpProtocols.Http2, bufferBody: false);
        var cluster = Cluster("echo", 8081, null, Endpoint(backend)) with { HttpProtocol = UpstreamHttpProtocol.Http2 };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(8081, "echo", [RouteTo(cluster.Name)], [cluster]));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var body = new StreamingContent();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{proxy.Client.BaseAddress}pkg.Echo/Stream")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = body,
        };
        request.Headers.Host = "echo:8081";
        request.Content.Headers.ContentType = new("application/grpc");

        // As gRPC clients do, the first message goes out without waiting for response headers (the forwarder
        // sends headers downstream with the first response bytes, so a trailers-only reply stays trailers-only).
        var sending = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await body.WriteAsync(Encoding.UTF8.GetBytes("message-0;"));
        using var response = await sending.WaitAsync(TimeSpan.FromSeconds(10));
        using var replies = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        for (var i = 0; i < 3; i++)
        {
            var message = Encoding.UTF8.GetBytes($"message-{i};");
            if (i > 0)
            {
                await body.WriteAsync(message);
            }

            var read = await replies.ReadAtLeastAsync(buffer, message.Length).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal($"message-{i};", Encoding.UTF8.GetString(buffer, 0, read));
        }

        body.Complete();
        Assert.Equal(0, await replies.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
    }

    /// <summary>A request body written message by message while the response is read.</summary>
    internal sealed class StreamingContent : HttpContent
    {
        private readonly Channel<byte[]> _messages = Channel.CreateUnbounded<byte[]>();

        public ValueTask WriteAsync(byte[] message) => _messages.Writer.WriteAsync(message);

        public void Complete() => _messages.Writer.Complete();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await foreach (var message in _messages.Reader.ReadAllAsync())
            {
                await stream.WriteAsync(message);
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
