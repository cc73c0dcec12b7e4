using System.Net;

namespace Sidecar.Bookinfo.Hosting;

/// <summary>Parses <c>--listen</c> (<c>http://127.0.0.1:9080</c>, <c>http://[::]:9080</c>, <c>http://localhost:0</c>).</summary>
internal static class ListenAddress
{
    public static bool TryParse(string value, out IPEndPoint endPoint, out string error)
    {
        ArgumentNullException.ThrowIfNull(value);
        endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            error = $"'{value}' is not an http:// address (TLS is the sidecar's business, not the sample's)";
            return false;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            error = $"'{value}' must not have a path or query";
            return false;
        }

        IPAddress address;
        if (uri.IsLoopback && uri.HostNameType == UriHostNameType.Dns)
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(uri.DnsSafeHost, out address!))
        {
            error = $"'{value}' must name an IP address (or localhost)";
            return false;
        }

        // Uri reports 80 when no port is written: insist on one rather than guess.
        if (uri.IsDefaultPort && !value.TrimEnd('/').EndsWith(":80", StringComparison.Ordinal))
        {
            error = $"'{value}' must include a port (bookinfo services use 9080; 0 picks a free one)";
            return false;
        }

        endPoint = new IPEndPoint(address, uri.Port);
        error = string.Empty;
        return true;
    }
}
