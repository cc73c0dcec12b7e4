using System.Text;

namespace Sidecar.Proxy.Http;

/// <summary>
/// How header values are held: Latin-1, one char per byte, on both sides of the proxy, so a value reaches the next hop
/// byte for byte as Envoy forwards it. RFC 9110's obs-text (0x80-0xFF) is allowed in field values, and Envoy's header
/// validation allows it (<c>ObsTextOption::kAllow</c>). Text from the config (a header match, a value to set, a JWT
/// claim) is UTF-8 in Envoy's protos, so it is compared and written as its UTF-8 bytes; a value logged is read back
/// from its bytes as UTF-8.
/// </summary>
internal static class HeaderValueEncoding
{
    /// <summary>For <c>SocketsHttpHandler</c>'s request headers: written byte per char.</summary>
    public static Encoding UpstreamRequest(string name, HttpRequestMessage request) => HeaderLatin1Encoding.Instance;

    /// <summary>
    /// For <c>SocketsHttpHandler</c>'s response headers: read byte per char (its default is Latin-1 too, but it reads
    /// a <c>Location</c> as UTF-8 where it can, which would then not be written back as it came).
    /// </summary>
    public static Encoding UpstreamResponse(string name, HttpRequestMessage request) => System.Text.Encoding.Latin1;

    /// <summary>For Kestrel's request headers: read byte per char (Kestrel has its own fast path for <c>Encoding.Latin1</c>).</summary>
    public static Encoding DownstreamRequest(string name) => System.Text.Encoding.Latin1;

    /// <summary>For Kestrel's response headers: written byte per char.</summary>
    public static Encoding DownstreamResponse(string name) => HeaderLatin1Encoding.Instance;

    /// <summary>The header value whose bytes are <paramref name="text"/>'s UTF-8 (ASCII text is its own value).</summary>
    public static string FromText(string text) =>
        Ascii.IsValid(text) ? text : System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A header value's bytes read as UTF-8, for logs (an ASCII value is its own text).</summary>
    public static string? ToText(string? value) =>
        value is null || Ascii.IsValid(value) ? value : System.Text.Encoding.UTF8.GetString(System.Text.Encoding.Latin1.GetBytes(value));
}
