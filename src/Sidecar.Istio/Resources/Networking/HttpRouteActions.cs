namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>HTTPRedirect</c>.</summary>
public sealed record HttpRedirect
{
    public string? Uri { get; init; }

    public string? Authority { get; init; }

    public int? Port { get; init; }

    /// <summary><c>derivePort</c>: <c>FROM_PROTOCOL_DEFAULT</c> or <c>FROM_REQUEST_PORT</c>.</summary>
    public string? DerivePort { get; init; }

    public string? Scheme { get; init; }

    /// <summary>0 when unset (Istio then uses 301).</summary>
    public int RedirectCode { get; init; }
}

/// <summary>Istio's <c>HTTPDirectResponse</c>; <c>body.bytes</c> is decoded from base64.</summary>
public sealed record HttpDirectResponse
{
    public int Status { get; init; }

    public string? BodyString { get; init; }

    public byte[]? BodyBytes { get; init; }
}

/// <summary>Istio's <c>HTTPRewrite</c>.</summary>
public sealed record HttpRewrite
{
    public string? Uri { get; init; }

    public string? Authority { get; init; }

    public RegexRewrite? UriRegexRewrite { get; init; }
}

/// <summary>Istio's <c>RegexRewrite</c> (RE2 pattern and substitution).</summary>
public sealed record RegexRewrite(string Match, string Rewrite);

/// <summary>Istio's <c>HTTPRetry</c>.</summary>
public sealed record HttpRetry
{
    public int Attempts { get; init; }

    public IstioDuration? PerTryTimeout { get; init; }

    public string? RetryOn { get; init; }

    public bool? RetryRemoteLocalities { get; init; }

    public bool? RetryIgnorePreviousHosts { get; init; }

    public IstioDuration? Backoff { get; init; }
}

/// <summary>Istio's <c>HTTPFaultInjection</c>.</summary>
public sealed record HttpFaultInjection
{
    public FaultDelay? Delay { get; init; }

    public FaultAbort? Abort { get; init; }
}

/// <summary><c>fault.delay</c>: a fixed delay for a share of requests.</summary>
public sealed record FaultDelay
{
    public IstioDuration? FixedDelay { get; init; }

    public IstioDuration? ExponentialDelay { get; init; }

    /// <summary><c>percentage.value</c> (0-100).</summary>
    public double? Percentage { get; init; }

    /// <summary>The deprecated integer <c>percent</c>.</summary>
    public int? Percent { get; init; }
}

/// <summary><c>fault.abort</c>: an HTTP or gRPC error for a share of requests.</summary>
public sealed record FaultAbort
{
    public int? HttpStatus { get; init; }

    public string? GrpcStatus { get; init; }

    public string? Http2Error { get; init; }

    /// <summary><c>percentage.value</c> (0-100); absent means no request is aborted.</summary>
    public double? Percentage { get; init; }
}

/// <summary>One <c>mirrors[]</c> entry.</summary>
public sealed record HttpMirrorPolicy
{
    public Destination? Destination { get; init; }

    public double? Percentage { get; init; }
}

/// <summary>Istio's <c>CorsPolicy</c>; <c>allowOrigins</c> holds the deprecated <c>allowOrigin</c> strings as exact matches when only they are given.</summary>
public sealed record CorsPolicy
{
    public IReadOnlyList<StringMatch> AllowOrigins { get; init; } = [];

    public IReadOnlyList<string> AllowMethods { get; init; } = [];

    public IReadOnlyList<string> AllowHeaders { get; init; } = [];

    public IReadOnlyList<string> ExposeHeaders { get; init; } = [];

    public IstioDuration? MaxAge { get; init; }

    public bool? AllowCredentials { get; init; }

    public string? UnmatchedPreflights { get; init; }
}

/// <summary>Istio's <c>Headers</c>: operations on the request and on the response.</summary>
public sealed record Headers
{
    public HeaderOperations? Request { get; init; }

    public HeaderOperations? Response { get; init; }
}

/// <summary>Header <c>set</c> (overwrite), <c>add</c> (append) and <c>remove</c>.</summary>
public sealed record HeaderOperations
{
    public IReadOnlyList<KeyValuePair<string, string>> Set { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Add { get; init; } = [];

    public IReadOnlyList<string> Remove { get; init; } = [];
}
