using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Running;

/// <summary>
/// Everything about a scenario's request that does not change between requests, parsed once: the URI (with
/// <c>size=N</c> when the payload is asked for rather than sent), method, version, headers and payload buffer.
/// Encoded once as HTTP/1.1 bytes, or, for HttpClient (which refuses to send a message twice), a new message per
/// request over these shared parts.
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

    /// <summary>The whole HTTP/1.1 request, head and body, as sent on the wire every time.</summary>
    public byte[] EncodeHttp11()
    {
        var head = new StringBuilder(256);
        head.Append(_method.Method).Append(' ').Append(Uri.PathAndQuery).Append(" HTTP/1.1\r\n");
        AppendField(head, "Host", _host ?? Uri.Authority);
        foreach (var header in _headers)
        {
            AppendField(head, header.Key, header.Value);
        }

        if (_payload is not null)
        {
            AppendField(head, "Content-Type", "application/octet-stream");
            AppendField(head, "Content-Length", _payload.Length.ToString(CultureInfo.InvariantCulture));
        }

        head.Append("\r\n");
        var headBytes = Encoding.Latin1.GetBytes(head.ToString());
        return _payload is null ? headBytes : [.. headBytes, .. _payload];
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

    private static void AppendField(StringBuilder head, string name, string value)
    {
        // A CR or LF would end the field early and let a header smuggle in another request.
        if (name.AsSpan().IndexOfAny('\r', '\n') >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException($"header '{name}' contains a line break");
        }

        head.Append(name).Append(": ").Append(value).Append("\r\n");
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
