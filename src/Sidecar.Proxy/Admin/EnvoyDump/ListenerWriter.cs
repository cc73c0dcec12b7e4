using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// A listener as Envoy's <c>config.listener.v3.Listener</c>, in istiod's shape: address, <c>use_original_dst</c> on
/// the capture listeners, <c>bind_to_port: false</c> on the per-port ones, the listener filters that feed the
/// chain match, and each filter chain with its match, TLS and its one terminal (HTTP connection manager or
/// <c>tcp_proxy</c>), the fields <c>istioctl proxy-config listeners</c> reads. Inbound route tables are inline in
/// their connection manager, as istiod writes them; outbound ones are named for RDS.
/// </summary>
internal static class ListenerWriter
{
    /// <summary>istiod's route table names for the inbound side (<c>inbound|9080||</c>), which it inlines.</summary>
    public static bool IsInlineRouteTable(string name) => name.StartsWith("inbound|", StringComparison.Ordinal);

    public static void Write(Utf8JsonWriter writer, string? property, ListenerConfig listener, DumpSource source)
    {
        EnvoyJson.StartTyped(writer, property, "envoy.config.listener.v3.Listener");
        writer.WriteString("name", listener.Name);
        EnvoyJson.WriteSocketAddress(writer, "address", listener.Address, listener.Port);
        writer.WriteStartArray("filter_chains");
        foreach (var chain in listener.FilterChains)
        {
            WriteFilterChain(writer, null, chain, listener, source);
        }

        writer.WriteEndArray();
        if (listener.DefaultFilterChain is { } fallback)
        {
            WriteFilterChain(writer, "default_filter_chain", fallback, listener, source);
        }

        var capture = listener.Name is ListenerNames.VirtualOutbound or ListenerNames.VirtualInbound;
        if (capture)
        {
            writer.WriteBoolean("use_original_dst", true);
        }
        else if (!listener.BindToPort)
        {
            writer.WriteBoolean("bind_to_port", false);
        }

        WriteListenerFilters(writer, listener);
        writer.WriteString("traffic_direction", listener.Direction == TrafficDirection.Inbound ? "INBOUND" : "OUTBOUND");
        writer.WriteEndObject();
    }

    private static void WriteListenerFilters(Utf8JsonWriter writer, ListenerConfig listener)
    {
        var inspectsTls = listener.FilterChains.Any(c => c.Match.TransportProtocol is not null || !c.Match.ServerNames.IsEmpty);
        var inspectsHttp = listener.FilterChains.Any(c => !c.Match.ApplicationProtocols.IsEmpty);
        var originalDestination = listener.Name == ListenerNames.VirtualInbound;
        if (!inspectsTls && !inspectsHttp && !originalDestination)
        {
            return;
        }

        writer.WriteStartArray("listener_filters");
        if (originalDestination)
        {
            EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.listener.original_dst", "envoy.extensions.filters.listener.original_dst.v3.OriginalDst");
        }

        if (inspectsTls || originalDestination)
        {
            EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.listener.tls_inspector", "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector");
        }

        if (inspectsHttp || originalDestination)
        {
            EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.listener.http_inspector", "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector");
        }

        writer.WriteEndArray();
    }

    private static void WriteFilterChain(Utf8JsonWriter writer, string? property, FilterChainConfig chain, ListenerConfig listener, DumpSource source)
    {
        EnvoyJson.StartObject(writer, property);
        writer.WriteString("name", chain.Name);
        WriteMatch(writer, chain.Match);
        if (chain.Tls is { } tls)
        {
            TlsContextWriter.WriteDownstream(writer, "transport_socket", tls);
        }

        // A "not found" chain has no terminal: Envoy closes a connection no chain takes.
        writer.WriteStartArray("filters");
        if (chain.Http is { } http)
        {
            writer.WriteStartObject();
            writer.WriteString("name", "envoy.filters.network.http_connection_manager");
            WriteConnectionManager(writer, http, listener, source);
            writer.WriteEndObject();
        }
        else if (chain.Tcp is { } tcp)
        {
            writer.WriteStartObject();
            writer.WriteString("name", "envoy.filters.network.tcp_proxy");
            WriteTcpProxy(writer, tcp);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteMatch(Utf8JsonWriter writer, FilterChainMatchConfig match)
    {
        if (match == FilterChainMatchConfig.Any)
        {
            return;
        }

        writer.WriteStartObject("filter_chain_match");
        if (match.DestinationPort is { } port)
        {
            writer.WriteNumber("destination_port", port);
        }

        if (!match.PrefixRanges.IsEmpty)
        {
            writer.WriteStartArray("prefix_ranges");
            foreach (var range in match.PrefixRanges)
            {
                var slash = range.IndexOf('/', StringComparison.Ordinal);
                writer.WriteStartObject();
                writer.WriteString("address_prefix", slash < 0 ? range : range[..slash]);
                writer.WriteNumber("prefix_len", slash < 0 ? (range.Contains(':', StringComparison.Ordinal) ? 128 : 32) : int.Parse(range[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        WriteStrings(writer, "server_names", match.ServerNames);
        if (match.TransportProtocol is not null)
        {
            writer.WriteString("transport_protocol", match.TransportProtocol);
        }

        WriteStrings(writer, "application_protocols", match.ApplicationProtocols);
        writer.WriteEndObject();
    }

    private static void WriteConnectionManager(Utf8JsonWriter writer, HttpConnectionManagerConfig http, ListenerConfig listener, DumpSource source)
    {
        EnvoyJson.StartTyped(writer, "typed_config", "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
        writer.WriteString("stat_prefix", string.IsNullOrEmpty(http.StatPrefix) ? listener.Name : http.StatPrefix);
        if (IsInlineRouteTable(http.RouteTableName) && source.Config.FindRouteTable(http.RouteTableName) is { } table)
        {
            RouteConfigurationWriter.Write(writer, "route_config", table, source);
        }
        else
        {
            writer.WriteStartObject("rds");
            EnvoyJson.WriteAdsConfigSource(writer, "config_source");
            writer.WriteString("route_config_name", http.RouteTableName);
            writer.WriteEndObject();
        }

        writer.WriteStartArray("http_filters");
        if (listener.Direction == TrafficDirection.Inbound)
        {
            if (!source.Config.JwtRules.IsEmpty)
            {
                WriteNamed(writer, "envoy.filters.http.jwt_authn");
            }

            if (source.Config.ExtAuthz is not null)
            {
                WriteNamed(writer, "envoy.filters.http.ext_authz");
            }

            if (!source.Config.AuthorizationPolicies.IsEmpty)
            {
                WriteNamed(writer, "envoy.filters.http.rbac");
            }
        }

        if (http.GrpcWeb)
        {
            EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.http.grpc_web", "envoy.extensions.filters.http.grpc_web.v3.GrpcWeb");
        }

        EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.http.fault", "envoy.extensions.filters.http.fault.v3.HTTPFault");
        EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.http.cors", "envoy.extensions.filters.http.cors.v3.Cors");
        WriteNamed(writer, "istio.stats");
        EnvoyJson.WriteNamedEmpty(writer, "envoy.filters.http.router", "envoy.extensions.filters.http.router.v3.Router");
        writer.WriteEndArray();
        EnvoyJson.WriteDuration(writer, "stream_idle_timeout", http.StreamIdleTimeout);
        writer.WriteBoolean("use_remote_address", false);
        writer.WriteBoolean("generate_request_id", !source.Config.Mesh.ProxyHeaders.RequestIdDisabled);
        var normalization = source.Config.Mesh.PathNormalization;
        writer.WriteBoolean("normalize_path", normalization != PathNormalization.None);
        writer.WriteBoolean("merge_slashes", normalization is PathNormalization.MergeSlashes or PathNormalization.DecodeAndMergeSlashes);
        writer.WriteString("path_with_escaped_slashes_action", normalization == PathNormalization.DecodeAndMergeSlashes ? "UNESCAPE_AND_FORWARD" : "KEEP_UNCHANGED");
        if (http.ForwardClientCertDetails)
        {
            writer.WriteString("forward_client_cert_details", "APPEND_FORWARD");
            writer.WriteStartObject("set_current_client_cert_details");
            writer.WriteBoolean("subject", true);
            writer.WriteBoolean("dns", true);
            writer.WriteBoolean("uri", true);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("forward_client_cert_details", "SANITIZE");
        }

        writer.WriteStartArray("upgrade_configs");
        writer.WriteStartObject();
        writer.WriteString("upgrade_type", "websocket");
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteTcpProxy(Utf8JsonWriter writer, TcpProxyConfig tcp)
    {
        EnvoyJson.StartTyped(writer, "typed_config", "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy");
        writer.WriteString("stat_prefix", tcp.StatPrefix);
        if (tcp.Clusters.Count == 1)
        {
            writer.WriteString("cluster", tcp.Clusters[0].Cluster);
        }
        else
        {
            writer.WriteStartObject("weighted_clusters");
            writer.WriteStartArray("clusters");
            foreach (var cluster in tcp.Clusters)
            {
                writer.WriteStartObject();
                writer.WriteString("name", cluster.Cluster);
                writer.WriteNumber("weight", cluster.Weight);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        EnvoyJson.WriteDuration(writer, "idle_timeout", tcp.IdleTimeout);
        if (tcp.Tunneling is { } tunnel)
        {
            writer.WriteStartObject("tunneling_config");
            writer.WriteString("hostname", tunnel.Hostname);
            if (tunnel.UsePost)
            {
                writer.WriteBoolean("use_post", true);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string property, EquatableArray<string> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        writer.WriteStartArray(property);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary>A filter by name alone: one this proxy runs whose config Envoy would hold elsewhere (policies, Istio's own).</summary>
    private static void WriteNamed(Utf8JsonWriter writer, string name)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteEndObject();
    }
}
