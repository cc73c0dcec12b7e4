using Microsoft.AspNetCore.Http;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

public sealed class ArrivalHeadersTests
{
    [Fact]
    public void One_pass_finds_the_headers_the_proxy_acts_on_whatever_their_case()
    {
        var arrival = ArrivalHeaders.Read(new HeaderDictionary
        {
            ["Host"] = "reviews:9080",
            ["X-Request-ID"] = "abc",
            ["X-Forwarded-Proto"] = "https",
            ["X-Envoy-Attempt-Count"] = "3",
            ["X-Forwarded-Client-Cert"] = "By=spiffe://x",
            ["X-Envoy-Retry-On"] = "5xx",
        });

        Assert.Equal("abc", arrival.RequestId.ToString());
        Assert.True(arrival.ForwardedProto);
        Assert.True(arrival.AttemptCount);
        Assert.True(arrival.ForwardedClientCert);
        Assert.True(arrival.EnvoyOverrides);
    }

    [Theory]
    [InlineData(EnvoyRequestHeaders.Timeout)]
    [InlineData(EnvoyRequestHeaders.PerTryTimeout)]
    [InlineData(EnvoyRequestHeaders.RetryOnHeader)]
    [InlineData(EnvoyRequestHeaders.RetryGrpcOn)]
    [InlineData(EnvoyRequestHeaders.MaxRetries)]
    public void Each_router_override_header_is_noticed(string name) =>
        Assert.True(ArrivalHeaders.Read(new HeaderDictionary { [name] = "1" }).EnvoyOverrides);

    [Fact]
    public void Other_envoy_headers_are_not_overrides()
    {
        // Peer metadata and Envoy's other x-envoy-* headers do not change the route's policy.
        var arrival = ArrivalHeaders.Read(new HeaderDictionary
        {
            ["x-envoy-peer-metadata"] = "Cg==",
            ["x-envoy-peer-metadata-id"] = "sidecar~10.0.0.1~a.default~default.svc.cluster.local",
            ["x-envoy-original-path"] = "/a",
        });

        Assert.False(arrival.EnvoyOverrides);
        Assert.False(arrival.AttemptCount);
        Assert.Equal(0, arrival.RequestId.Count);
    }

    [Fact]
    public void A_name_the_request_carries_is_never_ruled_out()
    {
        string[] names = ["Host", "Accept", "User-Agent", "end-user", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "traceparent", "cookie", "x-canary", "a", "content-type"];
        var headers = new HeaderDictionary();
        foreach (var name in names)
        {
            headers[name] = "v";
        }

        var arrival = ArrivalHeaders.Read(headers);

        Assert.All(names, name => Assert.True(arrival.MayContain(name), name));
        Assert.All(names, name => Assert.True(arrival.MayContain(name.ToUpperInvariant()), name));
        Assert.All(names, name => Assert.True(arrival.MayContain(name.ToLowerInvariant()), name));
    }

    [Fact]
    public void Most_absent_names_are_ruled_out_without_a_lookup()
    {
        var arrival = ArrivalHeaders.Read(new HeaderDictionary { ["Host"] = "reviews:9080", ["User-Agent"] = "curl" });
        string[] absent = ["end-user", "x-canary", "x-request-id", "cookie", "x-b3-traceid", "authorization", "x-user", "grpc-timeout"];

        Assert.True(absent.Count(name => !arrival.MayContain(name)) >= absent.Length - 2);
    }

    [Fact]
    public void Without_a_pass_or_for_a_name_that_is_not_ascii_every_name_may_be_present()
    {
        Assert.True(ArrivalHeaders.Unread.MayContain("end-user"));

        // OrdinalIgnoreCase folds U+017F to 's', as Kestrel's lookup would: such a name is never ruled out.
        var arrival = ArrivalHeaders.Read(new HeaderDictionary { ["s-id"] = "1" });
        Assert.True(arrival.MayContain("\u017F-id"));
    }

    [Fact]
    public void The_pass_notes_x_forwarded_for_and_internal_only_envoy_headers()
    {
        var arrival = ArrivalHeaders.Read(new HeaderDictionary { ["X-Forwarded-For"] = "10.1.2.3", ["x-envoy-force-trace"] = "true" });

        Assert.Equal("10.1.2.3", arrival.ForwardedFor.ToString());
        Assert.True(arrival.EnvoyInternalOnly);
        Assert.False(arrival.EnvoyOverrides); // force-trace changes no timeout or retry
    }
}
