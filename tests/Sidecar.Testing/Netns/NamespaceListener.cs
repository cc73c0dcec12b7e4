using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Sidecar.Testing.Netns;

/// <summary>A connection a <see cref="NamespaceListener"/> accepted, with where it was originally sent if NAT redirected it.</summary>
public sealed record AcceptedConnection(IPEndPoint Remote, IPEndPoint Local, IPEndPoint? OriginalDestination);

/// <summary>
/// A TCP listener inside a network namespace that answers every connection with one line naming itself and then
/// closes it, and records what it accepted. Tests read the line on the client side, and wait on the record here,
/// to see which listener a connection really reached (the sidecar's 15001/15006, or the app itself).
/// </summary>
public sealed class NamespaceListener : IAsyncDisposable
{
    // getsockopt(SOL_IP, SO_ORIGINAL_DST) / (SOL_IPV6, IP6T_SO_ORIGINAL_DST): the pre-REDIRECT destination.
    private const int SoOriginalDst = 80;

    private readonly Socket _socket;
    private readonly Channel<AcceptedConnection> _accepted = Channel.CreateUnbounded<AcceptedConnection>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _count;

    private NamespaceListener(Socket socket, string greeting)
    {
        _socket = socket;
        Greeting = greeting;
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        _loop = AcceptLoopAsync();
    }

    /// <summary>The line every client receives.</summary>
    public string Greeting { get; }

    public int Port { get; }

    /// <summary>How many connections were accepted so far.</summary>
    public int AcceptedCount => Volatile.Read(ref _count);

    /// <summary>
    /// Listens on all addresses of one family (IPv6 sockets are IPv6-only, so a port can have both), on
    /// <paramref name="port"/> (0: any free port). A <paramref name="transparent"/> listener (IP_TRANSPARENT) accepts
    /// connections TPROXY hands it for addresses that are not its own, as Envoy's inbound listener does.
    /// </summary>
    public static NamespaceListener Start(NetworkNamespace ns, int port, string greeting, AddressFamily family = AddressFamily.InterNetwork, bool transparent = false)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(greeting);
        var socket = ns.CreateTcpSocket(family);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            if (transparent)
            {
                // IP_TRANSPARENT (19) at SOL_IP, IPV6_TRANSPARENT (75) at SOL_IPV6.
                var (level, name) = family == AddressFamily.InterNetwork ? (0, 19) : (41, 75);
                socket.SetRawSocketOption(level, name, BitConverter.GetBytes(1));
            }
            socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, port));
            socket.Listen(64);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NamespaceListener(socket, greeting);
    }

    /// <summary>The next accepted connection; throws <see cref="TimeoutException"/> when none comes in time.</summary>
    public async Task<AcceptedConnection> NextConnectionAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await _accepted.Reader.ReadAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"listener \"{Greeting}\" on port {Port} accepted no connection within {timeout.TotalSeconds} s");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping the listener ends the loop this way.
        }
        _stop.Dispose();
    }

    /// <summary>Reads the greeting line of the listener that answered a connection.</summary>
    public static async Task<string> ReadGreetingAsync(Socket connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var buffer = new byte[256];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await connection.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            length += read;
            if (Array.IndexOf(buffer, (byte)'\n', 0, length) >= 0)
            {
                break;
            }
        }
        return Encoding.ASCII.GetString(buffer, 0, length).Trim();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            using (client)
            {
                var record = new AcceptedConnection((IPEndPoint)client.RemoteEndPoint!, (IPEndPoint)client.LocalEndPoint!, OriginalDestination(client));
                Interlocked.Increment(ref _count);
                await client.SendAsync(Encoding.ASCII.GetBytes(Greeting + "\n"), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
                _accepted.Writer.TryWrite(record);
            }
        }
    }

    private static IPEndPoint? OriginalDestination(Socket client)
    {
        var buffer = new byte[28];
        try
        {
            if (client.AddressFamily == AddressFamily.InterNetwork)
            {
                // struct sockaddr_in: family, port (network order), address.
                client.GetRawSocketOption(0, SoOriginalDst, buffer);
                return new IPEndPoint(new IPAddress(buffer.AsSpan(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)));
            }
            // struct sockaddr_in6: family, port, flowinfo, address.
            client.GetRawSocketOption(41, SoOriginalDst, buffer);
            return new IPEndPoint(new IPAddress(buffer.AsSpan(8, 16)), BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)));
        }
        catch (SocketException)
        {
            // Not NAT'ed: there is no original destination.
            return null;
        }
    }
}
