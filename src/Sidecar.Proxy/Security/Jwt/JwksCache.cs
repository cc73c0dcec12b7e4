using System.Collections.Concurrent;
using Microsoft.IdentityModel.Tokens;

namespace Sidecar.Proxy.Security.Jwt;

/// <summary>
/// Signing keys fetched from RequestAuthentication <c>jwksUri</c>s (istiod fetches them for Envoy; a standalone
/// sidecar does it itself): one fetch per URI shared by every request and config push, kept for
/// <see cref="CacheDuration"/> (Envoy's <c>remote_jwks</c> default), refetched by the first request after that. A
/// failed fetch is remembered briefly so a down key server is not hammered; its requests fail verification.
/// </summary>
internal sealed class JwksCache : IDisposable
{
    public static readonly TimeSpan CacheDuration = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FailureRetry = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    public JwksCache(TimeProvider time, HttpMessageHandler? handler = null)
    {
        _time = time;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { UseProxy = false });
    }

    /// <summary>The keys at <paramref name="uri"/>, or null when they could not be fetched.</summary>
    public Task<IList<SecurityKey>?> GetKeysAsync(string uri, TimeSpan timeout)
    {
        var now = _time.GetTimestamp();
        var entry = _entries.GetOrAdd(uri, static _ => new Entry());
        lock (entry)
        {
            if (entry.Fetch is null || (entry.Fetch.IsCompleted && _time.GetElapsedTime(entry.FetchedAt, now) > (entry.Fetch.Result is null ? FailureRetry : CacheDuration)))
            {
                entry.FetchedAt = now;
                entry.Fetch = FetchAsync(uri, timeout);
            }

            return entry.Fetch;
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<IList<SecurityKey>?> FetchAsync(string uri, TimeSpan timeout)
    {
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            var json = await _http.GetStringAsync(uri, cancel.Token).ConfigureAwait(false);
            return JwksKeys.Read(json);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private sealed class Entry
    {
        public long FetchedAt { get; set; }

        public Task<IList<SecurityKey>?>? Fetch { get; set; }
    }
}
