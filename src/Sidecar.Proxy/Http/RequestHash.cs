using System.IO.Hashing;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Sidecar.Model;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Envoy's route <c>hash_policy</c>: the hash a RING_HASH or MAGLEV cluster places a request by. Each policy
/// hashes its input with xxHash64; several are combined as Envoy does (rotate left by one, xor).
/// </summary>
internal static class RequestHash
{
    /// <summary>The request's hash, or null when no policy found its input (the balancer then picks at random).</summary>
    public static ulong? Compute(HashPolicyConfig[] policies, HttpContext context, RequestState state)
    {
        ulong? hash = null;
        foreach (var policy in policies)
        {
            if (HashOne(policy, context, state) is not { } value)
            {
                continue;
            }

            hash = hash is { } previous ? ((previous << 1) | (previous >> 63)) ^ value : value;
        }

        return hash;
    }

    private static ulong? HashOne(HashPolicyConfig policy, HttpContext context, RequestState state)
    {
        var request = context.Request;
        switch (policy.Kind)
        {
            case HashPolicyKind.Header:
                return RequestIds.TryGetHeader(request, state, policy.Name!, out var header) && header.Count > 0 ? Hash(header.Count == 1 ? header[0]! : header.ToString()) : null;
            case HashPolicyKind.Cookie:
                if (request.Cookies.TryGetValue(policy.Name!, out var cookie))
                {
                    // Envoy's forEachCookie drops a value's surrounding quotes: the cookie it generated comes back
                    // quoted and must hash as it did when it was made.
                    return Hash(cookie is ['"', .., '"'] ? cookie.AsSpan(1, cookie.Length - 2) : cookie);
                }

                return policy.CookieTtl is { } ttl ? GenerateCookie(policy, ttl, context, state) : null;
            case HashPolicyKind.SourceIp:
                return context.Connection.RemoteIpAddress is { } ip ? Hash(ip.ToString()) : null;
            case HashPolicyKind.QueryParameter:
                var query = request.QueryString.Value;
                if (string.IsNullOrEmpty(query))
                {
                    return null;
                }

                foreach (var pair in new QueryStringEnumerable(query))
                {
                    if (pair.DecodeName().Span.Equals(policy.Name, StringComparison.Ordinal))
                    {
                        return Hash(pair.DecodeValue().Span);
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Envoy: with a TTL and no cookie, generate one, hash by it, and send it back so the client sticks to the
    /// endpoint it was placed on.
    /// </summary>
    private static ulong GenerateCookie(HashPolicyConfig policy, TimeSpan ttl, HttpContext context, RequestState state)
    {
        var seed = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}:{state.StartTimestamp}";
        var value = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(seed)).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        // A zero TTL makes a session cookie (Istio's httpCookie.ttl): no Max-Age, which a browser would read as "expired".
        var header = ttl > TimeSpan.Zero ? $"{policy.Name}=\"{value}\"; Max-Age={(long)ttl.TotalSeconds}" : $"{policy.Name}=\"{value}\"";
        state.SetCookie = string.IsNullOrEmpty(policy.CookiePath) ? $"{header}; HttpOnly" : $"{header}; Path={policy.CookiePath}; HttpOnly";
        return Hash(value);
    }

    /// <summary>xxHash64 of a string's UTF-8 bytes (Envoy's hash of a hash-policy input).</summary>
    public static ulong HashString(ReadOnlySpan<char> value) => Hash(value);

    private static ulong Hash(ReadOnlySpan<char> value)
    {
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(value.Length) <= buffer.Length ? buffer : new byte[Encoding.UTF8.GetMaxByteCount(value.Length)];
        var length = Encoding.UTF8.GetBytes(value, bytes);
        return XxHash64.HashToUInt64(bytes[..length]);
    }
}
