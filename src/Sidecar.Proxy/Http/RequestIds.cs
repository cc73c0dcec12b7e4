using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Http;

/// <summary>Envoy's request id: <c>x-request-id</c> is kept when present, else a new UUID (v4) is set.</summary>
internal static class RequestIds
{
    public static void Ensure(HttpRequest request)
    {
        var headers = request.Headers;
        if (!headers.ContainsKey(ProxyHeaders.RequestId))
        {
            headers[ProxyHeaders.RequestId] = Guid.NewGuid().ToString();
        }
    }
}
