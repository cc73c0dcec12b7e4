using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sidecar.LoadHarness.Running;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// Istio's benchmark method on one machine: the same fixed-rate load against the backend directly, through a
/// client-side sidecar, through a server-side sidecar, and through both; then (optionally) closed-loop throughput
/// against the backend, the sidecar, a bare YARP forwarder and HAProxy. Every process is started here, on its own
/// loopback address, and stopped afterwards.
/// </summary>
internal sealed class ComparisonRunner
{
    private readonly ComparisonOptions _options;
    private readonly TextWriter _log;
    private readonly string _workDirectory = Path.Combine(Path.GetTempPath(), "loadgen-compare-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _octet = 100 + Random.Shared.Next(100);

    public ComparisonRunner(ComparisonOptions options, TextWriter log)
    {
        _options = options;
        _log = log;
    }

    public async Task<(IReadOnlyList<ScenarioResult> Latency, IReadOnlyList<ScenarioResult> Throughput)> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_workDirectory);
        try
        {
            var backendPort = FreePort();
            await using var backend = ManagedProcess.Start("backend", _options.Backend,
                ["--role", "echo", "--listen", $"http://127.0.0.1:{backendPort}", "--payload-bytes", _options.PayloadBytes.ToString(CultureInfo.InvariantCulture)]);
            await WaitForHttpAsync(new Uri($"http://127.0.0.1:{backendPort}/health"), backend, cancellationToken).ConfigureAwait(false);

            var latency = new List<ScenarioResult>
            {
                await MeasureAsync("direct", new Uri($"http://127.0.0.1:{backendPort}/"), null, [], cancellationToken).ConfigureAwait(false),
                await WithSidecarsAsync("client sidecar", backendPort, client: true, server: false, rate: _options.Rate, cancellationToken).ConfigureAwait(false),
                await WithSidecarsAsync("server sidecar", backendPort, client: false, server: true, rate: _options.Rate, cancellationToken).ConfigureAwait(false),
                await WithSidecarsAsync("both sidecars", backendPort, client: true, server: true, rate: _options.Rate, cancellationToken).ConfigureAwait(false),
            };

            var throughput = new List<ScenarioResult>();
            if (_options.Saturate)
            {
                throughput.Add(await MeasureAsync("direct", new Uri($"http://127.0.0.1:{backendPort}/"), null, [], cancellationToken, rate: 0).ConfigureAwait(false));
                throughput.Add(await WithSidecarsAsync("sidecar", backendPort, client: true, server: false, rate: 0, cancellationToken).ConfigureAwait(false));
                if (_options.BareYarp is { } bareYarp)
                {
                    throughput.Add(await WithBaselineAsync("bare-yarp", bareYarp, backendPort, cancellationToken).ConfigureAwait(false));
                }

                if (_options.HaProxy is { } haproxy)
                {
                    throughput.Add(await WithHaProxyAsync(haproxy, backendPort, cancellationToken).ConfigureAwait(false));
                }
            }

            return (latency, throughput);
        }
        finally
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
    }

    private async Task<ScenarioResult> WithSidecarsAsync(string name, int backendPort, bool client, bool server, double rate, CancellationToken cancellationToken)
    {
        var clientBind = Address(1);
        var serverBind = Address(2);
        var processes = new List<(string Role, ManagedProcess Process)>();
        try
        {
            if (server)
            {
                var config = ComparisonMesh.WriteServer(Path.Combine(_workDirectory, $"server-{processes.Count}-{Guid.NewGuid():N}"), serverBind, backendPort);
                processes.Add(("server", StartSidecar(config, serverBind, ["--labels", "app=echo,version=v1"])));
            }

            if (client)
            {
                var (address, port) = server ? (serverBind, ComparisonMesh.ServicePort) : ("127.0.0.1", backendPort);
                var config = ComparisonMesh.WriteClient(Path.Combine(_workDirectory, $"client-{Guid.NewGuid():N}"), address, port);
                processes.Add(("client", StartSidecar(config, clientBind, ["--labels", "app=loadgen,version=v1"])));
            }

            foreach (var (role, process) in processes)
            {
                var bind = role == "client" ? clientBind : serverBind;
                await WaitForHttpAsync(new Uri($"http://{bind}:15021/healthz/ready"), process, cancellationToken).ConfigureAwait(false);
            }

            var target = client
                ? new Uri($"http://{clientBind}:15001/")
                : new Uri($"http://{serverBind}:{ComparisonMesh.ServicePort}/");
            var headers = client ? new[] { new KeyValuePair<string, string>("Host", ComparisonMesh.Authority) } : [];
            return await MeasureAsync(name, target, headers, processes.Select(p => ($"{p.Role} sidecar", p.Process)).ToArray(), cancellationToken, rate).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (_, process) in processes)
            {
                await process.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<ScenarioResult> WithBaselineAsync(string name, string program, int backendPort, CancellationToken cancellationToken)
    {
        var bind = Address(3);
        var port = FreePort();
        await using var process = ManagedProcess.Start(name, program, [$"{bind}:{port}", $"http://127.0.0.1:{backendPort}"]);
        await WaitForHttpAsync(new Uri($"http://{bind}:{port}/health"), process, cancellationToken).ConfigureAwait(false);
        return await MeasureAsync(name, new Uri($"http://{bind}:{port}/"), [], [(name, process)], cancellationToken, rate: 0).ConfigureAwait(false);
    }

    private async Task<ScenarioResult> WithHaProxyAsync(string program, int backendPort, CancellationToken cancellationToken)
    {
        var bind = Address(4);
        var port = FreePort();
        var config = Path.Combine(_workDirectory, "haproxy.cfg");
        // One thread, as the comparison asks; connection reuse to the backend as the sidecar does. HAProxy wants the
        // file to end with a newline.
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture, $"""
            global
              nbthread 1
              maxconn 4096
            defaults
              mode http
              timeout connect 5s
              timeout client 30s
              timeout server 30s
              http-reuse always
            frontend fe
              bind {bind}:{port}
              default_backend be
            backend be
              server echo 127.0.0.1:{backendPort}

            """));
        await using var process = ManagedProcess.Start("haproxy", program, ["-f", config, "-db"]);
        await WaitForHttpAsync(new Uri($"http://{bind}:{port}/health"), process, cancellationToken).ConfigureAwait(false);
        return await MeasureAsync("haproxy", new Uri($"http://{bind}:{port}/"), [], [("haproxy", process)], cancellationToken, rate: 0).ConfigureAwait(false);
    }

    private ManagedProcess StartSidecar(string config, string bind, IEnumerable<string> extra) =>
        ManagedProcess.Start("sidecar", _options.Sidecar,
            ["run", "--config", config, "--bind", bind, "--log-level", "warning", .. extra, .. _options.SidecarArguments]);

    /// <summary>Warmup run, then the measured run with each proxy's CPU and peak RSS taken over exactly that window.</summary>
    private async Task<ScenarioResult> MeasureAsync(
        string name,
        Uri url,
        IReadOnlyList<KeyValuePair<string, string>>? headers,
        IReadOnlyList<(string Name, ManagedProcess Process)> proxies,
        CancellationToken cancellationToken,
        double? rate = null)
    {
        var scenario = new LoadScenario
        {
            Url = url,
            Rate = rate ?? _options.Rate,
            Duration = _options.Duration,
            Warmup = TimeSpan.Zero,
            Connections = _options.Connections,
            Protocol = _options.Protocol,
            StreamsPerConnection = _options.Protocol == HttpProtocol.Http2 ? 100 : 1,
            PayloadBytes = 0,
            Headers = headers ?? [],
        };

        await _log.WriteLineAsync($"loadgen compare: {name}: warmup {_options.Warmup.TotalSeconds:0.#} s, then {_options.Duration.TotalSeconds:0.#} s at {(scenario.Rate > 0 ? $"{scenario.Rate:0} requests/s" : "saturation")}").ConfigureAwait(false);
        if (_options.Warmup > TimeSpan.Zero)
        {
            await LoadRunner.RunAsync(scenario with { Duration = _options.Warmup }, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (_, process) in proxies)
        {
            process.ResetPeakRss();
        }

        var cpuBefore = proxies.Select(p => p.Process.CpuTime()).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = await LoadRunner.RunAsync(scenario, cancellationToken).ConfigureAwait(false);
        var window = clock.Elapsed.TotalSeconds;
        var costs = proxies.Select((p, i) => new ProcessCost(p.Name, (p.Process.CpuTime() - cpuBefore[i]).TotalSeconds, window, p.Process.PeakRssBytes())).ToArray();
        return new ScenarioResult(name, report, costs);
    }

    private async Task WaitForHttpAsync(Uri url, ManagedProcess process, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited before answering {url}:\n{process.Output}");
            }

            try
            {
                using var response = await client.GetAsync(url, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"{process.Name} did not answer {url} within 30 s:\n{process.Output}");
    }

    private string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"127.0.{_octet}.{host}");

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
