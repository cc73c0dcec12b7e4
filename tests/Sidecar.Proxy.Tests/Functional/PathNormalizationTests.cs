using Sidecar.Model;
using Sidecar.Testing;
using static Sidecar.Proxy.Tests.Functional.TestConfigs;

namespace Sidecar.Proxy.Tests.Functional;

/// <summary>
/// meshConfig.pathNormalization through the proxy: routes match, and the upstream receives, the path as Envoy
/// normalizes it (Istio's "Authorization Policy Normalization" table), not as Kestrel decodes it. Requests are written
/// raw: HttpClient would canonicalize the targets before they left.
/// </summary>
public sealed class PathNormalizationTests
{
    [Fact]
    public async Task BASE_keeps_reserved_characters_encoded_so_a_route_written_encoded_matches()
    {
        await using var setup = await StartAsync(PathNormalization.Base, new PathMatchConfig(PathMatchKind.Exact, "/files/a%20b"));

        var response = await setup.SendAsync("/files/a%20b?x=%20");

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("/files/a%20b?x=%20", Assert.Single(setup.Backend.Received).RawTarget);
    }

    [Fact]
    public async Task BASE_decodes_unreserved_characters_once_and_forwards_the_decoded_path()
    {
        await using var setup = await StartAsync(PathNormalization.Base, new PathMatchConfig(PathMatchKind.Exact, "/files/abc-_.~"));

        // %25 is '%', reserved: kept encoded, so %2561 is not decoded a second time.
        var decoded = await setup.SendAsync("/files/%61%62%63%2d%5F%2e%7e");
        var notTwice = await setup.SendAsync("/files/%2561bc-_.~");

        Assert.Equal(200, decoded.StatusCode);
        Assert.Equal("/files/abc-_.~", Assert.Single(setup.Backend.Received).RawTarget);
        Assert.Equal(404, notTwice.StatusCode);
    }

    [Fact]
    public async Task BASE_makes_a_backslash_a_slash_and_resolves_encoded_dot_segments()
    {
        await using var setup = await StartAsync(PathNormalization.Base, new PathMatchConfig(PathMatchKind.Exact, "/public/data/xyz"));

        var backslash = await setup.SendAsync("/public\\data\\xyz");
        var dots = await setup.SendAsync("/public/./data/abc/%2e%2E/xyz");

        Assert.Equal(200, backslash.StatusCode);
        Assert.Equal(200, dots.StatusCode);
        Assert.All(setup.Backend.Received, r => Assert.Equal("/public/data/xyz", r.RawTarget));
    }

    [Fact]
    public async Task BASE_keeps_an_encoded_slash_and_its_hex_case_and_does_not_merge_slashes()
    {
        await using var setup = await StartAsync(PathNormalization.Base, new PathMatchConfig(PathMatchKind.Prefix, "/some"));

        var encodedSlash = await setup.SendAsync("/some%2fdata");
        var doubled = await setup.SendAsync("/some//data");

        Assert.Equal(200, encodedSlash.StatusCode);
        Assert.Equal(200, doubled.StatusCode);
        Assert.Equal(["/some%2fdata", "/some//data"], setup.Backend.Received.Select(r => r.RawTarget));
    }

    [Theory]
    // MERGE_SLASHES merges runs of slashes.
    [InlineData(PathNormalization.MergeSlashes, PathMatchKind.Exact, "/some/data/abc", "/some//data///abc", "/some/data/abc")]
    // DECODE_AND_MERGE_SLASHES decodes encoded slashes and backslashes, then merges (Istio's example: /a%2f/b%5c/c is /a/b/c).
    [InlineData(PathNormalization.DecodeAndMergeSlashes, PathMatchKind.Exact, "/a/b/c", "/a%2f/b%5c/c", "/a/b/c")]
    // NONE routes and forwards the path as sent.
    [InlineData(PathNormalization.None, PathMatchKind.Prefix, "/api/", "/api/../admin%2e", "/api/../admin%2e")]
    public async Task Each_mode_routes_on_and_forwards_its_normalized_path(PathNormalization mode, PathMatchKind kind, string routePath, string sent, string forwarded)
    {
        await using var setup = await StartAsync(mode, new PathMatchConfig(kind, routePath));

        var response = await setup.SendAsync(sent);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(forwarded, Assert.Single(setup.Backend.Received).RawTarget);
    }

    [Fact]
    public async Task An_encoded_NUL_and_a_fragment_are_refused_with_400_before_routing()
    {
        await using var setup = await StartAsync(PathNormalization.Base, PathMatchConfig.Any);

        var response = await setup.SendAsync("/files/a%00b");
        var fragment = await setup.SendAsync("/files/a#b");

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(400, fragment.StatusCode);
        Assert.Empty(setup.Backend.Received);
    }

    [Fact]
    public async Task An_absolute_form_target_is_normalized_like_an_origin_form_one()
    {
        await using var setup = await StartAsync(PathNormalization.Base, new PathMatchConfig(PathMatchKind.Exact, "/files/a%20b"));

        var response = await setup.SendAsync("http://files:9080/files/%61%20b?q=1");

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("/files/a%20b?q=1", Assert.Single(setup.Backend.Received).RawTarget);
    }

    private static async Task<Setup> StartAsync(PathNormalization mode, PathMatchConfig path)
    {
        var backend = await TestBackend.StartAsync("files");
        var cluster = Cluster("files", 9080, null, Endpoint(backend));
        var config = Snapshot(9080, "files", [RouteTo(cluster.Name, new RouteMatchConfig { Path = path })], [cluster]) with
        {
            Mesh = new MeshConfig { PathNormalization = mode },
        };
        return new Setup(backend, await ProxyTestHost.StartAsync(config));
    }

    private sealed record Setup(TestBackend Backend, ProxyTestHost Proxy) : IAsyncDisposable
    {
        public Task<RawHttpResponse> SendAsync(string target) =>
            RawHttp.SendAsync(Proxy.Options.BindAddress, Proxy.Options.OutboundPort, "files:9080", target);

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }
}
