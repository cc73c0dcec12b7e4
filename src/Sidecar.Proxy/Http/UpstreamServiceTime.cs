namespace Sidecar.Proxy.Http;

/// <summary>
/// Formats <c>x-envoy-upstream-service-time</c> (whole milliseconds) without allocating for the common range.
/// </summary>
internal static class UpstreamServiceTime
{
    private static readonly string[] Cached = Enumerable.Range(0, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static string Format(TimeSpan elapsed)
    {
        var ms = (long)elapsed.TotalMilliseconds;
        return ms is >= 0 and < 1000 ? Cached[ms] : ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
