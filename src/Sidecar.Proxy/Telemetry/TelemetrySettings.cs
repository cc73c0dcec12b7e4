using Microsoft.AspNetCore.Http;
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
internal sealed class TelemetrySettings : IAsyncDisposable
{
    private readonly TelemetryOptions _flags;
    private readonly TraceExporterHost? _exporter;
    private readonly Lock _gate = new();
    private AccessLogWriter? _accessLog;

    // Telemetry accessLogging[].match.mode and filter: which requests the access log takes (swapped whole).
    private AccessLogSelection _selection = new(WorkloadMode.ClientAndServer, null);

    public TelemetrySettings(TelemetryOptions flags, TraceExporterHost? exporter)
    {
        _flags = flags;
        _exporter = exporter;
        Apply(TelemetryConfig.Default);
    }

    /// <summary>Percentage of new traces sampled.</summary>
    public double SamplingPercent { get; private set; }

    /// <summary>Istio's <c>enableTracing</c>.</summary>
    public bool TracingEnabled { get; private set; }

    /// <summary>Telemetry <c>tracing[].enableIstioTags</c>.</summary>
    public bool IstioTags { get; private set; } = true;

    /// <summary>False under Telemetry <c>tracing[].disableContextPropagation</c>: trace headers stay here.</summary>
    public bool ContextPropagation { get; private set; } = true;

    /// <summary>The access log, or null when off.</summary>
    public AccessLogWriter? AccessLog => Volatile.Read(ref _accessLog);

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
            SamplingPercent = _flags.SamplingPercent ?? mesh.TracingSamplingPercent;
            Volatile.Write(ref _selection, new AccessLogSelection(mesh.AccessLogMode, mesh.AccessLogFilter));
            TracingEnabled = mesh.EnableTracing;
            IstioTags = mesh.TracingIstioTags;
            ContextPropagation = mesh.TracingContextPropagation;
            _exporter?.Use(mesh.EnableTracing ? _flags.TracingProvider ?? mesh.TracingProvider : null);

            var file = _flags.AccessLogFile ?? mesh.AccessLogFile;
            var encoding = _flags.AccessLogEncoding ?? mesh.AccessLogEncoding;
            var format = mesh.AccessLogFormat;
            var current = _accessLog;
            if (current is not null && current.Path == file && current.Encoding == encoding && current.Format == format)
            {
                return;
            }

            Volatile.Write(ref _accessLog, string.IsNullOrEmpty(file) ? null : new AccessLogWriter(file, encoding, format));
            if (current is not null)
            {
                // Requests that already read the old writer may still enqueue; it drains them before closing.
                _ = current.DisposeAsync().AsTask();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        AccessLogWriter? writer;
        lock (_gate)
        {
            writer = _accessLog;
            _accessLog = null;
        }

        if (writer is not null)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed record AccessLogSelection(WorkloadMode Mode, AccessLogFilterExpression? Filter);
}
