namespace Sidecar.LoadHarness.Scenarios;

/// <summary>
/// One load test: what to request, how fast, over how many connections, and for how long.
/// </summary>
/// <remarks>
/// A <see cref="Rate"/> above zero runs open loop: request i is due at start + i / rate whatever happened to earlier
/// requests, and its latency counts from that intended time, so a stalled server shows as latency instead of as fewer
/// requests (no coordinated omission). A rate of zero runs closed loop: every connection (or stream) sends its next
/// request as soon as the previous answer arrives, measuring maximum throughput as wrk does.
/// </remarks>
public sealed record LoadScenario
{
    /// <summary>The target URL (http:// only).</summary>
    public required Uri Url { get; init; }

    /// <summary>Requests per second; 0 runs closed loop at maximum throughput.</summary>
    public double Rate { get; init; }

    /// <summary>How long latencies are recorded, after <see cref="Warmup"/>.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Load applied before recording starts: connections open, JIT and caches warm on both sides.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The number of connections, all opened to <see cref="Url"/> and kept for the run.</summary>
    public int Connections { get; init; } = 16;

    /// <summary>HTTP/1.1 or HTTP/2 (h2c prior knowledge).</summary>
    public HttpProtocol Protocol { get; init; } = HttpProtocol.Http11;

    /// <summary>
    /// HTTP/2 only: the most requests in flight on one connection. Open loop, requests beyond it wait at the client
    /// (and that wait counts as latency); closed loop, it is the number of concurrent streams per connection.
    /// </summary>
    public int StreamsPerConnection { get; init; } = 1;

    /// <summary>The request method.</summary>
    public HttpMethod Method { get; init; } = HttpMethod.Get;

    /// <summary>
    /// Payload size in bytes. A method with a body (POST, PUT, PATCH) sends this many bytes; any other method asks
    /// the echo backend for a response body of this size by adding <c>size=N</c> to the query.
    /// </summary>
    public int PayloadBytes { get; init; }

    /// <summary>Extra request headers; <c>Host</c> replaces the authority sent (how a standalone sidecar routes).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>A request with no complete response after this long counts as a timeout error.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether this is a fixed-rate (open loop) run.</summary>
    public bool IsOpenLoop => Rate > 0;

    /// <summary>Whether requests carry the payload as a body (otherwise it is asked for with <c>size=N</c>).</summary>
    public bool SendsBody =>
        Method == HttpMethod.Post || Method == HttpMethod.Put || Method == HttpMethod.Patch;

    /// <summary>The requests in flight at most: one per HTTP/1.1 connection, or streams per HTTP/2 connection.</summary>
    public int MaxInFlight => Connections * (Protocol == HttpProtocol.Http2 ? StreamsPerConnection : 1);

    /// <summary>Throws when the scenario cannot run, naming the offending setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Url);
        if (Url.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"url '{Url}' must be http:// (loadgen speaks cleartext HTTP/1.1 and h2c)", nameof(Url));
        }

        if (double.IsNaN(Rate) || double.IsInfinity(Rate) || Rate < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Rate), Rate, "rate must be 0 (closed loop) or a positive number of requests per second");
        }

        if (Duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Duration), Duration, "duration must be positive");
        }

        if (Warmup < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Warmup), Warmup, "warmup must not be negative");
        }

        if (Connections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Connections), Connections, "at least one connection");
        }

        if (StreamsPerConnection < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(StreamsPerConnection), StreamsPerConnection, "at least one stream per connection");
        }

        if (PayloadBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PayloadBytes), PayloadBytes, "payload must not be negative");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "timeout must be positive");
        }
    }
}
