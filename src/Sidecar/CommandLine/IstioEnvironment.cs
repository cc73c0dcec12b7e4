using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.CommandLine;

/// <summary>
/// What Istio's injector gives the sidecar container through its environment: the pod's identity (POD_NAME,
/// POD_NAMESPACE, INSTANCE_IP, SERVICE_ACCOUNT, ISTIO_META_*) and its labels (the downward-API file
/// /etc/istio/pod/labels, or ISTIO_METAJSON_LABELS). Command-line flags take precedence over these.
/// </summary>
internal sealed class IstioEnvironment
{
    public const string PodLabelsFile = "/etc/istio/pod/labels";

    private readonly Func<string, string?> _variable;
    private readonly string _labelsFile;

    public IstioEnvironment(Func<string, string?>? variable = null, string labelsFile = PodLabelsFile)
    {
        _variable = variable ?? Environment.GetEnvironmentVariable;
        _labelsFile = labelsFile;
    }

    public string? Get(string name) => _variable(name) is { Length: > 0 } value ? value : null;

    public string? PodName => Get("POD_NAME");

    /// <summary>
    /// istiod's discovery address: <c>DISCOVERY_ADDRESS</c>, else the <c>discoveryAddress</c> of the injector's
    /// <c>PROXY_CONFIG</c> JSON.
    /// </summary>
    public string? DiscoveryAddress
    {
        get
        {
            if (Get("DISCOVERY_ADDRESS") is { } address)
            {
                return address;
            }

            if (Get("PROXY_CONFIG") is not { } proxyConfig)
            {
                return null;
            }

            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(proxyConfig);
                return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                    && json.RootElement.TryGetProperty("discoveryAddress", out var value) && value.GetString() is { Length: > 0 } text
                    ? text
                    : null;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }

    public string? Namespace => Get("POD_NAMESPACE");

    public string? InstanceIp => Get("INSTANCE_IP");

    public string? ServiceAccount => Get("SERVICE_ACCOUNT");

    public string? WorkloadName => Get("ISTIO_META_WORKLOAD_NAME");

    public string? ClusterId => Get("ISTIO_META_CLUSTER_ID");

    public string? DrainDurationSeconds => Get("TERMINATION_DRAIN_DURATION_SECONDS");

    /// <summary>pilot-agent's <c>EXIT_ON_ZERO_ACTIVE_CONNECTIONS</c>: after SIGTERM, exit once no connection is left.</summary>
    public bool ExitOnZeroActiveConnections => Get("EXIT_ON_ZERO_ACTIVE_CONNECTIONS") is { } value && bool.TryParse(value, out var exit) && exit;

    /// <summary>pilot-agent's <c>MINIMUM_DRAIN_DURATION</c> (a duration, 5s by default).</summary>
    public string? MinimumDrainDuration => Get("MINIMUM_DRAIN_DURATION");

    /// <summary>Istio's <c>ISTIO_META_HTTP10</c>: "1" or "true" lets HTTP/1.0 requests through (Envoy's <c>accept_http_10</c>).</summary>
    public bool AcceptHttp10 => Get("ISTIO_META_HTTP10") is "1" or "true";

    /// <summary>pilot-agent's <c>ISTIO_DELTA_XDS</c>: delta xDS to istiod unless false (Go's spellings of it); true by default.</summary>
    public bool DeltaXds => Get("ISTIO_DELTA_XDS") is not ("0" or "f" or "F" or "false" or "FALSE" or "False");

    /// <summary>Istio's <c>ISTIO_META_DNS_CAPTURE</c>: true (Go's spellings of it) runs the agent's DNS proxy on 15053.</summary>
    public bool DnsCapture => Get("ISTIO_META_DNS_CAPTURE") is "1" or "t" or "T" or "true" or "TRUE" or "True";

    /// <summary>Istio's <c>ISTIO_META_DNS_AUTO_ALLOCATE</c>: with DNS capture, addresses for ServiceEntries without any.</summary>
    public bool DnsAutoAllocate => Get("ISTIO_META_DNS_AUTO_ALLOCATE") is "1" or "t" or "T" or "true" or "TRUE" or "True";

    /// <summary>pilot-agent's <c>DNS_FORWARD_PARALLEL</c>: forward to every nameserver at once.</summary>
    public bool DnsForwardParallel => Get("DNS_FORWARD_PARALLEL") is "1" or "t" or "T" or "true" or "TRUE" or "True";

    /// <summary>pilot-agent's <c>DNS_PROXY_ADDR</c>: where the DNS proxy listens (<c>localhost:15053</c> by default).</summary>
    public string? DnsProxyAddress => Get("DNS_PROXY_ADDR");

    /// <summary>The pod's <c>prometheus.io/*</c> annotations as JSON, which the injector gives the agent for metrics merging.</summary>
    public string? PrometheusAnnotations => Get("ISTIO_PROMETHEUS_ANNOTATIONS");

    /// <summary>The app's Kubernetes probes the injector moved to the status port (<c>/app-health/...</c>), as JSON.</summary>
    public string? AppProbers => Get("ISTIO_KUBE_APP_PROBERS");

    /// <summary>OpenTelemetry's standard exporter variables, for a standalone user without a mesh config.</summary>
    public string? OtlpEndpoint => Get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ?? Get("OTEL_EXPORTER_OTLP_ENDPOINT");

    public string? OtlpProtocol => Get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") ?? Get("OTEL_EXPORTER_OTLP_PROTOCOL");

    /// <summary>The pod's labels: ISTIO_METAJSON_LABELS, else the downward-API labels file (minus pod-template-hash, as Istio drops it).</summary>
    public Labels ReadLabels()
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (Get("ISTIO_METAJSON_LABELS") is { } json)
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                pairs.Add(new(property.Name, property.Value.GetString() ?? ""));
            }
        }
        else if (File.Exists(_labelsFile))
        {
            foreach (var line in File.ReadAllLines(_labelsFile))
            {
                // Downward API format: key="value", one per line.
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    continue;
                }

                var value = line[(eq + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal);
                }

                pairs.Add(new(line[..eq].Trim(), value));
            }
        }

        return Labels.From(pairs.Where(p => p.Key != "pod-template-hash"));
    }
}
