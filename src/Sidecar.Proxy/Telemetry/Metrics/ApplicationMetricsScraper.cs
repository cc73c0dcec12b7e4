using System.Text.Json;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Fetches the application's own Prometheus metrics for the status port's merged <c>/stats/prometheus</c>, as
/// Istio's agent does from the pod's <c>prometheus.io/scrape|port|path</c> annotations (passed to it as env
/// <c>ISTIO_PROMETHEUS_ANNOTATIONS</c>). A failing application scrape leaves the sidecar's metrics served alone.
/// </summary>
internal sealed class ApplicationMetricsScraper : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout };

    public ApplicationMetricsScraper(Uri endpoint) => Endpoint = endpoint;

    public Uri Endpoint { get; }

    /// <summary>The application's exposition text, or null when it could not be fetched.</summary>
    public async Task<byte[]?> ScrapeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(Endpoint, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Reads <c>ISTIO_PROMETHEUS_ANNOTATIONS</c> (<c>{"scrape":"true","port":"8080","path":"/metrics"}</c>, the pod's
    /// prometheus.io annotations as the injector passes them) as pilot-agent's status server does: the app is scraped
    /// unless <c>scrape</c> says <c>false</c>, on port 80 and at <c>/metrics</c> when they are not given, and never on
    /// the status port itself. Null when the variable is unset or scraping is off.
    /// </summary>
    public static Uri? FromAnnotations(string? json, int statusPort = 15020, string host = "127.0.0.1")
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || (root.TryGetProperty("scrape", out var scrape) && string.Equals(scrape.ToString(), "false", StringComparison.OrdinalIgnoreCase)))
            {
                return null;
            }

            var portText = root.TryGetProperty("port", out var portValue) && portValue.ToString() is { Length: > 0 } given ? given : "80";
            if (!int.TryParse(portText, out var port) || port is < 1 or > 65535 || port == statusPort)
            {
                return null;
            }

            var path = root.TryGetProperty("path", out var pathValue) && pathValue.GetString() is { Length: > 0 } p ? p : "/metrics";
            return new Uri($"http://{host}:{port}{(path.StartsWith('/') ? path : "/" + path)}");
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
