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
        var socketThreads = Directory.GetDirectories($"/proc/{sidecar.ProcessId}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");
        Assert.Equal(expected, socketThreads);
    }

    [Fact]
    public async Task Sigterm_stops_accepting_drains_in_flight_requests_then_exits()
    {
        await using var backend = await TestBackend.StartAsync("slow", ScriptedBackend.Handler("slow"));
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("slow", 9080, (backend, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, arguments: ["--drain-duration", "10s"]);
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
        var exit = sidecar.TerminateAsync(TimeSpan.FromSeconds(20));

        // New connections are refused once the listeners close, while the request in flight completes.
        await Wait.UntilAsync(async () =>
        {
            try
            {
                using var probe = new HttpClient(new SocketsHttpHandler { UseProxy = false });
                using var request = new HttpRequestMessage(HttpMethod.Get, sidecar.Client.BaseAddress);
                request.Headers.Host = "slow:9080";
                using var response = await probe.SendAsync(request);
                return false;
            }
            catch (HttpRequestException)
            {
                return true;
            }
        }, TimeSpan.FromSeconds(10), "the outbound listener to stop accepting");
        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("slow", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await exit);
    }
}
