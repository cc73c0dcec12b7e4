using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Sidecar.Hosting;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Model;
using Sidecar.Proxy.Telemetry;
using Sidecar.Proxy.Telemetry.Metrics;

namespace Sidecar.CommandLine;

/// <summary><c>sidecar run</c>: its flags, their validation, and the settings they produce.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<DirectoryInfo>("--config", "-c")
        {
            Description = "Standalone: a directory of Istio YAML (ServiceEntry, VirtualService, DestinationRule, Sidecar, ...); watched for changes.",
        }.AcceptExistingOnly();
        var xdsAddress = new Option<string?>("--xds-address")
        {
            Description = "Mesh mode: istiod's discovery address, e.g. istiod.istio-system.svc:15012 (TLS) or http://istiod:15010 [env DISCOVERY_ADDRESS, or PROXY_CONFIG's discoveryAddress].",
        };
        var bind = AddressOption("--bind", "Address every listener binds (0.0.0.0 in a pod; a distinct 127.x.y.z lets sidecars share a machine).", "127.0.0.1");
        var outboundPort = PortOption("--outbound-port", "Outbound listener: captured traffic, Host-routed requests and HTTP-proxy requests.", 15001);
        var inboundPort = PortOption("--inbound-port", "Inbound capture listener.", 15006);
        var adminPort = PortOption("--admin-port", "Admin API (/ready, /config_dump, /clusters), on localhost unless --bind is a specific address.", 15000);
        var statusPort = PortOption("--status-port", "Agent status port (/healthz/ready, /quitquitquit).", 15020);
        var healthPort = PortOption("--health-port", "Health port (/healthz/ready).", 15021);
        var statsPort = PortOption("--stats-port", "Prometheus port (/stats/prometheus).", 15090);
        var ns = new Option<string?>("--namespace") { Description = "The workload's namespace [env POD_NAMESPACE; default: default]." };
        var podName = new Option<string?>("--pod-name") { Description = "The pod's name [env POD_NAME]." };
        var workload = new Option<string?>("--workload") { Description = "The workload (Deployment) name [env ISTIO_META_WORKLOAD_NAME]." };
        var labels = new Option<string?>("--labels") { Description = "The workload's labels, k=v,k=v [env ISTIO_METAJSON_LABELS or /etc/istio/pod/labels]." };
        labels.Validators.Add(result =>
        {
            if (!Labels.TryParse(result.GetValueOrDefault<string?>(), out _, out var error))
            {
                result.AddError($"--labels: {error}");
            }
        });
        var serviceAccount = new Option<string?>("--service-account") { Description = "The workload's service account [env SERVICE_ACCOUNT; default: default]." };
        var instanceIp = AddressOption("--instance-ip", "The pod's IP [env INSTANCE_IP].", null);
        var locality = new Option<string?>("--locality")
        {
            Description = "Where the workload runs, region/zone/subzone, for locality load balancing [pod label topology.istio.io/locality or istio-locality, dots for slashes; else topology.kubernetes.io/region, topology.kubernetes.io/zone and topology.istio.io/subzone labels].",
        };
        var clusterId = new Option<string?>("--cluster-id") { Description = "Istio cluster id [env ISTIO_META_CLUSTER_ID; default: Kubernetes]." };
        var trustDomain = new Option<string>("--trust-domain") { Description = "SPIFFE trust domain.", DefaultValueFactory = _ => "cluster.local" };
        var trafficPolicy = new Option<string?>("--outbound-traffic-policy")
        {
            Description = "Traffic to hosts the mesh does not know: ALLOW_ANY (pass through) or REGISTRY_ONLY (refuse). Default: from the config (mesh config / Sidecar), else ALLOW_ANY.",
        }.AcceptOnlyFromAmong("ALLOW_ANY", "REGISTRY_ONLY");
        var drain = DurationOption("--drain-duration", "How long in-flight requests may finish after SIGTERM [env TERMINATION_DRAIN_DURATION_SECONDS].", null);
        var detection = DurationOption("--protocol-detection-timeout", "How long to wait for a client's first bytes on an auto-detected port before treating the connection as server-first TCP. Default: the mesh config's protocolDetectionTimeout, else none (Istio's 0s: wait for them).", null);
        var otlpEndpoint = UrlOption("--otlp-endpoint", "Export spans over OTLP to this collector (e.g. http://127.0.0.1:4317) [env OTEL_EXPORTER_OTLP_ENDPOINT]; overrides the mesh config's tracing provider.");
        var otlpProtocol = new Option<string?>("--otlp-protocol") { Description = "OTLP transport: grpc (default) or http/protobuf [env OTEL_EXPORTER_OTLP_PROTOCOL]." }
            .AcceptOnlyFromAmong("grpc", "http/protobuf");
        var zipkinEndpoint = UrlOption("--zipkin-endpoint", "Export spans to a Zipkin collector (e.g. http://127.0.0.1:9411/api/v2/spans).");
        var sampling = new Option<double?>("--tracing-sampling") { Description = "Percentage of new traces sampled (Istio's defaultConfig.tracing.sampling; default from the mesh config, else 1)." };
        sampling.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is < 0 or > 100)
            {
                result.AddError("--tracing-sampling: must be between 0 and 100.");
            }
        });
        var accessLog = new Option<string?>("--access-log") { Description = "Access log destination: /dev/stdout or a file path (Istio's accessLogFile; default from the mesh config, empty: off)." };
        var accessLogEncoding = new Option<string?>("--access-log-encoding") { Description = "Access log encoding: TEXT (Envoy's default format) or JSON (Istio's accessLogEncoding)." }
            .AcceptOnlyFromAmong("TEXT", "JSON");
        var appMetrics = UrlOption("--app-metrics", "The application's Prometheus endpoint merged into the status port's /stats/prometheus [env ISTIO_PROMETHEUS_ANNOTATIONS].");
        var concurrency = new Option<int?>("--concurrency")
        {
            Description = "Worker threads: the socket event loops that run the request path (Istio's ProxyConfig concurrency, Envoy's --concurrency; 0: one per CPU). Default: 2, or 1 where only one CPU is available.",
        };
        concurrency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0)
            {
                result.AddError("--concurrency: must be 0 (one per CPU) or more.");
            }
        });
        var dnsCapture = new Option<bool>("--dns-capture")
        {
            Description = "Run pilot-agent's DNS proxy: answer the mesh's service names on UDP and TCP --dns-port of localhost (the init program's --redirect-dns sends the pod's DNS there) and forward other names to resolv.conf's nameservers [env ISTIO_META_DNS_CAPTURE=true].",
        };
        var dnsAutoAllocate = new Option<bool>("--dns-auto-allocate")
        {
            Description = "With --dns-capture: give each ServiceEntry host without addresses one from 240.240.0.0/16, answered by the DNS proxy and routed by it (a TCP port gets a listener of its own) [env ISTIO_META_DNS_AUTO_ALLOCATE=true].",
        };
        var dnsPort = PortOption("--dns-port", "The DNS proxy's port, on localhost or the --bind address [env DNS_PROXY_ADDR, host:port, sets both; on 53 as root it also answers before the first config, and reads /var/lib/istio/resolv.conf where that exists].", 15053);
        var resolvConf = new Option<string?>("--resolv-conf")
        {
            Description = "The DNS proxy's upstream nameservers and search domains. Default: /etc/resolv.conf.",
        };
        var logLevel = new Option<string>("--log-level") { Description = "Log level.", DefaultValueFactory = _ => "info" }
            .AcceptOnlyFromAmong("trace", "debug", "info", "warning", "error", "off");

        var command = new Command("run", "Run the sidecar in front of a workload, configured from a directory of Istio YAML (standalone) or by istiod over xDS (mesh mode).")
        {
            config, xdsAddress, bind, outboundPort, inboundPort, adminPort, statusPort, healthPort, statsPort,
            ns, podName, workload, labels, serviceAccount, instanceIp, locality, clusterId, trustDomain,
            trafficPolicy, drain, detection, otlpEndpoint, otlpProtocol, zipkinEndpoint, sampling, accessLog, accessLogEncoding, appMetrics, concurrency,
            dnsCapture, dnsAutoAllocate, dnsPort, resolvConf, logLevel,
        };
        var identity = new IdentityOptions();
        identity.AddTo(command);
        command.Validators.Add(result =>
        {
            var standalone = result.GetValue(config) is not null;
            var mesh = result.GetValue(xdsAddress) is not null || new IstioEnvironment().DiscoveryAddress is not null;
            if (!standalone && !mesh)
            {
                result.AddError("Give --config DIR (standalone: Istio YAML) or --xds-address ADDRESS (mesh mode: istiod; env DISCOVERY_ADDRESS).");
            }

            if (new IstioEnvironment().DnsProxyAddress is { } dns && !Proxy.Dns.DnsProxyOptions.TryParseAddress(dns, out _, out _))
            {
                result.AddError($"DNS_PROXY_ADDR: '{dns}' is not host:port (localhost:15053, 127.0.0.1:53).");
            }
        });

        command.SetAction(async (parse, cancellationToken) =>
        {
            var environment = new IstioEnvironment();
            var settings = new SidecarSettings
            {
                ConfigDirectory = parse.GetValue(config)?.FullName,
                XdsAddress = parse.GetValue(config) is null ? XdsAddress(parse.GetValue(xdsAddress) ?? environment.DiscoveryAddress) : null,
                BindAddress = IPAddress.Parse(parse.GetValue(bind) ?? "127.0.0.1"),
                OutboundPort = parse.GetValue(outboundPort),
                InboundPort = parse.GetValue(inboundPort),
                AdminPort = parse.GetValue(adminPort),
                StatusPort = parse.GetValue(statusPort),
                HealthPort = parse.GetValue(healthPort),
                StatsPort = parse.GetValue(statsPort),
                Workload = BuildWorkload(parse, environment, ns, podName, workload, labels, serviceAccount, instanceIp, locality, clusterId, trustDomain),
                OutboundTrafficPolicy = parse.GetValue(trafficPolicy) switch
                {
                    "ALLOW_ANY" => OutboundTrafficPolicy.AllowAny,
                    "REGISTRY_ONLY" => OutboundTrafficPolicy.RegistryOnly,
                    _ => null,
                },
                DrainDuration = parse.GetValue(drain) is { } d ? ParseDuration(d)
                    : environment.DrainDurationSeconds is { } seconds && int.TryParse(seconds, out var s) ? TimeSpan.FromSeconds(s)
                    : TimeSpan.FromSeconds(5),
                ProtocolDetectionTimeout = parse.GetValue(detection) is { } detectionText ? ParseDuration(detectionText) : null,
                AcceptHttp10 = environment.AcceptHttp10,
                AppProbers = environment.AppProbers,
                Dns = DnsProxy(parse, environment, dnsCapture, dnsAutoAllocate, dnsPort, resolvConf),
                ExitOnZeroActiveConnections = environment.ExitOnZeroActiveConnections,
                MinimumDrainDuration = environment.MinimumDrainDuration is { } minimum ? ParseDuration(minimum) : TimeSpan.FromSeconds(5),
                Concurrency = parse.GetValue(concurrency),
                LogLevel = parse.GetRequiredValue(logLevel),
                Telemetry = new TelemetryOptions
                {
                    TracingProvider = TracingProvider(parse.GetValue(otlpEndpoint) ?? environment.OtlpEndpoint, parse.GetValue(otlpProtocol) ?? environment.OtlpProtocol, parse.GetValue(zipkinEndpoint)),
                    SamplingPercent = parse.GetValue(sampling),
                    AccessLogFile = parse.GetValue(accessLog),
                    AccessLogEncoding = parse.GetValue(accessLogEncoding) switch
                    {
                        "JSON" => AccessLogEncoding.Json,
                        "TEXT" => AccessLogEncoding.Text,
                        _ => null,
                    },
                    ApplicationMetrics = parse.GetValue(appMetrics) is { } app ? new Uri(app) : ApplicationMetricsScraper.FromAnnotations(environment.PrometheusAnnotations, parse.GetValue(statusPort)),
                },
                Identity = identity.Read(parse, environment),
            };

            return await SidecarHost.RunAsync(settings, cancellationToken).ConfigureAwait(false);
        });

        return command;
    }

    /// <summary>The DNS proxy's settings from the flags and pilot-agent's env vars (<c>DNS_PROXY_ADDR</c>, already
    /// validated, sets the address and port).</summary>
    private static Proxy.Dns.DnsProxyOptions DnsProxy(ParseResult parse, IstioEnvironment environment, Option<bool> capture, Option<bool> autoAllocate, Option<int> port, Option<string?> resolvConf)
    {
        var options = new Proxy.Dns.DnsProxyOptions
        {
            Enabled = parse.GetValue(capture) || environment.DnsCapture,
            AutoAllocate = parse.GetValue(autoAllocate) || environment.DnsAutoAllocate,
            Port = parse.GetValue(port),
            ResolvConfPath = parse.GetValue(resolvConf),
            ForwardParallel = environment.DnsForwardParallel,
        };
        return environment.DnsProxyAddress is { } value && Proxy.Dns.DnsProxyOptions.TryParseAddress(value, out var address, out var addressPort)
            ? options with { Address = address, Port = addressPort }
            : options;
    }

    /// <summary>istiod's address as pilot-agent takes it: <c>host:port</c> means TLS (istiod's 15012), a URL is used as given.</summary>
    private static Uri? XdsAddress(string? address) =>
        address is null ? null : new Uri(address.Contains("://", StringComparison.Ordinal) ? address : $"https://{address}");

    private static WorkloadInfo BuildWorkload(
        ParseResult parse,
        IstioEnvironment environment,
        Option<string?> ns,
        Option<string?> podName,
        Option<string?> workload,
        Option<string?> labels,
        Option<string?> serviceAccount,
        Option<string?> instanceIp,
        Option<string?> locality,
        Option<string?> clusterId,
        Option<string> trustDomain)
    {
        Labels.TryParse(parse.GetValue(labels), out var flagLabels, out _);
        var workloadLabels = flagLabels is { Count: > 0 } ? flagLabels : environment.ReadLabels();
        var pod = parse.GetValue(podName) ?? environment.PodName ?? Environment.MachineName;
        var ip = parse.GetValue(instanceIp) ?? environment.InstanceIp;
        return new WorkloadInfo
        {
            PodName = pod,
            Namespace = parse.GetValue(ns) ?? environment.Namespace ?? "default",
            WorkloadName = parse.GetValue(workload) ?? environment.WorkloadName ?? workloadLabels["app"] ?? pod,
            Labels = workloadLabels,
            ServiceAccount = parse.GetValue(serviceAccount) ?? environment.ServiceAccount ?? "default",
            ClusterId = parse.GetValue(clusterId) ?? environment.ClusterId ?? "Kubernetes",
            InstanceIps = ip is null ? default : [ip],
            Locality = parse.GetValue(locality) ?? PodLocality.FromLabels(workloadLabels),
            TrustDomain = parse.GetRequiredValue(trustDomain),
        };
    }

    /// <summary>The collector from the flags: OTLP (gRPC, or HTTP with <c>/v1/traces</c> added to a bare address), else Zipkin, else none.</summary>
    private static TracingProviderConfig? TracingProvider(string? otlp, string? protocol, string? zipkin)
    {
        if (otlp is not null && Uri.TryCreate(otlp, UriKind.Absolute, out var otlpUri))
        {
            if (protocol == "http/protobuf")
            {
                return new TracingProviderConfig("otlp", TracingProtocol.OtlpHttp, otlpUri.AbsolutePath == "/" ? new Uri(otlpUri, "/v1/traces") : otlpUri);
            }

            return new TracingProviderConfig("otlp", TracingProtocol.OtlpGrpc, otlpUri);
        }

        return zipkin is not null && Uri.TryCreate(zipkin, UriKind.Absolute, out var zipkinUri)
            ? new TracingProviderConfig("zipkin", TracingProtocol.Zipkin, zipkinUri)
            : null;
    }

    private static Option<string?> UrlOption(string name, string description)
    {
        var option = new Option<string?>(name) { Description = description };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
            {
                result.AddError($"{name}: '{text}' is not an http(s) URL.");
            }
        });
        return option;
    }

    private static Option<int> PortOption(string name, string description, int defaultPort)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultPort };
        option.Validators.Add(result =>
        {
            var port = result.GetValueOrDefault<int>();
            if (port is < 1 or > 65535)
            {
                result.AddError($"{name}: {port} is not a TCP port (1-65535).");
            }
        });
        return option;
    }

    private static Option<string?> AddressOption(string name, string description, string? defaultValue)
    {
        var option = new Option<string?>(name) { Description = description };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && !IPAddress.TryParse(text, out _))
            {
                result.AddError($"{name}: '{text}' is not an IP address.");
            }
        });
        return option;
    }

    private static Option<string?> DurationOption(string name, string description, string? defaultValue)
    {
        var option = new Option<string?>(name) { Description = description };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } text && (!IstioDuration.TryParse(text, out var value, out var error) || value.Nanoseconds < 0))
            {
                result.AddError($"{name}: {error ?? $"'{text}' must not be negative"} (examples: 5s, 500ms, 1m).");
            }
        });
        return option;
    }

    private static TimeSpan ParseDuration(string text) =>
        IstioDuration.TryParse(text, out var value, out _) ? value.ToTimeSpan() : TimeSpan.Zero;
}
