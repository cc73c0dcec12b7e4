using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Routing;

/// <summary>A compiled Envoy <c>HeaderMatcher</c>.</summary>
internal sealed class HeaderMatcher
{
    private readonly string _name;
    private readonly StringMatcher? _value;
    private readonly bool _presentMatch;
    private readonly bool _invert;

    public HeaderMatcher(HeaderMatcherConfig config)
    {
        _name = config.Name;
        // The config's text is compared as its UTF-8 bytes, which is how a request's value is held.
        _value = config.Match is null ? null : new StringMatcher(config.Match with { Value = HeaderValueEncoding.FromText(config.Match.Value) });
        _presentMatch = config.PresentMatch;
        _invert = config.InvertMatch;
    }

    public bool IsMatch(in RequestView request)
    {
        bool result;
        if (!request.TryGetHeader(_name, out var values))
        {
            // Absent: only a "must be absent" presence check holds.
            result = _value is null && !_presentMatch;
        }
        else if (_value is null)
        {
            result = _presentMatch;
        }
        else
        {
            // A single value is matched without allocating; repeated headers are joined with ',' as Envoy does.
            result = values.Count == 1 ? _value.IsMatch(values[0]) : _value.IsMatch(values.ToString());
        }

        return result != _invert;
    }
}
