using System.Net;
using Sidecar.Bookinfo.Hosting;

namespace Sidecar.Bookinfo.Tests.Hosting;

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("http://127.0.0.1:9080", "127.0.0.1", 9080)]
    [InlineData("http://0.0.0.0:9080/", "0.0.0.0", 9080)]
    [InlineData("http://[::]:9080", "::", 9080)]
    [InlineData("http://localhost:0", "127.0.0.1", 0)]
    [InlineData("http://127.0.0.1:80", "127.0.0.1", 80)]
    public void Parses_http_addresses(string text, string address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var endPoint, out _));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
    }

    [Theory]
    [InlineData("https://127.0.0.1:9080")]
    [InlineData("127.0.0.1:9080")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://example.com:9080")]
    [InlineData("http://127.0.0.1:9080/path")]
    public void Rejects_what_kestrel_cannot_bind_as_given(string text)
    {
        Assert.False(ListenAddress.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }
}
