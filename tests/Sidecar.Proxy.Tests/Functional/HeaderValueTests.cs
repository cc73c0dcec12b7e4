using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>
/// Header values as Envoy's codecs take them (<c>HeaderUtility::headerValueIsValid</c>, obs-text allowed): any byte
/// from 0x80 up passes each way unchanged, a control character other than tab is a protocol error.
/// </summary>
public sealed class HeaderValueTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    [Fact]
    public async Task Obs_text_in_header_values_passes_byte_for_byte_both_ways()
    {
        // A Latin-1 byte (not UTF-8) and a UTF-8 sequence: Kestrel's default refuses the first with 400 and HttpClient
        // refuses to send either; Envoy forwards both as they are. HttpClient would read a UTF-8 Location as UTF-8.
        await using var upstream = RawUpstream.Start("HTTP/1.1 200 OK\r\nX-Latin: caf\u00e9\r\nX-Utf8: caf\u00c3\u00a9\r\nLocation: /caf\u00c3\u00a9\r\nContent-Length: 2\r\n\r\nok");
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = upstream.Address, Port = upstream.Port });
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        var response = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/",
            extraHead: "X-Latin: caf\u00e9\r\nX-Utf8: caf\u00c3\u00a9\r\n");

        Assert.Equal(200, response.StatusCode);
        Assert.Contains("X-Latin: caf\u00e9\r\n", response.HeadersAndBody, StringComparison.Ordinal);
        Assert.Contains("X-Utf8: caf\u00c3\u00a9\r\n", response.HeadersAndBody, StringComparison.Ordinal);
        Assert.Contains("Location: /caf\u00c3\u00a9\r\n", response.HeadersAndBody, StringComparison.Ordinal);
        var head = Assert.Single(upstream.Heads);
        Assert.Contains("X-Latin: caf\u00e9\r\n", head, StringComparison.Ordinal);
        Assert.Contains("X-Utf8: caf\u00c3\u00a9\r\n", head, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('\u0001')]
    [InlineData('\u000b')]
    [InlineData('\u001f')]
    [InlineData('\u007f')]
    public async Task A_control_character_in_a_request_header_value_is_refused_with_400_and_the_connection_closed(char control)
    {
        // Envoy's HTTP/1 codec: http1.invalid_characters (Kestrel itself refuses only NUL). A tab is field whitespace.
        await using var upstream = RawUpstream.Start(Ok);
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = upstream.Address, Port = upstream.Port });
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        var refused = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/", extraHead: $"X-Note: a{control}b\r\n");
        var tab = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/", extraHead: "X-Note: a\tb\r\n");

        Assert.Equal(400, refused.StatusCode);
        Assert.Contains("Connection: close", refused.HeadersAndBody, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(200, tab.StatusCode);
        Assert.Contains("X-Note: a\tb", Assert.Single(upstream.Heads), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_HTTP2_a_control_character_in_a_request_header_value_resets_the_stream_with_PROTOCOL_ERROR()
    {
        // RFC 9113 8.2.1: a malformed request is a stream error of type PROTOCOL_ERROR; nothing reaches the upstream.
        await using var upstream = RawUpstream.Start(Ok);
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = upstream.Address, Port = upstream.Port });
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, proxy.Client.BaseAddress)
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "reviews:9080";
        request.Headers.TryAddWithoutValidation("x-note", "a\u0001b");

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(request));

        Assert.Equal(0x1, Assert.IsType<HttpProtocolException>(failure.InnerException).ErrorCode);
        Assert.Empty(upstream.Heads);
    }

    [Fact]
    public async Task A_control_character_in_a_response_header_value_is_502_UPE()
    {
        // The upstream's response is a protocol error to Envoy's codec (reset reason "protocol error"); Kestrel's
        // refusal to write it used to end as a connection termination (503 UC).
        await using var upstream = RawUpstream.Start("HTTP/1.1 200 OK\r\nX-Note: a\u0001b\r\nContent-Length: 2\r\n\r\nok");
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = upstream.Address, Port = upstream.Port });
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [RouteTo(cluster.Name)], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080");

        Assert.Equal(System.Net.HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("UPE", response.Headers.GetValues("x-envoy-response-flags").Single());
        Assert.Equal("upstream connect error or disconnect/reset before headers. reset reason: protocol error", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Text_from_the_config_is_matched_and_written_as_its_UTF8_bytes()
    {
        // A VirtualService's headers match and headers.request.set are UTF-8 strings in Envoy's protos: "José"
        // matches the bytes J o s C3 A9, and "héllo" is sent as h C3 A9 l l o.
        await using var upstream = RawUpstream.Start(Ok);
        var cluster = Cluster("reviews", 9080, null, new EndpointConfig { Address = upstream.Address, Port = upstream.Port });
        var match = new RouteMatchConfig { Headers = [new HeaderMatcherConfig { Name = "x-user", Match = new StringMatcherConfig(StringMatchKind.Exact, "Jos\u00e9") }] };
        var route = RouteTo(cluster.Name, match) with
        {
            RequestHeaders = new HeaderMutationConfig { Set = [new HeaderValueConfig("x-greeting", "h\u00e9llo")] },
            ResponseHeaders = new HeaderMutationConfig { Set = [new HeaderValueConfig("x-reply", "\u00e0 bient\u00f4t")] },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [cluster]));

        var matched = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/", extraHead: "X-User: Jos\u00c3\u00a9\r\n");
        var latin = await RawHttp.SendAsync(proxy.Options.BindAddress, proxy.Options.OutboundPort, "reviews:9080", "/", extraHead: "X-User: Jos\u00e9\r\n");

        Assert.Equal(200, matched.StatusCode);
        Assert.Contains("x-reply: \u00c3\u00a0 bient\u00c3\u00b4t\r\n", matched.HeadersAndBody, StringComparison.Ordinal);
        Assert.Contains("x-greeting: h\u00c3\u00a9llo\r\n", Assert.Single(upstream.Heads), StringComparison.Ordinal);
        Assert.Equal(404, latin.StatusCode);
    }

    [Fact]
    public async Task Header_values_naming_Envoys_operators_are_formatted_per_request()
    {
        // Istio hands VirtualService headers to Envoy's headers_to_add, which formats %OPERATORS%: a value that comes
        // out empty adds nothing, %% is a literal %, and the upstream is known only to the response's headers.
        await using var backend = await TestBackend.StartAsync("reviews");
        var cluster = Cluster("reviews", 9080, null, Endpoint(backend));
        var route = RouteTo(cluster.Name) with
        {
            RequestHeaders = new HeaderMutationConfig
            {
                Set =
                [
                    new HeaderValueConfig("x-client", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"),
                    new HeaderValueConfig("x-user", "user=%REQ(end-user)%"),
                    new HeaderValueConfig("x-absent", "%REQ(x-not-sent)%"),
                    new HeaderValueConfig("x-rate", "100%%"),
                    new HeaderValueConfig("x-upstream", "[%UPSTREAM_HOST%]"),
                    new HeaderValueConfig("x-greeting", "h\u00e9llo %REQ(end-user)%"),
                ],
            },
            ResponseHeaders = new HeaderMutationConfig
            {
                Set = [new HeaderValueConfig("x-served-by", "%UPSTREAM_HOST% %RESPONSE_CODE% %UPSTREAM_CLUSTER%")],
            },
        };
        await using var proxy = await ProxyTestHost.StartAsync(Snapshot(9080, "reviews", [route], [cluster]));

        using var response = await proxy.SendAsync("reviews:9080", configure: r => r.Headers.Add("end-user", "jason"));

        var headers = Assert.Single(backend.Received).Headers;
        Assert.Equal("127.0.0.1", headers["x-client"]);
        Assert.Equal("user=jason", headers["x-user"]);
        Assert.False(headers.ContainsKey("x-absent"));
        Assert.Equal("100%", headers["x-rate"]);
        Assert.Equal("[]", headers["x-upstream"]);
        Assert.Equal("h\u00e9llo jason", headers["x-greeting"]); // the literal's UTF-8 bytes, as the backend's Kestrel reads them
        Assert.Equal($"{backend.Address}:{backend.Port} 200 {cluster.Name}", response.Headers.GetValues("x-served-by").Single());
    }
}
