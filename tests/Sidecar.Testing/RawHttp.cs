using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sidecar.Testing;

/// <summary>A response read by <see cref="RawHttp"/>: its status code and everything after the status line.</summary>
public sealed record RawHttpResponse(int StatusCode, string HeadersAndBody);

/// <summary>
/// One HTTP/1.1 request written byte for byte on a fresh connection. HttpClient canonicalizes the request URI (dot
/// segments, backslashes, percent-encodings), so a request target meant to reach the proxy as sent is written here.
/// </summary>
public static class RawHttp
{
    /// <param name="extraHead">More header lines, each ending in CRLF.</param>
    /// <param name="body">Sent as is after the blank line (the caller's headers give its framing).</param>
    public static async Task<RawHttpResponse> SendAsync(IPAddress address, int port, string host, string target, string method = "GET", string version = "HTTP/1.1", string extraHead = "", string body = "")
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new TcpClient();
        await client.ConnectAsync(address, port, cancel.Token);
        var stream = client.GetStream();
        var request = $"{method} {target} {version}\r\nHost: {host}\r\nConnection: close\r\n{extraHead}\r\n{body}";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request), cancel.Token);
        using var response = new MemoryStream();
        await stream.CopyToAsync(response, cancel.Token);
        var text = Encoding.Latin1.GetString(response.ToArray());
        var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
        var statusLine = lineEnd < 0 ? text : text[..lineEnd];
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !int.TryParse(parts[1], out var status))
        {
            throw new InvalidOperationException($"not an HTTP response: '{statusLine}'");
        }

        return new RawHttpResponse(status, lineEnd < 0 ? "" : text[(lineEnd + 2)..]);
    }
}
