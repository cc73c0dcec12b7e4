using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// Envoy's default access log line (the format Istio's <c>accessLogEncoding: TEXT</c> uses) and Istio's JSON
/// encoding (same fields, snake_case keys, null for missing values), written as UTF-8 into a reused buffer.
/// </summary>
/// <remarks>
/// <c>[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
/// %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED%
/// %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
/// "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS%
/// %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%</c>
/// </remarks>
internal sealed class AccessLogFormatter
{
    /// <summary>Envoy's default <c>%START_TIME%</c>: <c>%Y-%m-%dT%H:%M:%E3SZ</c>.</summary>
    public const string StartTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
    private readonly AccessLogEncoding _encoding;
    private Utf8JsonWriter? _json;

    public AccessLogFormatter(AccessLogEncoding encoding, CustomAccessLogFormat? custom = null)
    {
        _encoding = encoding;
        Custom = custom;
    }

    /// <summary>The mesh config's <c>accessLogFormat</c>, or null for the default format of the encoding.</summary>
    public CustomAccessLogFormat? Custom { get; }

    public void Write(in AccessLogEntry entry, ArrayBufferWriter<byte> output)
    {
        if (Custom is { } custom)
        {
            custom.Write(entry, output, _json ??= new Utf8JsonWriter(output));
        }
        else if (_encoding == AccessLogEncoding.Json)
        {
            WriteJson(entry, output);
        }
        else
        {
            WriteText(entry, output);
        }
    }

    /// <summary>Envoy's default text line (with its line break).</summary>
    public static void WriteText(in AccessLogEntry e, ArrayBufferWriter<byte> output)
    {
        Append(output, "[");
        Append(output, e.StartTime.UtcDateTime.ToString(StartTimeFormat, CultureInfo.InvariantCulture));
        Append(output, "] \"");
        Append(output, e.Method);
        Append(output, " ");
        Append(output, e.Path ?? "-");
        Append(output, e.Query);
        Append(output, " ");
        Append(output, e.Protocol);
        Append(output, "\" ");
        Number(output, e.ResponseCode);
        Append(output, " ");
        Append(output, e.Flags.ToShortString());
        Append(output, " ");
        Append(output, e.ResponseCodeDetails ?? "-");
        Append(output, " -");
        Quoted(output, e.UpstreamTransportFailureReason);
        Append(output, " ");
        Number(output, e.BytesReceived);
        Append(output, " ");
        Number(output, e.BytesSent);
        Append(output, " ");
        Number(output, e.DurationMs);
        Append(output, " ");
        Append(output, e.UpstreamServiceTime ?? "-");
        Quoted(output, e.ForwardedFor);
        Quoted(output, e.UserAgent);
        Quoted(output, e.RequestId);
        Quoted(output, e.Authority);
        Quoted(output, e.UpstreamHost);
        Append(output, " ");
        Append(output, e.UpstreamCluster ?? "-");
        Append(output, " ");
        Append(output, EndPointText(e.UpstreamLocal) ?? "-");
        Append(output, " ");
        Address(output, e.DownstreamLocalAddress, e.DownstreamLocalPort);
        Append(output, " ");
        Address(output, e.DownstreamRemoteAddress, e.DownstreamRemotePort);
        Append(output, " ");
        Append(output, e.RequestedServerName ?? "-");
        Append(output, " ");
        Append(output, e.RouteName ?? "-");
        Append(output, "\n");
    }

    private void WriteJson(in AccessLogEntry e, ArrayBufferWriter<byte> output)
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(output);
        }
        else
        {
            _json.Reset(output);
        }

        var json = _json;
        json.WriteStartObject();
        json.WriteString("start_time", e.StartTime.UtcDateTime.ToString(StartTimeFormat, CultureInfo.InvariantCulture));
        json.WriteString("method", e.Method);
        json.WriteString("path", e.Query is { Length: > 0 } ? e.Path + e.Query : e.Path);
        json.WriteString("protocol", e.Protocol);
        json.WriteNumber("response_code", e.ResponseCode);
        json.WriteString("response_flags", e.Flags.ToShortString());
        json.WriteString("response_code_details", e.ResponseCodeDetails);
        json.WriteNull("connection_termination_details");
        json.WriteString("upstream_transport_failure_reason", e.UpstreamTransportFailureReason);
        json.WriteNumber("bytes_received", e.BytesReceived);
        json.WriteNumber("bytes_sent", e.BytesSent);
        json.WriteNumber("duration", e.DurationMs);
        json.WriteString("upstream_service_time", e.UpstreamServiceTime);
        json.WriteString("x_forwarded_for", e.ForwardedFor);
        json.WriteString("user_agent", e.UserAgent);
        json.WriteString("request_id", e.RequestId);
        json.WriteString("authority", e.Authority);
        json.WriteString("upstream_host", e.UpstreamHost);
        json.WriteString("upstream_cluster", e.UpstreamCluster);
        json.WriteString("upstream_local_address", EndPointText(e.UpstreamLocal));
        json.WriteString("downstream_local_address", AddressText(e.DownstreamLocalAddress, e.DownstreamLocalPort));
        json.WriteString("downstream_remote_address", AddressText(e.DownstreamRemoteAddress, e.DownstreamRemotePort));
        json.WriteString("requested_server_name", e.RequestedServerName);
        json.WriteString("route_name", e.RouteName);
        json.WriteEndObject();
        json.Flush();
        Append(output, "\n");
    }

    private static void Quoted(ArrayBufferWriter<byte> output, string? value)
    {
        Append(output, " \"");
        Append(output, string.IsNullOrEmpty(value) ? "-" : value);
        Append(output, "\"");
    }

    private static void Address(ArrayBufferWriter<byte> output, IPAddress? address, int port) => Append(output, AddressText(address, port) ?? "-");

    /// <summary>An address as <c>%..._WITHOUT_PORT%</c> prints it (an IPv4-mapped one as IPv4).</summary>
    internal static string? AddressOnly(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    /// <summary>The address or the port of <c>%UPSTREAM_HOST%</c> (<c>ip:port</c>, <c>[ipv6]:port</c>); null when it has none.</summary>
    internal static string? UpstreamHostPart(string? host, bool port) =>
        host is not null && IPEndPoint.TryParse(host, out var endpoint)
            ? port ? endpoint.Port.ToString(CultureInfo.InvariantCulture) : AddressOnly(endpoint.Address)
            : null;

    internal static string? EndPointText(IPEndPoint? endpoint) => endpoint is null ? null : AddressText(endpoint.Address, endpoint.Port);

    internal static string? AddressText(IPAddress? address, int port) =>
        address is null ? null : new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, port).ToString();

    private static void Number(ArrayBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out var written);
        output.Advance(written);
    }

    private static void Append(ArrayBufferWriter<byte> output, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
