using System.Net;
using System.Net.Sockets;
using Sidecar.Model;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Live state of one upstream endpoint (address:port): load, counters and outlier ejection. Kept across config
/// pushes for as long as the endpoint stays in its cluster, so counters and ejections survive unrelated changes.
/// </summary>
internal sealed class EndpointState
{
    private int _activeRequests;
    private long _requestsTotal;
    private long _requestsError;
    private long _connectFailures;
    private long _requestsTimedOut;
    private int _connectionsActive;
    private long _connectionsTotal;
    private int _consecutive5xx;
    private int _consecutiveGatewayErrors;
    private int _consecutiveLocalFailures;
    private long _ejectedUntil;
    private int _ejectionCount;
    private int _ejectionBackoff;

    /// <param name="addedAt">When the endpoint joined its cluster (a <see cref="TimeProvider"/> timestamp), for slow start.</param>
    public EndpointState(EndpointConfig config, string address, long addedAt = 0)
    {
        AddedAt = addedAt;
        Config = config;
        Address = address;
        Port = config.Port;
        if (config.UnixSocketPath is { } path)
        {
            // A pipe: Envoy names the host by its path. The connection pool keys connections by host and port, so
            // the socket gets a host name of its own there, which the pool's connect callback finds it by.
            UnixSocket = new UnixDomainSocketEndPoint(path.StartsWith('@') ? "\0" + path[1..] : path);
            Key = path;
            PoolHost = $"uds-{System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(path)):x16}.invalid";
        }
        else
        {
            Key = $"{address}:{config.Port}";
            PoolHost = address;
        }

        DestinationPrefix = IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6
            ? $"http://[{address}]:{config.Port}"
            : $"http://{PoolHost}:{config.Port}";
    }

    /// <summary>When the endpoint joined its cluster (a <see cref="TimeProvider"/> timestamp).</summary>
    public long AddedAt { get; }

    /// <summary>The endpoint as configured (labels, weight, locality); replaced when a push changes them.</summary>
    public EndpointConfig Config { get; set; }

    /// <summary>The IP (or, for LOGICAL_DNS, host name) connected to.</summary>
    public string Address { get; }

    public int Port { get; }

    /// <summary><c>address:port</c>, or a unix domain socket's path, as Envoy names hosts in <c>/clusters</c> and access logs.</summary>
    public string Key { get; }

    /// <summary>A unix domain socket endpoint's socket (Envoy's pipe address); null for IP and DNS endpoints.</summary>
    public UnixDomainSocketEndPoint? UnixSocket { get; }

    /// <summary>The host the connection pool knows this endpoint by: its address, or a unix domain socket's own name.</summary>
    public string PoolHost { get; }

    /// <summary>The forwarder's destination prefix (<c>http://10.0.0.1:9080</c>), built once.</summary>
    public string DestinationPrefix { get; }

    public int Weight => Config.Weight;

    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public long RequestsTotal => Interlocked.Read(ref _requestsTotal);

    public long RequestsError => Interlocked.Read(ref _requestsError);

    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>Open upstream connections to this host (Envoy's host <c>cx_active</c>).</summary>
    public int ConnectionsActive => Volatile.Read(ref _connectionsActive);

    /// <summary>Connections established to this host (with <see cref="ConnectFailures"/>, Envoy's host <c>cx_total</c>).</summary>
    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);

    /// <summary>Attempts that timed out on this host, a route's timeout or a try's (Envoy's host <c>rq_timeout</c>).</summary>
    public long RequestsTimedOut => Interlocked.Read(ref _requestsTimedOut);

    public int EjectionCount => Volatile.Read(ref _ejectionCount);

    public bool IsEjected(long nowTimestamp) => Volatile.Read(ref _ejectedUntil) > nowTimestamp;

    /// <summary>The timestamp the current (or last) ejection ends at.</summary>
    public long EjectedUntil => Volatile.Read(ref _ejectedUntil);

    public bool IsHealthy => Config.Health == EndpointHealth.Healthy;

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _connectionsActive);
        Interlocked.Increment(ref _connectionsTotal);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _connectionsActive);

    public void BeginRequest()
    {
        Interlocked.Increment(ref _activeRequests);
        Interlocked.Increment(ref _requestsTotal);
    }

    public void EndRequest(bool error, bool connectFailure, bool timeout = false)
    {
        Interlocked.Decrement(ref _activeRequests);
        if (timeout)
        {
            Interlocked.Increment(ref _requestsTimedOut);
        }

        if (error)
        {
            Interlocked.Increment(ref _requestsError);
        }

        if (connectFailure)
        {
            Interlocked.Increment(ref _connectFailures);
        }
    }

    /// <summary>
    /// Outlier bookkeeping for a result Envoy counts as an HTTP code (a response, or without split local-origin
    /// errors a connect failure as 503 and a TCP connect as 200): returns the consecutive 5xx and gateway counts.
    /// </summary>
    internal (int Consecutive5xx, int ConsecutiveGateway) RecordHttpResult(bool is5xx, bool isGatewayError) =>
        (is5xx ? Interlocked.Increment(ref _consecutive5xx) : Reset(ref _consecutive5xx),
         isGatewayError ? Interlocked.Increment(ref _consecutiveGatewayErrors) : Reset(ref _consecutiveGatewayErrors));

    /// <summary>Outlier bookkeeping for a local-origin result under split local-origin errors: returns the consecutive local failures.</summary>
    internal int RecordLocalOriginResult(bool failure) =>
        failure ? Interlocked.Increment(ref _consecutiveLocalFailures) : Reset(ref _consecutiveLocalFailures);

    private static int Reset(ref int counter)
    {
        Volatile.Write(ref counter, 0);
        return 0;
    }

    /// <summary>Envoy's ejection time backoff: the multiple of <c>base_ejection_time</c> the last ejection lasted.</summary>
    internal int EjectionBackoff => Volatile.Read(ref _ejectionBackoff);

    /// <summary>
    /// Ejects until <paramref name="untilTimestamp"/> with the given backoff multiple, and resets the consecutive
    /// counters.
    /// </summary>
    internal void Eject(long untilTimestamp, int backoff = 1)
    {
        Interlocked.Increment(ref _ejectionCount);
        Volatile.Write(ref _ejectionBackoff, backoff);
        Volatile.Write(ref _ejectedUntil, untilTimestamp);
        Volatile.Write(ref _consecutive5xx, 0);
        Volatile.Write(ref _consecutiveGatewayErrors, 0);
        Volatile.Write(ref _consecutiveLocalFailures, 0);
    }

    public override string ToString() => Key;
}
