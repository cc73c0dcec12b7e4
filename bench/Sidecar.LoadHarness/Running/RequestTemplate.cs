using System.Globalization;
using System.Net.Http.Headers;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Running;

/// <summary>
/// Everything about a scenario's request that does not change between requests, parsed once: the URI (with
/// <c>size=N</c> when the payload is asked for rather than sent), method, version, headers and payload buffer.
/// HttpClient refuses to send a message twice, so each request is a new message over these shared parts.
/// </summary>
internal sealed class RequestTemplate
{
    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");

    private readonly HttpMethod _method;
    private readonly Version _version;
    private readonly string? _host;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly byte[]? _payload;

    public RequestTemplate(LoadScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        Uri = TargetUri(scenario);
        _method = scenario.Method;
        _version = scenario.Protocol == HttpProtocol.Http2 ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11;
        var headers = new List<KeyValuePair<string, string>>(scenario.Headers.Count);
        foreach (var header in scenario.Headers)
        {
            if (string.Equals(header.Key, "host", StringComparison.OrdinalIgnoreCase))
            {
                _host = header.Value;
            }
            else
            {
                headers.Add(header);
            }
        }

        _headers = [.. headers];
        if (scenario.SendsBody)
        {
            _payload = new byte[scenario.PayloadBytes];
            Array.Fill(_payload, (byte)'x');
        }
    }

    /// <summary>The URI every request is sent to.</summary>
    public Uri Uri { get; }

    /// <summary>
    /// A body over the shared payload buffer, or null when the method sends none. One per worker: a worker has one
    /// request in flight at a time, and HttpContent is not meant to be shared between concurrent sends.
    /// </summary>
    public HttpContent? CreateContent()
    {
        if (_payload is null)
        {
            return null;
        }

        var content = new ByteArrayContent(_payload);
        content.Headers.ContentType = OctetStream;
        content.Headers.ContentLength = _payload.Length;
        return content;
    }

    public HttpRequestMessage CreateRequest(HttpContent? content)
    {
        var request = new HttpRequestMessage(_method, Uri)
        {
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact, // h2c with prior knowledge, never a downgrade
            Content = content,
        };
        if (_host is not null)
        {
            request.Headers.TryAddWithoutValidation("Host", _host);
        }

        foreach (var header in _headers)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return request;
    }

    /// <summary>The scenario's URL, plus <c>size=N</c> when a bodiless method asks the echo backend for N bytes.</summary>
    internal static Uri TargetUri(LoadScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.SendsBody || scenario.PayloadBytes <= 0)
        {
            return scenario.Url;
        }

        var builder = new UriBuilder(scenario.Url);
        var size = "size=" + scenario.PayloadBytes.ToString(CultureInfo.InvariantCulture);
        builder.Query = builder.Query.Length > 1 ? builder.Query[1..] + "&" + size : size;
        return builder.Uri;
    }
}
