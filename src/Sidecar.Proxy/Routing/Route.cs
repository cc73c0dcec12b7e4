using System.Text;
using Sidecar.Model;
using Sidecar.Proxy.Upstream;

namespace Sidecar.Proxy.Routing;

/// <summary>A compiled route: its matchers, its action and its policies.</summary>
internal sealed class Route
{
    private readonly PathMatcher _path;
    private readonly HeaderMatcher[] _headers;
    private readonly QueryParameterMatcher[] _query;

    public Route(RouteConfig config, Func<string, ClusterState?> clusters)
    {
        Config = config;
        _path = new PathMatcher(config.Match.Path);
        _headers = config.Match.Headers.Select(h => new HeaderMatcher(h)).ToArray();
        _query = config.Match.QueryParameters.Select(q => new QueryParameterMatcher(q)).ToArray();
        Action = config.Route is { } action ? new RouteAction(action, clusters) : null;
        Fault = config.Fault is { } fault && (fault.Delay is not null || fault.Abort is not null) ? new FaultPolicy(fault) : null;
        Cors = config.Cors is { } cors ? new CorsPolicy(cors) : null;
        RequestHeaders = config.RequestHeaders.IsEmpty ? HeaderMutation.None : new HeaderMutation(config.RequestHeaders);
        ResponseHeaders = config.ResponseHeaders.IsEmpty ? HeaderMutation.None : new HeaderMutation(config.ResponseHeaders);
        DirectResponseBody = config.DirectResponse?.Body is { } body ? Encoding.UTF8.GetBytes(body) : null;
        ForwardOnly = Fault is null && Cors is null && config.DirectResponse is null && config.Redirect is null
            && Action is { Mirrors.Length: 0 };
    }

    public RouteConfig Config { get; }

    public PathMatcher Path => _path;

    public RouteAction? Action { get; }

    public FaultPolicy? Fault { get; }

    public CorsPolicy? Cors { get; }

    public HeaderMutation RequestHeaders { get; }

    public HeaderMutation ResponseHeaders { get; }

    public byte[]? DirectResponseBody { get; }

    /// <summary>
    /// The route only forwards: no fault, CORS, direct response, redirect or mirror, nothing the router must do before
    /// or after the upstream call (most routes). Decided once here so the router's fast path and its policy path cannot
    /// disagree about what counts as a policy.
    /// </summary>
    public bool ForwardOnly { get; }

    public bool IsMatch(in RequestView request)
    {
        if (!_path.IsMatch(request.Path))
        {
            return false;
        }

        foreach (var header in _headers)
        {
            if (!header.IsMatch(request))
            {
                return false;
            }
        }

        foreach (var query in _query)
        {
            if (!query.IsMatch(request))
            {
                return false;
            }
        }

        return true;
    }
}
