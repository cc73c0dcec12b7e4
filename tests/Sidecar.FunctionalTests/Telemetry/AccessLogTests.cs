using System.Net;
using System.Text.Json;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>Access logs on stdout (Istio's <c>accessLogFile: /dev/stdout</c>): Envoy's default text format and Istio's JSON encoding.</summary>
public sealed class AccessLogTests : IClassFixture<TelemetryMesh>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);
    private readonly TelemetryMesh _mesh;

    public AccessLogTests(TelemetryMesh mesh) => _mesh = mesh;

    /// <summary>The one line <paramref name="sidecar"/> logs for the request with <paramref name="requestId"/>, once written.</summary>
    private static async Task<string> LoggedLineAsync(SidecarProcess sidecar, string requestId)
    {
        await sidecar.WaitForOutputAsync(requestId, Deadline);
        return sidecar.Output.Split('\n').Single(l => l.Contains(requestId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outbound_request_is_logged_in_Envoys_default_text_format()
    {
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/logged?page=2", ("x-request-id", requestId), ("user-agent", "log-test/1.0"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Client, requestId);
        // [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% ...
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(line,
            "^\\[\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\] \"GET /logged\\?page=2 HTTP/1\\.1\" 200 - via_upstream - \"-\" 0 10 \\d+ \\d+ \"-\" \"log-test/1\\.0\" \"" + requestId
            + "\" \"ratings:9080\" \"" + _mesh.ServerAddress.ToString().Replace(".", "\\.", StringComparison.Ordinal) + ":9080\" outbound\\|9080\\|\\|ratings\\.default\\.svc\\.cluster\\.local "
            + _mesh.Client.Bind.ToString().Replace(".", "\\.", StringComparison.Ordinal) + ":\\d+ \\S+ \\S+ - \\S+\\s*$"), line);
    }

    [Fact]
    public async Task A_header_value_beyond_ASCII_is_logged_as_the_text_its_bytes_spell()
    {
        // Envoy writes a value's bytes into the log line: a UTF-8 user agent reads as itself, not as Latin-1 mojibake.
        var requestId = Guid.NewGuid().ToString();
        var response = await RawHttp.SendAsync(_mesh.Client.Bind, 15001, "ratings:9080", "/utf8",
            extraHead: $"x-request-id: {requestId}\r\nUser-Agent: caf\u00c3\u00a9/1.0\r\n");
        Assert.Equal(200, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Client, requestId);
        Assert.Contains(" \"caf\u00e9/1.0\" ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_the_codec_refuses_is_logged_with_DPE_and_Envoys_details()
    {
        // Envoy's connection manager logs a stream its HTTP/1 codec refused: no route, no upstream, flag DPE, and the
        // codec's detail (an unknown method: http1.codec_error; a control character: http1.invalid_characters).
        var method = Guid.NewGuid().ToString();
        var characters = Guid.NewGuid().ToString();
        var unknown = await RawHttp.SendAsync(_mesh.Client.Bind, 15001, "ratings:9080", "/refused", "FOO", extraHead: $"x-request-id: {method}\r\n");
        var control = await RawHttp.SendAsync(_mesh.Client.Bind, 15001, "ratings:9080", "/refused", extraHead: $"x-request-id: {characters}\r\nx-note: a\u0001b\r\n");
        Assert.Equal(400, unknown.StatusCode);
        Assert.Equal(400, control.StatusCode);

        Assert.Contains("\"FOO /refused HTTP/1.1\" 400 DPE http1.codec_error - \"-\" 0 0 ", await LoggedLineAsync(_mesh.Client, method), StringComparison.Ordinal);
        Assert.Contains("\"GET /refused HTTP/1.1\" 400 DPE http1.invalid_characters - \"-\" 0 0 ", await LoggedLineAsync(_mesh.Client, characters), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /a b c HTTP/1.1\r\nHost: ratings:9080\r\n\r\n", 400, "http1.codec_error")]
    [InlineData("GET / HTTP/1.1\r\nHost: ratings:9080\r\nBad Header: x\r\n\r\n", 400, "http1.codec_error")]
    public async Task A_request_kestrels_parser_refuses_is_logged_as_envoys_codec_logs_it(string request, int status, string details)
    {
        // Kestrel answers these itself, before any middleware: the line comes from its BadRequests log.
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(_mesh.Client.Bind, 15001);
        var client = (IPEndPoint)socket.LocalEndPoint!;
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var buffer = new byte[256];
        using var deadline = new CancellationTokenSource(Deadline);
        var read = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, deadline.Token);
        Assert.StartsWith($"HTTP/1.1 {status} ", System.Text.Encoding.ASCII.GetString(buffer, 0, read), StringComparison.Ordinal);

        var marker = $" {client.Address}:{client.Port} ";
        var line = await LoggedLineAsync(_mesh.Client, marker);
        Assert.Contains($"\"- - HTTP/1.1\" {status} DPE {details} - \"-\" 0 0 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_passed_through_request_is_logged_with_the_address_it_went_to()
    {
        // ALLOW_ANY: a host outside the registry goes to PassthroughCluster; Envoy's ORIGINAL_DST cluster makes a
        // host for the destination, which %UPSTREAM_HOST% prints.
        var requestId = Guid.NewGuid().ToString();
        var destination = $"127.0.0.1:{_mesh.App.Port}";
        using var response = await _mesh.Client.SendAsync(destination, "/passthrough", configure: r => r.Headers.Add("x-request-id", requestId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Client, requestId);
        Assert.Contains($"\"{destination}\" \"{destination}\" PassthroughCluster ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fault_injected_request_is_logged_with_flag_FI()
    {
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/abort", ("x-request-id", requestId));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Client, requestId);
        // The local reply's body ("fault filter abort") is counted from its Content-Length.
        Assert.Contains("\"GET /abort HTTP/1.1\" 503 FI fault_filter_abort - \"-\" 0 18 ", line, StringComparison.Ordinal);
        Assert.Contains(" outbound|9080||ratings.default.svc.cluster.local ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_per_try_timeout_is_logged_with_Envoys_detail_upstream_per_try_timeout()
    {
        // retries: {attempts: 1, perTryTimeout: 300ms, retryOn: 5xx}: both attempts stall, each attempt's timer fires
        // (Envoy's router onPerTryTimeout: UpstreamPerTryTimeout, not the route's response_timeout).
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/per-try", ("x-request-id", requestId), ("x-test-id", requestId), ("x-stall-first", "2"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Client, requestId);
        Assert.Contains("\"GET /per-try HTTP/1.1\" 504 UT,URX upstream_per_try_timeout ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_route_timeout_is_logged_with_Envoys_detail_response_timeout()
    {
        // timeout: 300ms and no retries' perTryTimeout: the route's timer ends the request (onResponseTimeout).
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/route-timeout", ("x-request-id", requestId), ("x-test-id", requestId), ("x-stall-first", "1"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Client, requestId);
        Assert.Contains("\"GET /route-timeout HTTP/1.1\" 504 UT response_timeout ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rewritten_authority_is_the_one_logged()
    {
        // Envoy's router rewrites the request's own :authority (host_rewrite_literal), so %REQ(:AUTHORITY)% logs the new one.
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/rewritten", ("x-request-id", requestId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Client, requestId);
        Assert.Contains($"\"{requestId}\" \"ratings-rewritten\" ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_AuthorizationPolicy_denial_is_logged_with_the_rule_that_matched()
    {
        // Envoy's RBAC filter: rbac_access_denied_matched_policy[<istiod's id for the rule>].
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/denied", ("x-request-id", requestId), ("x-deny", "yes"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Server, requestId);
        using var json = JsonDocument.Parse(line);
        Assert.Equal("rbac_access_denied_matched_policy[ns[default]-policy[deny-flagged]-rule[0]]", json.RootElement.GetProperty("response_code_details").GetString());
    }

    [Fact]
    public async Task Inbound_request_is_logged_as_JSON()
    {
        var requestId = Guid.NewGuid().ToString();
        using var response = await _mesh.CallRatingsAsync("/json", ("x-request-id", requestId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var line = await LoggedLineAsync(_mesh.Server, requestId);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("GET", root.GetProperty("method").GetString());
        Assert.Equal("/json", root.GetProperty("path").GetString());
        Assert.Equal(200, root.GetProperty("response_code").GetInt32());
        Assert.Equal("-", root.GetProperty("response_flags").GetString());
        Assert.Equal("via_upstream", root.GetProperty("response_code_details").GetString());
        Assert.Equal("inbound|9080||", root.GetProperty("upstream_cluster").GetString());
        Assert.Equal($"127.0.0.1:{_mesh.App.Port}", root.GetProperty("upstream_host").GetString());
        Assert.Equal("ratings:9080", root.GetProperty("authority").GetString());
        Assert.Equal(10, root.GetProperty("bytes_sent").GetInt64());
        Assert.True(root.GetProperty("duration").GetInt64() >= 0);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("upstream_transport_failure_reason").ValueKind);
        // %UPSTREAM_LOCAL_ADDRESS%: the end of the connection to the app that the request was written on (from the
        // sidecar's own address, standalone).
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(_mesh.Server.Bind.ToString())}:\\d+$", root.GetProperty("upstream_local_address").GetString());
        // Sidecars sharing the machine on their own 127.x addresses call each other from those addresses, as pods do
        // from theirs: the server sees the client sidecar's address, not 127.0.0.1.
        Assert.StartsWith($"{_mesh.Client.Bind}:", root.GetProperty("downstream_remote_address").GetString(), StringComparison.Ordinal);
    }
}
