using System.Buffers;
using System.Net.Security;
using Sidecar.Model;
using Sidecar.Proxy.MetadataExchange;

namespace Sidecar.Proxy.Security;

/// <summary>
/// Istio's TCP peer metadata exchange (its <c>metadata_exchange</c> network filter): when the mTLS handshake settled on
/// ALPN <c>istio-peer-exchange</c>, each side writes its preamble (magic <c>0x3D230467</c>, size, Any-packed Struct)
/// and reads the peer's before any application bytes. Both write first, so neither waits on the other.
/// </summary>
internal static class TcpMetadataExchange
{
    /// <summary>Exchanges preambles; null when the ALPN says there is no exchange on this connection.</summary>
    /// <exception cref="InvalidDataException">The peer's preamble is malformed (the connection must be closed).</exception>
    public static async ValueTask<PeerMetadata?> ExchangeAsync(SslStream stream, byte[] preamble, CancellationToken cancellationToken)
    {
        if (stream.NegotiatedApplicationProtocol != IstioAlpn.PeerExchange)
        {
            return null;
        }

        await stream.WriteAsync(preamble, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        var header = new byte[PeerMetadataCodec.TcpHeaderSize];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        if (!PeerMetadataCodec.TryReadTcpHeader(header, out var size))
        {
            throw new InvalidDataException("the peer's metadata exchange preamble has a bad magic or size");
        }

        var payload = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            await stream.ReadExactlyAsync(payload.AsMemory(0, size), cancellationToken).ConfigureAwait(false);
            return PeerMetadataCodec.TryReadTcpPayload(payload.AsSpan(0, size), out var metadata, out _)
                ? metadata
                : throw new InvalidDataException("the peer's metadata exchange payload is not a Struct");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }
}
