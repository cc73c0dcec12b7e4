using System.Diagnostics;
using System.Net;
using System.Text;

namespace Sidecar.Testing;

/// <summary>
/// A real sidecar process (<c>Sidecar.dll run ...</c>) on its own loopback address, as a user would start it.
/// Start waits for <c>/healthz/ready</c> (or fails with the process output); dispose stops it with SIGTERM.
/// </summary>
public sealed class SidecarProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SidecarProcess(Process process, IPAddress bind, Func<HttpMessageHandler>? handlers = null)
    {
        _process = process;
        Bind = bind;
        _handlers = handlers ?? (() => new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        Client = new HttpClient(_handlers())
        {
            BaseAddress = new Uri($"http://{bind}:15001"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    private readonly Func<HttpMessageHandler> _handlers;

    public IPAddress Bind { get; }

    /// <summary>A client whose base address is the outbound listener.</summary>
    public HttpClient Client { get; }

    /// <summary>Admin stays on localhost when the sidecar binds every address (in a pod), as Envoy's does.</summary>
    public string AdminUrl => Bind.Equals(IPAddress.Any) || _inPod ? "http://127.0.0.1:15000" : $"http://{Bind}:15000";

    private bool _inPod;

    public string HealthUrl => $"http://{Bind}:15021/healthz/ready";

    public int ProcessId => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Raised for each line the process writes.</summary>
    public event Action<string>? LineWritten;

    /// <summary>The built sidecar (Sidecar.dll) next to the test assembly.</summary>
    public static string SidecarAssembly => Path.Combine(AppContext.BaseDirectory, "Sidecar.dll");

    /// <summary>Starts <c>sidecar run --config DIR --bind ADDRESS</c> plus <paramref name="arguments"/>.</summary>
    public static Task<SidecarProcess> StartAsync(string configDirectory, IPAddress? bind = null, IEnumerable<string>? arguments = null, bool waitUntilReady = true, IDictionary<string, string>? environment = null)
    {
        bind ??= LoopbackAddresses.Next();
        return LaunchAsync(["dotnet", SidecarAssembly, "run", "--config", configDirectory, "--bind", bind.ToString(), .. arguments ?? []], bind, null, waitUntilReady, environment);
    }

    /// <summary>Starts <c>sidecar run --xds-address URL --bind ADDRESS</c> plus <paramref name="arguments"/>: mesh mode, configured by a control plane.</summary>
    public static Task<SidecarProcess> StartWithXdsAsync(Uri xdsAddress, IPAddress? bind = null, IEnumerable<string>? arguments = null, bool waitUntilReady = true, IDictionary<string, string>? environment = null)
    {
        bind ??= LoopbackAddresses.Next();
        return LaunchAsync(["dotnet", SidecarAssembly, "run", "--xds-address", xdsAddress.ToString(), "--bind", bind.ToString(), .. arguments ?? []], bind, null, waitUntilReady, environment);
    }

    /// <summary>
    /// Starts the sidecar inside a pod's network namespace as the proxy user (uid/gid 1337), bound to 0.0.0.0 with
    /// the pod's address as its instance IP, as the injected container runs. The test reaches it from inside the pod.
    /// </summary>
    public static Task<SidecarProcess> StartInPodAsync(Netns.Pod pod, string configDirectory, IEnumerable<string>? arguments = null, bool waitUntilReady = true)
    {
        string[] sidecar = ["dotnet", SidecarAssembly, "run", "--config", configDirectory, "--bind", "0.0.0.0", "--instance-ip", pod.Address.ToString(), "--pod-name", pod.Name, .. arguments ?? []];
        var command = new[] { "ip", "netns", "exec", pod.Namespace.Name }.Concat(Netns.NetworkNamespace.AsUser(1337, 1337, sidecar)).ToArray();
        return LaunchAsync(command, pod.Address, () => Netns.NamespaceHttp.CreateHandler(pod.Namespace), waitUntilReady, new Dictionary<string, string> { ["HOME"] = "/tmp" }, inPod: true);
    }

    /// <summary>As <see cref="StartInPodAsync"/>, configured over xDS by the control plane at <paramref name="xdsAddress"/> (mesh mode).</summary>
    public static Task<SidecarProcess> StartInPodWithXdsAsync(Netns.Pod pod, Uri xdsAddress, IEnumerable<string>? arguments = null, bool waitUntilReady = true)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(xdsAddress);
        string[] sidecar = ["dotnet", SidecarAssembly, "run", "--xds-address", xdsAddress.ToString(), "--bind", "0.0.0.0", "--instance-ip", pod.Address.ToString(), "--pod-name", pod.Name, .. arguments ?? []];
        var command = new[] { "ip", "netns", "exec", pod.Namespace.Name }.Concat(Netns.NetworkNamespace.AsUser(1337, 1337, sidecar)).ToArray();
        return LaunchAsync(command, pod.Address, () => Netns.NamespaceHttp.CreateHandler(pod.Namespace), waitUntilReady, new Dictionary<string, string> { ["HOME"] = "/tmp" }, inPod: true);
    }

    private static async Task<SidecarProcess> LaunchAsync(string[] command, IPAddress bind, Func<HttpMessageHandler>? handlers, bool waitUntilReady, IDictionary<string, string>? environment, bool inPod = false)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        // A test's sidecar exits at once on SIGTERM unless the test asks for Istio's drain period (5 s otherwise).
        start.Environment["TERMINATION_DRAIN_DURATION_SECONDS"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var sidecar = new SidecarProcess(process, bind, handlers) { _inPod = inPod };
        process.OutputDataReceived += (_, e) => sidecar.Append(e.Data);
        process.ErrorDataReceived += (_, e) => sidecar.Append(e.Data);
        process.Exited += (_, _) => sidecar._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitUntilReady)
        {
            try
            {
                await sidecar.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
            }
            catch
            {
                // The caller never gets the process to dispose: stop it here, or it outlives the test run.
                await sidecar.DisposeAsync();
                throw;
            }
        }

        return sidecar;
    }

    /// <summary>Polls <c>/healthz/ready</c> until 200; fails with the output if the process exits first.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var probe = new HttpClient(_handlers()) { Timeout = TimeSpan.FromSeconds(2) };
        await Wait.UntilAsync(async () =>
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"sidecar exited with {ExitCode} before becoming ready:\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync(HealthUrl);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, timeout, $"sidecar on {Bind} to become ready. Output:\n{Output}");
    }

    /// <summary>Waits for a line containing <paramref name="text"/> (already written or to come).</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string line)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        }

        LineWritten += OnLine;
        if (Output.Contains(text, StringComparison.Ordinal))
        {
            seen.TrySetResult();
        }

        return seen.Task.WaitAsync(timeout).ContinueWith(t =>
        {
            LineWritten -= OnLine;
            if (t.IsFaulted)
            {
                throw new TimeoutException($"no output line containing '{text}' within {timeout}. Output:\n{Output}");
            }
        }, TaskScheduler.Default);
    }

    /// <summary>Sends a request to the outbound listener with <paramref name="authority"/> as Host.</summary>
    public Task<HttpResponseMessage> SendAsync(string authority, string path = "/", HttpMethod? method = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Host = authority;
        configure?.Invoke(request);
        return Client.SendAsync(request);
    }

    /// <summary>Sends SIGTERM and waits for the process to exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!HasExited)
        {
            ProcessSignals.Terminate(_process.Id);
        }

        await _exited.Task.WaitAsync(timeout);
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await TerminateAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        LineWritten?.Invoke(line);
    }
}
