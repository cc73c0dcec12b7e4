using System.Buffers.Text;
using System.Text;

namespace Sidecar.LoadHarness.Transport;

/// <summary>The parts of a response head that frame the body and the connection.</summary>
internal readonly record struct Http11ResponseHead(int Status, long ContentLength, bool Chunked, bool Close)
{
    /// <summary>Parses a status line and header fields (without the final empty line).</summary>
    public static Http11ResponseHead Parse(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];
        // "HTTP/1.1 200 OK": version, space, three digits.
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != ' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var consumed) || consumed != 3)
        {
            throw Http11ResponseReader.Malformed("bad status line");
        }

        // HTTP/1.0 closes after the response unless it says keep-alive.
        var http10 = statusLine[7] == '0';
        var close = http10;
        long contentLength = -1;
        var chunked = false;
        var rest = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlySpan<byte>.Empty : rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw Http11ResponseReader.Malformed("bad header line");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ').Trim((byte)'\t');
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out var used) || used != value.Length || contentLength < 0)
                {
                    throw Http11ResponseReader.Malformed("bad Content-Length");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                // Chunked must be the final coding when present (RFC 9112 §6.3).
                chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (ContainsToken(value, "close"u8))
                {
                    close = true;
                }
                else if (http10 && ContainsToken(value, "keep-alive"u8))
                {
                    close = false;
                }
            }
        }

        return new Http11ResponseHead(status, chunked ? -1 : contentLength, chunked, close);
    }

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        while (!value.IsEmpty)
        {
            var comma = value.IndexOf((byte)',');
            var item = (comma < 0 ? value : value[..comma]).Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(item, token))
            {
                return true;
            }

            value = comma < 0 ? ReadOnlySpan<byte>.Empty : value[(comma + 1)..];
        }

        return false;
    }
}
