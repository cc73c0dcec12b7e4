using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Sidecar.LoadHarness.Transport;

/// <summary>
/// One HTTP/1.1 connection sending a request encoded once, byte for byte the same each time, and reading responses
/// with <see cref="Http11ResponseReader"/>: no per-request allocation and a few microseconds of CPU, so the generator
/// stays cheap next to the process under test (HttpClient costs several times more per request). Reconnects when
/// the server closes the connection (<c>Connection: close</c>, or after an error).
/// </summary>
internal sealed class Http11Connection : IRequestSender
{
    private readonly EndPoint _endPoint;
    private readonly ReadOnlyMemory<byte> _request;
    private readonly Http11ResponseReader _reader;
    private Socket? _socket;

    /// <param name="target">The URI connected to (its host and port).</param>
    /// <param name="request">The complete encoded request: head and body.</param>
    /// <param name="isHead">Whether the request is HEAD (responses carry no body whatever their headers say).</param>
    public Http11Connection(Uri target, ReadOnlyMemory<byte> request, bool isHead)
    {
        ArgumentNullException.ThrowIfNull(target);
        _endPoint = IPAddress.TryParse(target.IdnHost, out var address)
            ? new IPEndPoint(address, target.Port)
            : new DnsEndPoint(target.IdnHost, target.Port);
        _request = request;
        _reader = new Http11ResponseReader(isHead);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseSummary> SendAsync(CancellationToken cancellationToken)
    {
        var socket = _socket ?? await ConnectAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sent = 0;
            while (sent < _request.Length)
            {
                sent += await socket.SendAsync(_request[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            var response = await _reader.ReadAsync(socket, cancellationToken).ConfigureAwait(false);
            if (response.CloseConnection)
            {
                Close();
            }

            return new ResponseSummary(response.Status, response.BodyBytes);
        }
        catch
        {
            // Whatever went wrong, the connection's framing is lost: start the next request on a new one.
            Close();
            throw;
        }
    }

    public void Dispose() => Close();

    private async ValueTask<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"cannot connect to {_endPoint}: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _reader.Reset();
        _socket = socket;
        return socket;
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
    }
}
