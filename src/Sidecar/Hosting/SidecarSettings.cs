using System.Net;
using Sidecar.Model;

namespace Sidecar.Hosting;

/// <summary>Everything <c>sidecar run</c> was told, after flags and Istio's env vars are resolved.</summary>
internal sealed record SidecarSettings
{
    /// <summary>The standalone source's directory of Istio YAML; null in mesh mode.</summary>
    public string? ConfigDirectory { get; init; }

    /// <summary>istiod's discovery address (mesh mode: config over xDS); null when standalone.</summary>
    public Uri? XdsAddress { get; init; }

    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    public int OutboundPort { get; init; } = 15001;

    public int InboundPort { get; init; } = 15006;

    public int AdminPort { get; init; } = 15000;

    public int StatusPort { get; init; } = 15020;

    public int HealthPort { get; init; } = 15021;

    public int StatsPort { get; init; } = 15090;

    public WorkloadInfo Workload { get; init; } = WorkloadInfo.Default;

    public OutboundTrafficPolicy? OutboundTrafficPolicy { get; init; }

    public TimeSpan DrainDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The flag's protocol detection timeout; null: the mesh config's.</summary>
    public TimeSpan? ProtocolDetectionTimeout { get; init; }

    /// <summary>Let HTTP/1.0 requests through (<c>ISTIO_META_HTTP10</c>).</summary>
    public bool AcceptHttp10 { get; init; }

    public bool ExitOnZeroActiveConnections { get; init; }

    public TimeSpan MinimumDrainDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>ISTIO_KUBE_APP_PROBERS</c>: the app's probes served on the status port.</summary>
    public string? AppProbers { get; init; }

    /// <summary>pilot-agent's DNS proxy (<c>--dns-capture</c>, <c>ISTIO_META_DNS_CAPTURE</c>); in mesh mode it also subscribes to istiod's name table.</summary>
    public Proxy.Dns.DnsProxyOptions Dns { get; init; } = Proxy.Dns.DnsProxyOptions.Disabled;

    /// <summary>Worker threads asked for (<c>--concurrency</c>; null: the default, 0: one per CPU).</summary>
    public int? Concurrency { get; init; }

    public string LogLevel { get; init; } = "info";

    /// <summary>Tracing, access log and merged-metrics settings from flags and env.</summary>
    public Proxy.Telemetry.TelemetryOptions Telemetry { get; init; } = Proxy.Telemetry.TelemetryOptions.Default;

    public IdentitySettings Identity { get; init; } = new();
}
