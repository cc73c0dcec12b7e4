using System.Text.RegularExpressions;

namespace Sidecar.Model;

/// <summary>What a metric tag's value is computed from.</summary>
public enum MetricTagSource
{
    /// <summary>A string literal (<c>'v1'</c>).</summary>
    Literal,
    RequestHost,
    RequestMethod,
    RequestPath,
    RequestUrlPath,
    RequestScheme,
    RequestProtocol,
    RequestId,
    RequestUserAgent,
    RequestReferer,

    /// <summary><c>request.headers['name']</c>.</summary>
    RequestHeader,
    ResponseCode,
    DestinationPort,
    DestinationAddress,
    SourceAddress,
    SourcePort,
    ClusterName,
    RouteName,

    /// <summary>An expression outside the attribute subset this sidecar evaluates: the tag reads <c>unknown</c>.</summary>
    Unsupported,
}

/// <summary>
/// A Telemetry <c>tagOverrides[].value</c>: Istio evaluates CEL over Envoy's attributes; this sidecar evaluates the
/// forms the Istio documentation uses (a string literal, or one attribute: <c>request.host</c>, <c>request.method</c>,
/// <c>request.path</c>, <c>request.url_path</c>, <c>request.scheme</c>, <c>request.protocol</c>, <c>request.id</c>,
/// <c>request.useragent</c>, <c>request.referer</c>, <c>request.headers['x']</c>, <c>response.code</c>,
/// <c>destination.port</c>, <c>destination.address</c>, <c>source.address</c>, <c>source.port</c>,
/// <c>xds.cluster_name</c>, <c>xds.route_name</c>), optionally inside <c>string(...)</c>.
/// </summary>
public sealed partial record MetricTagExpression(MetricTagSource Source, string Argument = "")
{
    public static MetricTagExpression Parse(string expression)
    {
        var text = expression.Trim();
        if (text.StartsWith("string(", StringComparison.Ordinal) && text.EndsWith(')'))
        {
            text = text["string(".Length..^1].Trim();
        }

        if (text.Length >= 2 && (text[0] is '\'' or '"') && text[^1] == text[0])
        {
            return new MetricTagExpression(MetricTagSource.Literal, text[1..^1]);
        }

        if (HeaderPattern().Match(text) is { Success: true } header)
        {
            return new MetricTagExpression(MetricTagSource.RequestHeader, header.Groups[1].Value.ToLowerInvariant());
        }

        return new MetricTagExpression(text switch
        {
            "request.host" => MetricTagSource.RequestHost,
            "request.method" => MetricTagSource.RequestMethod,
            "request.path" => MetricTagSource.RequestPath,
            "request.url_path" => MetricTagSource.RequestUrlPath,
            "request.scheme" => MetricTagSource.RequestScheme,
            "request.protocol" => MetricTagSource.RequestProtocol,
            "request.id" => MetricTagSource.RequestId,
            "request.useragent" => MetricTagSource.RequestUserAgent,
            "request.referer" => MetricTagSource.RequestReferer,
            "response.code" => MetricTagSource.ResponseCode,
            "destination.port" => MetricTagSource.DestinationPort,
            "destination.address" => MetricTagSource.DestinationAddress,
            "source.address" => MetricTagSource.SourceAddress,
            "source.port" => MetricTagSource.SourcePort,
            "xds.cluster_name" => MetricTagSource.ClusterName,
            "xds.route_name" => MetricTagSource.RouteName,
            _ => MetricTagSource.Unsupported,
        }, text);
    }

    [GeneratedRegex("""^request\.headers\[\s*['"]([^'"]+)['"]\s*\]$""")]
    private static partial Regex HeaderPattern();
}
