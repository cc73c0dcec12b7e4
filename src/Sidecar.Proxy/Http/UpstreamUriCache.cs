using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;

namespace Sidecar.Proxy.Http;

/// <summary>
/// The upstream URIs of recent requests, by destination, path and query. Building a <see cref="Uri"/> for every
/// request, and the parsing HttpClient then does on it (the connection pool's key from its host, the request line from
/// its path and query), cost about 4,000 instructions and 392 bytes per request, while most traffic repeats a
/// few paths per destination. A Uri is immutable and safe to share between requests.
/// Direct-mapped and bounded: a slot holds the last entry that hashed to it, and a miss builds the URI as before and
/// replaces the slot's entry, without a lock (a reader sees the old entry or the new one, each whole).
/// </summary>
internal sealed class UpstreamUriCache
{
    // The slot count bounds the cache however many distinct paths the traffic has: about 100 kB for URIs of typical length.
    private const int Slots = 256;

    private readonly Entry?[] _entries = new Entry?[Slots];

    /// <summary>The URI for <paramref name="path"/> (wire form) and <paramref name="query"/> at the destination, as <see cref="UpstreamUri.For"/> builds it.</summary>
    public Uri Get(string destinationPrefix, string path, QueryString query)
    {
        var queryText = query.Value ?? "";
        // An endpoint's prefix is one string for its life, so its identity is hash enough (an equal prefix in another
        // string only lands in another slot); the path and query are new strings on every request.
        var hash = HashCode.Combine(RuntimeHelpers.GetHashCode(destinationPrefix), string.GetHashCode(path.AsSpan()), queryText.Length == 0 ? 0 : string.GetHashCode(queryText.AsSpan()));
        ref var slot = ref _entries[(uint)hash % Slots];
        var entry = Volatile.Read(ref slot);
        if (entry is not null && entry.Path == path && entry.Query == queryText && entry.DestinationPrefix == destinationPrefix)
        {
            return entry.Uri;
        }

        var uri = UpstreamUri.For(destinationPrefix, path, query);
        Volatile.Write(ref slot, new Entry(destinationPrefix, path, queryText, uri));
        return uri;
    }

    private sealed class Entry(string destinationPrefix, string path, string query, Uri uri)
    {
        public readonly string DestinationPrefix = destinationPrefix;
        public readonly string Path = path;
        public readonly string Query = query;
        public readonly Uri Uri = uri;
    }
}
