using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Envoy's request id: <c>x-request-id</c> is kept when present, else a new UUID (v4) is set. Uniqueness, not
/// secrecy, is the point (Envoy uses a fast random source too), so the bits come from the thread-safe xoshiro
/// generator rather than a cryptographic read per request.
/// </summary>
internal static class RequestIds
{
    public static void Ensure(HttpRequest request)
    {
        var headers = request.Headers;
        if (!headers.ContainsKey(ProxyHeaders.RequestId))
        {
            headers[ProxyHeaders.RequestId] = NewId();
        }
    }

    /// <summary>A random RFC 4122 version-4 UUID in its canonical lower-case form.</summary>
    public static string NewId()
    {
        Span<ulong> words = stackalloc ulong[2];
        words[0] = (ulong)Random.Shared.NextInt64();
        words[1] = (ulong)Random.Shared.NextInt64();
        var bytes = MemoryMarshal.AsBytes(words);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
