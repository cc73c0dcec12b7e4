using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sidecar.Model;

namespace Sidecar.Proxy.Telemetry.Tracing;

/// <summary>
/// Owns the OpenTelemetry tracer provider that exports the sidecar's spans: built when a collector is configured
/// (a flag, else MeshConfig's default tracing provider), rebuilt when a push changes it, disposed (flushing) when it
/// goes. With none configured there is no provider, hence no listener on <see cref="ProxyTracer.SourceName"/>.
/// </summary>
internal sealed partial class TraceExporterHost : IDisposable
{
    /// <summary>Spans are flushed each second so traces appear promptly (Envoy's OpenTelemetry tracer flushes on a timer too).</summary>
    private const int FlushIntervalMilliseconds = 1000;

    /// <summary>How long one post of spans to Zipkin may take (the OTLP exporter has its own setting, 10 s).</summary>
    private static readonly TimeSpan ZipkinTimeout = TimeSpan.FromSeconds(10);

    private readonly string _serviceName;
    private readonly ILogger _logger;
    private readonly CollectorTransport? _collectors;
    private readonly Lock _gate = new();
    private TracingProviderConfig? _current;
    private TracerProvider? _provider;

    /// <param name="collectors">How collectors are reached (through their cluster when the sidecar has it); null: their addresses are dialled.</param>
    public TraceExporterHost(WorkloadInfo workload, ILogger logger, CollectorTransport? collectors = null)
    {
        ArgumentNullException.ThrowIfNull(workload);
        _collectors = collectors;
        // Envoy reports Istio workloads to tracers as <canonical service>.<namespace>.
        _serviceName = $"{workload.CanonicalService}.{workload.Namespace}";
        _logger = logger;
    }

    public TracingProviderConfig? Current => _current;

    /// <summary>Makes <paramref name="provider"/> (null: none) the exporter; no-op when unchanged.</summary>
    public void Use(TracingProviderConfig? provider)
    {
        lock (_gate)
        {
            if (provider == _current)
            {
                return;
            }

            _provider?.Dispose();
            _provider = provider is null ? null : Build(provider);
            _current = provider;
            if (provider is not null)
            {
                Log.Exporting(_logger, provider.Protocol.ToString(), provider.Endpoint.ToString());
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _provider?.Dispose();
            _provider = null;
            _current = null;
        }
    }

    private TracerProvider Build(TracingProviderConfig provider)
    {
        var builder = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(_serviceName))
            .AddSource(ProxyTracer.SourceName)
            // The tracer decides sampling itself (caller's flag or Istio's percentage) and only starts sampled spans.
            .SetSampler(new AlwaysOnSampler());
        if (provider.Protocol == TracingProtocol.Zipkin)
        {
            // Istio still offers zipkin providers; the exporter is marked obsolete upstream in favour of OTLP.
#pragma warning disable CS0618
            builder.AddZipkinExporter(zipkin =>
            {
                zipkin.Endpoint = provider.Endpoint;
                zipkin.BatchExportProcessorOptions.ScheduledDelayMilliseconds = FlushIntervalMilliseconds;
                if (_collectors is { } collectors)
                {
                    zipkin.HttpClientFactory = () => collectors.ClientFor(provider.Cluster, ZipkinTimeout);
                }
            });
#pragma warning restore CS0618
        }
        else
        {
            builder.AddOtlpExporter(otlp =>
            {
                otlp.Endpoint = provider.Endpoint;
                otlp.Protocol = provider.Protocol == TracingProtocol.OtlpHttp ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                otlp.BatchExportProcessorOptions.ScheduledDelayMilliseconds = FlushIntervalMilliseconds;
                if (_collectors is { } collectors)
                {
                    otlp.HttpClientFactory = () => collectors.ClientFor(provider.Cluster, TimeSpan.FromMilliseconds(otlp.TimeoutMilliseconds));
                }
            });
        }

        return builder.Build();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Exporting spans over {Protocol} to {Endpoint}")]
        public static partial void Exporting(ILogger logger, string protocol, string endpoint);
    }
}
