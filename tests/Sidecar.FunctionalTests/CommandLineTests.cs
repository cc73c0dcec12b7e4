using System.Diagnostics;
using System.Net;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>The command line a new user meets: help, errors for bad flags, graceful shutdown on SIGTERM.</summary>
public sealed class CommandLineTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(SidecarProcess.SidecarAssembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Wait_and_request_do_what_pilot_agents_commands_do()
    {
        // pilot-agent wait (holdApplicationUntilProxyStarts' postStart hook) and pilot-agent request (the admin API
        // from inside the container, as Istio's docs and istioctl use it).
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (backend, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        var (ready, waitOutput) = await RunAsync("wait", "--url", sidecar.HealthUrl, "--timeoutSeconds", "10");
        Assert.Equal(0, ready);
        Assert.Contains("ready", waitOutput, StringComparison.OrdinalIgnoreCase);

        var (notReady, _) = await RunAsync("wait", "--url", $"http://127.0.0.1:{FreePort.Get()}/healthz/ready", "--timeoutSeconds", "1", "--periodMillis", "100");
        Assert.Equal(1, notReady);

        var (code, clusters) = await RunAsync("request", "GET", "clusters?format=json", "--admin-address", sidecar.Bind.ToString());
        Assert.Equal(0, code);
        Assert.Contains("outbound|9080||reviews.default.svc.cluster.local", clusters, StringComparison.Ordinal);
        var (missing, _) = await RunAsync("request", "GET", "no-such-path", "--admin-address", sidecar.Bind.ToString());
        Assert.Equal(1, missing);
    }

    [Fact]
    public async Task Help_lists_the_run_flags()
    {
        var (code, output) = await RunAsync("run", "--help");

        Assert.Equal(0, code);
        Assert.Contains("--config", output);
        Assert.Contains("--bind", output);
        Assert.Contains("--outbound-traffic-policy", output);
    }

    [Theory]
    [InlineData(new[] { "run" }, "--config")]
    [InlineData(new[] { "run" }, "--xds-address")]
    [InlineData(new[] { "run", "--config", "/nonexistent-dir" }, "/nonexistent-dir")]
    [InlineData(new[] { "run", "--config", "/tmp", "--outbound-port", "70000" }, "--outbound-port")]
    [InlineData(new[] { "run", "--config", "/tmp", "--bind", "not-an-ip" }, "--bind")]
    [InlineData(new[] { "run", "--config", "/tmp", "--outbound-traffic-policy", "MAYBE" }, "MAYBE")]
    [InlineData(new[] { "run", "--config", "/tmp", "--drain-duration", "soon" }, "--drain-duration")]
    [InlineData(new[] { "run", "--config", "/tmp", "--labels", "app" }, "--labels")]
    [InlineData(new[] { "run", "--config", "/tmp", "--no-such-flag" }, "--no-such-flag")]
    [InlineData(new[] { "run", "--config", "/tmp", "--concurrency", "-1" }, "--concurrency")]
    public async Task Bad_flags_fail_with_a_message_naming_them(string[] arguments, string named)
    {
        var (code, output) = await RunAsync(arguments);

        Assert.NotEqual(0, code);
        Assert.Contains(named, output);
    }

    [Fact]
    public async Task Version_prints()
    {
        var (code, output) = await RunAsync("version");

        Assert.Equal(0, code);
        Assert.StartsWith("sidecar ", output);
    }

    /// <summary>Istio's ProxyConfig <c>concurrency</c> (Envoy's <c>--concurrency</c>): the worker threads, here the socket event loops.</summary>
    [Theory]
    [InlineData(new string[0], 0)]
    [InlineData(new[] { "--concurrency", "3" }, 3)]
    [InlineData(new[] { "--concurrency", "1" }, 1)]
    public async Task Concurrency_sets_the_worker_threads_and_server_info_reports_it(string[] arguments, int expected)
    {
        // Istio's default: 2 workers, fewer when fewer CPUs are available.
        expected = expected == 0 ? Math.Min(2, Environment.ProcessorCount) : expected;
        await using var backend = await TestBackend.StartAsync("echo", ScriptedBackend.Handler("echo"));
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("echo", 9080, (backend, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, arguments: arguments);
        using var response = await sidecar.SendAsync("echo:9080", "/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var info = System.Text.Json.JsonDocument.Parse(await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/server_info"));
        Assert.Equal(expected, info.RootElement.GetProperty("command_line_options").GetProperty("concurrency").GetInt32());
        // admin.v3.ServerInfo's shape: proto JSON durations, the node pilot-agent presents.
        Assert.Matches(@"^\d+s$", info.RootElement.GetProperty("uptime_current_epoch").GetString());
        Assert.Equal("LIVE", info.RootElement.GetProperty("state").GetString());
        Assert.StartsWith("sidecar~", info.RootElement.GetProperty("node").GetProperty("id").GetString(), StringComparison.Ordinal);
        var socketThreads = Directory.GetDirectories($"/proc/{sidecar.ProcessId}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
        Assert.Equal(expected, socketThreads);
    }

    [Fact]
    public async Task Sigterm_keeps_serving_for_the_drain_period_closing_inbound_connections_then_exits()
    {
        // pilot-agent on SIGTERM: drain_listeners?inboundonly&graceful, then terminationDrainDuration before Envoy
        // stops. The app's outbound calls keep working meanwhile; inbound HTTP/1 responses close their connection.
        await using var backend = await TestBackend.StartAsync("slow", ScriptedBackend.Handler("slow"));
        using var config = new ConfigDirectory();
        var bind = LoopbackAddresses.Next();
        config.Write("services.yaml", MeshYaml.Service("slow", 9080, (backend, "v1")) + $$$"""

            ---
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: ingress, namespace: default}
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                bind: {{{bind}}}
                defaultEndpoint: 127.0.0.1:{{{backend.Port}}}
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, bind, environment: new Dictionary<string, string> { ["TERMINATION_DRAIN_DURATION_SECONDS"] = "3" });
        var id = Guid.NewGuid().ToString("N");
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        backend.RequestReceived += r =>
        {
            if (r.Headers.GetValueOrDefault("x-test-id") == id)
            {
                arrived.TrySetResult();
            }
        };

        var inFlight = sidecar.SendAsync("slow:9080", "/", configure: r =>
        {
            r.Headers.Add("x-test-id", id);
            r.Headers.Add("x-delay-ms", "1500");
        });
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var exit = sidecar.TerminateAsync(TimeSpan.FromSeconds(20));
        await sidecar.WaitForOutputAsync("Draining inbound connections for 3 s", TimeSpan.FromSeconds(10));

        // Outbound: a new request is still routed.
        using (var outbound = await sidecar.SendAsync("slow:9080", "/"))
        {
            Assert.Equal(HttpStatusCode.OK, outbound.StatusCode);
        }

        // Inbound: served, and told to close the connection.
        using (var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }))
        using (var inbound = await client.GetAsync($"http://{bind}:9080/"))
        {
            Assert.Equal(HttpStatusCode.OK, inbound.StatusCode);
            Assert.True(inbound.Headers.ConnectionClose, "inbound response without Connection: close while draining");
        }

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await exit);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"exited {clock.Elapsed} after SIGTERM, before the 3 s drain period");
    }

    [Fact]
    public async Task Sigterm_while_starting_is_a_clean_stop()
    {
        // Like pilot-agent, the sidecar serves only once it holds a certificate from Istio's CA: a start held there (the
        // CA here a listener that accepts and never speaks TLS) is one a SIGTERM can be sent into for sure. A pod deleted
        // as it starts stops cleanly, exit code 0, as Envoy and pilot-agent do.
        using var ca = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        ca.Start();
        using var config = new ConfigDirectory();
        var token = Path.GetTempFileName();
        await File.WriteAllTextAsync(token, "a-service-account-token");
        await using var sidecar = await SidecarProcess.StartAsync(
            config.Path,
            arguments: ["--ca-address", $"https://127.0.0.1:{((IPEndPoint)ca.LocalEndpoint).Port}", "--ca-token-file", token],
            waitUntilReady: false);

        // The sidecar is asking the CA for its first certificate.
        using var asking = await ca.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(0, await sidecar.TerminateAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("Stopped while starting", sidecar.Output, StringComparison.Ordinal);
        File.Delete(token);
    }

    [Fact]
    public async Task With_exit_on_zero_active_connections_the_sidecar_outlives_its_last_connection()
    {
        // pilot-agent's EXIT_ON_ZERO_ACTIVE_CONNECTIONS: after MINIMUM_DRAIN_DURATION, exit once downstream_cx_active is 0.
        await using var backend = await TestBackend.StartAsync("reviews-v1");
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (backend, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, environment: new Dictionary<string, string>
        {
            ["EXIT_ON_ZERO_ACTIVE_CONNECTIONS"] = "true",
            ["MINIMUM_DRAIN_DURATION"] = "1s",
        });

        // A keep-alive connection from the app stays open across the minimum drain period.
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(sidecar.Bind, 15001);
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: reviews:9080\r\n\r\n"u8.ToArray());
        var buffer = new byte[4096];
        Assert.True(await socket.ReceiveAsync(buffer) > 0);

        var exit = sidecar.TerminateAsync(TimeSpan.FromSeconds(20));
        await sidecar.WaitForOutputAsync("then until no downstream connection is left", TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the scenario: the app's connection lives past the minimum drain
        Assert.False(exit.IsCompleted, "exited while a downstream connection was open");

        var closedAt = System.Diagnostics.Stopwatch.StartNew();
        socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        socket.Close();
        Assert.Equal(0, await exit);
        Assert.True(closedAt.Elapsed < TimeSpan.FromSeconds(5), $"exited {closedAt.Elapsed} after the last connection closed");
    }
}
