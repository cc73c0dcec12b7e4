using System.Net;
using Sidecar.Model;

namespace Sidecar.Proxy;

/// <summary>How the data plane listens and behaves: Istio's ports, the bind address, drain and buffer limits.</summary>
public sealed record ProxyOptions
{
    /// <summary>The address every listener binds (the <c>--bind</c> flag): 127.0.0.1 standalone, 0.0.0.0 in a pod.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The admin listener's address: Envoy keeps admin on localhost; it follows <see cref="BindAddress"/> when that is a specific address.</summary>
    public IPAddress AdminBindAddress => BindAddress.Equals(IPAddress.Any) || BindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback : BindAddress;

    public int OutboundPort { get; init; } = 15001;

    public int InboundPort { get; init; } = 15006;

    public int AdminPort { get; init; } = 15000;

    /// <summary>The agent status port: merged metrics, <c>/healthz/ready</c>, <c>/quitquitquit</c>.</summary>
    public int StatusPort { get; init; } = 15020;

    /// <summary>Envoy's health port: <c>/healthz/ready</c>.</summary>
    public int HealthPort { get; init; } = 15021;

    /// <summary>Envoy's Prometheus port: <c>/stats/prometheus</c>.</summary>
    public int StatsPort { get; init; } = 15090;

    /// <summary>How long the sidecar keeps serving after SIGTERM while inbound connections drain (Istio's terminationDrainDuration, 5 s).</summary>
    public TimeSpan DrainDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>pilot-agent's <c>EXIT_ON_ZERO_ACTIVE_CONNECTIONS</c>: after SIGTERM, exit once no downstream connection is left.</summary>
    public bool ExitOnZeroActiveConnections { get; init; }

    /// <summary>pilot-agent's <c>MINIMUM_DRAIN_DURATION</c> (5 s): the least time drained before the connection count is watched.</summary>
    public TimeSpan MinimumDrainDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest request body kept for retries and mirrors (Envoy's per-request buffer limit).</summary>
    public int ReplayBufferLimit { get; init; } = 1024 * 1024;

    /// <summary>
    /// How long to wait for a client's first bytes on an auto-detected port before treating the connection as
    /// server-first TCP; null: the mesh config's <c>protocolDetectionTimeout</c> (Istio's default 0s: no limit).
    /// A set value also bounds the inbound TLS handshake and TCP metadata exchange, which take 5 s otherwise.
    /// </summary>
    public TimeSpan? ProtocolDetectionTimeout { get; init; }

    /// <summary>Let HTTP/1.0 requests through (Istio's <c>ISTIO_META_HTTP10</c>, Envoy's <c>accept_http_10</c>); refused with 426 otherwise.</summary>
    public bool AcceptHttp10 { get; init; }

    /// <summary>Tracing, access log and merged-metrics settings given on the command line.</summary>
    public Telemetry.TelemetryOptions Telemetry { get; init; } = Sidecar.Proxy.Telemetry.TelemetryOptions.Default;

    /// <summary>Worker threads (socket event loops) in effect, as <c>/server_info</c> reports Envoy's <c>--concurrency</c>.</summary>
    public int Concurrency { get; init; } = 2;

    /// <summary>This workload's identity and labels.</summary>
    public WorkloadInfo Workload { get; init; } = WorkloadInfo.Default;

    /// <summary>Istio's <c>ISTIO_KUBE_APP_PROBERS</c>: the app's probes the status port serves under <c>/app-health/</c>.</summary>
    public string? AppProbers { get; init; }

    /// <summary>pilot-agent's DNS proxy on 15053 (<c>ISTIO_META_DNS_CAPTURE</c>).</summary>
    public Dns.DnsProxyOptions Dns { get; init; } = Sidecar.Proxy.Dns.DnsProxyOptions.Disabled;
}
