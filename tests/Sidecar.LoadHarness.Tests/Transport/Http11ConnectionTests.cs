using Sidecar.LoadHarness.Running;
using Sidecar.LoadHarness.Scenarios;
using Sidecar.LoadHarness.Tests.Infrastructure;
using Sidecar.LoadHarness.Transport;
using static Sidecar.LoadHarness.Tests.Infrastructure.RawHttpServer;

namespace Sidecar.LoadHarness.Tests.Transport;

public sealed class Http11ConnectionTests
{
    private static Http11Connection Connect(RawHttpServer server, LoadScenario? scenario = null)
    {
        var template = new RequestTemplate(scenario ?? new LoadScenario { Url = server.BaseUri });
        return new Http11Connection(template.Uri, template.EncodeHttp11(), isHead: scenario?.Method == HttpMethod.Head);
    }

    [Fact]
    public async Task Sends_the_encoded_request_and_reads_a_content_length_body()
    {
        await using var server = new RawHttpServer(_ => Ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"));
        var scenario = new LoadScenario
        {
            Url = new Uri(server.BaseUri, "/echo?a=1"),
            Method = HttpMethod.Post,
            PayloadBytes = 1024,
            Headers = [new("Host", "reviews:9080"), new("end-user", "jason")],
        };
        using var connection = Connect(server, scenario);

        var first = await connection.SendAsync(CancellationToken.None);
        var second = await connection.SendAsync(CancellationToken.None);

        Assert.Equal(new ResponseSummary(200, 10), first);
        Assert.Equal(new ResponseSummary(200, 10), second);
        Assert.Equal(1, server.Connections); // kept alive
        Assert.True(server.Requests.TryDequeue(out var request));
        Assert.Equal(
            "POST /echo?a=1 HTTP/1.1\r\nHost: reviews:9080\r\nend-user: jason\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024",
            request.Head);
        Assert.Equal(1024, request.BodyBytes);
    }

    [Fact]
    public async Task Reads_a_chunked_body_with_extensions_and_trailers()
    {
        await using var server = new RawHttpServer(_ => Ascii(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;name=value\r\nWiki\r\n" + "B\r\npedia in 11\r\n" + "0\r\nx-trailer: 1\r\n\r\n"));
        using var connection = Connect(server);

        var first = await connection.SendAsync(CancellationToken.None);
        var second = await connection.SendAsync(CancellationToken.None);

        Assert.Equal(new ResponseSummary(200, 15), first);
        Assert.Equal(new ResponseSummary(200, 15), second);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_body_larger_than_the_buffer_is_counted_to_the_end()
    {
        var body = new string('x', 300_000);
        await using var server = new RawHttpServer(_ => Ascii($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
        using var connection = Connect(server);

        Assert.Equal(new ResponseSummary(200, 300_000), await connection.SendAsync(CancellationToken.None));
        Assert.Equal(new ResponseSummary(200, 300_000), await connection.SendAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Interim_responses_are_skipped()
    {
        await using var server = new RawHttpServer(_ => Ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"));
        using var connection = Connect(server);

        Assert.Equal(new ResponseSummary(201, 2), await connection.SendAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Connection_close_opens_a_new_connection_for_the_next_request()
    {
        await using var server = new RawHttpServer(
            _ => Ascii("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            closeAfter: _ => true);
        using var connection = Connect(server);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(new ResponseSummary(503, 0), await connection.SendAsync(CancellationToken.None));
        }

        Assert.Equal(3, server.Connections);
    }

    [Fact]
    public async Task A_body_delimited_by_close_is_read_until_the_server_closes()
    {
        await using var server = new RawHttpServer(_ => Ascii("HTTP/1.1 200 OK\r\n\r\nuntil the end"), closeAfter: _ => true);
        using var connection = Connect(server);

        Assert.Equal(new ResponseSummary(200, 13), await connection.SendAsync(CancellationToken.None));
        Assert.Equal(new ResponseSummary(200, 13), await connection.SendAsync(CancellationToken.None));
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_head_response_has_no_body_whatever_its_length_says()
    {
        await using var server = new RawHttpServer(_ => Ascii("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n"));
        using var connection = Connect(server, new LoadScenario { Url = server.BaseUri, Method = HttpMethod.Head });

        Assert.Equal(new ResponseSummary(200, 0), await connection.SendAsync(CancellationToken.None));
        Assert.Equal(new ResponseSummary(200, 0), await connection.SendAsync(CancellationToken.None));
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_response_cut_short_is_response_ended_and_the_next_request_reconnects()
    {
        await using var server = new RawHttpServer(
            index => Ascii(index == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort" : "HTTP/1.1 204 No Content\r\n\r\n"),
            closeAfter: index => index == 0);
        using var connection = Connect(server);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.SendAsync(CancellationToken.None).AsTask());
        var next = await connection.SendAsync(CancellationToken.None);

        Assert.Equal(HttpRequestError.ResponseEnded, error.HttpRequestError);
        Assert.Equal(new ResponseSummary(204, 0), next);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_malformed_chunk_is_a_protocol_error()
    {
        await using var server = new RawHttpServer(_ => Ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        using var connection = Connect(server);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.SendAsync(CancellationToken.None).AsTask());

        Assert.Equal(HttpRequestError.InvalidResponse, error.HttpRequestError);
    }

    [Fact]
    public async Task A_refused_connection_is_a_connection_error()
    {
        Uri target;
        await using (var server = new RawHttpServer(_ => []))
        {
            target = server.BaseUri;
        }

        var template = new RequestTemplate(new LoadScenario { Url = target });
        using var connection = new Http11Connection(template.Uri, template.EncodeHttp11(), isHead: false);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.SendAsync(CancellationToken.None).AsTask());

        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
    }

    [Fact]
    public void A_header_with_a_line_break_is_refused()
    {
        var template = new RequestTemplate(new LoadScenario
        {
            Url = new Uri("http://127.0.0.1:1/"),
            Headers = [new("x-evil", "a\r\nGET /other HTTP/1.1")],
        });

        Assert.Throws<ArgumentException>(() => template.EncodeHttp11());
    }
}
