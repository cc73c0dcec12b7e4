using System.Buffers;
using System.Buffers.Text;

namespace Sidecar.Proxy.Http;

/// <summary>
/// A gRPC-Web text request body (<c>application/grpc-web-text</c>) read as the binary gRPC it encodes: base64 decoded
/// in whole groups of four characters as they arrive, the rest kept for the next read, as Envoy's filter decodes it.
/// A body that is not base64, or ends inside a group (padding is mandatory), fails the read.
/// </summary>
internal sealed class GrpcWebTextRequestBody : AsyncOnlyStream
{
    private readonly Stream _inner;
    private readonly byte[] _encoded = new byte[16 * 1024];
    private readonly byte[] _decoded = new byte[12 * 1024];
    private int _encodedCount;
    private int _decodedOffset;
    private int _decodedCount;
    private bool _innerEnded;

    public GrpcWebTextRequestBody(Stream inner) => _inner = inner;

    public override bool CanWrite => false;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_decodedCount == 0)
        {
            if (_innerEnded)
            {
                if (_encodedCount != 0)
                {
                    throw new InvalidDataException("Bad gRPC-web request, invalid base64 data.");
                }

                return 0;
            }

            var read = await _inner.ReadAsync(_encoded.AsMemory(_encodedCount), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _innerEnded = true;
                continue;
            }

            _encodedCount += read;
            Decode();
        }

        var copied = Math.Min(buffer.Length, _decodedCount);
        _decoded.AsSpan(_decodedOffset, copied).CopyTo(buffer.Span);
        _decodedOffset += copied;
        _decodedCount -= copied;
        return copied;
    }

    /// <summary>
    /// Decodes the whole groups of four held, each on its own: a group may end in padding and another follow it (a
    /// client may encode each message apart, as Envoy encodes each response frame).
    /// </summary>
    private void Decode()
    {
        var whole = _encodedCount / 4 * 4;
        var written = 0;
        for (var i = 0; i < whole; i += 4)
        {
            if (Base64.DecodeFromUtf8(_encoded.AsSpan(i, 4), _decoded.AsSpan(written), out _, out var bytes, isFinalBlock: true) != OperationStatus.Done)
            {
                throw new InvalidDataException("Bad gRPC-web request, invalid base64 data.");
            }

            written += bytes;
        }

        _encoded.AsSpan(whole, _encodedCount - whole).CopyTo(_encoded);
        _encodedCount -= whole;
        _decodedOffset = 0;
        _decodedCount = written;
    }
}
