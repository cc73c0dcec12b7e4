using System.Text;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

/// <summary>Envoy's retry buffer rule: a body that fits is replayed; a larger one cannot be.</summary>
public sealed class ReplayableRequestBodyTests
{
    [Fact]
    public async Task Rewind_replays_what_was_read_then_continues_with_the_rest()
    {
        var body = new ReplayableRequestBody();
        body.Attach(new MemoryStream(Encoding.ASCII.GetBytes("hello world")), limit: 1024);
        var first = new byte[5];
        Assert.Equal(5, await body.ReadAsync(first));

        body.Rewind();
        using var all = new MemoryStream();
        await body.CopyToAsync(all);

        Assert.Equal("hello world", Encoding.ASCII.GetString(all.ToArray()));
        Assert.True(body.CanReplay);
        Assert.Equal("hello world", Encoding.ASCII.GetString(body.CompleteBody!.Value.Span));
        body.Detach();
    }

    [Fact]
    public async Task A_body_larger_than_the_limit_cannot_be_replayed()
    {
        var body = new ReplayableRequestBody();
        body.Attach(new MemoryStream(new byte[10_000]), limit: 4096);

        await body.CopyToAsync(Stream.Null);

        Assert.False(body.CanReplay);
        Assert.Null(body.CompleteBody);
        body.Detach();
    }
}
