using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Routing;

/// <summary>A compiled virtual host: its routes in order.</summary>
internal sealed class VirtualHost
{
    private readonly Route[] _routes;

    public VirtualHost(VirtualHostConfig config, Func<string, ClusterState?> clusters)
    {
        Config = config;
        Name = config.Name;
        _routes = config.Routes.Select(r => new Route(r, clusters)).ToArray();
    }

    public VirtualHostConfig Config { get; }

    public string Name { get; }

    public IReadOnlyList<Route> Routes => _routes;

    /// <summary>The first route whose match holds, or null (Envoy: 404, flag NR).</summary>
    public Route? Match(in RequestView request)
    {
        foreach (var route in _routes)
        {
            if (route.IsMatch(request))
            {
                return route;
            }
        }

        return null;
    }
}
