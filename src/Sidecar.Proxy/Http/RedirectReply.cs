using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Routing;

namespace Sidecar.Proxy.Http;

/// <summary>Envoy's redirect action: builds <c>Location</c> from the request and the route's overrides.</summary>
internal static class RedirectReply
{
    public static Task WriteAsync(HttpContext context, RequestState state, Route route, RedirectConfig redirect)
    {
        // Envoy's RouteEntryImplBase::newUri: the route's scheme, host and port replace the request's; a host_redirect
        // replaces the whole authority (no port is kept from the request), and the request's own authority loses its
        // port when a port_redirect is set or when the scheme changes away from that port's default.
        var request = context.Request;
        var scheme = redirect.Scheme ?? request.Scheme;
        var port = redirect.Port;
        var host = redirect.Host ?? RequestHost(RequestView.AuthorityOf(request), scheme, port is not null, ForwardedProto(request));

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
        var location = port is { } p
            ? $"{scheme}://{host}:{p}{path}{query}"
            : $"{scheme}://{host}{path}{query}";

        var response = context.Response;
        response.StatusCode = redirect.ResponseCode;
        response.Headers.Location = location;
        state.WriteServerHeader(response.Headers);
        state.ApplyCorsHeaders(response.Headers);
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Envoy's <c>processRequestHost</c>: the request's authority, without its port when the redirect sets one, or when
    /// the scheme changes and the port is the default of the request's protocol (<c>x-forwarded-proto</c>).
    /// </summary>
    private static string RequestHost(string authority, string newScheme, bool newPort, string requestProtocol)
    {
        var colon = AuthorityPort.SeparatorOf(authority);
        if (colon < 0)
        {
            return authority;
        }

        var requestPort = authority.AsSpan(colon);
        var removePort = newPort || (newScheme != requestProtocol
            && ((requestProtocol == "https" && requestPort is ":443") || (requestProtocol == "http" && requestPort is ":80")));
        return removePort ? authority[..colon] : authority;
    }

    private static string ForwardedProto(HttpRequest request) =>
        request.Headers.TryGetValue(ProxyHeaders.ForwardedProto, out var proto) && proto.Count > 0 ? proto[0]! : request.Scheme;
}
