using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sidecar.LoadHarness.Running;
using Sidecar.LoadHarness.Scenarios;

namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// Istio's benchmark method on one machine: the same fixed-rate load against the backend directly, through a
/// client-side sidecar, through a server-side sidecar, through both, and through the bare YARP forwarder and HAProxy
/// when given (what a forwarder costs on this machine); then (optionally) closed-loop throughput
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

    public async Task<ComparisonResults> RunAsync(CancellationToken cancellationToken)
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

            // The yardsticks under the same load: what a bare forwarder and HAProxy cost on this machine.
            if (_options.BareYarp is { } bareYarpProgram)
            {
                await using var bareYarp = await StartBaselineAsync(bareYarpProgram, backendPort, cancellationToken).ConfigureAwait(false);
                latency.Add(await MeasureAsync(ComparisonTargets.BareYarp, bareYarp.Url, [], [("bare-yarp", bareYarp.Process)], cancellationToken).ConfigureAwait(false));
            }

            if (_options.HaProxy is { } haproxyExecutable)
            {
                await using var haproxy = await StartHaProxyAsync(haproxyExecutable, backendPort, cancellationToken).ConfigureAwait(false);
                latency.Add(await MeasureAsync(ComparisonTargets.HaProxy, haproxy.Url, [], [("haproxy", haproxy.Process)], cancellationToken).ConfigureAwait(false));
            }

            var startup = new List<StartupResult>();
            if (_options.Starts > 0)
            {
                // The echo service alone, then among the comparison's other services.
                startup.Add(await MeasureStartupAsync(backendPort, otherServices: 0, cancellationToken).ConfigureAwait(false));
                startup.Add(await MeasureStartupAsync(backendPort, ComparisonMesh.OtherServices, cancellationToken).ConfigureAwait(false));
            }

            var throughput = _options.Saturate ? await SaturateAsync(backendPort, cancellationToken).ConfigureAwait(false) : [];
            return new ComparisonResults(latency, startup, throughput);
        }
        finally
        {
            Directory.Delete(_workDirectory, recursive: true);
        }
    }

    private async Task<ScenarioResult> WithSidecarsAsync(string name, int backendPort, bool client, bool server, double rate, CancellationToken cancellationToken)
    {
        var sidecars = await StartSidecarsAsync(backendPort, client, server, cancellationToken).ConfigureAwait(false);
        await using (sidecars.ConfigureAwait(false))
        {
            return await MeasureAsync(name, sidecars.Target, sidecars.Headers, sidecars.Proxies, cancellationToken, rate).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the client-side sidecar, the server-side sidecar or both, and waits until each is ready.</summary>
    private async Task<RunningSidecars> StartSidecarsAsync(int backendPort, bool client, bool server, CancellationToken cancellationToken, int clientHost = 1, IReadOnlyList<string>? clientArguments = null)
    {
        var clientBind = Address(clientHost);
        var serverBind = Address(2);
        var processes = new List<(string Role, ManagedProcess Process)>();
        var sidecars = new RunningSidecars(processes);
        try
        {
            if (server)
            {
                var config = ComparisonMesh.WriteServer(Path.Combine(_workDirectory, $"server-{Guid.NewGuid():N}"), serverBind, backendPort);
                processes.Add(("server", StartSidecar(config, serverBind, ["--labels", "app=echo,version=v1"])));
            }

            if (client)
            {
                var (address, port) = server ? (serverBind, ComparisonMesh.ServicePort) : ("127.0.0.1", backendPort);
                processes.Add(("client", StartSidecar(WriteClientConfig(address, port), clientBind, ["--labels", "app=loadgen,version=v1", .. clientArguments ?? []])));
            }

            foreach (var (role, process) in processes)
            {
                var bind = role == "client" ? clientBind : serverBind;
                await WaitForHttpAsync(new Uri($"http://{bind}:15021/healthz/ready"), process, cancellationToken).ConfigureAwait(false);
            }

            sidecars.Target = client
                ? new Uri($"http://{clientBind}:15001/")
                : new Uri($"http://{serverBind}:{ComparisonMesh.ServicePort}/");
            sidecars.Headers = client ? [new KeyValuePair<string, string>("Host", ComparisonMesh.Authority)] : [];
            return sidecars;
        }
        catch
        {
            await sidecars.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private string WriteClientConfig(string address, int port, int otherServices = ComparisonMesh.OtherServices) =>
        ComparisonMesh.WriteClient(Path.Combine(_workDirectory, $"client-{Guid.NewGuid():N}"), address, port, otherServices);

    /// <summary>
    /// Start to ready: the client-side sidecar (with the echo service and <paramref name="otherServices"/> others) is
    /// started <see cref="ComparisonOptions.Starts"/> times; each time, from starting the process to the first 200
    /// from <c>/healthz/ready</c> (polled every millisecond), and its RSS at that moment.
    /// </summary>
    private async Task<StartupResult> MeasureStartupAsync(int backendPort, int otherServices, CancellationToken cancellationToken)
    {
        await _log.WriteLineAsync($"loadgen compare: start to ready with {otherServices + 1} services, {_options.Starts} starts").ConfigureAwait(false);
        var config = WriteClientConfig("127.0.0.1", backendPort, otherServices);
        var bind = Address(5);
        var ready = new Uri($"http://{bind}:15021/healthz/ready");
        var readyMs = new List<double>();
        var readyRss = new List<long>();
        for (var i = 0; i < _options.Starts; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await using var process = StartSidecar(config, bind, ["--labels", "app=loadgen,version=v1"]);
            await WaitForHttpAsync(ready, process, cancellationToken, poll: TimeSpan.FromMilliseconds(1)).ConfigureAwait(false);
            readyMs.Add(clock.Elapsed.TotalMilliseconds);
            readyRss.Add(process.RssBytes());
        }

        return new StartupResult(otherServices + 1, readyMs, readyRss);
    }

    /// <summary>
    /// Closed-loop throughput of the backend, the sidecar, the bare YARP forwarder and HAProxy, and with
    /// <see cref="ComparisonOptions.OneLoop"/> the sidecar and the forwarder with one event loop each (HAProxy runs
    /// one thread). All of them are started first and measured in turn, <see cref="ComparisonOptions.Rounds"/> times
    /// round-robin: each target's figure is the median of its rounds, so a burst of noise on a shared machine lands
    /// in one round of each target rather than on one target's only run.
    /// </summary>
    private async Task<IReadOnlyList<ScenarioResult>> SaturateAsync(int backendPort, CancellationToken cancellationToken)
    {
        var sidecars = await StartSidecarsAsync(backendPort, client: true, server: false, cancellationToken).ConfigureAwait(false);
        await using var sidecarsScope = sidecars.ConfigureAwait(false);
        await using var oneLoopSidecars = _options.OneLoop
            ? await StartSidecarsAsync(backendPort, client: true, server: false, cancellationToken, clientHost: 6, clientArguments: ["--concurrency", "1"]).ConfigureAwait(false)
            : null;
        await using var bareYarp = _options.BareYarp is { } program ? await StartBaselineAsync(program, backendPort, cancellationToken).ConfigureAwait(false) : null;
        await using var oneLoopBareYarp = _options.BareYarp is { } oneLoopProgram && _options.OneLoop
            ? await StartBaselineAsync(oneLoopProgram, backendPort, cancellationToken, host: 7, socketThreads: 1).ConfigureAwait(false)
            : null;
        await using var haproxy = _options.HaProxy is { } executable ? await StartHaProxyAsync(executable, backendPort, cancellationToken).ConfigureAwait(false) : null;

        var targets = new List<(string Name, Uri Url, IReadOnlyList<KeyValuePair<string, string>> Headers, IReadOnlyList<(string, ManagedProcess)> Proxies)>
        {
            ("direct", new Uri($"http://127.0.0.1:{backendPort}/"), [], []),
            (ComparisonTargets.Sidecar, sidecars.Target, sidecars.Headers, sidecars.Proxies),
        };
        if (oneLoopSidecars is not null)
        {
            targets.Add((ComparisonTargets.SidecarOneLoop, oneLoopSidecars.Target, oneLoopSidecars.Headers, oneLoopSidecars.Proxies));
        }

        if (bareYarp is not null)
        {
            targets.Add((ComparisonTargets.BareYarp, bareYarp.Url, [], [("bare-yarp", bareYarp.Process)]));
        }

        if (oneLoopBareYarp is not null)
        {
            targets.Add((ComparisonTargets.BareYarpOneLoop, oneLoopBareYarp.Url, [], [("bare-yarp", oneLoopBareYarp.Process)]));
        }

        if (haproxy is not null)
        {
            targets.Add((ComparisonTargets.HaProxy, haproxy.Url, [], [("haproxy", haproxy.Process)]));
        }

        var rounds = targets.Select(target => new List<ScenarioResult>()).ToArray();
        for (var round = 0; round < _options.Rounds; round++)
        {
            for (var i = 0; i < targets.Count; i++)
            {
                var (name, url, headers, proxies) = targets[i];
                rounds[i].Add(await MeasureAsync(name, url, headers, proxies, cancellationToken, rate: 0).ConfigureAwait(false));
            }
        }

        return rounds.Select(ScenarioResult.Median).ToArray();
    }

    /// <summary>The bare forwarder; <paramref name="socketThreads"/>: its socket event loops (null: the runtime's choice, as the sidecar's default).</summary>
    private async Task<StartedProxy> StartBaselineAsync(string program, int backendPort, CancellationToken cancellationToken, int host = 3, int? socketThreads = null)
    {
        var bind = Address(host);
        var port = FreePort();
        var environment = socketThreads is { } threads
            ? new Dictionary<string, string> { ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = threads.ToString(CultureInfo.InvariantCulture) }
            : null;
        var process = ManagedProcess.Start("bare-yarp", program, [$"{bind}:{port}", $"http://127.0.0.1:{backendPort}"], environment);
        var proxy = new StartedProxy(process, new Uri($"http://{bind}:{port}/"));
        await WaitOrStopAsync(proxy, cancellationToken).ConfigureAwait(false);
        return proxy;
    }

    private async Task<StartedProxy> StartHaProxyAsync(string program, int backendPort, CancellationToken cancellationToken)
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
        var proxy = new StartedProxy(ManagedProcess.Start("haproxy", program, ["-f", config, "-db"]), new Uri($"http://{bind}:{port}/"));
        await WaitOrStopAsync(proxy, cancellationToken).ConfigureAwait(false);
        return proxy;
    }

    private async Task WaitOrStopAsync(StartedProxy proxy, CancellationToken cancellationToken)
    {
        try
        {
            await WaitForHttpAsync(new Uri(proxy.Url, "/health"), proxy.Process, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private ManagedProcess StartSidecar(string config, string bind, IEnumerable<string> extra) =>
        ManagedProcess.Start("sidecar", _options.Sidecar,
            // No drain period: a measured sidecar is stopped between scenarios, with nothing left in flight.
            ["run", "--config", config, "--bind", bind, "--log-level", "warning", "--drain-duration", "0s", .. extra, .. _options.SidecarArguments]);

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

    /// <summary>Polls <paramref name="url"/> (every 50 ms, or <paramref name="poll"/>) until it answers 2xx; fails if the process exits first.</summary>
    private static async Task WaitForHttpAsync(Uri url, ManagedProcess process, CancellationToken cancellationToken, TimeSpan? poll = null)
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

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
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
