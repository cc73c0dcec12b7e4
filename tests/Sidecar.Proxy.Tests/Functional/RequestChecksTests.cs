using System.Net;
using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>
/// Requests Envoy's codec and connection manager treat differently from Kestrel: refused before routing (HTTP/1.0
/// without ISTIO_META_HTTP10, transfer codings other than chunked), or changed on the way (Expect).
/// </summary>
public sealed class RequestChecksTests
{
    [Fact]
    public async Task HTTP_1_0_is_refused_with_426_unless_ISTIO_META_HTTP10_allows_it()
    {
        // Envoy's accept_http_10 defaults to false; Istio turns it on with ISTIO_META_HTTP10=1.
        await using var backend = await TestBackend.StartAsync("reviews");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var strict = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));
        await using var lenient = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]), options: o => o with { AcceptHttp10 = true });

        var refused = await RawHttp.SendAsync(strict.Options.BindAddress, strict.Options.OutboundPort, "reviews:9080", "/old", version: "HTTP/1.0");
        var accepted = await RawHttp.SendAsync(lenient.Options.BindAddress, lenient.Options.OutboundPort, "reviews:9080", "/old", version: "HTTP/1.0");

        Assert.Equal(426, refused.StatusCode);
        Assert.Equal(200, accepted.StatusCode);
        Assert.Single(backend.Received);
    }

    [Fact]
    public async Task A_transfer_coding_other_than_chunked_is_refused_with_501()
    {
        // Forwarded, the body would reach the upstream without its gzip coding: Envoy's codec answers 501.
        await using var backend = await TestBackend.StartAsync("reviews");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        var gzip = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/upload", "POST",
            extraHead: "Transfer-Encoding: gzip, chunked\r\n", body: "5\r\nhello\r\n0\r\n\r\n");
        var chunked = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/upload", "POST",
            extraHead: "Transfer-Encoding: chunked\r\n", body: "5\r\nhello\r\n0\r\n\r\n");

        Assert.Equal(501, gzip.StatusCode);
        Assert.Equal(200, chunked.StatusCode);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(Assert.Single(backend.Received).Body));
    }

    [Fact]
    public async Task A_request_with_both_Content_Length_and_chunked_framing_is_refused_with_400_and_the_connection_closed()
    {
        // Envoy's http1 codec: http1.content_length_and_chunked_not_allowed (Istio does not set allow_chunked_length).
        // Kestrel would let chunking win and pass the length on as X-Content-Length: the ambiguity request smuggling
        // relies on reaches the upstream.
        await using var backend = await TestBackend.StartAsync("reviews");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        var both = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/upload", "POST",
            extraHead: "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", body: "5\r\nhello\r\n0\r\n\r\n");

        Assert.Equal(400, both.StatusCode);
        Assert.Contains("Connection: close", both.HeadersAndBody, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(backend.Received);
    }

    [Fact]
    public async Task Expect_100_continue_goes_upstream()
    {
        // Istio's ENABLE_100_CONTINUE_HEADERS (on by default) sets proxy_100_continue: Expect reaches the upstream,
        // whose 100 lets the body through.
        await using var backend = await TestBackend.StartAsync("reviews", (context, _) => context.Request.Body.CopyToAsync(context.Response.Body), bufferBody: false);
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend)) with { HttpProtocol = UpstreamHttpProtocol.Http1 };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", "/upload", HttpMethod.Post, r =>
        {
            r.Headers.ExpectContinue = true;
            r.Content = new StringContent("payload");
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("payload", await response.Content.ReadAsStringAsync());
        Assert.Equal("100-continue", Assert.Single(backend.Received).Headers["expect"]);
    }

    [Fact]
    public async Task An_upgrade_other_than_websocket_is_refused_with_403_and_h2c_goes_on_as_http_1_1()
    {
        // Istio's connection managers configure the websocket upgrade only: Envoy refuses another (upgrade_failed);
        // an HTTP/1.1 h2c upgrade is not performed, its headers are dropped and the request goes on.
        await using var backend = await TestBackend.StartAsync("reviews");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        var foo = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/chat",
            extraHead: "Upgrade: foo/2\r\nConnection: upgrade\r\n");
        var h2c = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/plain",
            extraHead: "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n");

        Assert.Equal(403, foo.StatusCode);
        Assert.Equal(200, h2c.StatusCode);
        var received = Assert.Single(backend.Received);
        Assert.Equal("/plain", received.Path);
        Assert.False(received.Headers.ContainsKey("upgrade") || received.Headers.ContainsKey("http2-settings"));
    }
}
