using Microsoft.AspNetCore.Http;
using Prometheus;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// Where metrics are scraped: <c>/stats/prometheus</c> on Envoy's Prometheus port (15090) and on the admin port
/// (15000, with Envoy's text <c>/stats</c>), and the agent's merged <c>/stats/prometheus</c> on the status port
/// (15020): the sidecar's metrics followed by the application's.
/// </summary>
internal sealed class MetricsEndpoints
{
    private const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly CollectorRegistry _registry;
    private readonly IstioMetrics _istio;
    private readonly DataPlane _dataPlane;
    private readonly TelemetrySettings _settings;
    private readonly ApplicationMetricsScraper? _application;
    private readonly ServerMetrics? _server;

    public MetricsEndpoints(CollectorRegistry registry, IstioMetrics istio, DataPlane dataPlane, TelemetrySettings settings, ApplicationMetricsScraper? application, ServerMetrics? server = null)
    {
        _server = server;
        _registry = registry;
        _istio = istio;
        _dataPlane = dataPlane;
        _settings = settings;
        _application = application;
    }

    /// <summary>Adds the endpoints to the admin handler's table (by local port and path).</summary>
    public void Register(Dictionary<(int Port, string Path), RequestDelegate> handlers, ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentNullException.ThrowIfNull(options);
        handlers[(options.StatsPort, "/stats/prometheus")] = PrometheusAsync;
        handlers[(options.AdminPort, "/stats/prometheus")] = PrometheusAsync;
        handlers[(options.AdminPort, "/stats")] = StatsTextAsync;
        handlers[(options.StatusPort, "/stats/prometheus")] = MergedAsync;
        handlers[(options.StatusPort, "/metrics")] = MergedAsync;
    }

    private async Task PrometheusAsync(HttpContext context)
    {
        context.Response.ContentType = PrometheusContentType;
        await WriteSidecarMetricsAsync(context).ConfigureAwait(false);
    }

    private async Task WriteSidecarMetricsAsync(HttpContext context)
    {
        await _registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        await _istio.ExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task MergedAsync(HttpContext context)
    {
        // Scrape the application first, so a slow one cannot hold a half-written response.
        var application = _application is null ? null : await _application.ScrapeAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = PrometheusContentType;
        await WriteSidecarMetricsAsync(context).ConfigureAwait(false);
        if (application is { Length: > 0 })
        {
            await context.Response.Body.WriteAsync(NewLine, context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.WriteAsync(application, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Envoy's admin <c>/stats</c>: <c>?filter=</c> (a regex the names must contain a match of), <c>?usedonly</c>
    /// (stats that moved from zero, and the server's), <c>?format=json</c> or <c>?format=prometheus</c>; pilot-agent itself reads
    /// <c>stats?usedonly&amp;filter=downstream_cx_active$</c>.
    /// </summary>
    private Task StatsTextAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (query["format"] == "prometheus")
        {
            return PrometheusAsync(context);
        }

        var collected = EnvoyStatsText.Collect(_dataPlane, _settings.AccessLogs.Sum(log => log.Dropped));
        _server?.AddTo(collected);
        IEnumerable<KeyValuePair<string, long>> stats = collected;
        if (query["filter"] is { Count: > 0 } filter && filter[0] is { Length: > 0 } pattern)
        {
            System.Text.RegularExpressions.Regex regex;
            try
            {
                regex = new System.Text.RegularExpressions.Regex(Model.Re2Syntax.ToDotNetOrThrow(pattern), System.Text.RegularExpressions.RegexOptions.NonBacktracking | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return context.Response.WriteAsync($"Invalid re2 regex: {ex.Message}\n", context.RequestAborted);
            }

            stats = stats.Where(stat => regex.IsMatch(stat.Key));
        }

        if (query.ContainsKey("usedonly"))
        {
            // The server's gauges are written at start, so Envoy counts them as used even at 0 (server.state 0 is LIVE).
            stats = stats.Where(stat => stat.Value != 0 || stat.Key.StartsWith("server.", StringComparison.Ordinal));
        }

        if (query["format"] == "json")
        {
            var json = EnvoyStatsText.WriteJson(stats);
            context.Response.ContentType = "application/json";
            return context.Response.Body.WriteAsync(json, 0, json.Length, context.RequestAborted);
        }

        context.Response.ContentType = "text/plain; charset=UTF-8";
        return context.Response.WriteAsync(EnvoyStatsText.WriteText(stats), context.RequestAborted);
    }
}
