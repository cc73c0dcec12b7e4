namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's port protocols (<c>pkg/config/protocol</c>); <see cref="Unsupported"/> means auto-detect.</summary>
public enum PortProtocol
{
    /// <summary>Unknown or unset: Istio sniffs HTTP and otherwise treats the traffic as TCP.</summary>
    Unsupported,
    Http,
    HttpProxy,
    Http2,
    Grpc,
    GrpcWeb,
    Https,
    Tls,
    Tcp,
    Udp,
    Mongo,
    Redis,
    MySql,
}

/// <summary>Parsing and classification of <see cref="PortProtocol"/>, as Istio's <c>protocol.Parse</c> and friends.</summary>
public static class PortProtocols
{
    /// <summary>Case-insensitive, as Istio's <c>protocol.Parse</c>.</summary>
    public static PortProtocol Parse(string? value) => value?.ToLowerInvariant() switch
    {
        "http" => PortProtocol.Http,
        "http_proxy" => PortProtocol.HttpProxy,
        "http2" => PortProtocol.Http2,
        "grpc" => PortProtocol.Grpc,
        "grpc-web" => PortProtocol.GrpcWeb,
        "https" => PortProtocol.Https,
        "tls" => PortProtocol.Tls,
        "tcp" => PortProtocol.Tcp,
        "udp" => PortProtocol.Udp,
        "mongo" => PortProtocol.Mongo,
        "redis" => PortProtocol.Redis,
        "mysql" => PortProtocol.MySql,
        _ => PortProtocol.Unsupported,
    };

    /// <summary>
    /// The protocol of a port: its <c>protocol</c> field, else the port-name prefix convention Istio applies to
    /// Kubernetes Services (<c>http</c>, <c>http-web</c>, <c>grpc-api</c>, ...); else auto-detect.
    /// </summary>
    public static PortProtocol FromPort(string? protocol, string? name)
    {
        if (!string.IsNullOrEmpty(protocol))
        {
            return Parse(protocol);
        }

        if (string.IsNullOrEmpty(name))
        {
            return PortProtocol.Unsupported;
        }

        var lower = name.ToLowerInvariant();
        if (lower == "grpc-web" || lower.StartsWith("grpc-web-", StringComparison.Ordinal))
        {
            return PortProtocol.GrpcWeb;
        }

        var dash = lower.IndexOf('-', StringComparison.Ordinal);
        return Parse(dash < 0 ? lower : lower[..dash]);
    }

    /// <summary>HTTP of any version (Istio's <c>IsHTTP</c>).</summary>
    public static bool IsHttp(this PortProtocol p) => p is PortProtocol.Http or PortProtocol.HttpProxy or PortProtocol.Http2 or PortProtocol.Grpc or PortProtocol.GrpcWeb;

    /// <summary>HTTP/2 upstream (Istio's <c>IsHTTP2</c>).</summary>
    public static bool IsHttp2(this PortProtocol p) => p is PortProtocol.Http2 or PortProtocol.Grpc or PortProtocol.GrpcWeb;

    public static bool IsGrpc(this PortProtocol p) => p is PortProtocol.Grpc or PortProtocol.GrpcWeb;

    public static bool IsTls(this PortProtocol p) => p is PortProtocol.Https or PortProtocol.Tls;

    /// <summary>Opaque TCP (Istio's <c>IsTCP</c>): TCP and the protocols Istio proxies as TCP.</summary>
    public static bool IsTcp(this PortProtocol p) => p is PortProtocol.Tcp or PortProtocol.Mongo or PortProtocol.Redis or PortProtocol.MySql or PortProtocol.Https or PortProtocol.Tls;

    public static bool IsSniffed(this PortProtocol p) => p == PortProtocol.Unsupported;

    public static bool IsHttpOrSniffed(this PortProtocol p) => p.IsHttp() || p.IsSniffed();

    /// <summary>Istio's protocol name, as it appears in cluster metadata (<c>HTTP</c>, <c>GRPC</c>, <c>TCP</c>, ...).</summary>
    public static string IstioName(this PortProtocol p) => p switch
    {
        PortProtocol.Http => "HTTP",
        PortProtocol.HttpProxy => "HTTP_PROXY",
        PortProtocol.Http2 => "HTTP2",
        PortProtocol.Grpc => "GRPC",
        PortProtocol.GrpcWeb => "GRPC-Web",
        PortProtocol.Https => "HTTPS",
        PortProtocol.Tls => "TLS",
        PortProtocol.Tcp => "TCP",
        PortProtocol.Udp => "UDP",
        PortProtocol.Mongo => "Mongo",
        PortProtocol.Redis => "Redis",
        PortProtocol.MySql => "MySQL",
        _ => "UnsupportedProtocol",
    };
}
