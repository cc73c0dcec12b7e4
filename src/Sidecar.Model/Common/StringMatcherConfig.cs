namespace Sidecar.Model;

/// <summary>How a <see cref="StringMatcherConfig"/> compares (Envoy's <c>type.matcher.v3.StringMatcher</c>).</summary>
public enum StringMatchKind
{
    Exact,
    Prefix,
    Suffix,
    Contains,

    /// <summary>A full-string match of an RE2 regular expression (Envoy's <c>safe_regex</c>).</summary>
    Regex,
}

/// <summary>A string comparison, as in Envoy's <c>StringMatcher</c>; Istio's <c>StringMatch</c> maps onto it.</summary>
public sealed record StringMatcherConfig(StringMatchKind Kind, string Value, bool IgnoreCase = false)
{
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Value}{(IgnoreCase ? " (ignore case)" : "")}";
}
