using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Sidecar.Model;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// Requests on Kestrel's own endpoints: Envoy's admin API (15000), the health port (15021) and the agent status
/// port (15020), told apart by local port.
/// </summary>
internal sealed class AdminHandler
{
    private static readonly string Version = typeof(AdminHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
    private readonly DataPlane _dataPlane;
    private readonly ListenerManager _listeners;
    private readonly ProxyReadiness _readiness;
    private readonly ProxyOptions _options;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;

    private readonly ApplicationProbes _probes;

    private readonly TerminationDrain _termination;

    private readonly Security.WorkloadIdentity _identity;

    private readonly RuntimeLogLevels _logLevels;

    public AdminHandler(DataPlane dataPlane, ListenerManager listeners, ProxyReadiness readiness, ProxyOptions options, IHostApplicationLifetime lifetime, TimeProvider time, ApplicationProbes probes, TerminationDrain termination, Security.WorkloadIdentity identity, RuntimeLogLevels logLevels)
    {
        _identity = identity;
        _logLevels = logLevels;
        _probes = probes;
        _termination = termination;
        _dataPlane = dataPlane;
        _listeners = listeners;
        _readiness = readiness;
        _options = options;
        _lifetime = lifetime;
        _time = time;
        _startedAt = time.GetUtcNow();
    }

    /// <summary>The ports <c>/config_dump</c>'s static resources describe.</summary>
    private EnvoyDump.StaticPorts StaticPorts => new(
        _options.BindAddress.ToString(), _options.StatsPort, _options.HealthPort, _options.AdminBindAddress.ToString(), _options.AdminPort, _options.StatusPort);

    /// <summary>Extra handlers by port and path, added by other components (metrics).</summary>
    public Dictionary<(int Port, string Path), RequestDelegate> Extensions { get; } = [];

    public Task HandleAsync(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        var path = context.Request.Path.Value ?? "/";
        if (Extensions.TryGetValue((port, path), out var extension))
        {
            return extension(context);
        }

        if (port == _options.AdminPort)
        {
            return HandleAdminAsync(context, path);
        }

        if (port == _options.StatusPort && ApplicationProbes.IsProbePath(path))
        {
            return _probes.HandleAsync(context);
        }

        if (port == _options.HealthPort || port == _options.StatusPort)
        {
            return path switch
            {
                "/healthz/ready" => ReadyAsync(context, envoyStyle: false),
                "/quitquitquit" when port == _options.StatusPort => AgentQuitAsync(context),
                "/drain" when port == _options.StatusPort => AgentDrainAsync(context),
                _ => NotFoundAsync(context),
            };
        }

        return NotFoundAsync(context);
    }

    private Task HandleAdminAsync(HttpContext context, string path) => path switch
    {
        "/" or "/help" => TextAsync(context, 200, HelpText),
        "/ready" => ReadyAsync(context, envoyStyle: true),
        "/healthz/ready" => ReadyAsync(context, envoyStyle: false),
        "/server_info" => ServerInfoAsync(context),
        "/config_dump" => ConfigDumpAsync(context),
        "/logging" => LoggingAsync(context),
        "/certs" => JsonAsync(context, CertificatesWriter.Write(_identity.Current, _time.GetUtcNow())),
        "/clusters" => ClustersAsync(context),
        "/listeners" => ListenersAsync(context),
        "/memory" => JsonAsync(context, MemoryWriter.Write()),
        "/quitquitquit" => QuitAsync(context),
        "/drain_listeners" => DrainListenersAsync(context),
        "/healthcheck/fail" => HealthCheckAsync(context, failed: true),
        "/healthcheck/ok" => HealthCheckAsync(context, failed: false),
        _ => NotFoundAsync(context),
    };

    private const string HelpText =
        "admin commands are:\n" +
        "  /: print this help\n" +
        "  /certs: print certs on machine\n" +
        "  /clusters: upstream cluster status (?format=json)\n" +
        "  /config_dump: dump the current Envoy configuration (?include_eds, ?resource=, ?name_regex=; ?include_model: the snapshot as this sidecar holds it)\n" +
        "  /drain_listeners (POST): drain listeners (?inboundonly: the inbound ones)\n" +
        "  /healthcheck/fail (POST): cause the server to fail health checks\n" +
        "  /healthcheck/ok (POST): cause the server to pass health checks\n" +
        "  /listeners: print listener info (?format=json)\n" +
        "  /logging (POST to change): list the loggers' levels; ?level=<level> sets all, ?<logger>=<level> one\n" +
        "  /memory: print current allocation/heap usage\n" +
        "  /quitquitquit (POST): exit the server\n" +
        "  /ready: print server state, return 200 if LIVE, otherwise return 503\n" +
        "  /server_info: print server version/status information\n";

    private Task ReadyAsync(HttpContext context, bool envoyStyle)
    {
        var ready = _readiness.IsReady;
        var body = envoyStyle ? _readiness.State + "\n" : ready ? "" : _readiness.State + "\n";
        return TextAsync(context, ready ? 200 : 503, body);
    }

    private Task ServerInfoAsync(HttpContext context)
    {
        // Envoy's admin.v3.ServerInfo: durations as proto JSON ("33s"); no hot restart in this process.
        var uptime = TimeSpan.FromSeconds(Math.Floor((_time.GetUtcNow() - _startedAt).TotalSeconds));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("version", Version);
            json.WriteString("state", _readiness.State);
            json.WriteString("hot_restart_version", "disabled");
            EnvoyDump.EnvoyJson.WriteDuration(json, "uptime_current_epoch", uptime);
            EnvoyDump.EnvoyJson.WriteDuration(json, "uptime_all_epochs", uptime);
            json.WriteStartObject("command_line_options");
            json.WriteNumber("concurrency", _options.Concurrency);
            json.WriteString("mode", "Serve");
            json.WriteBoolean("disable_hot_restart", true);
            json.WriteEndObject();
            EnvoyDump.BootstrapWriter.WriteNode(json, _options.Workload, Version);
            json.WriteEndObject();
        }

        return JsonAsync(context, buffer.ToArray());
    }

    private Task ConfigDumpAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var request = new ConfigDumpRequest(_dataPlane.Current?.Config, _dataPlane.Store, _options.Workload, _identity.Current, _identity.Store?.Generation ?? 0, StaticPorts, Version)
        {
            IncludeEndpoints = query.ContainsKey("include_eds"),
            IncludeModel = query.ContainsKey("include_model"),
            Resource = query["resource"],
            NameRegex = query["name_regex"],
        };
        return ConfigDumpWriter.Write(request, out var status, out var error) is { } body ? JsonAsync(context, body) : TextAsync(context, status, error + "\n");
    }

    /// <summary>Envoy's <c>/logging</c>: lists the loggers' levels; a POST with <c>level=</c> or <c>logger=</c> changes them first.</summary>
    private Task LoggingAsync(HttpContext context)
    {
        var changes = context.Request.Query.Select(q => new KeyValuePair<string, string>(q.Key, q.Value.ToString())).ToList();
        if (changes.Count > 0)
        {
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                return TextAsync(context, 405, "Method GET not allowed, POST required.\n");
            }

            if (_logLevels.Apply(changes) is { } error)
            {
                return TextAsync(context, 404, error + "\n");
            }
        }

        return TextAsync(context, 200, _logLevels.Describe());
    }

    private Task ClustersAsync(HttpContext context)
    {
        if (_dataPlane.Current is not { } snapshot)
        {
            return TextAsync(context, 200, "");
        }

        var now = _time.GetTimestamp();
        return context.Request.Query["format"] == "json"
            ? JsonAsync(context, ClustersWriter.WriteJson(snapshot, now))
            : TextAsync(context, 200, ClustersWriter.WriteText(snapshot, now));
    }

    /// <summary>
    /// Envoy's <c>/listeners</c>: every listener with its address, the bound ones (the capture listeners and those
    /// that bind their port) and istiod's per-port ones that only match redirected connections
    /// (<c>bind_to_port: false</c>); <c>name::address</c> lines, or <c>?format=json</c>'s <c>listener_statuses</c>.
    /// </summary>
    private Task ListenersAsync(HttpContext context)
    {
        var listeners = new List<(string Name, string Address, int Port)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var listener in new[] { _listeners.Outbound, _listeners.Inbound }.Concat(_listeners.ConfiguredListeners))
        {
            if (listener?.EndPoint is System.Net.IPEndPoint endpoint && seen.Add(listener.Name))
            {
                listeners.Add((listener.Name, endpoint.Address.ToString(), endpoint.Port));
            }
        }

        foreach (var config in _dataPlane.Current?.Config.Listeners ?? default)
        {
            if (seen.Add(config.Name))
            {
                listeners.Add((config.Name, config.Address, config.Port));
            }
        }

        if (context.Request.Query["format"] == "json")
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteStartArray("listener_statuses");
                foreach (var (name, address, port) in listeners)
                {
                    json.WriteStartObject();
                    json.WriteString("name", name);
                    EnvoyDump.EnvoyJson.WriteSocketAddress(json, "local_address", address, port);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            return JsonAsync(context, buffer.ToArray());
        }

        var text = new StringBuilder();
        foreach (var (name, address, port) in listeners)
        {
            text.Append(name).Append("::").Append(address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address).Append(':').Append(port).Append('\n');
        }

        return TextAsync(context, 200, text.ToString());
    }

    /// <summary>Envoy's <c>/quitquitquit</c>: exits at once, without the drain period.</summary>
    private Task QuitAsync(HttpContext context) => PostAsync(context, () =>
    {
        _termination.Skip();
        context.Response.OnCompleted(() =>
        {
            _lifetime.StopApplication();
            return Task.CompletedTask;
        });
    });

    /// <summary>pilot-agent's <c>/quitquitquit</c> (localhost only): the SIGTERM path, inbound drain period included.</summary>
    private Task AgentQuitAsync(HttpContext context)
    {
        if (AgentRefusal(context) is { } refusal)
        {
            return refusal;
        }

        context.Response.OnCompleted(() =>
        {
            _lifetime.StopApplication();
            return Task.CompletedTask;
        });
        return TextAsync(context, 200, "OK");
    }

    /// <summary>pilot-agent's <c>/drain</c> (localhost only): drains inbound connections, keeps serving.</summary>
    private Task AgentDrainAsync(HttpContext context)
    {
        if (AgentRefusal(context) is { } refusal)
        {
            return refusal;
        }

        _readiness.BeginDrain(inboundOnly: true);
        return TextAsync(context, 200, "OK");
    }

    /// <summary>
    /// pilot-agent's status port is on the pod IP: its commands answer only local callers (IsRequestFromLocalhost),
    /// and only POST.
    /// </summary>
    private static Task? AgentRefusal(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } remote || !System.Net.IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            return TextAsync(context, 403, "Only requests from localhost are allowed\n");
        }

        return HttpMethods.IsPost(context.Request.Method) ? null : TextAsync(context, 405, "Method Not Allowed\n");
    }

    /// <summary>Envoy's <c>/drain_listeners</c>: drains connections (<c>?inboundonly</c>: inbound ones); readiness is unchanged.</summary>
    private Task DrainListenersAsync(HttpContext context) =>
        PostAsync(context, () => _readiness.BeginDrain(inboundOnly: context.Request.Query.ContainsKey("inboundonly")));

    /// <summary>Envoy's <c>/healthcheck/fail</c> and <c>/healthcheck/ok</c>: the server state DRAINING (readiness 503) or LIVE again.</summary>
    private Task HealthCheckAsync(HttpContext context, bool failed) =>
        PostAsync(context, () => _readiness.SetHealthCheckFailed(failed));

    /// <summary>An admin command Envoy runs on POST only: 405 otherwise, else the command and <c>OK</c>.</summary>
    private static Task PostAsync(HttpContext context, Action command)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            return TextAsync(context, 405, "Method GET not allowed, POST required.\n");
        }

        command();
        return TextAsync(context, 200, "OK\n");
    }

    private static Task NotFoundAsync(HttpContext context) => TextAsync(context, 404, "invalid path. " + HelpText);

    private static Task TextAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=UTF-8";
        return context.Response.WriteAsync(body);
    }

    private static Task JsonAsync(HttpContext context, byte[] body)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, 0, body.Length);
    }
}
