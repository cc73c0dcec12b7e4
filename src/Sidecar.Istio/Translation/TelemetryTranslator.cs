using System.Globalization;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Telemetry;
using Sidecar.Istio.Translation.Scope;
using Sidecar.Model;

namespace Sidecar.Istio.Translation;

/// <summary>
/// MeshConfig's telemetry fields, then the Telemetry resources that apply to the workload (mesh-wide in the root
/// namespace, namespace-wide, then by workload selector, each more specific level overriding what it sets) -> the
/// model's <see cref="TelemetryConfig"/> (what istiod puts in the bootstrap and HCM).
/// </summary>
internal static class TelemetryTranslator
{
    /// <summary>Istio's built-in access log provider: Envoy's file access log to <c>/dev/stdout</c>.</summary>
    public const string EnvoyAccessLogProvider = "envoy";

    /// <summary>Istio's built-in metrics provider.</summary>
    public const string PrometheusProvider = "prometheus";

    /// <summary>Where a Zipkin collector takes spans (Envoy's <c>collector_endpoint</c> as Istio sets it).</summary>
    public const string ZipkinSpansPath = "/api/v2/spans";

    public static TelemetryConfig Translate(PushContext push)
    {
        var config = Translate(push.Mesh);
        if (push.Mesh.DefaultAccessLogProviders.Count > 0)
        {
            config = UseAccessLogProviders(config, push.Mesh.DefaultAccessLogProviders, push, null, "defaultProviders.accessLogging");
        }

        // A Telemetry bound by targetRefs configures the gateways or waypoints it names, never a sidecar.
        foreach (var bound in push.Resources.Where(r => r.Kind == ResourceKind.Telemetry && ((TelemetrySpec)r.Spec).HasTargetRefs))
        {
            push.Warn(bound, "Telemetry targetRefs bind to gateways and waypoints; a sidecar ignores this resource");
        }

        var resources = push.Resources.Where(r => r.Kind != ResourceKind.Telemetry || !((TelemetrySpec)r.Spec).HasTargetRefs).ToList();
        var levels = PolicyLevels.Find(resources, ResourceKind.Telemetry, static spec => ((TelemetrySpec)spec).Selector, push.Workload, push.Mesh.RootNamespace);
        var telemetryTracing = false;
        foreach (var resource in levels.LeastSpecificFirst())
        {
            var spec = (TelemetrySpec)resource.Spec;
            telemetryTracing |= spec.Tracing.Count > 0;
            config = Apply(config, resource, spec, push);
        }

        if (!telemetryTracing && push.Mesh.DefaultTracingProviders.Count == 0 && push.Mesh.LegacyZipkinAddress is { } zipkin)
        {
            // No Telemetry API tracing for this workload: Istio falls back to the proxy config's own tracer.
            var legacy = new TracingProviderConfig("zipkin", TracingProtocol.Zipkin, new Uri($"http://{zipkin}{ZipkinSpansPath}"));
            config = config.WithTracing(WorkloadMode.ClientAndServer, tracing => tracing with { Provider = legacy });
        }

        if (config.ClientTracing.Provider is { } client && config.ServerTracing.Provider is { } server && client != server)
        {
            push.Warn(null, $"tracing: CLIENT spans go to {client.Name} and SERVER spans to {server.Name}; this sidecar exports both sides to {client.Name}");
        }

        return config;
    }

    public static TelemetryConfig Translate(MeshConfigSpec mesh) => new TelemetryConfig()
    {
        AccessLogFile = mesh.AccessLogFile ?? "",
        AccessLogEncoding = mesh.AccessLogEncoding == "JSON" ? AccessLogEncoding.Json : AccessLogEncoding.Text,
        AccessLogFormat = mesh.AccessLogFormat ?? "",
        EnableTracing = mesh.EnableTracing ?? true,
    }.WithTracing(WorkloadMode.ClientAndServer, _ => new TracingConfig
    {
        SamplingPercent = mesh.TracingSampling ?? TracingConfig.Default.SamplingPercent,
        IstioTags = mesh.TracingIstioTags ?? true,
        CustomTags = [.. mesh.TracingCustomTags],
        Provider = DefaultTracingProvider(mesh),
    });

    /// <summary>
    /// The access logs of the providers named, which replace the level below's (Istio's mergeLogs): Istio's built-in
    /// <c>envoy</c> (the mesh config's format to <c>/dev/stdout</c>) or an <c>envoyFileAccessLog</c> provider is the
    /// file log, an <c>envoyOtelAls</c> provider the OpenTelemetry log. One of each kind is kept: further providers
    /// of a kind are warned about.
    /// </summary>
    private static TelemetryConfig UseAccessLogProviders(TelemetryConfig config, IReadOnlyList<string> names, PushContext push, IstioResource? resource, string field)
    {
        config = config with { AccessLogFile = "", OpenTelemetryAccessLog = null };
        bool file = false, openTelemetry = false;
        foreach (var name in names)
        {
            var provider = push.Mesh.AccessLogProviders.FirstOrDefault(p => p.Name == name);
            if (provider is null && name != EnvoyAccessLogProvider)
            {
                push.Warn(resource, $"{field}: {name} is not an access log provider (Istio's built-in \"envoy\", an envoyFileAccessLog or an envoyOtelAls extension provider); ignored");
                continue;
            }

            var isOpenTelemetry = provider?.Kind == AccessLogExtensionProvider.OpenTelemetryKind;
            if (isOpenTelemetry ? openTelemetry : file)
            {
                push.Warn(resource, $"{field}: {name}: this sidecar writes one {(isOpenTelemetry ? "OpenTelemetry" : "file")} access log, the first provider's; ignored");
                continue;
            }

            if (isOpenTelemetry)
            {
                openTelemetry = true;
                config = config with { OpenTelemetryAccessLog = OpenTelemetryAccessLog(provider!) };
                continue;
            }

            file = true;
            if (provider is null)
            {
                // The built-in provider prints the mesh config's format, whatever a level below chose.
                var mesh = Translate(push.Mesh);
                config = config with { AccessLogFile = "/dev/stdout", AccessLogEncoding = mesh.AccessLogEncoding, AccessLogFormat = mesh.AccessLogFormat };
            }
            else
            {
                config = FileAccessLog(config, provider);
            }
        }

        if (!file && !openTelemetry)
        {
            // None of the providers named exists: Istio then falls back to the mesh config's accessLogFile
            // (setHTTPAccessLog: no logging config from the Telemetry API).
            var legacy = Translate(push.Mesh);
            config = config with { AccessLogFile = legacy.AccessLogFile, AccessLogEncoding = legacy.AccessLogEncoding, AccessLogFormat = legacy.AccessLogFormat };
        }

        return config;
    }

    /// <summary>
    /// An <c>envoyOtelAls</c> provider as Istio configures Envoy's OpenTelemetry access logger: the body its text (else
    /// Istio's default text line), the attributes its labels sorted by key, Envoy's built-in resource labels off.
    /// </summary>
    private static OpenTelemetryAccessLogConfig OpenTelemetryAccessLog(AccessLogExtensionProvider provider) => new(
        provider.Name,
        new Uri(CollectorAuthority(provider.Service, provider.Port)),
        provider.Text is { Length: > 0 } text ? text : null,
        (provider.Labels ?? []).OrderBy(label => label.Key, StringComparer.Ordinal).Select(label => new AccessLogAttribute(label.Key, label.Value)).ToEquatableArray(),
        CollectorCluster(provider.Service, provider.Port));

    /// <summary>A provider's collector as a base address: Istio names a service by its host, optionally <c>namespace/host</c>.</summary>
    private static string CollectorAuthority(string service, int port) => $"http://{CollectorHost(service)}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The collector service's cluster, as Istio's LookupCluster names it for a provider (<c>outbound|4317||host</c>).</summary>
    private static string CollectorCluster(string service, int port) => ClusterName.Outbound(port, null, CollectorHost(service));

    private static string CollectorHost(string service)
    {
        var slash = service.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? service[(slash + 1)..] : service;
    }

    /// <summary>An <c>envoyFileAccessLog</c> provider: <c>labels</c> make a JSON log of those keys, <c>text</c> a text log, neither Envoy's default format.</summary>
    private static TelemetryConfig FileAccessLog(TelemetryConfig config, AccessLogExtensionProvider provider) => config with
    {
        AccessLogFile = provider.Path.Length > 0 ? provider.Path : "/dev/stdout",
        AccessLogEncoding = provider.Labels is not null ? AccessLogEncoding.Json : AccessLogEncoding.Text,
        AccessLogFormat = provider.Labels is { } labels ? JsonFormat(labels) : provider.Text ?? "",
    };

    /// <summary>Envoy's <c>json_format</c> from Istio's <c>logFormat.labels</c>: each label a key, its format string the value.</summary>
    public static string JsonFormat(IReadOnlyList<KeyValuePair<string, string>> labels)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (key, value) in labels)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The provider a <c>tracing[]</c> entry names: Istio takes the first name (one provider per side) and fetches it
    /// from <c>extensionProviders</c>; a name that is not a tracing provider there leaves the side without one.
    /// </summary>
    private static TracingProviderConfig? TracingProviderOf(IReadOnlyList<string> names, IstioResource resource, PushContext push)
    {
        if (names.Count > 1)
        {
            push.Warn(resource, "spec.tracing.providers: only the first provider is used, as in Istio");
        }

        var provider = TracingProvider(push.Mesh, names[0]);
        if (provider is null)
        {
            push.Warn(resource, $"spec.tracing.providers: {names[0]} is not a tracing provider in the mesh config's extensionProviders; no spans are reported");
        }

        return provider;
    }

    /// <summary>The first provider named in <c>defaultProviders.tracing</c> that is a tracing extension provider.</summary>
    private static TracingProviderConfig? DefaultTracingProvider(MeshConfigSpec mesh)
    {
        foreach (var name in mesh.DefaultTracingProviders)
        {
            if (TracingProvider(mesh, name) is { } provider)
            {
                return provider;
            }
        }

        return null;
    }

    private static TracingProviderConfig? TracingProvider(MeshConfigSpec mesh, string name)
    {
        foreach (var provider in mesh.TracingProviders)
        {
            if (provider.Name != name)
            {
                continue;
            }

            var authority = CollectorAuthority(provider.Service, provider.Port);
            var cluster = CollectorCluster(provider.Service, provider.Port);
            return provider.Kind switch
            {
                "zipkin" => new TracingProviderConfig(name, TracingProtocol.Zipkin, new Uri(authority + provider.Path), cluster),
                _ when provider.Path is { } path => new TracingProviderConfig(name, TracingProtocol.OtlpHttp, new Uri(authority + path), cluster),
                _ => new TracingProviderConfig(name, TracingProtocol.OtlpGrpc, new Uri(authority), cluster),
            };
        }

        return null;
    }

    /// <summary>One level's settings over the ones below it: only what the level sets changes.</summary>
    private static TelemetryConfig Apply(TelemetryConfig config, IstioResource resource, TelemetrySpec spec, PushContext push)
    {
        foreach (var logging in spec.AccessLogging)
        {
            if (logging.Disabled == true)
            {
                config = config with { AccessLogFile = "", OpenTelemetryAccessLog = null };
                continue;
            }

            if (logging.Providers.Count > 0)
            {
                config = UseAccessLogProviders(config, logging.Providers, push, resource, "spec.accessLogging.providers");
            }

            if (logging.Mode is { } mode)
            {
                config = config with { AccessLogMode = WorkloadModeFrom(mode) };
            }

            if (logging.Filter is { } filter)
            {
                // An expression outside the evaluated subset was warned about at validation: everything is logged.
                config = config with { AccessLogFilter = filter.Length == 0 ? null : AccessLogFilterExpression.Parse(filter) };
            }

            if (logging.Providers.Count == 0 && logging.Disabled == false && config.AccessLogFile.Length == 0 && config.OpenTelemetryAccessLog is null)
            {
                // Re-enabled without naming a provider: the default provider, Envoy's log to stdout.
                config = config with { AccessLogFile = "/dev/stdout" };
            }
        }

        foreach (var tracing in spec.Tracing)
        {
            // Istio's Tracing(): an entry changes the CLIENT side, the SERVER side, or both (no match.mode).
            var provider = tracing.Providers.Count > 0 ? TracingProviderOf(tracing.Providers, resource, push) : null;
            config = config.WithTracing(WorkloadModeFrom(tracing.Mode), current => current with
            {
                Provider = tracing.Providers.Count > 0 ? provider : current.Provider,
                SpanReportingDisabled = tracing.DisableSpanReporting ?? current.SpanReportingDisabled,
                SamplingPercent = tracing.RandomSamplingPercentage ?? current.SamplingPercent,
                IstioTags = tracing.EnableIstioTags ?? current.IstioTags,
                ContextPropagation = tracing.DisableContextPropagation is { } noPropagation ? !noPropagation : current.ContextPropagation,
                // Istio's shallow merge: the more specific resource's map replaces the whole of the parent's.
                CustomTags = tracing.CustomTags is { } customTags ? [.. customTags] : current.CustomTags,
            });
        }

        var overrides = new List<MetricOverrideConfig>();
        foreach (var metrics in spec.Metrics)
        {
            if (ForPrometheus(metrics, resource, push))
            {
                foreach (var entry in metrics.Overrides)
                {
                    if (entry.CustomMetric is null)
                    {
                        overrides.Add(MetricOverride(entry));
                    }
                }
            }
        }

        if (overrides.Count > 0)
        {
            // Later (more specific) overrides win: the proxy applies the list in order.
            config = config with { MetricOverrides = [.. config.MetricOverrides, .. overrides] };
        }

        return config;
    }

    /// <summary>Whether a <c>metrics</c> entry is for the Prometheus provider (its own names, else the mesh's default metrics providers).</summary>
    private static bool ForPrometheus(TelemetryMetrics metrics, IstioResource resource, PushContext push)
    {
        var providers = metrics.Providers.Count > 0 ? metrics.Providers : push.Mesh.DefaultMetricsProviders ?? [PrometheusProvider];
        var prometheus = false;
        foreach (var name in providers)
        {
            if (name == PrometheusProvider || push.Mesh.PrometheusProviders.Contains(name))
            {
                prometheus = true;
            }
            else
            {
                push.Warn(resource, $"spec.metrics.providers: {name} is not a Prometheus provider (the only metrics this sidecar exports); its overrides are not applied");
            }
        }

        return prometheus;
    }

    private static MetricOverrideConfig MetricOverride(TelemetryMetricOverride entry)
    {
        var tags = new TagOverrideConfig[entry.TagOverrides.Count];
        for (var i = 0; i < tags.Length; i++)
        {
            var tag = entry.TagOverrides[i];
            tags[i] = tag.Operation == "REMOVE" ? new TagOverrideConfig(tag.Name, Remove: true, null) : new TagOverrideConfig(tag.Name, Remove: false, tag.Value);
        }

        return new MetricOverrideConfig(IstioMetricFromName(entry.Metric), WorkloadModeFrom(entry.Mode), entry.Disabled, [.. tags]);
    }

    /// <summary>Istio's <c>WorkloadMode</c> by name: CLIENT, SERVER, else CLIENT_AND_SERVER (its default).</summary>
    private static WorkloadMode WorkloadModeFrom(string? name) => name switch
    {
        "CLIENT" => WorkloadMode.Client,
        "SERVER" => WorkloadMode.Server,
        _ => WorkloadMode.ClientAndServer,
    };

    private static IstioMetric IstioMetricFromName(string? name) => name switch
    {
        "REQUEST_COUNT" => IstioMetric.RequestCount,
        "REQUEST_DURATION" => IstioMetric.RequestDuration,
        "REQUEST_SIZE" => IstioMetric.RequestSize,
        "RESPONSE_SIZE" => IstioMetric.ResponseSize,
        "TCP_OPENED_CONNECTIONS" => IstioMetric.TcpOpenedConnections,
        "TCP_CLOSED_CONNECTIONS" => IstioMetric.TcpClosedConnections,
        "TCP_SENT_BYTES" => IstioMetric.TcpSentBytes,
        "TCP_RECEIVED_BYTES" => IstioMetric.TcpReceivedBytes,
        "GRPC_REQUEST_MESSAGES" => IstioMetric.GrpcRequestMessages,
        "GRPC_RESPONSE_MESSAGES" => IstioMetric.GrpcResponseMessages,
        _ => IstioMetric.AllMetrics,
    };
}
