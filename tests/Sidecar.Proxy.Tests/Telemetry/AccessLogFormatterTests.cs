using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.AccessLog;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>Envoy's default access log format and Istio's JSON encoding, field by field.</summary>
public sealed class AccessLogFormatterTests
{
    private static readonly AccessLogEntry Entry = new()
    {
        StartTime = new DateTimeOffset(2026, 12, 5, 7, 0, 1, 234, TimeSpan.Zero),
        Method = "GET",
        Path = "/reviews/0",
        Query = "?user=jason",
        Protocol = "HTTP/1.1",
        ResponseCode = 503,
        Flags = ResponseFlags.UpstreamConnectionFailure | ResponseFlags.UpstreamRetryLimitExceeded,
        ResponseCodeDetails = "upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_111}",
        UpstreamTransportFailureReason = "delayed_connect_error:_111",
        BytesReceived = 0,
        BytesSent = 91,
        DurationMs = 12,
        UpstreamServiceTime = null,
        ForwardedFor = null,
        UserAgent = "curl/8.5.0",
        RequestId = "5f1e2b84-5b3e-4ad4-9f4d-3a3a8e0d2c11",
        Authority = "reviews:9080",
        UpstreamHost = "10.1.0.7:9080",
        UpstreamCluster = "outbound|9080|v2|reviews.default.svc.cluster.local",
        DownstreamLocalAddress = IPAddress.Parse("10.96.0.12"),
        DownstreamLocalPort = 9080,
        DownstreamRemoteAddress = IPAddress.Parse("10.1.0.41"),
        DownstreamRemotePort = 51234,
        RouteName = "default",
    };

    [Fact]
    public void Text_is_Envoys_default_format()
    {
        Assert.Equal(
            "[2026-12-05T07:00:01.234Z] \"GET /reviews/0?user=jason HTTP/1.1\" 503 UF,URX upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_111} - \"delayed_connect_error:_111\" 0 91 12 - \"-\" \"curl/8.5.0\" \"5f1e2b84-5b3e-4ad4-9f4d-3a3a8e0d2c11\" \"reviews:9080\" \"10.1.0.7:9080\" outbound|9080|v2|reviews.default.svc.cluster.local - 10.96.0.12:9080 10.1.0.41:51234 - default\n",
            Format(AccessLogEncoding.Text, Entry));
    }

    [Fact]
    public void Json_uses_Istios_keys_and_null_for_missing_values()
    {
        using var json = JsonDocument.Parse(Format(AccessLogEncoding.Json, Entry));
        var root = json.RootElement;

        Assert.Equal("2026-12-05T07:00:01.234Z", root.GetProperty("start_time").GetString());
        Assert.Equal("/reviews/0?user=jason", root.GetProperty("path").GetString());
        Assert.Equal(503, root.GetProperty("response_code").GetInt32());
        Assert.Equal("UF,URX", root.GetProperty("response_flags").GetString());
        Assert.Equal("delayed_connect_error:_111", root.GetProperty("upstream_transport_failure_reason").GetString());
        Assert.Equal(91, root.GetProperty("bytes_sent").GetInt64());
        Assert.Equal("10.1.0.7:9080", root.GetProperty("upstream_host").GetString());
        Assert.Equal("outbound|9080|v2|reviews.default.svc.cluster.local", root.GetProperty("upstream_cluster").GetString());
        Assert.Equal("10.1.0.41:51234", root.GetProperty("downstream_remote_address").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("x_forwarded_for").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("upstream_service_time").ValueKind);
    }

    [Fact]
    public void The_reused_buffer_holds_consecutive_lines()
    {
        var formatter = new AccessLogFormatter(AccessLogEncoding.Json);
        var buffer = new ArrayBufferWriter<byte>();
        formatter.Write(Entry, buffer);
        formatter.Write(Entry with { ResponseCode = 200, Flags = ResponseFlags.None }, buffer);

        var lines = Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("-", JsonDocument.Parse(lines[1]).RootElement.GetProperty("response_flags").GetString());
    }

    private static string Format(AccessLogEncoding encoding, AccessLogEntry entry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new AccessLogFormatter(encoding).Write(entry, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
