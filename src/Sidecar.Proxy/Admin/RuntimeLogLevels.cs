using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// Envoy's loggers and their levels, changed at run time by the admin API's <c>/logging</c> (what
/// <c>istioctl proxy-config log</c> posts). Each Envoy logger name stands for the log categories of this sidecar's
/// part that does that job; a change becomes filter rules of Microsoft.Extensions.Logging, which the logger factory
/// picks up through the options change token, so no request pays for a level check it would not pay anyway.
/// </summary>
internal sealed class RuntimeLogLevels : IConfigureOptions<LoggerFilterOptions>, IOptionsChangeTokenSource<LoggerFilterOptions>
{
    /// <summary>
    /// Envoy's logger names (the ones an operator reaches for, Istio's troubleshooting guides' <c>rbac</c> and
    /// <c>jwt</c> among them) and the categories each covers. Loggers of Envoy parts this sidecar does not have (lua,
    /// wasm, redis, ...) are refused as unknown.
    /// </summary>
    private static readonly (string Logger, string[] Categories)[] Loggers =
    [
        ("admin", ["Sidecar.Proxy.Admin"]),
        ("config", ["Sidecar.Istio", "Sidecar.Xds", "Sidecar.Proxy.DataPlane"]),
        ("conn_handler", ["Sidecar.Proxy.Listeners"]),
        ("connection", ["Sidecar.Proxy.Listeners", "Sidecar.Proxy.Tcp"]),
        ("ext_authz", ["Sidecar.Proxy.Security.Authorization.ExtAuthz"]),
        ("filter", ["Sidecar.Proxy.Security", "Sidecar.Proxy.Routing"]),
        ("grpc", ["Grpc", "Sidecar.Xds.Client"]),
        ("health_checker", ["Sidecar.Proxy.Admin.ApplicationProbes"]),
        ("http", ["Microsoft.AspNetCore.Server.Kestrel"]),
        ("http2", ["Microsoft.AspNetCore.Server.Kestrel.Http2"]),
        ("jwt", ["Sidecar.Proxy.Security.Jwt"]),
        ("main", ["Sidecar.Proxy.Hosting", "Sidecar.Hosting", "Microsoft.Hosting.Lifetime"]),
        ("pool", ["Sidecar.Proxy.Upstream.UpstreamConnectionFactory", "System.Net.Http"]),
        ("rbac", ["Sidecar.Proxy.Security.Authorization", "Sidecar.Proxy.Security.InboundRequestSecurity"]),
        ("router", ["Sidecar.Proxy.Http", "Yarp"]),
        ("secret", ["Sidecar.Identity"]),
        ("tcp", ["Sidecar.Proxy.Tcp"]),
        ("tracing", ["Sidecar.Proxy.Telemetry.Tracing"]),
        ("upstream", ["Sidecar.Proxy.Upstream"]),
    ];

    /// <summary>Envoy's level names, as <c>/logging</c> takes and prints them.</summary>
    private static readonly (string Name, LogLevel Level)[] Levels =
    [
        ("trace", LogLevel.Trace),
        ("debug", LogLevel.Debug),
        ("info", LogLevel.Information),
        ("warning", LogLevel.Warning),
        ("error", LogLevel.Error),
        ("critical", LogLevel.Critical),
        ("off", LogLevel.None),
    ];

    private readonly Lock _lock = new();
    private readonly Dictionary<string, LogLevel> _overrides = new(StringComparer.Ordinal);
    private LogLevel? _everything;
    private LogLevel _startLevel = LogLevel.Information;
    private CancellationTokenSource _changed = new();

    public string Name => Options.DefaultName;

    public IChangeToken GetChangeToken()
    {
        lock (_lock)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    /// <summary>Runs after the host's own filters (registered before this), so its rules are the most specific.</summary>
    public void Configure(LoggerFilterOptions options)
    {
        lock (_lock)
        {
            if (_everything is null && _overrides.Count == 0)
            {
                _startLevel = options.MinLevel;
                return;
            }

            if (_everything is { } all)
            {
                options.MinLevel = all;
            }

            foreach (var (logger, categories) in Loggers)
            {
                if (LevelOf(logger) is { } level)
                {
                    foreach (var category in categories)
                    {
                        options.Rules.Add(new LoggerFilterRule(null, category, level, null));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Applies <c>/logging</c>'s query: <c>level=L</c> sets every logger, <c>name=L</c> one logger. Returns the error
    /// Envoy answers for an unknown logger or level, or null once applied.
    /// </summary>
    public string? Apply(IEnumerable<KeyValuePair<string, string>> changes)
    {
        var parsed = new List<(string? Logger, LogLevel Level)>();
        foreach (var (name, value) in changes)
        {
            if (ParseLevel(value) is not { } level)
            {
                return $"error: unknown logger level: {value}";
            }

            if (name == "level")
            {
                parsed.Add((null, level));
            }
            else if (Array.Exists(Loggers, l => l.Logger == name))
            {
                parsed.Add((name, level));
            }
            else
            {
                return $"error: unknown logger name: {name}";
            }
        }

        CancellationTokenSource changed;
        lock (_lock)
        {
            foreach (var (logger, level) in parsed)
            {
                if (logger is null)
                {
                    _everything = level;
                    _overrides.Clear();
                }
                else
                {
                    _overrides[logger] = level;
                }
            }

            changed = _changed;
            _changed = new CancellationTokenSource();
        }

        changed.Cancel();
        changed.Dispose();
        return null;
    }

    /// <summary>Envoy's listing: <c>active loggers:</c> then <c>  name: level</c>, one per line.</summary>
    public string Describe()
    {
        var text = new StringBuilder("active loggers:\n");
        lock (_lock)
        {
            foreach (var (logger, _) in Loggers)
            {
                var level = LevelOf(logger) ?? _startLevel;
                text.Append("  ").Append(logger).Append(": ").Append(Array.Find(Levels, l => l.Level == level).Name ?? "info").Append('\n');
            }
        }

        return text.ToString();
    }

    private LogLevel? LevelOf(string logger) => _overrides.TryGetValue(logger, out var level) ? level : _everything;

    private static LogLevel? ParseLevel(string name) => name switch
    {
        "warn" => LogLevel.Warning,
        _ => Array.Find(Levels, l => l.Name == name) is { Name: not null } found ? found.Level : null,
    };
}
