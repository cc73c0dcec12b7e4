namespace Sidecar.Istio.Resources.Networking;

/// <summary>Istio's <c>StringMatch</c>: exactly one of exact, prefix or regex (RE2), or none for a presence check.</summary>
public sealed record StringMatch
{
    public string? Exact { get; init; }

    public string? Prefix { get; init; }

    public string? Regex { get; init; }

    /// <summary>True when none of the three is set (<c>{}</c>): Istio matches on presence.</summary>
    public bool IsEmpty => Exact is null && Prefix is null && Regex is null;
}

/// <summary>One <c>http[].match[]</c> entry: every condition must hold.</summary>
public sealed record HttpMatchRequest
{
    public string? Name { get; init; }

    public StringMatch? Uri { get; init; }

    public StringMatch? Scheme { get; init; }

    public StringMatch? Method { get; init; }

    public StringMatch? Authority { get; init; }

    /// <summary>Header conditions in document order.</summary>
    public IReadOnlyList<KeyValuePair<string, StringMatch>> Headers { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, StringMatch>> WithoutHeaders { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, StringMatch>> QueryParams { get; init; } = [];

    public int? Port { get; init; }

    public IReadOnlyDictionary<string, string> SourceLabels { get; init; } = ResourceMetadata.EmptyMap;

    public string? SourceNamespace { get; init; }

    public IReadOnlyList<string> Gateways { get; init; } = [];

    public bool IgnoreUriCase { get; init; }

    public string? StatPrefix { get; init; }
}

/// <summary>Match conditions of a <c>tcp[]</c> rule.</summary>
public sealed record L4MatchAttributes
{
    public IReadOnlyList<string> DestinationSubnets { get; init; } = [];

    public int? Port { get; init; }

    public IReadOnlyDictionary<string, string> SourceLabels { get; init; } = ResourceMetadata.EmptyMap;

    public string? SourceNamespace { get; init; }

    public IReadOnlyList<string> Gateways { get; init; } = [];
}

/// <summary>Match conditions of a <c>tls[]</c> rule.</summary>
public sealed record TlsMatchAttributes
{
    public IReadOnlyList<string> SniHosts { get; init; } = [];

    public IReadOnlyList<string> DestinationSubnets { get; init; } = [];

    public int? Port { get; init; }

    public IReadOnlyDictionary<string, string> SourceLabels { get; init; } = ResourceMetadata.EmptyMap;

    public string? SourceNamespace { get; init; }

    public IReadOnlyList<string> Gateways { get; init; } = [];
}
