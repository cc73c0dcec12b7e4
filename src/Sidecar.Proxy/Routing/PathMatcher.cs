using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>A compiled route path match (prefix, exact, safe_regex, path_separated_prefix).</summary>
internal sealed class PathMatcher
{
    private readonly PathMatchKind _kind;
    private readonly string _value;
    private readonly StringComparison _comparison;
    private readonly FullMatchRegex? _regex;

    public PathMatcher(PathMatchConfig config)
    {
        _kind = config.Kind;
        _value = config.Value;
        _comparison = config.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (_kind == PathMatchKind.Regex)
        {
            _regex = new FullMatchRegex(config.Value, config.IgnoreCase);
        }
    }

    public PathMatchKind Kind => _kind;

    public string Value => _value;

    /// <summary>True for the prefix <c>/</c>, which every path matches.</summary>
    public bool MatchesEverything => _kind == PathMatchKind.Prefix && _value == "/";

    public bool IsMatch(string path) => _kind switch
    {
        PathMatchKind.Prefix => path.StartsWith(_value, _comparison),
        PathMatchKind.Exact => path.Equals(_value, _comparison),
        PathMatchKind.Regex => _regex!.IsMatch(path),
        PathMatchKind.PathSeparatedPrefix => path.StartsWith(_value, _comparison)
            && (path.Length == _value.Length || path[_value.Length] == '/'),
        _ => false,
    };
}
