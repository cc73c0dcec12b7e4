namespace Sidecar.Model;

/// <summary>How a route matches the path (Envoy's <c>prefix</c>, <c>path</c>, <c>safe_regex</c>, <c>path_separated_prefix</c>).</summary>
public enum PathMatchKind
{
    Prefix,
    Exact,
    Regex,
    PathSeparatedPrefix,
}

/// <summary>The path part of a route match.</summary>
public sealed record PathMatchConfig(PathMatchKind Kind, string Value, bool IgnoreCase = false)
{
    /// <summary>Prefix <c>/</c>: matches every path.</summary>
    public static readonly PathMatchConfig Any = new(PathMatchKind.Prefix, "/");
}

/// <summary>
/// A header condition (Envoy's <c>HeaderMatcher</c>). Pseudo-headers <c>:method</c>, <c>:authority</c>,
/// <c>:scheme</c> and <c>:path</c> match the request line, as Envoy does.
/// </summary>
public sealed record HeaderMatcherConfig
{
    public required string Name { get; init; }

    /// <summary>The value condition; null means a presence check (see <see cref="PresentMatch"/>).</summary>
    public StringMatcherConfig? Match { get; init; }

    /// <summary>With no <see cref="Match"/>: true requires the header to be present, false requires it absent.</summary>
    public bool PresentMatch { get; init; } = true;

    /// <summary>Inverts the result (Istio's <c>withoutHeaders</c>).</summary>
    public bool InvertMatch { get; init; }
}

/// <summary>A query parameter condition (Envoy's <c>QueryParameterMatcher</c>).</summary>
public sealed record QueryParameterMatcherConfig
{
    public required string Name { get; init; }

    /// <summary>The value condition; null means the parameter must be present.</summary>
    public StringMatcherConfig? Match { get; init; }
}

/// <summary>An Envoy <c>RouteMatch</c>: every condition must hold.</summary>
public sealed record RouteMatchConfig
{
    public static readonly RouteMatchConfig Any = new();

    public PathMatchConfig Path { get; init; } = PathMatchConfig.Any;

    public EquatableArray<HeaderMatcherConfig> Headers { get; init; }

    public EquatableArray<QueryParameterMatcherConfig> QueryParameters { get; init; }
}
