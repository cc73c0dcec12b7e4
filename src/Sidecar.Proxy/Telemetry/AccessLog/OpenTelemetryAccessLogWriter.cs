using System.Buffers;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>
/// Envoy's OpenTelemetry access logger (Istio's <c>envoyOtelAls</c> provider): each entry is an OTLP log record
/// exported over gRPC, batched and sent each second as Envoy flushes its buffer. As Envoy fills it: the time is the
/// request's start, the body the text format (Istio's default line unless <c>logFormat.text</c>), the attributes the
/// labels each formatted as text, the trace and span those of the request's span; no severity, no resource
/// attributes (Istio turns Envoy's built-in labels off), no instrumentation scope.
/// </summary>
/// <remarks>
/// OpenTelemetry's SDK exports log records made through <see cref="ILogger"/> only (its bridge API is not public in
/// stable releases): each entry is logged with its attributes as the state, and <see cref="RecordShaper"/> sets what
/// an ILogger record cannot carry (the time, the trace, no severity) before the exporter's batch takes it.
/// </remarks>
internal sealed class OpenTelemetryAccessLogWriter : AccessLogSink
{
    private const int FlushIntervalMilliseconds = 1000;
    private readonly ILoggerFactory _factory;
    private readonly ILogger _logger;
    private readonly CustomAccessLogFormat _format;
    private readonly EquatableArray<AccessLogSegment> _body;
    private readonly EquatableArray<AccessLogJsonField> _attributes;
    private readonly ArrayBufferWriter<byte> _defaultLine = new(1024);

    /// <param name="collectors">How the collector is reached (through its cluster when the sidecar has it); null: its address is dialled.</param>
    public OpenTelemetryAccessLogWriter(OpenTelemetryAccessLogConfig config, CollectorTransport? collectors = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;

        // The formats were validated with the config.
        _body = config.Body is { } body ? AccessLogTemplate.ParseHeaderValue(body, out _) ?? default : default;
        _attributes = config.Attributes.Select(a => new AccessLogJsonField(a.Key, AccessLogTemplate.ParseHeaderValue(a.Format, out _) ?? default)).ToEquatableArray();
        _format = new CustomAccessLogFormat(new AccessLogTemplate(_body, _attributes));
        _factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(options =>
        {
            options.SetResourceBuilder(ResourceBuilder.CreateEmpty());
            options.AddProcessor(new RecordShaper());
            options.AddOtlpExporter(exporter =>
            {
                exporter.Endpoint = config.Endpoint;
                exporter.Protocol = OtlpExportProtocol.Grpc;
                exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = FlushIntervalMilliseconds;
                if (collectors is not null)
                {
                    exporter.HttpClientFactory = () => collectors.ClientFor(config.Cluster, TimeSpan.FromMilliseconds(exporter.TimeoutMilliseconds));
                }
            });
        }));
        _logger = _factory.CreateLogger("");
        Start();
    }

    public OpenTelemetryAccessLogConfig Config { get; }

    public override CustomAccessLogFormat? Custom => _format;

    public override bool PrintsUpstreamLocalAddress => _body.IsEmpty || _format.PrintsUpstreamLocalAddress;

    protected override ValueTask Write(in AccessLogEntry entry)
    {
        var record = new OpenTelemetryAccessLogRecord(entry.StartTime, entry.TraceId, entry.SpanId, _body.IsEmpty ? DefaultLine(entry) : _format.Text(_body, entry), _attributes.Count);
        foreach (var attribute in _attributes)
        {
            record.Add(new(attribute.Key, _format.Text(attribute.Template, entry)));
        }

        _logger.Log(LogLevel.Information, default, record, null, static (state, _) => state.Body);
        return default;
    }

    /// <summary>The exporter's own batch sends the records.</summary>
    protected override ValueTask FlushAsync() => default;

    /// <summary>Disposing the provider exports what its batch still holds (a collector that is down holds it up to the export timeout).</summary>
    protected override ValueTask CloseAsync() => new(Task.Run(_factory.Dispose));

    private string DefaultLine(in AccessLogEntry entry)
    {
        _defaultLine.ResetWrittenCount();
        AccessLogFormatter.WriteText(entry, _defaultLine);
        return Encoding.UTF8.GetString(_defaultLine.WrittenSpan);
    }

    /// <summary>A record's attributes (the ILogger state the exporter reads) and what the shaper moves into the record.</summary>
    private sealed class OpenTelemetryAccessLogRecord(DateTimeOffset startTime, ActivityTraceId traceId, ActivitySpanId spanId, string body, int capacity)
        : List<KeyValuePair<string, object?>>(capacity)
    {
        public DateTimeOffset StartTime { get; } = startTime;

        public ActivityTraceId TraceId { get; } = traceId;

        public ActivitySpanId SpanId { get; } = spanId;

        public string Body { get; } = body;
    }

    /// <summary>Runs before the export processor: gives an access log record Envoy's shape.</summary>
    private sealed class RecordShaper : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            if (data.Attributes is not OpenTelemetryAccessLogRecord record)
            {
                return;
            }

            data.Timestamp = record.StartTime.UtcDateTime;
            data.FormattedMessage = record.Body;

            // No severity: Envoy's access log records have none (LogLevel.None clears it).
            data.LogLevel = LogLevel.None;

            // The request's span, never whatever activity the writer's thread holds.
            data.TraceId = record.TraceId;
            data.SpanId = record.SpanId;
            data.TraceFlags = record.TraceId == default ? ActivityTraceFlags.None : ActivityTraceFlags.Recorded;
        }
    }
}
