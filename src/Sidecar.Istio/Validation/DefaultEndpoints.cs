namespace Sidecar.Istio.Validation;

/// <summary>Splits a Sidecar ingress <c>defaultEndpoint</c> (<c>127.0.0.1:8080</c>, <c>[::1]:8080</c>, <c>:8080</c>) as Go's <c>net.SplitHostPort</c>.</summary>
internal static class DefaultEndpoints
{
    public static bool TrySplit(string endpoint, out string host, out string port)
    {
        host = "";
        port = "";
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = endpoint[1..close];
            port = endpoint[(close + 2)..];
            return true;
        }

        var colon = endpoint.LastIndexOf(':');
        if (colon < 0 || endpoint.IndexOf(':', StringComparison.Ordinal) != colon)
        {
            return false;
        }

        host = endpoint[..colon];
        port = endpoint[(colon + 1)..];
        return true;
    }
}
