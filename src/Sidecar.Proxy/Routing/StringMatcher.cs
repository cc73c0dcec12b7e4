using System.Text.RegularExpressions;
using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>A compiled <see cref="StringMatcherConfig"/>: regexes are built once per snapshot, matching allocates nothing.</summary>
internal sealed class StringMatcher
{
    private readonly StringMatchKind _kind;
    private readonly string _value;
    private readonly StringComparison _comparison;
    private readonly Regex? _regex;

    public StringMatcher(StringMatcherConfig config)
    {
        _kind = config.Kind;
        _value = config.Value;
        _comparison = config.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (_kind == StringMatchKind.Regex)
        {
            _regex = CompileFullMatch(config.Value, config.IgnoreCase);
        }
    }

    /// <summary>Envoy's safe_regex matches the whole string, with RE2's guarantees.</summary>
    public static Regex CompileFullMatch(string pattern, bool ignoreCase = false) =>
        new($"^(?:{pattern})$", ProxyConfigValidator.Re2Options | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));

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
