using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// Istio's <c>accessLogFormat</c> at run time: which headers a request must hand over for the format's
/// <c>%REQ(...)%</c>/<c>%RESP(...)%</c> operators (captured on the request's thread, only those named), and the
/// line or JSON object the background writer prints from them (Envoy's text and <c>json_format</c> rules: a missing
/// value is <c>-</c> in text; in JSON an operator alone is typed, a number or null).
/// </summary>
internal sealed class CustomAccessLogFormat
{
    private readonly AccessLogTemplate _template;
    private readonly string[] _requestHeaders;
    private readonly string[] _responseHeaders;
    private readonly string _hostname = Environment.MachineName;

    public CustomAccessLogFormat(AccessLogTemplate template)
    {
        _template = template;
        var request = new List<string>();
        var response = new List<string>();
        foreach (var segment in AllSegments(template))
        {
            var names = segment.Command switch
            {
                AccessLogCommand.RequestHeader or AccessLogCommand.RequestHeaderWithoutQuery => request,
                AccessLogCommand.ResponseHeader => response,
                _ => null,
            };
            AddDistinct(names, segment.Argument);
            AddDistinct(names, segment.Fallback);
            PrintsUpstreamLocalAddress |= segment.Command is AccessLogCommand.UpstreamLocalAddress
                or AccessLogCommand.UpstreamLocalAddressWithoutPort or AccessLogCommand.UpstreamLocalPort;
        }

        _requestHeaders = [.. request];
        _responseHeaders = [.. response];
    }

    /// <summary>Whether the format prints where upstream connections left from (which requests then record it).</summary>
    public bool PrintsUpstreamLocalAddress { get; }

    /// <summary>
    /// The values of the request headers the format names (pseudo-headers included), or null when it names none.
    /// <c>:path</c> and <c>:authority</c> are the ones after a route's rewrite, as Envoy logs them (the original path is
    /// <c>x-envoy-original-path</c>).
    /// </summary>
    public string?[]? CaptureRequestHeaders(HttpRequest request, RequestState? state = null)
    {
        if (_requestHeaders.Length == 0)
        {
            return null;
        }

        var rewrittenPath = state?.RewrittenPath;
        var values = new string?[_requestHeaders.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _requestHeaders[i] switch
            {
                ":path" => (rewrittenPath ?? request.Path.Value) + request.QueryString.Value,
                ProxyHeaders.OriginalPath when rewrittenPath is not null => request.Path.Value + request.QueryString.Value,
                ":method" => request.Method,
                ":authority" or "host" => state?.RewrittenAuthority ?? request.Host.Value,
                ":scheme" => request.Scheme,
                var name => RequestIds.TryGetHeader(request, state, name, out var value) ? HeaderValueEncoding.ToText(value.ToString()) : null,
            };
        }

        return values;
    }

    /// <summary>The values of the response headers the format names, or null when it names none.</summary>
    public string?[]? CaptureResponseHeaders(HttpResponse response)
    {
        if (_responseHeaders.Length == 0)
        {
            return null;
        }

        var values = new string?[_responseHeaders.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _responseHeaders[i] == ":status"
                ? response.StatusCode.ToString(CultureInfo.InvariantCulture)
                : response.Headers.TryGetValue(_responseHeaders[i], out var value) ? HeaderValueEncoding.ToText(value.ToString()) : null;
        }

        return values;
    }

    public void Write(in AccessLogEntry entry, ArrayBufferWriter<byte> output, Utf8JsonWriter json)
    {
        if (_template.Json.IsEmpty)
        {
            Append(output, Text(_template.Text, entry));
            return;
        }

        json.Reset(output);
        WriteObject(json, _template.Json, entry);
        json.Flush();
        Append(output, "\n");
    }

    private void WriteObject(Utf8JsonWriter json, EquatableArray<AccessLogJsonField> fields, in AccessLogEntry entry)
    {
        json.WriteStartObject();
        foreach (var field in fields)
        {
            json.WritePropertyName(field.Key);
            if (field.RawJson is { } raw)
            {
                json.WriteRawValue(raw, skipInputValidation: true);
            }
            else if (!field.Nested.IsEmpty)
            {
                WriteObject(json, field.Nested, entry);
            }
            else if (field.Template is [{ Command: not AccessLogCommand.Literal } single])
            {
                WriteTyped(json, single, entry);
            }
            else
            {
                json.WriteStringValue(Text(field.Template, entry));
            }
        }

        json.WriteEndObject();
    }

    /// <summary>Segments of this format printed as Envoy's text formats print them: a missing value is <c>-</c>.</summary>
    public string Text(EquatableArray<AccessLogSegment> segments, in AccessLogEntry entry)
    {
        var text = new StringBuilder();
        foreach (var segment in segments)
        {
            text.Append(Value(segment, entry) ?? "-");
        }

        return text.ToString();
    }

    /// <summary>Envoy's json_format: an operator alone keeps its type (numbers stay numbers, missing is null).</summary>
    private void WriteTyped(Utf8JsonWriter json, AccessLogSegment segment, in AccessLogEntry entry)
    {
        long? number = segment.Command switch
        {
            AccessLogCommand.ResponseCode => entry.ResponseCode,
            AccessLogCommand.BytesReceived => entry.BytesReceived,
            AccessLogCommand.BytesSent => entry.BytesSent,
            AccessLogCommand.Duration => entry.DurationMs,
            AccessLogCommand.UpstreamRequestAttemptCount => entry.Attempts,
            AccessLogCommand.UpstreamLocalPort when entry.UpstreamLocal is { } local => local.Port,
            AccessLogCommand.UpstreamRemotePort when AccessLogFormatter.UpstreamHostPart(entry.UpstreamHost, port: true) is { } port => long.Parse(port, CultureInfo.InvariantCulture),
            AccessLogCommand.DownstreamLocalPort when entry.DownstreamLocalAddress is not null => entry.DownstreamLocalPort,
            AccessLogCommand.DownstreamRemotePort when entry.DownstreamRemoteAddress is not null => entry.DownstreamRemotePort,
            _ => null,
        };
        if (number is { } n)
        {
            json.WriteNumberValue(n);
        }
        else if (Value(segment, entry) is { } text)
        {
            json.WriteStringValue(text);
        }
        else
        {
            json.WriteNullValue();
        }
    }

    private string? Value(AccessLogSegment segment, in AccessLogEntry e)
    {
        var value = segment.Command switch
        {
            AccessLogCommand.Literal => segment.Argument,
            AccessLogCommand.StartTime => segment.Argument.Length == 0
                ? e.StartTime.UtcDateTime.ToString(AccessLogFormatter.StartTimeFormat, CultureInfo.InvariantCulture)
                : EnvoyTimeFormat.Format(e.StartTime, segment.Argument),
            AccessLogCommand.RequestHeader => Header(_requestHeaders, e.RequestHeaderValues, segment),
            AccessLogCommand.RequestHeaderWithoutQuery => WithoutQuery(Header(_requestHeaders, e.RequestHeaderValues, segment)),
            AccessLogCommand.ResponseHeader => Header(_responseHeaders, e.ResponseHeaderValues, segment),
            AccessLogCommand.Protocol => e.Protocol,
            AccessLogCommand.ResponseCode => e.ResponseCode.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.ResponseFlags => e.Flags.ToShortString(),
            AccessLogCommand.ResponseFlagsLong => e.Flags.ToLongString(),
            AccessLogCommand.ResponseCodeDetails => e.ResponseCodeDetails,
            AccessLogCommand.UpstreamTransportFailureReason => e.UpstreamTransportFailureReason,
            AccessLogCommand.BytesReceived => e.BytesReceived.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.BytesSent => e.BytesSent.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.Duration => e.DurationMs.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.UpstreamHost => e.UpstreamHost,
            AccessLogCommand.UpstreamCluster => e.UpstreamCluster,
            AccessLogCommand.DownstreamLocalAddress => AccessLogFormatter.AddressText(e.DownstreamLocalAddress, e.DownstreamLocalPort),
            AccessLogCommand.DownstreamLocalAddressWithoutPort => AccessLogFormatter.AddressOnly(e.DownstreamLocalAddress),
            AccessLogCommand.DownstreamLocalPort => e.DownstreamLocalAddress is null ? null : e.DownstreamLocalPort.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.DownstreamRemoteAddress => AccessLogFormatter.AddressText(e.DownstreamRemoteAddress, e.DownstreamRemotePort),
            AccessLogCommand.DownstreamRemoteAddressWithoutPort => AccessLogFormatter.AddressOnly(e.DownstreamRemoteAddress),
            AccessLogCommand.DownstreamRemotePort => e.DownstreamRemoteAddress is null ? null : e.DownstreamRemotePort.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.RouteName => e.RouteName,
            AccessLogCommand.RequestedServerName => e.RequestedServerName,
            AccessLogCommand.Hostname => _hostname,
            AccessLogCommand.UpstreamRequestAttemptCount => e.Attempts.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.UpstreamLocalAddress => AccessLogFormatter.EndPointText(e.UpstreamLocal),
            AccessLogCommand.UpstreamLocalAddressWithoutPort => AccessLogFormatter.AddressOnly(e.UpstreamLocal?.Address),
            AccessLogCommand.UpstreamLocalPort => e.UpstreamLocal?.Port.ToString(CultureInfo.InvariantCulture),
            AccessLogCommand.UpstreamRemoteAddressWithoutPort => AccessLogFormatter.UpstreamHostPart(e.UpstreamHost, port: false),
            AccessLogCommand.UpstreamRemotePort => AccessLogFormatter.UpstreamHostPart(e.UpstreamHost, port: true),
            AccessLogCommand.DownstreamPeerUriSan => e.DownstreamPeerUriSan,
            AccessLogCommand.DownstreamLocalUriSan => e.DownstreamLocalUriSan,
            AccessLogCommand.Environment => Environment.GetEnvironmentVariable(segment.Argument),
            AccessLogCommand.TraceId => e.TraceId == default ? null : e.TraceId.ToHexString(),
            _ => null,
        };
        return value is not null && segment.MaxLength > 0 && value.Length > segment.MaxLength ? value[..segment.MaxLength] : value;
    }

    private static string? Header(string[] names, string?[]? values, AccessLogSegment segment)
    {
        if (values is null)
        {
            return null;
        }

        var value = values[Array.IndexOf(names, segment.Argument)];
        return value is null && segment.Fallback is { } fallback ? values[Array.IndexOf(names, fallback)] : value;
    }

    private static void AddDistinct(List<string>? names, string? name)
    {
        if (names is not null && name is not null && !names.Contains(name))
        {
            names.Add(name);
        }
    }

    private static IEnumerable<AccessLogSegment> AllSegments(AccessLogTemplate template)
    {
        foreach (var segment in template.Text)
        {
            yield return segment;
        }

        var pending = new Stack<EquatableArray<AccessLogJsonField>>();
        pending.Push(template.Json);
        while (pending.Count > 0)
        {
            foreach (var field in pending.Pop())
            {
                pending.Push(field.Nested);
                foreach (var segment in field.Template)
                {
                    yield return segment;
                }
            }
        }
    }

    private static void Append(ArrayBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static string? WithoutQuery(string? value) => value?.IndexOf('?', StringComparison.Ordinal) is >= 0 and var query ? value[..query] : value;
}
