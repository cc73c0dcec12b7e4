using System.Net;

namespace Sidecar.Proxy.Upstream.ProxyProtocol;

/// <summary>
/// The upstream pools one downstream connection uses for clusters that send the PROXY protocol. Envoy keys a pool by
/// the header its connections begin with, which names the downstream connection's two ends: a client's requests
/// never ride an upstream connection opened for another client. They close with the downstream connection.
/// </summary>
internal sealed class ClientConnectionPools : IDisposable
{
    private readonly IPEndPoint _source;
    private readonly IPEndPoint _destination;
    private readonly Lock _lock = new();
    private Entry[] _entries = [];
    private bool _disposed;

    /// <param name="source">The client's end of the downstream connection.</param>
    /// <param name="destination">Where the client connected: the original destination of a captured connection, else the listener.</param>
    public ClientConnectionPools(IPEndPoint source, IPEndPoint destination)
    {
        _source = source;
        _destination = destination;
    }

    /// <summary>This connection's pool for <paramref name="cluster"/> (whose config asks for the PROXY protocol),
    /// made on first use and again when the cluster's connection settings change.</summary>
    public HttpMessageInvoker For(ClusterState cluster)
    {
        var shared = cluster.Invoker;
        foreach (var entry in Volatile.Read(ref _entries))
        {
            if (ReferenceEquals(entry.Cluster, cluster) && ReferenceEquals(entry.Shared, shared))
            {
                return entry.Own;
            }
        }

        lock (_lock)
        {
            if (_disposed || cluster.Config.ProxyProtocol is not { } version)
            {
                // The connection closed while this request was on its way: it gets the cluster's pool.
                return shared;
            }

            var entries = new List<Entry>(_entries.Length + 1);
            foreach (var entry in _entries)
            {
                if (!ReferenceEquals(entry.Cluster, cluster))
                {
                    entries.Add(entry);
                }
                else if (!ReferenceEquals(entry.Shared, shared))
                {
                    // The cluster's settings changed: requests still on the old pool keep it until the connection ends.
                    entries.Add(entry with { Cluster = null });
                }
            }

            var own = cluster.CreateInvoker(ProxyProtocolPreamble.ForClient(version, _source, _destination));
            entries.Add(new Entry(cluster, shared, own));
            Volatile.Write(ref _entries, [.. entries]);
            return own;
        }
    }

    public void Dispose()
    {
        Entry[] entries;
        lock (_lock)
        {
            _disposed = true;
            entries = _entries;
            _entries = [];
        }

        foreach (var entry in entries)
        {
            entry.Own.Dispose();
        }
    }

    /// <param name="Cluster">The cluster, or null for a pool kept only until the connection ends.</param>
    /// <param name="Shared">The cluster's shared pool when this one was made: another means the settings changed.</param>
    private sealed record Entry(ClusterState? Cluster, HttpMessageInvoker Shared, HttpMessageInvoker Own);
}
