using System.Net;
using Sidecar.Bookinfo.Hosting;

namespace Sidecar.Bookinfo.Tests.Hosting;

public sealed class BookinfoCommandLineTests
{
    [Fact]
    public void Every_flag_reaches_the_options()
    {
        var parse = BookinfoCommandLine.Create().Parse(
            ["--role", "reviews", "--version", "v3", "--listen", "http://0.0.0.0:9081", "--name", "reviews-east", "--upstream", "http://127.0.0.1:15001", "--h2c"]);

        Assert.Empty(parse.Errors);
        var options = BookinfoCommandLine.ToOptions(parse);
        Assert.Equal(WorkloadRole.Reviews, options.Role);
        Assert.Equal("v3", options.Version);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 9081), options.Listen);
        Assert.Equal("reviews-east-v3", options.Workload);
        Assert.Equal(new Uri("http://127.0.0.1:15001"), options.Upstream);
        Assert.True(options.Http2Only);
    }

    [Fact]
    public void Defaults_are_bookinfo_port_v1_and_direct_calls()
    {
        var parse = BookinfoCommandLine.Create().Parse(["--role", "ProductPage"]);

        var options = BookinfoCommandLine.ToOptions(parse);
        Assert.Equal(WorkloadRole.ProductPage, options.Role);
        Assert.Equal("productpage-v1", options.Workload);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9080), options.Listen);
        Assert.Null(options.Upstream);
        Assert.False(options.Http2Only);
    }

    [Theory]
    [InlineData("--role", "frontend")]
    [InlineData("--role", "echo", "--listen", "https://127.0.0.1:1")]
    [InlineData("--role", "echo", "--upstream", "ftp://x")]
    [InlineData("--role", "echo", "--payload-bytes", "-1")]
    [InlineData("--version", "v1")]
    public void Invalid_flags_are_parse_errors(params string[] args)
    {
        Assert.NotEmpty(BookinfoCommandLine.Create().Parse(args).Errors);
    }
}
