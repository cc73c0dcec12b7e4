using System.Globalization;

namespace Sidecar.Model;

/// <summary>A comparison in an access log filter.</summary>
public enum FilterOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>One <c>attribute OP literal</c> test: an integer literal (<see cref="Number"/>) compares as a number, a string as a string.</summary>
public sealed record FilterComparison(MetricTagExpression Attribute, FilterOperator Operator, string Literal, long? Number = null)
{
    public bool Numeric => Number is not null;
}

/// <summary>
/// A Telemetry <c>accessLogging[].filter.expression</c>: Istio hands Envoy a CEL expression; this sidecar evaluates
/// the form those filters take, an OR of ANDs of comparisons between an attribute (<c>response.code</c>,
/// <c>request.method</c>, <c>request.headers['x']</c>, ... as in <see cref="MetricTagExpression"/>) and a literal,
/// with parentheses. <see cref="Parse"/> returns null for anything else, which the translation warns about.
/// </summary>
public sealed record AccessLogFilterExpression(EquatableArray<EquatableArray<FilterComparison>> AnyOf)
{
    public static AccessLogFilterExpression? Parse(string expression)
    {
        var parser = new Parser(expression);
        var result = parser.Or();
        return result is not null && parser.AtEnd ? new AccessLogFilterExpression(result.Value) : null;
    }

    /// <summary>A small recursive-descent parser; null at the first thing outside the subset.</summary>
    private sealed class Parser(string text)
    {
        private int _position;

        public bool AtEnd
        {
            get
            {
                SkipSpace();
                return _position == text.Length;
            }
        }

        public EquatableArray<EquatableArray<FilterComparison>>? Or()
        {
            var alternatives = new List<EquatableArray<FilterComparison>>();
            do
            {
                if (And() is not { } all)
                {
                    return null;
                }

                alternatives.AddRange(all);
            }
            while (Take("||"));

            return alternatives.ToEquatableArray();
        }

        /// <summary>A conjunction, as a list of alternatives (a parenthesised OR inside an AND distributes over it).</summary>
        private List<EquatableArray<FilterComparison>>? And()
        {
            List<EquatableArray<FilterComparison>> result = [[]];
            do
            {
                List<EquatableArray<FilterComparison>> term;
                if (Take("("))
                {
                    if (Or() is not { } inner || !Take(")"))
                    {
                        return null;
                    }

                    term = [.. inner];
                }
                else if (Comparison() is { } comparison)
                {
                    term = [[comparison]];
                }
                else
                {
                    return null;
                }

                result = [.. result.SelectMany(left => term.Select(right => (EquatableArray<FilterComparison>)[.. left, .. right]))];
            }
            while (Take("&&"));

            return result;
        }

        private FilterComparison? Comparison()
        {
            SkipSpace();
            var start = _position;
            while (_position < text.Length && (char.IsAsciiLetterOrDigit(text[_position]) || text[_position] is '.' or '_' or '[' or ']' or '\'' or '"' or '-'))
            {
                _position++;
            }

            var attribute = MetricTagExpression.Parse(text[start.._position]);
            if (attribute.Source is MetricTagSource.Unsupported or MetricTagSource.Literal)
            {
                return null;
            }

            var op = Take("==") ? FilterOperator.Equal
                : Take("!=") ? FilterOperator.NotEqual
                : Take(">=") ? FilterOperator.GreaterOrEqual
                : Take("<=") ? FilterOperator.LessOrEqual
                : Take(">") ? FilterOperator.Greater
                : Take("<") ? FilterOperator.Less
                : (FilterOperator?)null;
            if (op is null)
            {
                return null;
            }

            SkipSpace();
            if (_position < text.Length && text[_position] is '\'' or '"')
            {
                var quote = text[_position];
                var end = text.IndexOf(quote, _position + 1);
                if (end < 0)
                {
                    return null;
                }

                var literal = text[(_position + 1)..end];
                _position = end + 1;
                return new FilterComparison(attribute, op.Value, literal);
            }

            start = _position;
            while (_position < text.Length && (char.IsAsciiDigit(text[_position]) || (_position == start && text[_position] == '-')))
            {
                _position++;
            }

            return long.TryParse(text.AsSpan(start, _position - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                ? new FilterComparison(attribute, op.Value, text[start.._position], number)
                : null;
        }

        private bool Take(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _position, token, 0, token.Length) != 0)
            {
                return false;
            }

            _position += token.Length;
            return true;
        }

        private void SkipSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }
    }
}
