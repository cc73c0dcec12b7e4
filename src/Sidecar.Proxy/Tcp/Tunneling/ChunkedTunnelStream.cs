using System.Buffers;
using System.Globalization;
using System.Text;

namespace Sidecar.Proxy.Tcp.Tunneling;

/// <summary>
/// A POST tunnel's stream over HTTP/1.1: what is written goes out as the request's chunks, the end of the stream as
/// its last chunk; what is read is the response's body, its chunked encoding taken off.
/// </summary>
internal sealed class ChunkedTunnelStream : AsyncOnlyStream
{
    private static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray();
    private readonly Stream _inner;
    private readonly bool _chunkedResponse;
    private byte[] _buffered;
    private int _bufferedStart;
    private int _bufferedEnd;
    private long _chunkLeft;
    private State _state;

    /// <param name="inner">The connection to the tunnel's proxy, its response headers read.</param>
    /// <param name="rest">What was read past the response headers.</param>
    /// <param name="chunkedResponse">The response body is chunked (else it runs to the end of the connection).</param>
    public ChunkedTunnelStream(Stream inner, byte[] rest, bool chunkedResponse)
    {
        _inner = inner;
        _chunkedResponse = chunkedResponse;
        _buffered = rest.Length > 0 ? rest : new byte[1024];
        _bufferedEnd = rest.Length;
        _state = chunkedResponse ? State.Size : State.Raw;
    }

    private enum State
    {
        Size,
        Data,
        DataEnd,
        Trailers,
        Done,
        Raw,
    }

    /// <summary>Ends the request: its last chunk.</summary>
    public ValueTask EndAsync(CancellationToken cancellationToken = default) => _inner.WriteAsync(LastChunk, cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        var header = buffer.Length.ToString("x", CultureInfo.InvariantCulture);
        var framed = ArrayPool<byte>.Shared.Rent(header.Length + buffer.Length + 4);
        try
        {
            var at = Encoding.ASCII.GetBytes(header, framed);
            framed[at++] = (byte)'\r';
            framed[at++] = (byte)'\n';
            buffer.Span.CopyTo(framed.AsSpan(at));
            at += buffer.Length;
            framed[at++] = (byte)'\r';
            framed[at++] = (byte)'\n';
            await _inner.WriteAsync(framed.AsMemory(0, at), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(framed);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Raw:
                    return Buffered > 0 ? TakeBuffered(buffer.Span, Buffered) : await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                case State.Done:
                    return 0;
                case State.Data:
                    if (Buffered > 0)
                    {
                        var taken = TakeBuffered(buffer.Span, (int)Math.Min(_chunkLeft, int.MaxValue));
                        if ((_chunkLeft -= taken) == 0)
                        {
                            _state = State.DataEnd;
                        }

                        return taken;
                    }

                    var read = await _inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _chunkLeft)], cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new IOException("the tunnel's response ended inside a chunk");
                    }

                    if ((_chunkLeft -= read) == 0)
                    {
                        _state = State.DataEnd;
                    }

                    return read;
                default:
                    if (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is not { } line)
                    {
                        // The connection ended where a chunk size or trailer was due: as good as the end.
                        _state = State.Done;
                        return 0;
                    }

                    Advance(line);
                    break;
            }
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    private int Buffered => _bufferedEnd - _bufferedStart;

    /// <summary>Moves the chunked decoding on by one line: a chunk size, the end of a chunk, or a trailer.</summary>
    private void Advance(string line)
    {
        switch (_state)
        {
            case State.Size:
                var size = line.Split(';', 2)[0].Trim();
                if (!long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _chunkLeft) || _chunkLeft < 0)
                {
                    throw new IOException($"the tunnel's response has a bad chunk size: {line}");
                }

                _state = _chunkLeft == 0 ? State.Trailers : State.Data;
                break;
            case State.DataEnd:
                if (line.Length != 0)
                {
                    throw new IOException("the tunnel's response has a chunk longer than its size");
                }

                _state = State.Size;
                break;
            case State.Trailers:
                if (line.Length == 0)
                {
                    _state = State.Done;
                }

                break;
        }
    }

    private int TakeBuffered(Span<byte> destination, int limit)
    {
        var count = Math.Min(Math.Min(destination.Length, limit), Buffered);
        _buffered.AsSpan(_bufferedStart, count).CopyTo(destination);
        _bufferedStart += count;
        return count;
    }

    /// <summary>The next CRLF-terminated line, or null at the end of the connection.</summary>
    private async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = _buffered.AsSpan(_bufferedStart, Buffered).IndexOf("\r\n"u8);
            if (end >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffered, _bufferedStart, end);
                _bufferedStart += end + 2;
                return line;
            }

            if (Buffered > 8 * 1024)
            {
                throw new IOException("the tunnel's response has a chunk line longer than 8 KiB");
            }

            if (_bufferedStart > 0)
            {
                _buffered.AsSpan(_bufferedStart, Buffered).CopyTo(_buffered);
                _bufferedEnd = Buffered;
                _bufferedStart = 0;
            }

            if (_bufferedEnd == _buffered.Length)
            {
                Array.Resize(ref _buffered, _buffered.Length * 2);
            }

            var read = await _inner.ReadAsync(_buffered.AsMemory(_bufferedEnd), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            _bufferedEnd += read;
        }
    }
}
