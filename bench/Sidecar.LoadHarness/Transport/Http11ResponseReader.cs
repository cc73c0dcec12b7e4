using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Sidecar.LoadHarness.Transport;

/// <summary>
/// Reads HTTP/1.1 responses off a connection into one reused buffer, keeping only what a load test needs: the
/// status, the body length and whether the server will close the connection. Bodies are framed as RFC 9112 §6
/// says (Content-Length, chunked, or until close) and skipped, not kept; interim 1xx responses are passed over.
/// </summary>
internal sealed class Http11ResponseReader
{
    private const int BufferBytes = 64 * 1024;
    private const int MaxChunkSizeDigits = 15;

    private readonly byte[] _buffer = new byte[BufferBytes];
    private readonly bool _isHead;
    private int _start;
    private int _end;

    /// <param name="isHead">Responses to HEAD have no body whatever their headers say.</param>
    public Http11ResponseReader(bool isHead)
    {
        _isHead = isHead;
    }

    /// <summary>Forgets buffered bytes: for a new connection.</summary>
    public void Reset()
    {
        _start = 0;
        _end = 0;
    }

    /// <summary>Reads one complete response from <paramref name="socket"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Http11Response> ReadAsync(Socket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        while (true)
        {
            int headEnd;
            while ((headEnd = IndexOf("\r\n\r\n"u8)) < 0)
            {
                await FillAsync(socket, cancellationToken).ConfigureAwait(false);
            }

            var head = Http11ResponseHead.Parse(_buffer.AsSpan(_start, headEnd - _start));
            _start = headEnd + 4;
            if (head.Status is >= 100 and < 200 && head.Status != 101)
            {
                continue; // 100 Continue, 103 Early Hints: the real response follows
            }

            if (_isHead || head.Status is 204 or 304)
            {
                return new Http11Response(head.Status, 0, head.Close);
            }

            if (head.Chunked)
            {
                var chunked = await ReadChunkedAsync(socket, cancellationToken).ConfigureAwait(false);
                return new Http11Response(head.Status, chunked, head.Close);
            }

            if (head.ContentLength >= 0)
            {
                await SkipAsync(socket, head.ContentLength, cancellationToken).ConfigureAwait(false);
                return new Http11Response(head.Status, head.ContentLength, head.Close);
            }

            // Neither length nor chunked: the body runs until the server closes the connection.
            var untilClose = await ReadToEndAsync(socket, cancellationToken).ConfigureAwait(false);
            return new Http11Response(head.Status, untilClose, CloseConnection: true);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> ReadChunkedAsync(Socket socket, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            int lineEnd;
            while ((lineEnd = IndexOf("\r\n"u8)) < 0)
            {
                await FillAsync(socket, cancellationToken).ConfigureAwait(false);
            }

            var size = ParseChunkSize(_buffer.AsSpan(_start, lineEnd - _start));
            _start = lineEnd + 2;
            if (size == 0)
            {
                // Trailer fields, if any, end with an empty line.
                while (true)
                {
                    while ((lineEnd = IndexOf("\r\n"u8)) < 0)
                    {
                        await FillAsync(socket, cancellationToken).ConfigureAwait(false);
                    }

                    var empty = lineEnd == _start;
                    _start = lineEnd + 2;
                    if (empty)
                    {
                        return total;
                    }
                }
            }

            await SkipAsync(socket, size, cancellationToken).ConfigureAwait(false);
            total += size;
            while (_end - _start < 2)
            {
                await FillAsync(socket, cancellationToken).ConfigureAwait(false);
            }

            if (_buffer[_start] != '\r' || _buffer[_start + 1] != '\n')
            {
                throw Malformed("chunk data not followed by CRLF");
            }

            _start += 2;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SkipAsync(Socket socket, long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync(socket, cancellationToken).ConfigureAwait(false);
            }

            var take = (int)Math.Min(count, _end - _start);
            _start += take;
            count -= take;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        long total = _end - _start;
        _start = _end;
        while (await FillAsync(socket, cancellationToken, endAllowed: true).ConfigureAwait(false))
        {
            total += _end - _start;
            _start = _end;
        }

        return total;
    }

    /// <summary>Receives more bytes after those buffered; false at the end of the stream when that is allowed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync(Socket socket, CancellationToken cancellationToken, bool endAllowed = false)
    {
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start == 0)
            {
                throw Malformed($"a response head or chunk line longer than {BufferBytes} bytes");
            }

            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var received = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (received == 0)
        {
            return endAllowed
                ? false
                : throw new HttpRequestException(HttpRequestError.ResponseEnded, "the server closed the connection before the response was complete");
        }

        _end += received;
        return true;
    }

    private int IndexOf(ReadOnlySpan<byte> value)
    {
        var at = _buffer.AsSpan(_start, _end - _start).IndexOf(value);
        return at < 0 ? -1 : _start + at;
    }

    private static long ParseChunkSize(ReadOnlySpan<byte> line)
    {
        var extension = line.IndexOf((byte)';');
        var digits = (extension < 0 ? line : line[..extension]).Trim((byte)' ');
        if (digits.IsEmpty || digits.Length > MaxChunkSizeDigits)
        {
            throw Malformed("bad chunk size line");
        }

        long size = 0;
        foreach (var digit in digits)
        {
            var value = HexValue(digit);
            if (value < 0)
            {
                throw Malformed("bad chunk size line");
            }

            size = (size << 4) | (uint)value;
        }

        return size;
    }

    private static int HexValue(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
        _ => -1,
    };

    internal static HttpRequestException Malformed(string what) =>
        new(HttpRequestError.InvalidResponse, "malformed HTTP/1.1 response: " + what);
}
