using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;

namespace Sidecar.Proxy.Http;

/// <summary>
/// A gRPC-Web text response body (<c>application/grpc-web-text+proto</c>): each gRPC frame written through it goes
/// downstream base64-encoded on its own, padding included, once it is whole, as Envoy's filter encodes them; the
/// bytes of a frame not yet whole wait for the rest.
/// </summary>
internal sealed class GrpcWebTextResponseBody : AsyncOnlyStream
{
    private const int FrameHeaderLength = 5;
    private readonly Stream _inner;
    private byte[] _pending = new byte[1024];
    private int _pendingCount;

    public GrpcWebTextResponseBody(Stream inner) => _inner = inner;

    public override bool CanRead => false;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Append(buffer.Span);
        var consumed = 0;
        while (_pendingCount - consumed >= FrameHeaderLength)
        {
            var declared = BinaryPrimitives.ReadUInt32BigEndian(_pending.AsSpan(consumed + 1));
            if (declared > int.MaxValue - FrameHeaderLength)
            {
                throw new IOException($"gRPC frame of {declared} bytes");
            }

            var frameLength = FrameHeaderLength + (int)declared;
            if (_pendingCount - consumed < frameLength)
            {
                break;
            }

            var encoded = ArrayPool<byte>.Shared.Rent(Base64.GetMaxEncodedToUtf8Length(frameLength));
            try
            {
                Base64.EncodeToUtf8(_pending.AsSpan(consumed, frameLength), encoded, out _, out var written);
                await _inner.WriteAsync(encoded.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(encoded);
            }
            consumed += frameLength;
        }

        _pending.AsSpan(consumed, _pendingCount - consumed).CopyTo(_pending);
        _pendingCount -= consumed;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pending.Length - _pendingCount < bytes.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingCount + bytes.Length));
        }

        bytes.CopyTo(_pending.AsSpan(_pendingCount));
        _pendingCount += bytes.Length;
    }
}
