using System.Net;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Upstream.ProxyProtocol;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// What the sidecar knows about a downstream connection before HTTP parsing: the listener it came in on, where it
/// was originally going (capture), what sniffing found, and the filter chain chosen for it. Stored in the
/// connection's items so every request on the connection reads it once.
/// </summary>
internal sealed class ProxyConnection
{
    /// <summary>The key in <c>ConnectionContext.Items</c>.</summary>
    public static readonly object Key = typeof(ProxyConnection);

    public ProxyConnection(ProxyListener listener, IPEndPoint? originalDestination)
    {
        Listener = listener;
        OriginalDestination = originalDestination is null ? null : new OriginalDestinationFeature(originalDestination);
    }

    public ProxyListener Listener { get; }

    /// <summary>The pre-redirect destination of a captured connection; null when the client dialled the sidecar directly.</summary>
    public OriginalDestinationFeature? OriginalDestination { get; }

    /// <summary>The bytes an HTTP/1 connection carried each way, for Istio's request and response size metrics; null for HTTP/2.</summary>
    public WireBytes? WireBytes { get; init; }

    /// <summary>An HTTP/2 connection's input, to tell a stream reset from the connection's end; null for HTTP/1.</summary>
    public InputEndWatcher? Input { get; init; }

    /// <summary>The HTTP filter chain chosen for the connection, when the listener's config decides it (configured listeners).</summary>
    public HttpConnectionManagerConfig? HttpChain { get; set; }

    /// <summary>True when the sidecar terminated mutual TLS on this connection (inbound ISTIO_MUTUAL / PeerAuthentication).</summary>
    public bool IsMutualTls { get; set; }

    /// <summary>The peer's SPIFFE id from its client certificate (Istio's <c>source.principal</c>); null without mTLS.</summary>
    public string? PeerPrincipal { get; set; }

    /// <summary>The server name of the TLS handshake the sidecar terminated (Istio's <c>connection.sni</c>); null without TLS.</summary>
    public string? ServerName { get; set; }

    /// <summary>The peer's workload metadata, once learned (TCP exchange, or the first request's peer metadata header).</summary>
    public PeerMetadata? PeerMetadata { get; set; }

    /// <summary>What sniffing found when the connection's filter chain was chosen.</summary>
    public SniffResult Sniff { get; init; }

    /// <summary>
    /// The inbound listener config a plaintext connection's chain was chosen from; null when it needs no re-check
    /// (outbound, mTLS). A push that leaves no plaintext chain for it (PERMISSIVE to STRICT) drains the connection.
    /// </summary>
    public ListenerConfig? ChainSource { get; set; }

    /// <summary>The snapshot <see cref="ChainSource"/> was last checked against: until a push, a request costs one comparison.</summary>
    private DataPlaneSnapshot? _checkedAgainst;

    private ClientConnectionPools? _clientPools;
    private int _closed;

    /// <summary>
    /// The connection's own upstream pools, for clusters that send the PROXY protocol (made on first use, closed with
    /// the connection): their header names this connection's client and the address it dialled.
    /// </summary>
    public ClientConnectionPools ClientPools(ConnectionInfo connection)
    {
        if (Volatile.Read(ref _clientPools) is { } pools)
        {
            return pools;
        }

        var source = new IPEndPoint(connection.RemoteIpAddress ?? IPAddress.IPv6None, connection.RemotePort);
        var destination = OriginalDestination?.Endpoint ?? new IPEndPoint(connection.LocalIpAddress ?? IPAddress.IPv6None, connection.LocalPort);
        var created = new ClientConnectionPools(source, destination);
        if (Interlocked.CompareExchange(ref _clientPools, created, null) is { } raced)
        {
            return raced;
        }

        if (Volatile.Read(ref _closed) != 0)
        {
            created.Dispose();
        }

        return created;
    }

    /// <summary>Called once the connection has closed: releases what it held upstream.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, 1);
        Volatile.Read(ref _clientPools)?.Dispose();
    }

    /// <summary>
    /// Envoy drains connections whose filter chain a push removed: false when this plaintext inbound connection would
    /// no longer be accepted under <paramref name="snapshot"/>, so its current response closes it.
    /// </summary>
    public bool StillAccepted(DataPlaneSnapshot snapshot)
    {
        if (ChainSource is not { } source || ReferenceEquals(_checkedAgainst, snapshot))
        {
            return true;
        }

        var current = Listener.Kind == ListenerKind.InboundCapture ? snapshot.VirtualInbound : snapshot.FindBoundListener(source.Name);
        if (current is null || (!current.Equals(source) && FilterChainSelector.Select(current, OriginalDestination?.Endpoint, Sniff) is not { Tls: null, Http: not null }))
        {
            return false;
        }

        ChainSource = current;
        _checkedAgainst = snapshot;
        return true;
    }

    /// <summary>Which side of the workload the connection is (its listener's).</summary>
    public RequestDirection Direction => Listener.Direction;

    /// <summary>The connection record for a request, or null for requests on Kestrel's own endpoints (admin, health).</summary>
    public static ProxyConnection? From(HttpContext context) =>
        context.Features.Fetch<IConnectionItemsFeature>()?.Items is { } items && items.TryGetValue(Key, out var value)
            ? value as ProxyConnection
            : null;
}
