namespace Sidecar.Proxy.Upstream;

/// <summary>
/// Envoy's <c>max_requests_per_connection</c> (Istio's <c>http.maxRequestsPerConnection</c>) for HTTP/1.1
/// upstream connections, which SocketsHttpHandler cannot limit itself. An HTTP/1.1 connection alternates between
/// writing a request and reading its response, so a write after a read starts the next request; the last request the
/// connection may carry gets <c>Connection: close</c> added to its header section, so the upstream closes the
/// connection after answering and the pool opens a new one for the next request (nothing is sent twice).
/// </summary>
internal sealed class RequestLimitedConnectionStream(Stream inner, int maxRequests) : Stream
{
    private static readonly byte[] ConnectionClose = "Connection: close\r\n"u8.ToArray();
    private int _requests;
    private bool _readSinceWrite = true;
    private bool _closingHeaderPending;
    private int _headerTail;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Received(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Received(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A body sent after an interim "100 Continue" also follows a read: only a request line starts a request.
        if (_readSinceWrite && StartsWithRequestLine(buffer.Span))
        {
            _closingHeaderPending = ++_requests == maxRequests;
            _headerTail = 0;
        }

        _readSinceWrite = false;

        var insertAt = _closingHeaderPending ? EmptyLineIndex(buffer.Span) : -1;
        if (insertAt < 0)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        _closingHeaderPending = false;
        await inner.WriteAsync(buffer[..insertAt], cancellationToken).ConfigureAwait(false);
        await inner.WriteAsync(ConnectionClose, cancellationToken).ConfigureAwait(false);
        await inner.WriteAsync(buffer[insertAt..], cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Received(int bytes)
    {
        if (bytes > 0)
        {
            _readSinceWrite = true;
        }

        return bytes;
    }

    /// <summary>An HTTP/1.1 request line begins with a method token (upper-case letters) and a space.</summary>
    private static bool StartsWithRequestLine(ReadOnlySpan<byte> span)
    {
        var i = 0;
        while (i < span.Length && span[i] is >= (byte)'A' and <= (byte)'Z')
        {
            i++;
        }

        return i > 0 && i < span.Length && span[i] == (byte)' ';
    }

    /// <summary>
    /// Where the blank line that ends the header section starts in this write (the header is inserted before it), or -1.
    /// <see cref="_headerTail"/> carries how many bytes of <c>\r\n\r\n</c> the previous write of the request ended with.
    /// </summary>
    private int EmptyLineIndex(ReadOnlySpan<byte> span)
    {
        ReadOnlySpan<byte> terminator = "\r\n\r\n"u8;
        var matched = _headerTail;
        for (var i = 0; i < span.Length; i++)
        {
            matched = span[i] == terminator[matched] ? matched + 1 : span[i] == terminator[0] ? 1 : 0;
            if (matched == terminator.Length)
            {
                // The blank line is the last two bytes matched; if it began in an earlier write it is already sent.
                var blankLine = i - 1;
                if (blankLine < 0)
                {
                    _closingHeaderPending = false;
                    return -1;
                }

                return blankLine;
            }
        }

        _headerTail = matched;
        return -1;
    }
}
