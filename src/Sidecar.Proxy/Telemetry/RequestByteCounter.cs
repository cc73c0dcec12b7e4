namespace Sidecar.Proxy.Telemetry;

/// <summary>
/// Counts the request body bytes read from downstream (Envoy's %BYTES_RECEIVED% and istio_request_bytes), for chunked
/// or HTTP/2 bodies whose size no header tells. Stands in for the request body stream for one request; pooled with
/// the request state, so counting allocates nothing.
/// </summary>
internal sealed class RequestByteCounter : Stream
{
    private Stream _inner = null!;

    public long BytesRead { get; private set; }

    /// <summary>Whether the counter stands in front of a request body now.</summary>
    public bool IsAttached => _inner is not null;

    public void Attach(Stream inner)
    {
        _inner = inner;
        BytesRead = 0;
    }

    public void Detach() => _inner = null!;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        BytesRead += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        BytesRead += read;
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
