using System.Globalization;
using System.Text.Json;

namespace Sidecar.Model;

/// <summary>One key of a JSON access log format: a template, a nested object, or a non-string JSON value printed as is.</summary>
public sealed record AccessLogJsonField(string Key, EquatableArray<AccessLogSegment> Template = default, EquatableArray<AccessLogJsonField> Nested = default, string? RawJson = null);

/// <summary>
/// Istio's <c>accessLogFormat</c> parsed as Envoy parses it: for TEXT, a format string of literal text and
/// <c>%COMMAND(args):max%</c> operators; for JSON, an object whose string values are such format strings (Envoy's
/// <c>json_format</c>). An operator Envoy does not know is an error; one Envoy knows but this sidecar does not
/// record prints <c>-</c> (null in JSON).
/// </summary>
public sealed record AccessLogTemplate(EquatableArray<AccessLogSegment> Text, EquatableArray<AccessLogJsonField> Json)
{
    private static readonly Dictionary<string, AccessLogCommand> Commands = new(StringComparer.Ordinal)
    {
        ["START_TIME"] = AccessLogCommand.StartTime,
        ["REQ"] = AccessLogCommand.RequestHeader,
        ["REQ_WITHOUT_QUERY"] = AccessLogCommand.RequestHeaderWithoutQuery,
        ["RESP"] = AccessLogCommand.ResponseHeader,
        ["PROTOCOL"] = AccessLogCommand.Protocol,
        ["RESPONSE_CODE"] = AccessLogCommand.ResponseCode,
        ["RESPONSE_FLAGS"] = AccessLogCommand.ResponseFlags,
        ["RESPONSE_FLAGS_LONG"] = AccessLogCommand.ResponseFlagsLong,
        ["RESPONSE_CODE_DETAILS"] = AccessLogCommand.ResponseCodeDetails,
        ["UPSTREAM_TRANSPORT_FAILURE_REASON"] = AccessLogCommand.UpstreamTransportFailureReason,
        ["BYTES_RECEIVED"] = AccessLogCommand.BytesReceived,
        ["BYTES_SENT"] = AccessLogCommand.BytesSent,
        ["DURATION"] = AccessLogCommand.Duration,
        ["UPSTREAM_HOST"] = AccessLogCommand.UpstreamHost,
        ["UPSTREAM_REMOTE_ADDRESS"] = AccessLogCommand.UpstreamHost,
        ["UPSTREAM_CLUSTER"] = AccessLogCommand.UpstreamCluster,

        // Istio's default format since 1.23 uses the RAW form (no alt_stat_name, which Istio does not set either).
        ["UPSTREAM_CLUSTER_RAW"] = AccessLogCommand.UpstreamCluster,

        // The host's name, or its address where it has none: every endpoint here is an address.
        ["UPSTREAM_HOST_NAME"] = AccessLogCommand.UpstreamHost,
        ["DOWNSTREAM_LOCAL_ADDRESS"] = AccessLogCommand.DownstreamLocalAddress,
        ["DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT"] = AccessLogCommand.DownstreamLocalAddressWithoutPort,
        ["DOWNSTREAM_LOCAL_PORT"] = AccessLogCommand.DownstreamLocalPort,
        ["DOWNSTREAM_REMOTE_ADDRESS"] = AccessLogCommand.DownstreamRemoteAddress,
        ["DOWNSTREAM_DIRECT_REMOTE_ADDRESS"] = AccessLogCommand.DownstreamRemoteAddress,
        ["DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT"] = AccessLogCommand.DownstreamRemoteAddressWithoutPort,
        ["DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT"] = AccessLogCommand.DownstreamRemoteAddressWithoutPort,
        ["DOWNSTREAM_REMOTE_PORT"] = AccessLogCommand.DownstreamRemotePort,
        ["ROUTE_NAME"] = AccessLogCommand.RouteName,
        ["REQUESTED_SERVER_NAME"] = AccessLogCommand.RequestedServerName,
        ["HOSTNAME"] = AccessLogCommand.Hostname,
        ["UPSTREAM_REQUEST_ATTEMPT_COUNT"] = AccessLogCommand.UpstreamRequestAttemptCount,
        ["UPSTREAM_LOCAL_ADDRESS"] = AccessLogCommand.UpstreamLocalAddress,
        ["UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT"] = AccessLogCommand.UpstreamLocalAddressWithoutPort,
        ["UPSTREAM_LOCAL_PORT"] = AccessLogCommand.UpstreamLocalPort,
        ["UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT"] = AccessLogCommand.UpstreamRemoteAddressWithoutPort,
        ["UPSTREAM_REMOTE_PORT"] = AccessLogCommand.UpstreamRemotePort,
        ["DOWNSTREAM_PEER_URI_SAN"] = AccessLogCommand.DownstreamPeerUriSan,
        ["DOWNSTREAM_LOCAL_URI_SAN"] = AccessLogCommand.DownstreamLocalUriSan,
        ["ENVIRONMENT"] = AccessLogCommand.Environment,
        ["TRACE_ID"] = AccessLogCommand.TraceId,
    };

    /// <summary>Envoy operators accepted and printed as missing: what they describe is not recorded here.</summary>
    private static readonly HashSet<string> NotRecorded = new(StringComparer.Ordinal)
    {
        "CONNECTION_TERMINATION_DETAILS",
        "REQUEST_DURATION", "REQUEST_TX_DURATION", "RESPONSE_DURATION", "RESPONSE_TX_DURATION",
        "DOWNSTREAM_HANDSHAKE_DURATION", "ROUNDTRIP_DURATION", "BYTES_RETRANSMITTED", "PACKETS_RETRANSMITTED",
        "UPSTREAM_WIRE_BYTES_SENT", "UPSTREAM_WIRE_BYTES_RECEIVED", "UPSTREAM_HEADER_BYTES_SENT", "UPSTREAM_HEADER_BYTES_RECEIVED",
        "DOWNSTREAM_WIRE_BYTES_SENT", "DOWNSTREAM_WIRE_BYTES_RECEIVED", "DOWNSTREAM_HEADER_BYTES_SENT", "DOWNSTREAM_HEADER_BYTES_RECEIVED",
        "DOWNSTREAM_PEER_SUBJECT", "DOWNSTREAM_LOCAL_SUBJECT",
        "DOWNSTREAM_PEER_ISSUER", "DOWNSTREAM_TLS_SESSION_ID", "DOWNSTREAM_TLS_CIPHER", "DOWNSTREAM_TLS_VERSION",
        "DOWNSTREAM_PEER_FINGERPRINT_256", "DOWNSTREAM_PEER_FINGERPRINT_1", "DOWNSTREAM_PEER_SERIAL", "DOWNSTREAM_PEER_CERT",
        "DOWNSTREAM_PEER_CERT_V_START", "DOWNSTREAM_PEER_CERT_V_END", "DOWNSTREAM_TRANSPORT_FAILURE_REASON",
        "UPSTREAM_PEER_URI_SAN", "UPSTREAM_LOCAL_URI_SAN", "UPSTREAM_PEER_SUBJECT", "UPSTREAM_TLS_VERSION", "UPSTREAM_TLS_CIPHER",
        "UPSTREAM_TLS_SESSION_ID", "UPSTREAM_PEER_ISSUER", "UPSTREAM_PEER_CERT", "UPSTREAM_CONNECTION_ID", "UPSTREAM_FILTER_STATE",
        "CONNECTION_ID", "STREAM_ID", "VIRTUAL_CLUSTER_NAME", "TRAILER", "DYNAMIC_METADATA", "CLUSTER_METADATA",
        "UPSTREAM_METADATA", "FILTER_STATE", "METADATA", "CEL", "UPSTREAM_PROTOCOL", "REQUEST_HEADERS_BYTES",
        "RESPONSE_HEADERS_BYTES", "RESPONSE_TRAILERS_BYTES", "UNIQUE_ID", "ACCESS_LOG_TYPE", "DOWNSTREAM_REMOTE_ADDRESS_ENDPOINT_ID",
    };

    /// <summary>Parses <paramref name="format"/> for <paramref name="encoding"/>; null with <paramref name="error"/> when Envoy would refuse it.</summary>
    public static AccessLogTemplate? Parse(string format, AccessLogEncoding encoding, out string? error)
    {
        if (encoding == AccessLogEncoding.Text)
        {
            // Istio ends a custom TEXT format with a newline when it has none.
            var text = format.EndsWith('\n') ? format : format + "\n";
            return ParseText(text, out var segments, out error) ? new AccessLogTemplate(segments, default) : null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(format);
        }
        catch (JsonException ex)
        {
            error = $"not a JSON object: {ex.Message}";
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "not a JSON object";
                return null;
            }

            return ParseObject(document.RootElement, out var fields, out error) ? new AccessLogTemplate(default, fields) : null;
        }
    }

    /// <summary>
    /// A header value of a route's <c>request_headers_to_add</c> or <c>response_headers_to_add</c> (Istio's
    /// VirtualService <c>headers</c>), which Envoy formats with the access log's operators (<c>%%</c> is a literal
    /// <c>%</c>); null with <paramref name="error"/> when Envoy would refuse it.
    /// </summary>
    public static EquatableArray<AccessLogSegment>? ParseHeaderValue(string value, out string? error) =>
        ParseText(value, out var segments, out error) ? segments : null;

    /// <summary>Whether a JSON format is a JSON object at all: Istio falls back to its default JSON format when it is not.</summary>
    public static bool IsJsonObject(string format)
    {
        try
        {
            using var document = JsonDocument.Parse(format);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool ParseObject(JsonElement element, out EquatableArray<AccessLogJsonField> fields, out string? error)
    {
        var list = new List<AccessLogJsonField>();
        fields = default;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    if (!ParseText(property.Value.GetString()!, out var template, out error))
                    {
                        error = $"{property.Name}: {error}";
                        return false;
                    }

                    list.Add(new AccessLogJsonField(property.Name, Template: template));
                    break;
                case JsonValueKind.Object:
                    if (!ParseObject(property.Value, out var nested, out error))
                    {
                        error = $"{property.Name}.{error}";
                        return false;
                    }

                    list.Add(new AccessLogJsonField(property.Name, Nested: nested));
                    break;
                default:
                    list.Add(new AccessLogJsonField(property.Name, RawJson: property.Value.GetRawText()));
                    break;
            }
        }

        fields = list.ToEquatableArray();
        error = null;
        return true;
    }

    private static bool ParseText(string format, out EquatableArray<AccessLogSegment> segments, out string? error)
    {
        var list = new List<AccessLogSegment>();
        var literal = new System.Text.StringBuilder();
        segments = default;
        var i = 0;
        while (i < format.Length)
        {
            var c = format[i];
            if (c != '%')
            {
                literal.Append(c);
                i++;
                continue;
            }

            if (i + 1 < format.Length && format[i + 1] == '%')
            {
                literal.Append('%');
                i += 2;
                continue;
            }

            if (!ParseOperator(format, ref i, out var segment, out error))
            {
                return false;
            }

            if (literal.Length > 0)
            {
                list.Add(new AccessLogSegment(AccessLogCommand.Literal, literal.ToString()));
                literal.Clear();
            }

            list.Add(segment!);
        }

        if (literal.Length > 0)
        {
            list.Add(new AccessLogSegment(AccessLogCommand.Literal, literal.ToString()));
        }

        segments = list.ToEquatableArray();
        error = null;
        return true;
    }

    /// <summary>Reads <c>%NAME%</c>, <c>%NAME(arg)%</c> or <c>%NAME(arg):max%</c> starting at the opening <c>%</c>.</summary>
    private static bool ParseOperator(string format, ref int i, out AccessLogSegment? segment, out string? error)
    {
        segment = null;
        var start = i;
        var nameEnd = i + 1;
        while (nameEnd < format.Length && (char.IsAsciiLetterUpper(format[nameEnd]) || char.IsAsciiDigit(format[nameEnd]) || format[nameEnd] == '_'))
        {
            nameEnd++;
        }

        var name = format[(i + 1)..nameEnd];
        var argument = "";
        var position = nameEnd;
        if (position < format.Length && format[position] == '(')
        {
            // Arguments may hold % (START_TIME's format) and nested parentheses are not allowed, as in Envoy.
            var close = format.IndexOf(")", position, StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"unterminated '(' in %{name}( at position {start}";
                return false;
            }

            argument = format[(position + 1)..close];
            position = close + 1;
        }

        var maxLength = 0;
        if (position < format.Length && format[position] == ':')
        {
            var digitsEnd = position + 1;
            while (digitsEnd < format.Length && char.IsAsciiDigit(format[digitsEnd]))
            {
                digitsEnd++;
            }

            if (digitsEnd == position + 1 || !int.TryParse(format.AsSpan(position + 1, digitsEnd - position - 1), NumberStyles.None, CultureInfo.InvariantCulture, out maxLength))
            {
                error = $"invalid length after %{name}: at position {start}";
                return false;
            }

            position = digitsEnd;
        }

        if (position >= format.Length || format[position] != '%' || name.Length == 0)
        {
            error = $"incomplete command operator at position {start} (an operator is %NAME%, %NAME(arg)% or %NAME(arg):length%)";
            return false;
        }

        i = position + 1;
        if (Commands.TryGetValue(name, out var command))
        {
            return Build(command, name, argument, maxLength, out segment, out error);
        }

        if (NotRecorded.Contains(name))
        {
            segment = new AccessLogSegment(AccessLogCommand.NotRecorded, name, MaxLength: maxLength);
            error = null;
            return true;
        }

        error = $"unknown command operator %{name}%";
        return false;
    }

    private static bool Build(AccessLogCommand command, string name, string argument, int maxLength, out AccessLogSegment? segment, out string? error)
    {
        segment = null;
        error = null;
        switch (command)
        {
            case AccessLogCommand.RequestHeader or AccessLogCommand.RequestHeaderWithoutQuery or AccessLogCommand.ResponseHeader:
                var parts = argument.Split('?');
                if (argument.Length == 0 || parts.Length > 2 || parts.Any(p => p.Length == 0))
                {
                    error = $"%{name}(...)% needs a header name, or two separated by '?'";
                    return false;
                }

                segment = new AccessLogSegment(command, parts[0].ToLowerInvariant(), parts.Length == 2 ? parts[1].ToLowerInvariant() : null, maxLength);
                return true;
            case AccessLogCommand.Environment when argument.Length == 0:
                error = "%ENVIRONMENT(...)% needs a variable name";
                return false;
            default:
                segment = new AccessLogSegment(command, argument, null, maxLength);
                return true;
        }
    }
}
