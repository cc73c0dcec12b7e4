using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.AccessLog;
using Sidecar.Proxy.Telemetry.Tracing;

namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// The telemetry settings in force: the mesh config's (<c>accessLogFile</c>, <c>accessLogEncoding</c>,
/// <c>enableTracing</c>, <c>defaultConfig.tracing.sampling</c>, default tracing provider) with command-line overrides
/// on top. Re-evaluated on each config push; the request path reads plain fields.
/// </summary>
internal sealed partial class TelemetrySettings : IAsyncDisposable
{
    private readonly TelemetryOptions _flags;
    private readonly TraceExporterHost? _exporter;
    private readonly ILogger _logger;
    private readonly CollectorTransport? _collectors;
    private readonly Lock _gate = new();
    private AccessLogWriter? _fileLog;
    private OpenTelemetryAccessLogWriter? _openTelemetryLog;
    private AccessLogSink[] _accessLogs = [];
    private bool _accessLogsPrintUpstreamLocalAddress;

    // Telemetry accessLogging[].match.mode and filter: which requests the access log takes (swapped whole).
    private AccessLogSelection _selection = new(WorkloadMode.ClientAndServer, null);

    public TelemetrySettings(TelemetryOptions flags, TraceExporterHost? exporter, ILogger? logger = null, CollectorTransport? collectors = null)
    {
        _flags = flags;
        _exporter = exporter;
        _logger = logger ?? NullLogger.Instance;
        _collectors = collectors;
        Apply(TelemetryConfig.Default);
    }

    /// <summary>Tracing of outbound requests (Telemetry's CLIENT mode).</summary>
    public SideTracing ClientTracing { get; private set; } = SideTracing.Off;

    /// <summary>Tracing of inbound requests (Telemetry's SERVER mode).</summary>
    public SideTracing ServerTracing { get; private set; } = SideTracing.Off;

    /// <summary>The tracing of the side a request is on.</summary>
    public SideTracing TracingFor(RequestDirection direction) => direction == RequestDirection.Outbound ? ClientTracing : ServerTracing;

    /// <summary>The access logs in force (the file log, the OpenTelemetry log): empty when off.</summary>
    public AccessLogSink[] AccessLogs => Volatile.Read(ref _accessLogs);

    /// <summary>Whether an access log in force prints where upstream connections left from (which requests then record).</summary>
    public bool AccessLogsPrintUpstreamLocalAddress => Volatile.Read(ref _accessLogsPrintUpstreamLocalAddress);

    /// <summary>
    /// Whether the access log takes a TCP connection of this direction: its side, and no filter (the filter's
    /// expressions read HTTP attributes a connection does not have).
    /// </summary>
    public bool ShouldLogConnection(RequestDirection direction)
    {
        var (mode, filter) = Volatile.Read(ref _selection);
        return filter is null && mode.Includes(direction == RequestDirection.Outbound ? WorkloadMode.Client : WorkloadMode.Server);
    }

    /// <summary>Whether the access log takes this request (its side and the filter).</summary>
    public bool ShouldLog(HttpContext context, RequestState state)
    {
        var (mode, filter) = Volatile.Read(ref _selection);
        if (!mode.Includes(state.Direction == RequestDirection.Outbound ? WorkloadMode.Client : WorkloadMode.Server))
        {
            return false;
        }

        return filter is null || AccessLogFilter.Matches(filter, context, state);
    }

    public void Apply(TelemetryConfig mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        lock (_gate)
        {
            Volatile.Write(ref _selection, new AccessLogSelection(mesh.AccessLogMode, mesh.AccessLogFilter));

            // A collector given on the command line takes both sides' spans; otherwise each side has its provider,
            // and the one exporter serves the client's (the translation warned if the server named another).
            var clientProvider = _flags.TracingProvider ?? mesh.ClientTracing.Provider;
            var serverProvider = _flags.TracingProvider ?? mesh.ServerTracing.Provider;
            ClientTracing = SideTracing.From(mesh.ClientTracing, mesh.EnableTracing, clientProvider, _flags.SamplingPercent, ClientTracing);
            ServerTracing = SideTracing.From(mesh.ServerTracing, mesh.EnableTracing, serverProvider, _flags.SamplingPercent, ServerTracing);
            _exporter?.Use(mesh.EnableTracing ? clientProvider ?? serverProvider : null);

            var file = _flags.AccessLogFile ?? mesh.AccessLogFile;
            var encoding = _flags.AccessLogEncoding ?? mesh.AccessLogEncoding;
            var format = mesh.AccessLogFormat;
            var fileLog = _fileLog;
            if (fileLog is null ? !string.IsNullOrEmpty(file) : fileLog.Path != file || fileLog.Encoding != encoding || fileLog.Format != format)
            {
                fileLog = string.IsNullOrEmpty(file) ? null : new AccessLogWriter(file, encoding, format);
            }

            var openTelemetryLog = _openTelemetryLog;
            if (openTelemetryLog?.Config != mesh.OpenTelemetryAccessLog)
            {
                openTelemetryLog = mesh.OpenTelemetryAccessLog is { } config ? new OpenTelemetryAccessLogWriter(config, _collectors) : null;
                if (openTelemetryLog is not null)
                {
                    Log.ExportingAccessLogs(_logger, openTelemetryLog.Config.Endpoint.ToString(), openTelemetryLog.Config.Provider);
                }
            }

            if (fileLog == _fileLog && openTelemetryLog == _openTelemetryLog)
            {
                return;
            }

            AccessLogSink[] logs = [.. new AccessLogSink?[] { fileLog, openTelemetryLog }.OfType<AccessLogSink>()];
            Volatile.Write(ref _accessLogsPrintUpstreamLocalAddress, logs.Any(log => log.PrintsUpstreamLocalAddress));
            Volatile.Write(ref _accessLogs, logs);

            // Requests that already read an old log may still enqueue; it drains them before closing.
            CloseReplaced(_fileLog, fileLog);
            CloseReplaced(_openTelemetryLog, openTelemetryLog);
            _fileLog = fileLog;
            _openTelemetryLog = openTelemetryLog;
        }
    }

    public async ValueTask DisposeAsync()
    {
        AccessLogSink[] logs;
        lock (_gate)
        {
            logs = _accessLogs;
            _accessLogs = [];
            _accessLogsPrintUpstreamLocalAddress = false;
            _fileLog = null;
            _openTelemetryLog = null;
        }

        foreach (var log in logs)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void CloseReplaced(AccessLogSink? current, AccessLogSink? next)
    {
        if (current is not null && current != next)
        {
            _ = current.DisposeAsync().AsTask();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "Exporting access logs over OTLP/gRPC to {Endpoint} (provider {Provider})")]
        public static partial void ExportingAccessLogs(ILogger logger, string endpoint, string provider);
    }

    private sealed record AccessLogSelection(WorkloadMode Mode, AccessLogFilterExpression? Filter);
}
