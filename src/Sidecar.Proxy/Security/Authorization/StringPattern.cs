using System.Text;
using System.Text.RegularExpressions;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// Istio's string match forms in AuthorizationPolicy values: exact, <c>prefix*</c>, <c>*suffix</c>, <c>*</c> (any
/// non-empty), and for paths the templates of Istio 1.22+ (Envoy's <c>uri_template</c>): <c>{*}</c> is one path
/// segment, <c>{**}</c> anything to the end of the path.
/// </summary>
internal readonly struct StringPattern
{
    /// <summary>Envoy's uri_template literal characters: RFC 3986 pchar without '/' (and without '*').</summary>
    private const string SegmentCharacters = "a-zA-Z0-9\\-._~%!$&'()+,;:@=";

    private readonly string _value;
    private readonly Kind _kind;
    private readonly StringComparison _comparison;
    private readonly Regex? _template;

    private StringPattern(string value, Kind kind, StringComparison comparison, Regex? template = null)
    {
        _value = value;
        _kind = kind;
        _comparison = comparison;
        _template = template;
    }

    private enum Kind
    {
        Exact,
        Prefix,
        Suffix,
        Any,
        Template,
    }

    /// <param name="value">The policy's value.</param>
    /// <param name="ignoreCase">Compare ignoring case (hosts).</param>
    /// <param name="pathTemplate">Read <c>{*}</c> and <c>{**}</c> as path template operators (paths only).</param>
    public static StringPattern Parse(string value, bool ignoreCase = false, bool pathTemplate = false)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (pathTemplate && (value.Contains("{*}", StringComparison.Ordinal) || value.Contains("{**}", StringComparison.Ordinal)))
        {
            return new StringPattern(value, Kind.Template, comparison, TemplateRegex(value));
        }

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
            Kind.Template => _template!.IsMatch(text),
            _ => text.Equals(_value, _comparison),
        };
    }

    /// <summary>Envoy's uri_template to regex: <c>{*}</c> one or more segment characters, <c>{**}</c> zero or more path characters.</summary>
    private static Regex TemplateRegex(string template)
    {
        var pattern = new StringBuilder("^");
        var rest = template.AsSpan();
        while (!rest.IsEmpty)
        {
            var open = rest.IndexOf('{');
            var close = open < 0 ? -1 : rest[open..].IndexOf('}');
            if (open < 0 || close < 0)
            {
                pattern.Append(Regex.Escape(rest.ToString()));
                break;
            }

            pattern.Append(Regex.Escape(rest[..open].ToString()));
            var op = rest.Slice(open, close + 1);
            pattern.Append(op switch
            {
                "{*}" => $"[{SegmentCharacters}]+",
                "{**}" => $"[{SegmentCharacters}/]*",
                _ => Regex.Escape(op.ToString()),
            });
            rest = rest[(open + close + 1)..];
        }

        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);
    }
}
