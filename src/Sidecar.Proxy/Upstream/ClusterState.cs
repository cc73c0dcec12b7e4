using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sidecar.Model;
using Sidecar.Proxy.Listeners;
using Sidecar.Proxy.Upstream.LoadBalancing;
using Sidecar.Proxy.Upstream.ProxyProtocol;
using Yarp.ReverseProxy.Forwarder;

namespace Sidecar.Proxy.Upstream;

/// <summary>
/// The live state of one cluster, keyed by name and kept across config pushes (YARP's ClusterState, Envoy's
/// cluster manager entry): its connection pool, endpoints with their counters and ejections, load balancer and
/// circuit-breaker counters. A push reconciles it: the pool is rebuilt only when connection settings change, and
/// endpoints that stay keep their state unless the cluster's definition changed (Envoy then replaces the cluster).
/// </summary>
internal sealed partial class ClusterState : IDisposable
{
    // Istio turns Envoy's stream idle timeout off (StreamIdleTimeout 0 in its HTTP connection managers): a request
    // without a route timeout may wait, or stream with long gaps, for as long as it takes. YARP's own default is 100 s.
    private static readonly TimeSpan StreamIdleTimeout = Timeout.InfiniteTimeSpan;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Security.UpstreamTlsOriginator? _tls;
    private readonly IPAddress? _loopbackSource;
    private HttpMessageInvoker _invoker;
    private EndpointSet _endpoints;
    private OutlierDetector? _outlierDetector;
    private ForwarderRequestConfig _http1Request;
    private ForwarderRequestConfig _http2Request;
    private ITimer? _dnsTimer;
    private TaskCompletionSource? _firstResolution;
    private int _activeRequests;
    private int _activeRetries;
    private long _requestsTotal;
    private long _retries;
    private long _overflows;
    private long _retryOverflows;
    private long _pendingTotal;
    private long _activeTcpConnections;
    private long _connectionOverflows;

    /// <param name="loopbackSource">The source of connections to loopback endpoints (<see cref="SourceAddress.For"/>).</param>
    public ClusterState(ClusterConfig config, TimeProvider time, ILogger logger, Security.UpstreamTlsOriginator? tls = null, IPAddress? loopbackSource = null)
    {
        _time = time;
        _logger = logger;
        _tls = tls;
        _loopbackSource = loopbackSource;
        Name = config.Name;
        Config = config;
        _invoker = CreateSharedInvoker(config);
        (_http1Request, _http2Request) = CreateRequestConfigs(config);
        _outlierDetector = config.OutlierDetection is { } od ? new OutlierDetector(od, time) : null;
        _endpoints = BuildEndpointSet(config, ResolveStatic(config), []);
        StartDnsIfNeeded();
    }

    public string Name { get; }

    public ClusterConfig Config { get; private set; }

    /// <summary>The cluster's pool, for requests made on behalf of no downstream connection or without the PROXY protocol.</summary>
    public HttpMessageInvoker Invoker => Volatile.Read(ref _invoker);

    /// <summary>
    /// The pool for a request that came on <paramref name="downstream"/>: the cluster's, or, when the cluster sends
    /// the PROXY protocol, the downstream connection's own (its header names that connection's client).
    /// </summary>
    public HttpMessageInvoker InvokerFor(ProxyConnection? downstream, ConnectionInfo connection) =>
        Config.ProxyProtocol is null || downstream is null ? Invoker : downstream.ClientPools(connection).For(this);

    /// <summary>A pool with the cluster's current settings whose connections start with <paramref name="proxyProtocol"/>.</summary>
    public HttpMessageInvoker CreateInvoker(ProxyProtocolPreamble proxyProtocol) =>
        UpstreamConnectionFactory.CreateInvoker(Config, _tls, () => Config, _loopbackSource, HostOf, proxyProtocol);

    private HttpMessageInvoker CreateSharedInvoker(ClusterConfig config) =>
        UpstreamConnectionFactory.CreateInvoker(config, _tls, () => Config, _loopbackSource, HostOf,
            config.ProxyProtocol is { } version ? ProxyProtocolPreamble.WithoutClient(version) : null);

    public EndpointSet Endpoints => Volatile.Read(ref _endpoints);

    /// <summary>The host a new pooled connection goes to (once per connection, not per request), or null (an original destination).</summary>
    private EndpointState? HostOf(DnsEndPoint target)
    {
        foreach (var endpoint in Endpoints.All)
        {
            if (endpoint.Port == target.Port && endpoint.PoolHost == target.Host)
            {
                return endpoint;
            }
        }

        return null;
    }

    public bool IsOriginalDestination => Config.Type == ClusterDiscoveryType.OriginalDst || Config.LbPolicy == LoadBalancerPolicy.ClusterProvided;

    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public long RequestsTotal => Interlocked.Read(ref _requestsTotal);

    public long Retries => Interlocked.Read(ref _retries);

    public long Overflows => Interlocked.Read(ref _overflows);

    public long RetryOverflows => Interlocked.Read(ref _retryOverflows);

    /// <summary>Proxied TCP connections open now (what the <c>max_connections</c> breaker counts for TCP).</summary>
    public long ActiveTcpConnections => Interlocked.Read(ref _activeTcpConnections);

    /// <summary>TCP connections refused by the <c>max_connections</c> breaker (Envoy's <c>upstream_cx_overflow</c>).</summary>
    public long ConnectionOverflows => Interlocked.Read(ref _connectionOverflows);

    /// <summary>Requests admitted while every connection the HTTP/1 pool may open was busy: they waited for one (Envoy's pending queue).</summary>
    public long PendingTotal => Interlocked.Read(ref _pendingTotal);

    /// <summary>Requests waiting for a connection now: those above the HTTP/1 connection limit.</summary>
    public long PendingActive => Config.CircuitBreakers.MaxConnections < CircuitBreakersConfig.Unlimited
        ? Math.Max(0, ActiveRequests - Config.CircuitBreakers.MaxConnections)
        : 0;

    public int ActiveRetries => Volatile.Read(ref _activeRetries);

    /// <summary>A task that completes once a DNS cluster has resolved for the first time (completed otherwise).</summary>
    public Task FirstResolution => _firstResolution?.Task ?? Task.CompletedTask;

    /// <summary>The forwarder settings for a request arriving with <paramref name="downstreamProtocol"/>.</summary>
    public ForwarderRequestConfig RequestConfigFor(string downstreamProtocol) =>
        Config.HttpProtocol switch
        {
            UpstreamHttpProtocol.Http2 => _http2Request,
            UpstreamHttpProtocol.Http1 => _http1Request,
            _ => HttpProtocolIsHttp2(downstreamProtocol) ? _http2Request : _http1Request,
        };

    /// <summary>
    /// Envoy's circuit breakers: admits a request unless <c>max_requests</c> (and, for HTTP/1 upstreams, the
    /// connection limit plus <c>max_pending_requests</c>) is reached. An overflow is answered 503 with flag UO.
    /// </summary>
    public bool TryAcquireRequest(string downstreamProtocol)
    {
        var breakers = Config.CircuitBreakers;
        var limit = breakers.MaxRequests;
        var http1 = Config.HttpProtocol == UpstreamHttpProtocol.Http1
            || (Config.HttpProtocol == UpstreamHttpProtocol.UseDownstream && !HttpProtocolIsHttp2(downstreamProtocol));
        if (http1 && breakers.MaxConnections < CircuitBreakersConfig.Unlimited)
        {
            limit = Math.Min(limit, breakers.MaxConnections + Math.Min(breakers.MaxPendingRequests, CircuitBreakersConfig.Unlimited));
        }

        var active = Interlocked.Increment(ref _activeRequests);
        if (active > limit)
        {
            Interlocked.Decrement(ref _activeRequests);
            Interlocked.Increment(ref _overflows);
            return false;
        }

        if (http1 && active > breakers.MaxConnections)
        {
            Interlocked.Increment(ref _pendingTotal);
        }

        Interlocked.Increment(ref _requestsTotal);
        return true;
    }

    public void ReleaseRequest() => Interlocked.Decrement(ref _activeRequests);

    /// <summary>
    /// The <c>max_connections</c> breaker for a proxied TCP connection (Envoy's tcp_proxy asks it before connecting);
    /// false counts an <c>upstream_cx_overflow</c>. HTTP connections are limited by the pool instead.
    /// </summary>
    public bool TryAcquireConnection()
    {
        if (Interlocked.Increment(ref _activeTcpConnections) > Config.CircuitBreakers.MaxConnections)
        {
            Interlocked.Decrement(ref _activeTcpConnections);
            Interlocked.Increment(ref _connectionOverflows);
            return false;
        }

        return true;
    }

    public void ReleaseConnection() => Interlocked.Decrement(ref _activeTcpConnections);

    /// <summary>The <c>max_retries</c> breaker, or the retry budget that replaces it: a retry beyond it is not
    /// attempted (upstream_rq_retry_overflow).</summary>
    public bool TryAcquireRetry()
    {
        if (Interlocked.Increment(ref _activeRetries) > Config.CircuitBreakers.RetryLimit(ActiveRequests))
        {
            Interlocked.Decrement(ref _activeRetries);
            Interlocked.Increment(ref _retryOverflows);
            return false;
        }

        Interlocked.Increment(ref _retries);
        return true;
    }

    public void ReleaseRetry() => Interlocked.Decrement(ref _activeRetries);

    /// <summary>
    /// Picks an endpoint with the cluster's balancer among eligible endpoints (all of them in panic mode, when
    /// fewer than the panic threshold are healthy). <paramref name="avoid"/> is Envoy's previous_hosts predicate:
    /// re-pick up to <paramref name="maxAttempts"/> times to land on an endpoint not tried yet; with
    /// <paramref name="avoidPriorities"/> (previous_priorities) the tried endpoints' priority levels are avoided too.
    /// </summary>
    public EndpointState? PickEndpoint(ulong? hash, Random random, ReadOnlySpan<EndpointState?> avoid = default, int maxAttempts = 1, bool avoidPriorities = false)
    {
        var set = Endpoints;
        if (set.All.Length == 0)
        {
            return null;
        }

        var threshold = Config.HealthyPanicThresholdPercent ?? 50;
        ReadOnlySpan<EndpointState> eligible;
        if (set.Levels is not null)
        {
            // Locality failover or distribute: a priority level and locality first, then the balancer within it.
            eligible = set.Availability(_time.GetTimestamp()).Candidates(random, threshold, avoidPriorities ? avoid : default);
        }
        else
        {
            eligible = set.Eligible(_time.GetTimestamp());
            if (threshold > 0 && eligible.Length * 100 < threshold * set.All.Length)
            {
                eligible = set.All;
            }
        }

        if (eligible.IsEmpty)
        {
            return null;
        }

        var pick = set.Balancer.Pick(eligible, hash, random);
        for (var attempt = 1; attempt < maxAttempts && pick is not null && eligible.Length > 1 && avoid.Contains(pick); attempt++)
        {
            // Hash balancers are deterministic: perturb the key so the ring walk reaches another host.
            pick = set.Balancer.Pick(eligible, hash is { } h ? h + (ulong)attempt * 0x9E3779B97F4A7C15UL : null, random);
        }

        return pick;
    }

    /// <summary>Feeds an attempt's result to outlier detection.</summary>
    public void RecordOutcome(EndpointState endpoint, int status, bool localOriginFailure)
    {
        var detector = _outlierDetector;
        var set = Endpoints;
        if (detector is not null && detector.Record(endpoint, status, localOriginFailure, set.All))
        {
            set.Invalidate();
            Log.EndpointEjected(_logger, endpoint.Key, Name, endpoint.EjectionCount);
        }
    }

    /// <summary>Feeds a TCP connection that reached <paramref name="endpoint"/> to outlier detection.</summary>
    public void RecordConnectSuccess(EndpointState endpoint) => _outlierDetector?.RecordConnectSuccess(endpoint);

    /// <summary>The source address of a connection to <paramref name="destination"/> (the cluster's bind address, or the sidecar's for a loopback one).</summary>
    public IPAddress? SourceAddressFor(IPAddress destination)
    {
        var configured = Config.UpstreamBindAddress is { } text && IPAddress.TryParse(text, out var bind) ? bind : null;
        return SourceAddress.For(configured, _loopbackSource, destination.ToString());
    }

    /// <summary>Reconciles with a new config for the same cluster name.</summary>
    public void Update(ClusterConfig config)
    {
        var old = Config;
        if (old == config)
        {
            return;
        }

        Config = config;
        if (!SameConnectionSettings(old, config))
        {
            var previous = Interlocked.Exchange(ref _invoker, CreateSharedInvoker(config));
            RetireLater(previous);
        }

        (_http1Request, _http2Request) = CreateRequestConfigs(config);

        // Envoy replaces a cluster whose definition changed (a DestinationRule edit: anything but its endpoints, which
        // EDS updates in place): the new cluster has a new outlier detector and new hosts, so ejections and host
        // counters start over. An endpoints-only change keeps the state of the endpoints that stay.
        var replaced = (old with { Endpoints = config.Endpoints }) != config;
        if (replaced)
        {
            _outlierDetector = config.OutlierDetection is { } od ? new OutlierDetector(od, _time) : null;
        }

        if (replaced || old.Endpoints != config.Endpoints)
        {
            Volatile.Write(ref _endpoints, BuildEndpointSet(config, ResolveStatic(config), replaced ? [] : Endpoints.All));
            _dnsTimer?.Dispose();
            _dnsTimer = null;
            StartDnsIfNeeded();
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _dnsTimer?.Dispose();
        RetireLater(_invoker);
    }

    private static bool HttpProtocolIsHttp2(string protocol) => ReferenceEquals(protocol, "HTTP/2") || protocol == "HTTP/2";

    private static (ForwarderRequestConfig Http1, ForwarderRequestConfig Http2) CreateRequestConfigs(ClusterConfig config) =>
    (
        new ForwarderRequestConfig { ActivityTimeout = StreamIdleTimeout, Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower },
        new ForwarderRequestConfig { ActivityTimeout = StreamIdleTimeout, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
    );

    private static bool SameConnectionSettings(ClusterConfig a, ClusterConfig b) =>
        a.ConnectTimeout == b.ConnectTimeout && a.IdleTimeout == b.IdleTimeout
        && a.MaxConnectionDuration == b.MaxConnectionDuration && a.MaxRequestsPerConnection == b.MaxRequestsPerConnection
        && a.CircuitBreakers.MaxConnections == b.CircuitBreakers.MaxConnections
        && a.UpstreamBindAddress == b.UpstreamBindAddress && a.TcpKeepalive == b.TcpKeepalive
        && a.Tls == b.Tls && a.AutoMtls == b.AutoMtls && a.AutoMtlsSettings == b.AutoMtlsSettings && a.HttpProtocol == b.HttpProtocol
        && a.ProxyProtocol == b.ProxyProtocol && a.MaxConcurrentStreams == b.MaxConcurrentStreams;

    /// <summary>Endpoints as addresses: for STRICT_DNS, what the last resolution found (resolution runs in the background).</summary>
    private (EndpointConfig Config, string Address)[] ResolveStatic(ClusterConfig config) =>
        config.Type == ClusterDiscoveryType.StrictDns
            ? [.. CurrentDnsEndpoints(config)]
            : config.Endpoints.Select(e => (e, e.Address)).ToArray();

    private IEnumerable<(EndpointConfig, string)> CurrentDnsEndpoints(ClusterConfig config)
    {
        // Keep what the previous resolution found for hosts still configured, until the next refresh.
        var current = _endpoints?.All ?? [];
        foreach (var endpoint in config.Endpoints)
        {
            if (IPAddress.TryParse(endpoint.Address, out _))
            {
                yield return (endpoint, endpoint.Address);
                continue;
            }

            foreach (var known in current)
            {
                if (known.Config.Address == endpoint.Address && known.Port == endpoint.Port)
                {
                    yield return (endpoint, known.Address);
                }
            }
        }
    }

    private EndpointSet BuildEndpointSet(ClusterConfig config, (EndpointConfig Config, string Address)[] endpoints, EndpointState[] previous)
    {
        var reused = new Dictionary<string, EndpointState>(previous.Length);
        foreach (var state in previous)
        {
            reused.TryAdd(state.Key, state);
        }

        var states = new List<EndpointState>(endpoints.Length);
        var seen = new HashSet<string>();
        var now = _time.GetTimestamp();
        foreach (var (endpoint, address) in endpoints)
        {
            var key = $"{address}:{endpoint.Port}";
            if (!seen.Add(key))
            {
                continue;
            }

            if (reused.TryGetValue(key, out var state))
            {
                state.Config = endpoint;
            }
            else
            {
                state = new EndpointState(endpoint, address, now);
            }

            states.Add(state);
        }

        var all = states.ToArray();
        return new EndpointSet(all, LoadBalancer.Create(config, all, _time));
    }

    private void StartDnsIfNeeded()
    {
        if (Config.Type != ClusterDiscoveryType.StrictDns || Config.Endpoints.All(e => IPAddress.TryParse(e.Address, out _)))
        {
            _firstResolution = null;
            return;
        }

        _firstResolution ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _dnsTimer = _time.CreateTimer(_ => _ = RefreshDnsAsync(), null, TimeSpan.Zero, Config.DnsRefreshRate);
    }

    /// <summary>STRICT_DNS: every address a host resolves to becomes an endpoint; a failed lookup keeps the previous ones.</summary>
    private async Task RefreshDnsAsync()
    {
        var config = Config;
        var resolved = new List<(EndpointConfig, string)>();
        foreach (var endpoint in config.Endpoints)
        {
            if (IPAddress.TryParse(endpoint.Address, out _))
            {
                resolved.Add((endpoint, endpoint.Address));
                continue;
            }

            try
            {
                var addresses = await System.Net.Dns.GetHostAddressesAsync(endpoint.Address, _disposed.Token).ConfigureAwait(false);
                foreach (var address in addresses)
                {
                    if (address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                    {
                        resolved.Add((endpoint, address.ToString()));
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                Log.DnsResolutionFailed(_logger, endpoint.Address, Name, ex.Message);
                resolved.AddRange(CurrentDnsEndpoints(config).Where(e => e.Item1.Address == endpoint.Address));
            }
        }

        if (ReferenceEquals(config, Config) && !_disposed.IsCancellationRequested)
        {
            Volatile.Write(ref _endpoints, BuildEndpointSet(config, [.. resolved], Endpoints.All));
        }

        _firstResolution?.TrySetResult();
    }

    /// <summary>In-flight requests keep the pool they started with; it is disposed once they have had time to finish.</summary>
    private void RetireLater(HttpMessageInvoker invoker) =>
        _ = Task.Delay(TimeSpan.FromMinutes(2), _time).ContinueWith(_ => invoker.Dispose(), TaskScheduler.Default);

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Ejected endpoint {Endpoint} of cluster {Cluster} (ejection {Count})")]
        public static partial void EndpointEjected(ILogger logger, string endpoint, string cluster, int count);

        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "DNS resolution of {Host} for cluster {Cluster} failed: {Error}")]
        public static partial void DnsResolutionFailed(ILogger logger, string host, string cluster, string error);
    }
}
