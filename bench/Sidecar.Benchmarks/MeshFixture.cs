using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Model;
using Sidecar.Proxy;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Benchmarks;

/// <summary>
/// A realistic outbound config: a few hundred services on port 9080, each with Istio's domains, subsets v1-v3,
/// and a VirtualService-like route list (a header match, a prefix match, then a weighted default).
/// </summary>
internal static class MeshFixture
{
    public const int Services = 300;

    public static ProxyConfig Build()
    {
        var clusters = new List<ClusterConfig>();
        var hosts = new List<VirtualHostConfig>();
        for (var s = 0; s < Services; s++)
        {
            var name = $"svc{s}";
            var fqdn = $"{name}.default.svc.cluster.local";
            foreach (var subset in new[] { "v1", "v2", "v3" })
            {
                clusters.Add(new ClusterConfig
                {
                    Name = ClusterName.Outbound(9080, subset, fqdn),
                    Endpoints = [.. Enumerable.Range(1, 3).Select(i => new EndpointConfig { Address = $"10.{s % 250}.{i}.{s % 200 + 1}", Port = 9080, Labels = Labels.From(("version", subset)) })],
                });
            }

            string[] names = [fqdn, name, $"{name}.default", $"{name}.default.svc"];
            hosts.Add(new VirtualHostConfig
            {
                Name = $"{fqdn}:9080",
                Domains = [.. names, .. names.Select(n => n + ":9080")],
                Routes =
                [
                    new RouteConfig
                    {
                        Match = new RouteMatchConfig { Headers = [new HeaderMatcherConfig { Name = "end-user", Match = new StringMatcherConfig(StringMatchKind.Exact, "jason") }] },
                        Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = ClusterName.Outbound(9080, "v2", fqdn) }] },
                    },
                    new RouteConfig
                    {
                        Match = new RouteMatchConfig { Path = new PathMatchConfig(PathMatchKind.Prefix, "/api/v3/") },
                        Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = ClusterName.Outbound(9080, "v3", fqdn) }] },
                    },
                    new RouteConfig
                    {
                        Route = new RouteActionConfig
                        {
                            Clusters =
                            [
                                new WeightedClusterConfig { Cluster = ClusterName.Outbound(9080, "v1", fqdn), Weight = 90 },
                                new WeightedClusterConfig { Cluster = ClusterName.Outbound(9080, "v3", fqdn), Weight = 10 },
                            ],
                            Retry = new RetryPolicyConfig { NumRetries = 2, RetryOn = RetryOn.ConnectFailure | RetryOn.RefusedStream | RetryOn.GrpcUnavailable | RetryOn.RetriableStatusCodes },
                        },
                        Fault = new FaultConfig { Abort = new AbortFaultConfig(503, null, Percentage.FromPercent(0.1)) },
                        RequestHeaders = new HeaderMutationConfig { Set = [new HeaderValueConfig("x-mesh", "on")] },
                    },
                ],
            });
        }

        hosts.Add(new VirtualHostConfig
        {
            Name = "allow_any",
            Domains = ["*"],
            Routes = [new RouteConfig { Route = new RouteActionConfig { Clusters = [new WeightedClusterConfig { Cluster = ClusterName.Passthrough }] } }],
        });
        clusters.Add(new ClusterConfig { Name = ClusterName.Passthrough, Type = ClusterDiscoveryType.OriginalDst, LbPolicy = LoadBalancerPolicy.ClusterProvided });

        return new ProxyConfig
        {
            Version = "bench",
            Origin = new ConfigOrigin("bench", "memory", DateTimeOffset.UnixEpoch),
            RouteTables = [new RouteTableConfig { Name = "9080", VirtualHosts = [.. hosts] }],
            Clusters = [.. clusters],
        };
    }

    public static DataPlaneSnapshot Compile(ProxyConfig config)
    {
        var registry = new ClusterRegistry(TimeProvider.System, NullLogger<ClusterState>.Instance);
        return new DataPlaneSnapshot(config, registry.Reconcile(config.Clusters), new Sidecar.Proxy.Security.Jwt.JwksCache(TimeProvider.System), NullLogger.Instance);
    }

    public static HttpContext Request(string host, string path, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        context.Request.Path = path;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return context;
    }
}
