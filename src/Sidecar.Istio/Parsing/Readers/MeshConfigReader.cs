using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>
/// Reads Istio's MeshConfig. The fields this sidecar uses are typed strictly; other top-level keys are accepted and
/// listed in <see cref="MeshConfigSpec.UntypedFields"/>, because Istio reads mesh config leniently for forward compatibility.
/// </summary>
internal static class MeshConfigReader
{
    public static MeshConfigSpec Read(YamlObject mesh)
    {
        string? mode = null;
        if (mesh.Object("outboundTrafficPolicy") is { } policy)
        {
            mode = policy.Enum("mode", "REGISTRY_ONLY", "ALLOW_ANY");
            policy.RejectUnknownFields();
        }

        TcpKeepalive? keepalive = null;
        if (mesh.Object("tcpKeepalive") is { } ka)
        {
            keepalive = new TcpKeepalive { Probes = (int?)ka.UInt32("probes"), Time = ka.Duration("time"), Interval = ka.Duration("interval") };
            ka.RejectUnknownFields();
        }

        string? normalization = null;
        if (mesh.Object("pathNormalization") is { } pathNormalization)
        {
            normalization = pathNormalization.Enum("normalization", "DEFAULT", "NONE", "BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES");
            pathNormalization.RejectUnknownFields();
        }

        var defaults = MeshConfigSpec.Default;
        var defaultConfig = mesh.Object("defaultConfig");
        var proxyHeaders = defaultConfig?.Object("proxyHeaders");
        var tracing = defaultConfig?.Object("tracing");
        var result = new MeshConfigSpec
        {
            OutboundTrafficPolicyMode = mode,
            TrustDomain = NonEmpty(mesh.String("trustDomain")) ?? defaults.TrustDomain,
            TrustDomainAliases = mesh.StringList("trustDomainAliases") ?? [],
            DefaultHttpRetryPolicy = VirtualServiceReader.Retry(mesh.Object("defaultHttpRetryPolicy")),
            RootNamespace = NonEmpty(mesh.String("rootNamespace")) ?? defaults.RootNamespace,
            EnableAutoMtls = mesh.Bool("enableAutoMtls") ?? defaults.EnableAutoMtls,
            ConnectTimeout = mesh.Duration("connectTimeout") ?? defaults.ConnectTimeout,
            ProtocolDetectionTimeout = mesh.Duration("protocolDetectionTimeout") ?? defaults.ProtocolDetectionTimeout,
            DnsRefreshRate = mesh.Duration("dnsRefreshRate") ?? defaults.DnsRefreshRate,
            H2UpgradePolicy = mesh.Enum("h2UpgradePolicy", "DO_NOT_UPGRADE", "UPGRADE") ?? defaults.H2UpgradePolicy,
            TcpKeepalive = keepalive,
            PathNormalization = normalization,
            DefaultServiceExportTo = mesh.StringList("defaultServiceExportTo") ?? [],
            DefaultVirtualServiceExportTo = mesh.StringList("defaultVirtualServiceExportTo") ?? [],
            DefaultDestinationRuleExportTo = mesh.StringList("defaultDestinationRuleExportTo") ?? [],
            AccessLogFile = mesh.String("accessLogFile"),
            AccessLogEncoding = mesh.Enum("accessLogEncoding", "TEXT", "JSON"),
            AccessLogFormat = mesh.String("accessLogFormat"),
            EnableTracing = mesh.Bool("enableTracing"),
            TracingSampling = tracing?.Double("sampling"),
            TracingCustomTags = tracing is null ? [] : TracingCustomTagsReader.Read(tracing, "customTags") ?? [],
            TracingIstioTags = tracing?.Bool("enableIstioTags"),
            LegacyZipkinAddress = NonEmpty(tracing?.Object("zipkin")?.String("address")),
            TracingProviders = TracingProviders(mesh.ObjectList("extensionProviders")),
            DefaultTracingProviders = mesh.Object("defaultProviders")?.StringList("tracing") ?? [],
            LocalityLbSetting = NetworkingReader.LocalityLbSetting(mesh.Object("localityLbSetting")),
            ExtAuthzProviders = ExtAuthzProviders(mesh.ObjectList("extensionProviders")),
            AccessLogProviders = AccessLogProviders(mesh.ObjectList("extensionProviders")),
            DefaultAccessLogProviders = mesh.Object("defaultProviders")?.StringList("accessLogging") ?? [],
            PrometheusProviders = PrometheusProviders(mesh.ObjectList("extensionProviders")),
            DefaultMetricsProviders = mesh.Object("defaultProviders")?.StringList("metrics"),
            // defaultConfig (ProxyConfig) is read for its tracing (sampling, custom tags, Istio tags) and proxyHeaders:
            // its other settings (concurrency, the tracer's own address, ...) are listed, so one that has no effect
            // here is warned about.
            ProxyHeaders = ProxyHeaders(proxyHeaders),
            UntypedFields =
            [
                .. mesh.UnreadKeys(),
                .. (defaultConfig?.UnreadKeys() ?? []).Select(key => "defaultConfig." + key),
                .. (proxyHeaders?.UnreadKeys() ?? []).Select(key => "defaultConfig.proxyHeaders." + key),
                .. (tracing?.UnreadKeys() ?? []).Select(key => "defaultConfig.tracing." + key),
            ],
        };
        return result;
    }

    /// <summary>Istio's <c>ProxyHeaders</c>: server, requestId, attemptCount and envoyDebugHeaders.</summary>
    private static ProxyHeadersConfig ProxyHeaders(YamlObject? headers)
    {
        if (headers is null)
        {
            return ProxyHeadersConfig.Default;
        }

        var server = headers.Object("server");
        return new ProxyHeadersConfig
        {
            ServerDisabled = server?.Bool("disabled") ?? false,
            ServerValue = server?.String("value") is { Length: > 0 } value ? value : null,
            RequestIdDisabled = headers.Object("requestId")?.Bool("disabled") ?? false,
            AttemptCountDisabled = headers.Object("attemptCount")?.Bool("disabled") ?? false,
            EnvoyDebugHeadersDisabled = headers.Object("envoyDebugHeaders")?.Bool("disabled") ?? false,
        };
    }

    /// <summary>The <c>opentelemetry</c> and <c>zipkin</c> entries of <c>extensionProviders</c>; other kinds (envoyFileAccessLog, ...) are skipped.</summary>
    private static List<TracingExtensionProvider> TracingProviders(IReadOnlyList<YamlObject>? providers)
    {
        var result = new List<TracingExtensionProvider>();
        foreach (var provider in providers ?? [])
        {
            var name = provider.String("name") ?? "";
            if (provider.Object("opentelemetry") is { } otel)
            {
                result.Add(new TracingExtensionProvider
                {
                    Name = name,
                    Kind = "opentelemetry",
                    Service = otel.String("service") ?? "",
                    Port = otel.Int32("port") ?? 0,
                    Path = otel.Object("http") is { } http ? NonEmpty(http.String("path")) ?? "/v1/traces" : null,
                });
            }
            else if (provider.Object("zipkin") is { } zipkin)
            {
                result.Add(new TracingExtensionProvider
                {
                    Name = name,
                    Kind = "zipkin",
                    Service = zipkin.String("service") ?? "",
                    Port = zipkin.Int32("port") ?? 0,
                    Path = NonEmpty(zipkin.String("path")) ?? Translation.TelemetryTranslator.ZipkinSpansPath,
                });
            }
        }

        return result;
    }

    /// <summary>The <c>envoyFileAccessLog</c> and <c>envoyOtelAls</c> entries of <c>extensionProviders</c>.</summary>
    private static List<AccessLogExtensionProvider> AccessLogProviders(IReadOnlyList<YamlObject>? providers)
    {
        var result = new List<AccessLogExtensionProvider>();
        foreach (var provider in providers ?? [])
        {
            if (provider.Object(AccessLogExtensionProvider.FileKind) is { } file)
            {
                var format = file.Object("logFormat");
                result.Add(new AccessLogExtensionProvider
                {
                    Name = provider.String("name") ?? "",
                    Path = file.String("path") ?? "",
                    Text = format?.String("text"),
                    Labels = format?.StringMap("labels"),
                });
            }
            else if (provider.Object(AccessLogExtensionProvider.OpenTelemetryKind) is { } otel)
            {
                // logName names the log to Envoy's built-in resource labels, which Istio turns off: nothing reads it.
                var format = otel.Object("logFormat");
                result.Add(new AccessLogExtensionProvider
                {
                    Name = provider.String("name") ?? "",
                    Kind = AccessLogExtensionProvider.OpenTelemetryKind,
                    Service = otel.String("service") ?? "",
                    Port = otel.Int32("port") ?? 0,
                    Text = format?.String("text"),
                    Labels = format?.StringMap("labels"),
                });
            }
        }

        return result;
    }

    /// <summary>The <c>envoyExtAuthzHttp</c> and <c>envoyExtAuthzGrpc</c> entries of <c>extensionProviders</c>.</summary>
    private static List<ExtAuthzExtensionProvider> ExtAuthzProviders(IReadOnlyList<YamlObject>? providers)
    {
        var result = new List<ExtAuthzExtensionProvider>();
        foreach (var provider in providers ?? [])
        {
            var name = provider.String("name") ?? "";
            if (provider.Object("envoyExtAuthzHttp") is { } http)
            {
                var body = http.Object("includeRequestBodyInCheck");
                result.Add(new ExtAuthzExtensionProvider
                {
                    Name = name,
                    Kind = "envoyExtAuthzHttp",
                    Service = http.String("service") ?? "",
                    Port = http.Int32("port") ?? 0,
                    Timeout = http.Duration("timeout"),
                    PathPrefix = http.String("pathPrefix"),
                    FailOpen = http.Bool("failOpen") ?? false,
                    StatusOnError = http.String("statusOnError"),
                    HeadersToUpstreamOnAllow = http.StringList("headersToUpstreamOnAllow") ?? [],
                    HeadersToDownstreamOnDeny = http.StringList("headersToDownstreamOnDeny") ?? [],
                    HeadersToDownstreamOnAllow = http.StringList("headersToDownstreamOnAllow") ?? [],
                    IncludeRequestHeadersInCheck = [.. http.StringList("includeRequestHeadersInCheck") ?? [], .. http.StringList("includeHeadersInCheck") ?? []],
                    IncludeAdditionalHeadersInCheck = http.StringMap("includeAdditionalHeadersInCheck") ?? [],
                    MaxRequestBytes = body is null ? null : body.UInt32("maxRequestBytes") ?? 0,
                    AllowPartialMessage = body?.Bool("allowPartialMessage") ?? false,
                });
            }
            else if (provider.Object("envoyExtAuthzGrpc") is { } grpc)
            {
                var body = grpc.Object("includeRequestBodyInCheck");
                result.Add(new ExtAuthzExtensionProvider
                {
                    MaxRequestBytes = body is null ? null : body.UInt32("maxRequestBytes") ?? 0,
                    AllowPartialMessage = body?.Bool("allowPartialMessage") ?? false,
                    Name = name,
                    Kind = "envoyExtAuthzGrpc",
                    Service = grpc.String("service") ?? "",
                    Port = grpc.Int32("port") ?? 0,
                    Timeout = grpc.Duration("timeout"),
                    FailOpen = grpc.Bool("failOpen") ?? false,
                    StatusOnError = grpc.String("statusOnError"),
                });
            }
        }

        return result;
    }

    private static List<string> PrometheusProviders(IReadOnlyList<YamlObject>? providers)
    {
        var result = new List<string>();
        foreach (var provider in providers ?? [])
        {
            if (provider.Has("prometheus") && provider.String("name") is { Length: > 0 } name)
            {
                result.Add(name);
            }
        }

        return result;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
