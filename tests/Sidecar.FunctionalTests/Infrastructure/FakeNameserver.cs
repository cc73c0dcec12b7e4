using System.Net;
using System.Net.Sockets;
using Sidecar.Testing.Netns;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>A query a <see cref="FakeNameserver"/> received: the name asked (lower case), its type, over which transport, from where.</summary>
internal sealed record NameserverQuery(string Name, ushort Type, bool Tcp, IPEndPoint From);

/// <summary>
/// The pod's upstream nameserver (kube-dns, as resolv.conf names it): UDP and TCP on port 53 of one address, answering
/// its A records with <see cref="Ttl"/> and RA set (as a recursive server does, and as the DNS proxy's own answers never
/// are), any other type of a name it knows with no records, and other names NXDOMAIN. It records every query, before
/// answering, so a test that has the reply can read what was asked.
/// </summary>
internal sealed class FakeNameserver : IAsyncDisposable
{
    public const uint Ttl = 1234;

    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly IReadOnlyDictionary<string, IPAddress> _records;
    private readonly List<NameserverQuery> _queries = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;

    private FakeNameserver(Socket udp, Socket tcp, IReadOnlyDictionary<string, IPAddress> records)
    {
        _udp = udp;
        _tcp = tcp;
        _records = records;
        EndPoint = (IPEndPoint)udp.LocalEndPoint!;
        _udpLoop = ServeUdpAsync();
        _tcpLoop = AcceptTcpAsync();
    }

    public IPEndPoint EndPoint { get; }

    public IReadOnlyList<NameserverQuery> Queries
    {
        get
        {
            lock (_queries)
            {
                return [.. _queries];
            }
        }
    }

    /// <summary>How many queries asked for <paramref name="name"/> (with or without its trailing dot).</summary>
    public int CountFor(string name)
    {
        var absolute = name.EndsWith('.') ? name : name + ".";
        return Queries.Count(q => q.Name == absolute);
    }

    /// <summary>
    /// Listens on port 53 of <paramref name="address"/> (inside <paramref name="ns"/> when given). <paramref name="records"/>
    /// maps names (no trailing dot) to the address of their A record.
    /// </summary>
    public static FakeNameserver Start(IPAddress address, IReadOnlyDictionary<string, IPAddress> records, NetworkNamespace? ns = null)
    {
        Socket Create(SocketType type, ProtocolType protocol) =>
            ns is null ? new Socket(address.AddressFamily, type, protocol) : ns.Enter(() => new Socket(address.AddressFamily, type, protocol));

        var udp = Create(SocketType.Dgram, ProtocolType.Udp);
        var tcp = Create(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            udp.Bind(new IPEndPoint(address, 53));
            tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            tcp.Bind(new IPEndPoint(address, 53));
            tcp.Listen(64);
        }
        catch
        {
            udp.Dispose();
            tcp.Dispose();
            throw;
        }

        var absolute = records.ToDictionary(r => r.Key.TrimEnd('.').ToLowerInvariant() + ".", r => r.Value, StringComparer.Ordinal);
        return new FakeNameserver(udp, tcp, absolute);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Dispose();
        foreach (var loop in new[] { _udpLoop, _tcpLoop })
        {
            try
            {
                await loop;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Closing the sockets ends the loops this way.
            }
        }

        _stop.Dispose();
    }

    private byte[] Answer(ReadOnlySpan<byte> query, bool tcp, IPEndPoint from)
    {
        var question = DnsWire.ParseQuestion(query);
        var name = question.Name.ToLowerInvariant();
        lock (_queries)
        {
            _queries.Add(new NameserverQuery(name, question.Type, tcp, from));
        }

        if (!_records.TryGetValue(name, out var address))
        {
            return DnsWire.Reply(query, question, DnsWire.NxDomain, question.Type, [], Ttl);
        }

        return DnsWire.Reply(query, question, DnsWire.NoError, question.Type, question.Type == DnsWire.A ? [address] : [], Ttl);
    }

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            var received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            var reply = Answer(buffer.AsSpan(0, received.ReceivedBytes), tcp: false, (IPEndPoint)received.RemoteEndPoint);
            await _udp.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint, _stop.Token);
        }
    }

    private async Task AcceptTcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var connection = await _tcp.AcceptAsync(_stop.Token);
            _ = ServeTcpAsync(connection);
        }
    }

    private async Task ServeTcpAsync(Socket connection)
    {
        using var socket = connection;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            while (await DnsExchange.ReadFramedAsync(stream, _stop.Token) is { } query)
            {
                await DnsExchange.WriteFramedAsync(stream, Answer(query, tcp: true, (IPEndPoint)socket.RemoteEndPoint!), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // The client went away, or the nameserver is stopping.
        }
    }
}
