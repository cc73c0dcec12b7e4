using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>A compiled <see cref="StringMatcherConfig"/>: regexes are built once per snapshot, matching allocates nothing.</summary>
internal sealed class StringMatcher
{
    private readonly StringMatchKind _kind;
    private readonly string _value;
    private readonly StringComparison _comparison;
    private readonly FullMatchRegex? _regex;

    public StringMatcher(StringMatcherConfig config)
    {
        _kind = config.Kind;
        _value = config.Value;
        _comparison = config.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (_kind == StringMatchKind.Regex)
        {
            _regex = new FullMatchRegex(config.Value, config.IgnoreCase);
        }
    }

    public bool IsMatch(ReadOnlySpan<char> input) => _kind switch
    {
        StringMatchKind.Exact => input.Equals(_value, _comparison),
        StringMatchKind.Prefix => input.StartsWith(_value, _comparison),
        StringMatchKind.Suffix => input.EndsWith(_value, _comparison),
        StringMatchKind.Contains => input.Contains(_value, _comparison),
        StringMatchKind.Regex => _regex!.IsMatch(input),
        _ => false,
    };
}
