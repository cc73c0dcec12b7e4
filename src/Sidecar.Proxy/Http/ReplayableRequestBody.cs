using System.Buffers;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Wraps the downstream request body so a retry (or a mirror) can send it again: bytes read are kept in a pooled
/// buffer up to a limit. Envoy's rule: a request whose body outgrows the buffer is not retried or shadowed. After
/// <see cref="Rewind"/>, reads replay the buffer and then continue with the unread rest of the body.
/// </summary>
internal sealed class ReplayableRequestBody : Stream
{
    private Stream _inner = Null;
    private byte[]? _buffer;
    private int _buffered;
    private int _position;
    private int _limit;
    private bool _overflowed;
    private bool _ended;

    /// <summary>True while everything read so far is buffered (a retry can resend it).</summary>
    public bool CanReplay => !_overflowed;

    /// <summary>The whole body, when it was read to the end and fits the buffer.</summary>
    public ReadOnlyMemory<byte>? CompleteBody => _ended && !_overflowed ? new ReadOnlyMemory<byte>(_buffer, 0, _buffered) : (ReadOnlyMemory<byte>?)null;

    public void Attach(Stream inner, int limit)
    {
        _inner = inner;
        _limit = limit;
        _buffered = 0;
        _position = 0;
        _overflowed = false;
        _ended = false;
    }

    /// <summary>Releases the buffer and the inner stream reference (end of request).</summary>
    public void Detach()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _inner = Null;
    }

    /// <summary>Starts reading again from the first byte.</summary>
    public void Rewind() => _position = 0;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_position < _buffered)
        {
            var count = Math.Min(destination.Length, _buffered - _position);
            _buffer.AsMemory(_position, count).CopyTo(destination);
            _position += count;
            return count;
        }

        var read = await _inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _ended = true;
        }
        else
        {
            Keep(destination.Span[..read]);
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_overflowed)
        {
            return;
        }

        if (_buffered + data.Length > _limit)
        {
            _overflowed = true;
            return;
        }

        if (_buffer is null || _buffer.Length < _buffered + data.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Min(_limit, Math.Max(4096, (_buffered + data.Length) * 2)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _buffered).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        data.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += data.Length;
        _position = _buffered;
    }
}
