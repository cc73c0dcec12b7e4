using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.AccessLog;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>Istio's <c>accessLogFormat</c> printed with Envoy's command operators, TEXT and JSON.</summary>
public sealed class CustomAccessLogFormatTests
{
    private static readonly AccessLogEntry Entry = new()
    {
        StartTime = new DateTimeOffset(2026, 12, 5, 7, 0, 1, 234, TimeSpan.Zero),
        Method = "POST",
        Path = "/ratings/1",
        Protocol = "HTTP/1.1",
        ResponseCode = 503,
        Flags = ResponseFlags.UpstreamConnectionFailure | ResponseFlags.UpstreamRetryLimitExceeded,
        ResponseCodeDetails = "upstream_reset_before_response_started{connection_failure}",
        BytesReceived = 17,
        BytesSent = 91,
        DurationMs = 12,
        UpstreamHost = "10.1.0.7:9080",
        UpstreamCluster = "outbound|9080|v1|ratings.default.svc.cluster.local",
        DownstreamLocalAddress = IPAddress.Parse("10.96.0.12"),
        DownstreamLocalPort = 9080,
        DownstreamRemoteAddress = IPAddress.Parse("10.1.0.41"),
        DownstreamRemotePort = 51234,
        RouteName = "ratings-route",
        RequestedServerName = "outbound_.9080_._.ratings.default.svc.cluster.local",
        Attempts = 3,
    };

    [Fact]
    public void Text_format_prints_each_operator_and_dash_for_missing_values_with_a_newline_added()
    {
        var line = Format(
            "%START_TIME% %REQ(:METHOD)% %REQ(:PATH)% %REQ(X-MISSING)% %REQ(X-ALT?USER-AGENT)% %REQ(X-REQUEST-ID):8% "
            + "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_FLAGS_LONG% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "
            + "%UPSTREAM_HOST% %UPSTREAM_CLUSTER% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_PORT% "
            + "%ROUTE_NAME% %UPSTREAM_REQUEST_ATTEMPT_COUNT% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %REQUESTED_SERVER_NAME% 100%%",
            AccessLogEncoding.Text,
            request => request.Headers.UserAgent = "curl/8.5.0");

        Assert.Equal(
            "2026-12-05T07:00:01.234Z POST /ratings/1?v=2 - curl/8.5.0 5f1e2b84 503 UF,URX UpstreamConnectionFailure,UpstreamRetryLimitExceeded "
            + "17 91 12 10.1.0.7:9080 outbound|9080|v1|ratings.default.svc.cluster.local 10.1.0.41 9080 ratings-route 3 7 outbound_.9080_._.ratings.default.svc.cluster.local 100%\n",
            line);
    }

    [Fact]
    public void Start_time_takes_an_strftime_format_with_Envoys_fraction_specifiers()
    {
        Assert.Equal("2026/12/05 07:00:01.234 1796454001 01.234000\n", Format("%START_TIME(%Y/%m/%d %H:%M:%S.%3f %s %E6S)%", AccessLogEncoding.Text));
    }

    [Fact]
    public void Json_format_types_lone_operators_and_nests_objects()
    {
        var line = Format(
            """{"code": "%RESPONSE_CODE%", "bytes": "%BYTES_SENT%", "agent": "%REQ(USER-AGENT)%", "missing": "%REQ(X-NONE)%", "path": "%REQ(:METHOD)% %REQ(:PATH)%", "upstream": {"host": "%UPSTREAM_HOST%", "tries": "%UPSTREAM_REQUEST_ATTEMPT_COUNT%"}, "fixed": 7}""",
            AccessLogEncoding.Json,
            request => request.Headers.UserAgent = "curl/8.5.0");

        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        var root = JsonDocument.Parse(line).RootElement;
        Assert.Equal(503, root.GetProperty("code").GetInt32());
        Assert.Equal(91, root.GetProperty("bytes").GetInt64());
        Assert.Equal("curl/8.5.0", root.GetProperty("agent").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("missing").ValueKind);
        Assert.Equal("POST /ratings/1?v=2", root.GetProperty("path").GetString());
        Assert.Equal("10.1.0.7:9080", root.GetProperty("upstream").GetProperty("host").GetString());
        Assert.Equal(3, root.GetProperty("upstream").GetProperty("tries").GetInt32());
        Assert.Equal(7, root.GetProperty("fixed").GetInt32());
    }

    [Theory]
    [InlineData("%RESPONSE_COD%", "unknown command operator %RESPONSE_COD%")]
    [InlineData("%REQ()%", "needs a header name")]
    [InlineData("%REQ(:PATH", "unterminated '('")]
    [InlineData("%DURATION:x%", "invalid length")]
    [InlineData("[%START_TIME%] %", "incomplete command operator")]
    public void A_format_Envoy_would_refuse_is_an_error(string format, string message)
    {
        Assert.Null(AccessLogTemplate.Parse(format, AccessLogEncoding.Text, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_that_is_not_an_object_is_recognised_so_the_default_format_serves()
    {
        Assert.False(AccessLogTemplate.IsJsonObject("%START_TIME% %RESPONSE_CODE%"));
        Assert.False(AccessLogTemplate.IsJsonObject("[1, 2]"));
        Assert.True(AccessLogTemplate.IsJsonObject("""{"code": "%RESPONSE_CODE%"}"""));
    }

    [Fact]
    public void After_a_rewrite_PATH_is_the_rewritten_path_and_x_envoy_original_path_the_received_one()
    {
        // Istio's default format logs %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%: the path as received when a route rewrote it.
        var line = Format("%REQ(:PATH)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", AccessLogEncoding.Text, state: new RequestState { RewrittenPath = "/api/1" });

        Assert.Equal("/api/1?v=2 /ratings/1?v=2\n", line);
    }

    [Fact]
    public void An_x_request_id_the_proxy_made_is_logged_like_one_the_caller_sent()
    {
        // Envoy sets x-request-id on the request before any filter or logger reads it: %REQ(X-REQUEST-ID)% sees a made one.
        var state = new RequestState();
        state.SetRequestId("0b8ed4a2-5d0c-4f1e-9a57-3c2f4bd81e60", generated: true);

        var line = Format("%REQ(X-REQUEST-ID)%", AccessLogEncoding.Text, state: state);

        Assert.Equal("0b8ed4a2-5d0c-4f1e-9a57-3c2f4bd81e60\n", line);
    }

    private static string Format(string format, AccessLogEncoding encoding, Action<HttpRequest>? configure = null, RequestState? state = null)
    {
        var template = AccessLogTemplate.Parse(format, encoding, out var error) ?? throw new InvalidOperationException(error);
        var custom = new CustomAccessLogFormat(template);
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/ratings/1";
        context.Request.QueryString = new QueryString("?v=2");
        if (state is not { RequestIdGenerated: true })
        {
            context.Request.Headers["x-request-id"] = "5f1e2b84-5b3e-4ad4-9f4d-3a3a8e0d2c11";
        }

        configure?.Invoke(context.Request);
        context.Response.Headers["x-envoy-upstream-service-time"] = "7";
        var entry = Entry with
        {
            RequestHeaderValues = custom.CaptureRequestHeaders(context.Request, state),
            ResponseHeaderValues = custom.CaptureResponseHeaders(context.Response),
        };

        var buffer = new ArrayBufferWriter<byte>();
        new AccessLogFormatter(encoding, custom).Write(entry, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
