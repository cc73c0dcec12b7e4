using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Http;

/// <summary>Envoy's redirect action: builds <c>Location</c> from the request and the route's overrides.</summary>
internal static class RedirectReply
{
    public static Task WriteAsync(HttpContext context, RequestState state, Route route, RedirectConfig redirect)
    {
        var request = context.Request;
        var scheme = redirect.Scheme ?? request.Scheme;
        var host = redirect.Host ?? request.Host.Host;
        int? port = redirect.Port;
        if (port is null && (redirect.PortFromRequest || redirect.Host is null || !redirect.Host.Contains(':')))
        {
            // Envoy swaps only the parts the route names: the request's port stays unless port_redirect is set.
            port = request.Host.Port;
        }

        if (redirect.Host is { } h && h.Contains(':'))
        {
            // An authority with a port carries its own.
            port = null;
        }

        var path = request.Path.Value ?? "/";
        if (redirect.PathRedirect is { } full)
        {
            path = full;
        }
        else if (redirect.PrefixRewrite is { } prefix)
        {
            path = route.Path.Kind is PathMatchKind.Prefix or PathMatchKind.PathSeparatedPrefix
                ? string.Concat(prefix, path.AsSpan(Math.Min(route.Path.Value.Length, path.Length)))
                : prefix;
        }

        var query = redirect.StripQuery || path.Contains('?') ? "" : request.QueryString.Value;
        var location = port is { } p && !IsDefaultPort(scheme, p)
            ? $"{scheme}://{host}:{p}{path}{query}"
            : $"{scheme}://{host}{path}{query}";

        var response = context.Response;
        response.StatusCode = redirect.ResponseCode;
        response.Headers.Location = location;
        response.Headers[ProxyHeaders.Server] = state.Direction == RequestDirection.Inbound ? ProxyHeaders.InboundServerName : ProxyHeaders.OutboundServerName;
        state.ApplyCorsHeaders(response.Headers);
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static bool IsDefaultPort(string scheme, int port) =>
        (port == 80 && scheme == "http") || (port == 443 && scheme == "https");
}
