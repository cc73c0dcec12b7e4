using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// A cluster as Envoy's <c>config.cluster.v3.Cluster</c>, in istiod's shape: a service's cluster is <c>EDS</c> (its
/// endpoints in the endpoints dump, as istiod sends them), with circuit breakers, outlier detection, load balancing,
/// HTTP protocol options, TLS or auto mTLS's transport socket matches, and the <c>istio</c> metadata istioctl reads
/// (services, port, subset, the DestinationRule).
/// </summary>
internal static class ClusterWriter
{
    public static void Write(Utf8JsonWriter writer, string? property, ClusterConfig cluster, DumpSource source)
    {
        EnvoyJson.StartTyped(writer, property, "envoy.config.cluster.v3.Cluster");
        writer.WriteString("name", cluster.Name);
        var type = TypeName(cluster);
        writer.WriteString("type", type);
        if (type == "EDS")
        {
            writer.WriteStartObject("eds_cluster_config");
            EnvoyJson.WriteAdsConfigSource(writer, "eds_config");
            writer.WriteString("service_name", cluster.Name);
            writer.WriteEndObject();
        }

        EnvoyJson.WriteDuration(writer, "connect_timeout", cluster.ConnectTimeout);
        WriteLoadBalancing(writer, cluster);
        WriteCircuitBreakers(writer, cluster.CircuitBreakers);
        if (cluster.OutlierDetection is { } outlier)
        {
            WriteOutlierDetection(writer, outlier);
        }

        if (type is not ("EDS" or "ORIGINAL_DST") && (!cluster.Endpoints.IsEmpty || type == "STATIC"))
        {
            ClusterLoadAssignmentWriter.Write(writer, "load_assignment", cluster, source);
        }

        if (cluster.Type is ClusterDiscoveryType.StrictDns or ClusterDiscoveryType.LogicalDns)
        {
            EnvoyJson.WriteDuration(writer, "dns_refresh_rate", cluster.DnsRefreshRate);
            writer.WriteBoolean("respect_dns_ttl", true);
        }

        WriteProtocolOptions(writer, cluster);
        if (cluster.TcpKeepalive is { } keepalive)
        {
            writer.WriteStartObject("upstream_connection_options");
            writer.WriteStartObject("tcp_keepalive");
            if (keepalive.Probes is { } probes)
            {
                writer.WriteNumber("keepalive_probes", probes);
            }

            if (keepalive.Time is { } time)
            {
                writer.WriteNumber("keepalive_time", (long)time.TotalSeconds);
            }

            if (keepalive.Interval is { } interval)
            {
                writer.WriteNumber("keepalive_interval", (long)interval.TotalSeconds);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        if (cluster.UpstreamBindAddress is { } bind)
        {
            writer.WriteStartObject("upstream_bind_config");
            writer.WriteStartObject("source_address");
            writer.WriteString("address", bind);
            writer.WriteNumber("port_value", 0);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        WriteTransportSockets(writer, cluster);
        WriteMetadata(writer, cluster);
        writer.WriteEndObject();
    }

    /// <summary>Envoy's cluster type; a static service cluster is EDS, as istiod makes it.</summary>
    private static string TypeName(ClusterConfig cluster) => cluster.Type switch
    {
        ClusterDiscoveryType.Static when cluster.Service is not null => "EDS",
        ClusterDiscoveryType.Static => "STATIC",
        ClusterDiscoveryType.StrictDns => "STRICT_DNS",
        ClusterDiscoveryType.LogicalDns => "LOGICAL_DNS",
        ClusterDiscoveryType.Eds => "EDS",
        _ => "ORIGINAL_DST",
    };

    private static void WriteLoadBalancing(Utf8JsonWriter writer, ClusterConfig cluster)
    {
        writer.WriteString("lb_policy", cluster.LbPolicy switch
        {
            LoadBalancerPolicy.RoundRobin => "ROUND_ROBIN",
            LoadBalancerPolicy.Random => "RANDOM",
            LoadBalancerPolicy.RingHash => "RING_HASH",
            LoadBalancerPolicy.Maglev => "MAGLEV",
            LoadBalancerPolicy.ClusterProvided => "CLUSTER_PROVIDED",
            _ => "LEAST_REQUEST",
        });
        if (cluster.LbPolicy == LoadBalancerPolicy.RingHash)
        {
            writer.WriteStartObject("ring_hash_lb_config");
            writer.WriteString("minimum_ring_size", cluster.MinimumRingSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }
        else if (cluster.LbPolicy is LoadBalancerPolicy.LeastRequest or LoadBalancerPolicy.RoundRobin
            && (cluster.SlowStartWindow is not null || (cluster.LbPolicy == LoadBalancerPolicy.LeastRequest && cluster.LeastRequestChoiceCount != 2)))
        {
            writer.WriteStartObject(cluster.LbPolicy == LoadBalancerPolicy.LeastRequest ? "least_request_lb_config" : "round_robin_lb_config");
            if (cluster.LbPolicy == LoadBalancerPolicy.LeastRequest)
            {
                writer.WriteNumber("choice_count", cluster.LeastRequestChoiceCount);
            }

            if (cluster.SlowStartWindow is { } window)
            {
                writer.WriteStartObject("slow_start_config");
                EnvoyJson.WriteDuration(writer, "slow_start_window", window);
                writer.WriteStartObject("aggression");
                writer.WriteNumber("default_value", cluster.SlowStartAggression);
                writer.WriteString("runtime_key", "(");
                writer.WriteEndObject();
                writer.WriteStartObject("min_weight_percent");
                writer.WriteNumber("value", cluster.SlowStartMinWeightPercent);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        var localityWeighted = cluster.Endpoints.Any(e => e.LocalityWeight is not null);
        if (cluster.HealthyPanicThresholdPercent is not null || localityWeighted)
        {
            writer.WriteStartObject("common_lb_config");
            if (cluster.HealthyPanicThresholdPercent is { } panic)
            {
                writer.WriteStartObject("healthy_panic_threshold");
                writer.WriteNumber("value", panic);
                writer.WriteEndObject();
            }

            if (localityWeighted)
            {
                writer.WriteStartObject("locality_weighted_lb_config");
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }
    }

    private static void WriteCircuitBreakers(Utf8JsonWriter writer, CircuitBreakersConfig breakers)
    {
        writer.WriteStartObject("circuit_breakers");
        writer.WriteStartArray("thresholds");
        writer.WriteStartObject();
        writer.WriteNumber("max_connections", breakers.MaxConnections);
        writer.WriteNumber("max_pending_requests", breakers.MaxPendingRequests);
        writer.WriteNumber("max_requests", breakers.MaxRequests);
        writer.WriteNumber("max_retries", breakers.MaxRetries);
        if (breakers.RetryBudget is { } budget)
        {
            writer.WriteStartObject("retry_budget");
            writer.WriteStartObject("budget_percent");
            writer.WriteNumber("value", budget.BudgetPercent);
            writer.WriteEndObject();
            writer.WriteNumber("min_retry_concurrency", budget.MinRetryConcurrency);
            writer.WriteEndObject();
        }

        writer.WriteBoolean("track_remaining", true);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteOutlierDetection(Utf8JsonWriter writer, OutlierDetectionConfig outlier)
    {
        writer.WriteStartObject("outlier_detection");
        // istiod turns each check off with enforcing 0 and writes only the counts it was given.
        writer.WriteNumber("consecutive_5xx", outlier.Consecutive5xx ?? 0);
        writer.WriteNumber("enforcing_consecutive_5xx", outlier.Consecutive5xx is > 0 ? 100 : 0);
        if (outlier.ConsecutiveGatewayErrors is { } gateway)
        {
            writer.WriteNumber("consecutive_gateway_failure", gateway);
            writer.WriteNumber("enforcing_consecutive_gateway_failure", gateway > 0 ? 100 : 0);
        }

        if (outlier.SplitExternalLocalOriginErrors)
        {
            writer.WriteBoolean("split_external_local_origin_errors", true);
            if (outlier.ConsecutiveLocalOriginFailures is { } local)
            {
                writer.WriteNumber("consecutive_local_origin_failure", local);
                writer.WriteNumber("enforcing_consecutive_local_origin_failure", 100);
            }
        }

        EnvoyJson.WriteDuration(writer, "interval", outlier.Interval);
        EnvoyJson.WriteDuration(writer, "base_ejection_time", outlier.BaseEjectionTime);
        writer.WriteNumber("max_ejection_percent", outlier.MaxEjectionPercent);
        writer.WriteNumber("enforcing_success_rate", 0);
        writer.WriteEndObject();
    }

    /// <summary>Envoy's <c>HttpProtocolOptions</c> extension: idle timeout, requests per connection, the upstream protocol.</summary>
    private static void WriteProtocolOptions(Utf8JsonWriter writer, ClusterConfig cluster)
    {
        if (cluster.Type == ClusterDiscoveryType.Static && cluster.Service is null && cluster.Endpoints.IsEmpty)
        {
            return;
        }

        const string Options = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
        writer.WriteStartObject("typed_extension_protocol_options");
        EnvoyJson.StartTyped(writer, Options, Options);
        writer.WriteStartObject("common_http_protocol_options");
        EnvoyJson.WriteDuration(writer, "idle_timeout", cluster.IdleTimeout);
        if (cluster.MaxRequestsPerConnection is { } perConnection)
        {
            writer.WriteNumber("max_requests_per_connection", perConnection);
        }

        if (cluster.MaxConnectionDuration is { } duration)
        {
            EnvoyJson.WriteDuration(writer, "max_connection_duration", duration);
        }

        writer.WriteEndObject();
        switch (cluster.HttpProtocol)
        {
            case UpstreamHttpProtocol.Http2:
                writer.WriteStartObject("explicit_http_config");
                writer.WriteStartObject("http2_protocol_options");
                if (cluster.MaxConcurrentStreams is { } streams)
                {
                    writer.WriteNumber("max_concurrent_streams", streams);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case UpstreamHttpProtocol.Http1:
                writer.WriteStartObject("explicit_http_config");
                writer.WriteStartObject("http_protocol_options");
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            default:
                writer.WriteStartObject("use_downstream_protocol_config");
                writer.WriteStartObject("http_protocol_options");
                writer.WriteEndObject();
                writer.WriteStartObject("http2_protocol_options");
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The cluster's transport sockets as istiod writes them: TLS, or auto mTLS's two matches, each wrapped in
    /// the upstream PROXY protocol socket when the cluster sends the header (a bare one wraps raw_buffer).</summary>
    private static void WriteTransportSockets(Utf8JsonWriter writer, ClusterConfig cluster)
    {
        if (cluster.Tls is { Mode: not UpstreamTlsMode.Disable } tls)
        {
            WriteSocket(writer, cluster, w => TlsContextWriter.WriteUpstream(w, "transport_socket", tls));
            return;
        }

        if (cluster.AutoMtls && cluster.AutoMtlsSettings is { } auto)
        {
            writer.WriteStartArray("transport_socket_matches");
            writer.WriteStartObject();
            writer.WriteString("name", "tlsMode-istio");
            writer.WriteStartObject("match");
            writer.WriteString("tlsMode", "istio");
            writer.WriteEndObject();
            WriteSocket(writer, cluster, w => TlsContextWriter.WriteUpstream(w, "transport_socket", auto));
            writer.WriteEndObject();
            writer.WriteStartObject();
            writer.WriteString("name", "tlsMode-disabled");
            writer.WriteStartObject("match");
            writer.WriteEndObject();
            WriteSocket(writer, cluster, w => TlsContextWriter.WriteRawBuffer(w, "transport_socket"));
            writer.WriteEndObject();
            writer.WriteEndArray();
            return;
        }

        if (cluster.ProxyProtocol is not null)
        {
            WriteSocket(writer, cluster, w => TlsContextWriter.WriteRawBuffer(w, "transport_socket"));
        }
    }

    /// <summary>A <c>transport_socket</c>, inside Envoy's <c>upstream_proxy_protocol</c> one when the cluster has it.</summary>
    private static void WriteSocket(Utf8JsonWriter writer, ClusterConfig cluster, Action<Utf8JsonWriter> inner)
    {
        if (cluster.ProxyProtocol is not { } version)
        {
            inner(writer);
            return;
        }

        writer.WriteStartObject("transport_socket");
        writer.WriteString("name", "envoy.transport_sockets.upstream_proxy_protocol");
        EnvoyJson.StartTyped(writer, "typed_config", "envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport");
        writer.WriteStartObject("config");
        if (version == ProxyProtocolVersion.V2)
        {
            // proto3 JSON leaves the enum's zero value (V1) out.
            writer.WriteString("version", "V2");
        }

        writer.WriteEndObject();
        inner(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>istiod's <c>istio</c> cluster metadata: the service, its port, the subset and the DestinationRule.</summary>
    private static void WriteMetadata(Utf8JsonWriter writer, ClusterConfig cluster)
    {
        if (cluster.Service is not { } service)
        {
            return;
        }

        writer.WriteStartObject("metadata");
        writer.WriteStartObject("filter_metadata");
        writer.WriteStartObject("istio");
        if (IstioConfigPath.FromOrigin(cluster.Origin) is { } rule)
        {
            writer.WriteString("config", rule);
        }

        writer.WriteNumber("default_original_port", service.Port);
        writer.WriteStartArray("services");
        writer.WriteStartObject();
        writer.WriteString("host", service.Host);
        writer.WriteString("name", service.Name);
        writer.WriteString("namespace", service.Namespace);
        writer.WriteEndObject();
        writer.WriteEndArray();
        if (service.Subset is not null)
        {
            writer.WriteString("subset", service.Subset);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
