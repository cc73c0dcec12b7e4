using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Sidecar.Proxy.Listeners;

/// <summary>
/// The HTTP connections handed to Kestrel, by their connection id, for as long as they are open: what a request
/// Kestrel refuses itself (one it cannot parse, answered before the proxy sees it) is logged with.
/// </summary>
internal sealed class RelayedConnections
{
    private readonly ConcurrentDictionary<string, (ConnectionContext Connection, ProxyConnection Proxy)> _open = new(StringComparer.Ordinal);

    public void Add(ConnectionContext connection, ProxyConnection proxy) => _open[connection.ConnectionId] = (connection, proxy);

    public void Remove(string connectionId) => _open.TryRemove(connectionId, out _);

    public bool TryGet(string connectionId, out (ConnectionContext Connection, ProxyConnection Proxy) open) => _open.TryGetValue(connectionId, out open);
}
