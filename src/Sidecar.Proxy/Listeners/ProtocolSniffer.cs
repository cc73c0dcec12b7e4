using System.Buffers;

namespace Sidecar.Proxy.Listeners;

/// <summary>What the first bytes of a connection say it carries.</summary>
internal enum SniffedProtocol
{
    /// <summary>Not enough bytes yet.</summary>
    NeedMore,
    Http1,

    /// <summary>HTTP/2 with prior knowledge (h2c): the connection preface.</summary>
    Http2,
    Tls,

    /// <summary>Anything else: carried as opaque TCP.</summary>
    Opaque,
}

/// <summary>
/// Envoy's http_inspector and tls_inspector, on a connection's first bytes (read without consuming them): the
/// HTTP/2 preface, an HTTP/1.x request line, or a TLS handshake record.
/// </summary>
internal static class ProtocolSniffer
{
    /// <summary>Envoy's http_inspector gives up on request lines longer than this.</summary>
    public const int MaxRequestLineLength = 8192;

    private static ReadOnlySpan<byte> Http2Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static SniffedProtocol Sniff(in ReadOnlySequence<byte> data)
    {
        if (data.IsEmpty)
        {
            return SniffedProtocol.NeedMore;
        }

        Span<byte> head = stackalloc byte[24];
        var available = (int)Math.Min(data.Length, head.Length);
        data.Slice(0, available).CopyTo(head);
        head = head[..available];

        if (head[0] == 0x16)
        {
            // A TLS handshake record: content type 22, then major version 3.
            return available < 2 ? SniffedProtocol.NeedMore : head[1] == 0x03 ? SniffedProtocol.Tls : SniffedProtocol.Opaque;
        }

        if (Http2Preface.StartsWith(head))
        {
            return available < Http2Preface.Length ? SniffedProtocol.NeedMore : SniffedProtocol.Http2;
        }

        return SniffHttp1(data);
    }

    /// <summary>An HTTP/1.x request line: <c>token SP target SP HTTP/1.x CRLF</c>.</summary>
    private static SniffedProtocol SniffHttp1(in ReadOnlySequence<byte> data)
    {
        var reader = new SequenceReader<byte>(data);
        var methodLength = 0;
        while (reader.TryRead(out var b))
        {
            if (b == (byte)' ')
            {
                break;
            }

            if (!IsMethodChar(b) || ++methodLength > 32)
            {
                return SniffedProtocol.Opaque;
            }
        }

        if (reader.End)
        {
            return methodLength == 0 ? SniffedProtocol.Opaque : SniffedProtocol.NeedMore;
        }

        if (methodLength == 0)
        {
            return SniffedProtocol.Opaque;
        }

        if (!reader.TryReadTo(out ReadOnlySequence<byte> rest, (byte)'\n', advancePastDelimiter: false))
        {
            return data.Length > MaxRequestLineLength ? SniffedProtocol.Opaque : SniffedProtocol.NeedMore;
        }

        var line = rest.Length <= 256 ? rest : rest.Slice(rest.Length - 256);
        Span<byte> tail = stackalloc byte[(int)line.Length];
        line.CopyTo(tail);
        if (tail.Length > 0 && tail[^1] == (byte)'\r')
        {
            tail = tail[..^1];
        }

        return tail.EndsWith(" HTTP/1.1"u8) || tail.EndsWith(" HTTP/1.0"u8) ? SniffedProtocol.Http1 : SniffedProtocol.Opaque;
    }

    /// <summary>
    /// Envoy's http_inspector parses with llhttp, which knows methods as upper-case names (<c>GET</c>, <c>M-SEARCH</c>,
    /// ...): a first byte outside them (a lower-case <c>ping</c>) is opaque at once instead of waiting for a request line.
    /// </summary>
    private static bool IsMethodChar(byte b) => b is >= (byte)'A' and <= (byte)'Z' or (byte)'-' or (byte)'_';
}
