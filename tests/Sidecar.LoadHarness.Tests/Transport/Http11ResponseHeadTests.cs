using System.Text;
using Sidecar.LoadHarness.Transport;

namespace Sidecar.LoadHarness.Tests.Transport;

public sealed class Http11ResponseHeadTests
{
    private static Http11ResponseHead Parse(string head) => Http11ResponseHead.Parse(Encoding.ASCII.GetBytes(head));

    [Fact]
    public void Reads_status_and_content_length()
    {
        var head = Parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 1024");

        Assert.Equal(new Http11ResponseHead(200, 1024, Chunked: false, Close: false), head);
    }

    [Fact]
    public void Chunked_wins_over_content_length()
    {
        // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length.
        var head = Parse("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nTransfer-Encoding: gzip, Chunked");

        Assert.Equal(503, head.Status);
        Assert.True(head.Chunked);
        Assert.Equal(-1, head.ContentLength);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close", true)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close", true)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive", false)]
    [InlineData("HTTP/1.0 200 OK", true)]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: keep-alive", false)]
    public void Knows_when_the_server_will_close(string text, bool close)
    {
        Assert.Equal(close, Parse(text).Close);
    }

    [Theory]
    [InlineData("HTTP/2 200")]
    [InlineData("HTTP/1.1 2x0 OK")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -3")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 12abc")]
    public void Malformed_heads_are_protocol_errors(string text)
    {
        var error = Assert.Throws<HttpRequestException>(() => Parse(text));
        Assert.Equal(HttpRequestError.InvalidResponse, error.HttpRequestError);
    }
}
