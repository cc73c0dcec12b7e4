using Microsoft.AspNetCore.WebUtilities;
using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>A compiled Envoy <c>QueryParameterMatcher</c>; scans the raw query string without building a dictionary.</summary>
internal sealed class QueryParameterMatcher
{
    private readonly string _name;
    private readonly StringMatcher? _value;

    public QueryParameterMatcher(QueryParameterMatcherConfig config)
    {
        _name = config.Name;
        _value = config.Match is null ? null : new StringMatcher(config.Match);
    }

    public bool IsMatch(in RequestView request)
    {
        var query = request.Request.QueryString.Value;
        if (string.IsNullOrEmpty(query))
        {
            return false;
        }

        foreach (var pair in new QueryStringEnumerable(query))
        {
            if (!pair.DecodeName().Span.Equals(_name, StringComparison.Ordinal))
            {
                continue;
            }

            return _value is null || _value.IsMatch(pair.DecodeValue().Span);
        }

        return false;
    }
}
