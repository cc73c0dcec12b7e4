using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Envoy's request id: <c>x-request-id</c> is kept when present, else a new UUID (v4) is made. Uniqueness, not
/// secrecy, is the point (Envoy uses a fast random source too), so the bits come from the thread-safe xoshiro
/// generator rather than a cryptographic read per request.
/// </summary>
/// <remarks>
/// A made id is kept on the <see cref="RequestState"/> and added to what goes upstream, not written into Kestrel's
/// request headers: a header Kestrel does not know costs it a dictionary per request, and every later header
/// lookup and YARP's copy pay for it (about 4,000 instructions of the client sidecar's request). Whatever reads a
/// request header by name asks <see cref="TryGetHeader"/>, which sees the made id as Envoy's filters see it.
/// </remarks>
internal static class RequestIds
{
    /// <summary>Gives the request its id: the caller's (<see cref="ArrivalHeaders.RequestId"/>), or a new one.</summary>
    public static void Assign(RequestState state)
    {
        if (state.Arrival.RequestId is { Count: > 0 } sent)
        {
            state.SetRequestId(sent.ToString(), generated: false);
        }
        else if (!state.ProxyHeaders.RequestIdDisabled)
        {
            state.SetRequestId(NewId(), generated: true);
        }
    }

    /// <summary>A request header by name, the id this proxy made for the request included.</summary>
    public static bool TryGetHeader(HttpRequest request, RequestState? state, string name, out StringValues value)
    {
        if ((state is null || state.Arrival.MayContain(name)) && request.Headers.TryGetValue(name, out value))
        {
            return true;
        }

        if (state is { RequestIdGenerated: true } && name.Equals(ProxyHeaders.RequestId, StringComparison.OrdinalIgnoreCase))
        {
            value = state.RequestId;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Adds the made id to a request built for upstream (the caller's own is copied with its headers).</summary>
    public static void AddTo(HttpRequestMessage upstreamRequest, RequestState state)
    {
        if (state.RequestIdGenerated)
        {
            upstreamRequest.Headers.TryAddWithoutValidation(ProxyHeaders.RequestId, state.RequestId);
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
