using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Tests.Routing;

/// <summary>
/// Which routes the router forwards without running policies around the upstream call (Envoy's fault, CORS, direct
/// response, redirect and request_mirror_policies all act before or after it).
/// </summary>
public sealed class RouteTests
{
    private static readonly RouteActionConfig Forward = new()
    {
        Clusters = [new WeightedClusterConfig { Cluster = "outbound|9080||reviews.default.svc.cluster.local" }],
    };

    public static TheoryData<string, RouteConfig, bool> Routes => new()
    {
        { "forward with a timeout", new RouteConfig { Route = Forward with { Timeout = TimeSpan.FromSeconds(10) } }, true },
        { "fault delay", new RouteConfig { Route = Forward, Fault = new FaultConfig { Delay = new DelayFaultConfig(TimeSpan.FromSeconds(1), Percentage.Full) } }, false },
        { "fault abort", new RouteConfig { Route = Forward, Fault = new FaultConfig { Abort = new AbortFaultConfig(503, null, Percentage.Full) } }, false },
        { "empty fault", new RouteConfig { Route = Forward, Fault = new FaultConfig() }, true },
        { "cors", new RouteConfig { Route = Forward, Cors = new CorsPolicyConfig() }, false },
        { "mirror", new RouteConfig { Route = Forward with { Mirrors = [new MirrorPolicyConfig("outbound|9080||mirror.default.svc.cluster.local", Percentage.Full)] } }, false },
        { "redirect", new RouteConfig { Redirect = new RedirectConfig { Host = "example.com" } }, false },
        { "direct response", new RouteConfig { DirectResponse = new DirectResponseConfig(200, "ok") }, false },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public void Only_a_route_without_policies_around_the_forward_is_forward_only(string name, RouteConfig config, bool forwardOnly) =>
        Assert.True(new Route(config, _ => null).ForwardOnly == forwardOnly, name);
}
