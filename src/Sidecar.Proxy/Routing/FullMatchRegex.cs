using System.Text.RegularExpressions;
using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// Envoy's <c>safe_regex</c> match: the pattern must match the whole input, with RE2's guarantees (a non-backtracking
/// engine). Most route regexes start with a literal (<c>^/api/v[0-9]+/.*</c>, <c>/admin/.*</c>); every match then
/// starts with it, so an input that does not is rejected by one ordinal comparison before the engine runs. On a route
/// table that is most inputs: a regex route is usually tried, and missed, by every request that reaches a later route.
/// </summary>
internal sealed class FullMatchRegex
{
    private readonly Regex _regex;
    private readonly string _requiredPrefix;

    public FullMatchRegex(string pattern, bool ignoreCase = false)
    {
        var translated = Re2Syntax.ToDotNetOrThrow(pattern, ignoreCase);
        _regex = new Regex($"^(?:{translated})$", ProxyConfigValidator.Re2Options | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));
        // Case-insensitive regex matching folds more than ordinal ignore-case does (the Kelvin sign matches 'k'), so
        // the shortcut is only taken where the comparison is exact.
        _requiredPrefix = ignoreCase ? "" : LiteralPrefix(translated);
    }

    /// <summary>The literal every full match of <paramref name="pattern"/> starts with ("" when there is none to rely on).</summary>
    public string RequiredPrefix => _requiredPrefix;

    public bool IsMatch(ReadOnlySpan<char> input) =>
        input.StartsWith(_requiredPrefix, StringComparison.Ordinal) && _regex.IsMatch(input);

    /// <summary>
    /// The pattern's leading literal characters, read conservatively: a top-level alternation gives none; reading
    /// stops at the first metacharacter or class escape; a quantifier after the literal takes back its last character
    /// (it may repeat zero times). Escaped punctuation (<c>\.</c>, <c>\/</c>) is literal.
    /// </summary>
    internal static string LiteralPrefix(string pattern)
    {
        if (HasTopLevelAlternation(pattern))
        {
            return "";
        }

        var i = pattern.StartsWith('^') ? 1 : 0;
        var literal = new System.Text.StringBuilder();
        var lastLength = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i + 1 >= pattern.Length || char.IsAsciiLetterOrDigit(pattern[i + 1]) || !char.IsAscii(pattern[i + 1]))
                {
                    break;
                }

                lastLength = literal.Length;
                literal.Append(pattern[i + 1]);
                i += 2;
                continue;
            }

            if (IsMetacharacter(c))
            {
                break;
            }

            lastLength = literal.Length;
            literal.Append(c);
            i++;
        }

        if (i < pattern.Length && pattern[i] is '*' or '+' or '?' or '{')
        {
            literal.Length = lastLength;
        }

        return literal.ToString();
    }

    private static bool IsMetacharacter(char c) => c is '.' or '[' or ']' or '(' or ')' or '{' or '}' or '*' or '+' or '?' or '|' or '^' or '$' or '#' || char.IsWhiteSpace(c);

    /// <summary>Whether a <c>|</c> outside any group or character class splits the whole pattern (when unsure: true).</summary>
    private static bool HasTopLevelAlternation(string pattern)
    {
        var depth = 0;
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '[' when !inClass:
                    inClass = true;
                    // A ']' first in a class (after an optional '^') is a literal, not its end.
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                    {
                        i++;
                    }

                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        i++;
                    }

                    break;
                case ']' when inClass:
                    inClass = false;
                    break;
                case '(' when !inClass:
                    depth++;
                    break;
                case ')' when !inClass:
                    depth--;
                    break;
                case '|' when !inClass && depth == 0:
                    return true;
            }
        }

        return false;
    }
}
