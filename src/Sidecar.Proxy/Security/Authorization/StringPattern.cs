namespace Sidecar.Proxy.Security.Authorization;

/// <summary>Istio's string match forms in AuthorizationPolicy values: exact, <c>prefix*</c>, <c>*suffix</c>, <c>*</c> (any non-empty).</summary>
internal readonly struct StringPattern
{
    private readonly string _value;
    private readonly Kind _kind;
    private readonly StringComparison _comparison;

    private StringPattern(string value, Kind kind, StringComparison comparison)
    {
        _value = value;
        _kind = kind;
        _comparison = comparison;
    }

    private enum Kind
    {
        Exact,
        Prefix,
        Suffix,
        Any,
    }

    public static StringPattern Parse(string value, bool ignoreCase = false)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (value == "*")
        {
            return new StringPattern("", Kind.Any, comparison);
        }

        if (value.EndsWith('*'))
        {
            return new StringPattern(value[..^1], Kind.Prefix, comparison);
        }

        return value.StartsWith('*') ? new StringPattern(value[1..], Kind.Suffix, comparison) : new StringPattern(value, Kind.Exact, comparison);
    }

    /// <summary>An absent attribute (empty span) matches nothing, not even <c>*</c> (Istio: <c>*</c> means "present").</summary>
    public bool Matches(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        return _kind switch
        {
            Kind.Any => true,
            Kind.Prefix => text.StartsWith(_value, _comparison),
            Kind.Suffix => text.EndsWith(_value, _comparison),
            _ => text.Equals(_value, _comparison),
        };
    }
}
