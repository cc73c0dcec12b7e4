using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sidecar.Model;

namespace Sidecar.Proxy.Dns;

/// <summary>
/// pilot-agent's DNS proxy (pkg/dns/client, <c>LocalDNSServer</c>), on UDP and TCP port 15053 of localhost: a query
/// for a name of the mesh's name table is answered from it; any other is forwarded to resolv.conf's nameservers and
/// their answer relayed. The table follows each config the store publishes. Off unless DNS capture is asked for.
/// </summary>
internal sealed partial class DnsProxyServer : BackgroundService
{
    private const string DefaultResolvConf = "/etc/resolv.conf";
    private const string IstioResolvConf = "/var/lib/istio/resolv.conf";

    private readonly IPAddress? _address;
    private readonly int _port;
    private readonly string _resolvConfPath;
    private readonly bool _respondBeforeSync;
    private readonly string _proxyNamespace;
    private readonly ProxyConfigStore _store;
    private readonly ILogger<DnsProxyServer> _logger;
    private readonly DnsMetrics _metrics;
    private readonly DnsUpstream _upstream;
    private readonly List<(Socket Udp, Socket Tcp)> _listeners = [];
    private ResolvConf _resolvConf = ResolvConf.None;
    private DnsLookupTable? _table;
    private EquatableArray<NameInfoConfig> _tableSource;

    /// <summary>Registered only with DNS capture on; <paramref name="metrics"/> is the registry the sidecar's metrics
    /// endpoints export.</summary>
    public DnsProxyServer(ProxyOptions options, ProxyConfigStore store, Prometheus.CollectorRegistry metrics, ILogger<DnsProxyServer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(metrics);
        // pilot-agent listens on localhost (null here: chosen by the nameservers' families once they are read); a
        // standalone sidecar on its own 127.x address listens there instead.
        _address = options.Dns.Address ?? (options.AdminBindAddress.Equals(IPAddress.Loopback) ? null : options.AdminBindAddress);
        _port = options.Dns.Port;
        _resolvConfPath = options.Dns.ResolvConfPath ?? DefaultResolvConf;
        if (_port == 53)
        {
            if (Environment.IsPrivilegedProcess)
            {
                // pilot-agent's way without capture rules: the machine's resolv.conf names this proxy, so the real
                // nameservers come from Istio's copy, and queries are forwarded until the first config.
                _respondBeforeSync = true;
                if (options.Dns.ResolvConfPath is null && File.Exists(IstioResolvConf))
                {
                    _resolvConfPath = IstioResolvConf;
                }
            }
            else
            {
                Log.PrivilegedPortRefused(logger, $"{_address?.ToString() ?? "localhost"}:53");
                (_address, _port) = (null, 15053);
            }
        }

        _proxyNamespace = options.Workload.Namespace;
        _store = store;
        _logger = logger;
        _metrics = new DnsMetrics(metrics);
        _upstream = new DnsUpstream(_metrics, options.Dns.ForwardParallel);
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _resolvConf = ResolvConf.Load(_resolvConfPath);
        // Bound before the host starts, so a port in use stops the sidecar as any other listener's would.
        foreach (var address in _address is { } specific ? [specific] : LocalhostAddresses(_resolvConf))
        {
            var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listeners.Add((udp, tcp));
            udp.Bind(new IPEndPoint(address, _port));
            tcp.Bind(new IPEndPoint(address, ((IPEndPoint)udp.LocalEndPoint!).Port));
            tcp.Listen(128);
            Log.Started(_logger, udp.LocalEndPoint!.ToString()!, string.Join(",", _resolvConf.Nameservers), string.Join(",", _resolvConf.SearchDomains));
        }

        _store.Published += Rebuild;
        if (_store.Current is { } current)
        {
            Rebuild(current);
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _store.Published -= Rebuild;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        CloseListeners();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Closing the sockets ends the loops.
        stoppingToken.Register(CloseListeners);
        return Task.WhenAll(_listeners.SelectMany(l => new[] { ServeUdpAsync(l.Udp, stoppingToken), AcceptTcpAsync(l.Tcp, stoppingToken) }));
    }

    /// <summary>
    /// "localhost" as pilot-agent binds it: 127.0.0.1 where resolv.conf names IPv4 nameservers (or none), ::1 where it
    /// names IPv6 ones, so the capture rules of each family (which redirect to the loopback address of theirs) reach it.
    /// </summary>
    private static IEnumerable<IPAddress> LocalhostAddresses(ResolvConf resolvConf)
    {
        var v6 = resolvConf.Nameservers.Any(n => n.AddressFamily == AddressFamily.InterNetworkV6) && Socket.OSSupportsIPv6;
        if (!v6 || resolvConf.Nameservers.Any(n => n.AddressFamily == AddressFamily.InterNetwork))
        {
            yield return IPAddress.Loopback;
        }

        if (v6)
        {
            yield return IPAddress.IPv6Loopback;
        }
    }

    private void CloseListeners()
    {
        foreach (var (udp, tcp) in _listeners)
        {
            udp.Dispose();
            tcp.Dispose();
        }
    }

    private void Rebuild(ProxyConfig config)
    {
        // Most pushes change endpoints or routes, not names: the table is rebuilt only when its names change.
        if (_table is not null && config.NameTable == _tableSource)
        {
            return;
        }

        _tableSource = config.NameTable;
        var table = DnsLookupTable.Build(config.NameTable, _proxyNamespace, _resolvConf.SearchDomains);
        Volatile.Write(ref _table, table);
        Log.TableUpdated(_logger, config.NameTable.Count, table.Count);
    }

    private async Task ServeUdpAsync(Socket socket, CancellationToken stoppingToken)
    {
        var buffer = new byte[DnsResponseWriter.MaxMessageSize];
        var reply = new byte[DnsResponseWriter.MaxMessageSize];
        // One client address, reused: a query answered here allocates nothing.
        var client = new SocketAddress(socket.AddressFamily);
        while (!stoppingToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, client, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier reply (the client went away): keep serving.
                continue;
            }

            var message = buffer.AsSpan(0, received);
            var length = Answer(message, reply, tcp: false);
            if (length > 0)
            {
                SendReply(socket, reply.AsSpan(0, length), client);
            }
            else if (length < 0)
            {
                // Forwarded off the receive loop, so a slow nameserver holds up no other client.
                var from = new SocketAddress(client.Family, client.Size);
                client.Buffer.CopyTo(from.Buffer);
                _ = ForwardUdpAsync(socket, message.ToArray(), from, stoppingToken);
            }
        }
    }

    private async Task ForwardUdpAsync(Socket socket, byte[] message, SocketAddress client, CancellationToken stoppingToken)
    {
        try
        {
            SendReply(socket, await ForwardAsync(message, tcp: false, stoppingToken).ConfigureAwait(false), client);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the client asks again elsewhere.
        }
    }

    private static void SendReply(Socket socket, ReadOnlySpan<byte> reply, SocketAddress client)
    {
        try
        {
            socket.SendTo(reply, SocketFlags.None, client);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client is gone or the proxy is stopping: nothing to answer.
        }
    }

    private async Task AcceptTcpAsync(Socket listener, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = ServeTcpAsync(connection, stoppingToken);
        }
    }

    /// <summary>Queries on one connection, answered in order, until the client closes it or is idle for 8 s
    /// (miekg/dns's server idle timeout).</summary>
    private async Task ServeTcpAsync(Socket connection, CancellationToken stoppingToken)
    {
        using var socket = connection;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reply = ArrayPool<byte>.Shared.Rent(DnsResponseWriter.MaxMessageSize);
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                idle.CancelAfter(TimeSpan.FromSeconds(8));
                if (await DnsTcpFraming.ReadAsync(stream, idle.Token).ConfigureAwait(false) is not { } message)
                {
                    return;
                }

                var length = Answer(message, reply, tcp: true);
                if (length == 0)
                {
                    return;
                }

                var answer = length > 0 ? reply.AsMemory(0, length) : await ForwardAsync(message, tcp: true, stoppingToken).ConfigureAwait(false);
                await DnsTcpFraming.WriteAsync(stream, answer, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Idle, closed mid-message, or stopping: the connection ends.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(reply);
        }
    }

    /// <summary>
    /// The reply to <paramref name="message"/> when the proxy gives it itself (its length), -1 when the query goes
    /// upstream, 0 when it gets no reply. A message miekg/dns's server would not accept is refused as it would be: a
    /// response is dropped, an opcode other than QUERY or NOTIFY is NOTIMP, and more than one question (or records
    /// a query does not carry) FORMERR.
    /// </summary>
    private int Answer(ReadOnlySpan<byte> message, Span<byte> reply, bool tcp)
    {
        if (message.Length < DnsQuery.HeaderLength)
        {
            return 0;
        }

        Span<char> name = stackalloc char[DnsQuery.MaxNameLength];
        if (!DnsQuery.TryParse(message, name, out var query))
        {
            return DnsResponseWriter.WriteError(reply, message, DnsQuery.HeaderOf(message), DnsRecordType.RcodeFormatError, withQuestion: false);
        }

        if (query.IsResponse)
        {
            return 0;
        }

        if (query.Opcode is not (0 or 4))
        {
            return DnsResponseWriter.WriteError(reply, message, query, DnsRecordType.RcodeNotImplemented, withQuestion: false);
        }

        if (query.QuestionCount != 1 || !query.SectionCountsFitAQuery)
        {
            return DnsResponseWriter.WriteError(reply, message, query, DnsRecordType.RcodeFormatError, withQuestion: false);
        }

        // Counted as pilot-agent counts: the queries its DNS server accepted.
        _metrics.Requests.Inc();

        // Before the first config, pilot-agent answers SERVFAIL (forwarding a mesh name would get a wrong NXDOMAIN),
        // except as the machine's only resolver on port 53, where it forwards.
        if (Volatile.Read(ref _table) is not { } table)
        {
            return _respondBeforeSync ? -1 : DnsResponseWriter.WriteError(reply, message, query, DnsRecordType.RcodeServerFailure, withQuestion: true);
        }

        var result = query.NameLength >= 0 ? table.Lookup(query.Type, name[..query.NameLength]) : DnsLookupResult.NotFound;
        return result.Found ? DnsResponseWriter.WriteAnswer(reply, message, query, result, DnsResponseWriter.MaxReplySize(query, tcp)) : -1;
    }

    /// <summary>The nameservers' answer, or SERVFAIL with the question when none answered.</summary>
    private async Task<byte[]> ForwardAsync(byte[] message, bool tcp, CancellationToken stoppingToken)
    {
        if (await _upstream.ExchangeAsync(message, tcp, _resolvConf.Nameservers, stoppingToken).ConfigureAwait(false) is { } answer)
        {
            return answer;
        }

        DnsQuery.TryParse(message, out var query);
        var reply = new byte[message.Length + DnsQuery.HeaderLength];
        var length = DnsResponseWriter.WriteError(reply, message, query, DnsRecordType.RcodeServerFailure, withQuestion: true);
        return reply[..length];
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "DNS proxy listening on {Endpoint} (UDP and TCP); upstream nameservers [{Nameservers}], search [{Search}]")]
        public static partial void Started(ILogger logger, string endpoint, string nameservers, string search);

        [LoggerMessage(Level = LogLevel.Error, Message = "DNS proxy address {Endpoint} is port 53 and the sidecar does not run as root; listening on localhost:15053 instead")]
        public static partial void PrivilegedPortRefused(ILogger logger, string endpoint);

        [LoggerMessage(Level = LogLevel.Debug, Message = "DNS name table: {Hosts} hosts, {Names} names answered")]
        public static partial void TableUpdated(ILogger logger, int hosts, int names);
    }
}
