using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.Tracing;

/// <summary>
/// The custom tags every span gets (<see cref="TracingCustomTag"/>), as Envoy's <c>CustomTag</c>s apply them: a
/// literal; an environment variable read once, when the config arrives (its default when unset); a request header's
/// first value (its default when absent). A tag whose value comes out empty is not set.
/// </summary>
internal sealed class SpanCustomTags
{
    public static readonly SpanCustomTags None = new(default, []);

    private readonly Entry[] _entries;

    private SpanCustomTags(EquatableArray<TracingCustomTag> config, Entry[] entries)
    {
        Config = config;
        _entries = entries;
    }

    /// <summary>What these were made from, to notice a push that changes them.</summary>
    public EquatableArray<TracingCustomTag> Config { get; }

    public static SpanCustomTags From(EquatableArray<TracingCustomTag> tags)
    {
        if (tags.Count == 0)
        {
            return None;
        }

        var entries = new Entry[tags.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var tag = tags[i];
            entries[i] = tag.Kind switch
            {
                TracingCustomTagKind.Literal => new Entry(tag.Tag, tag.Source, null),
                TracingCustomTagKind.Environment => new Entry(tag.Tag, Environment.GetEnvironmentVariable(tag.Source) ?? tag.DefaultValue, null),
                _ => new Entry(tag.Tag, tag.DefaultValue, tag.Source),
            };
        }

        return new SpanCustomTags(tags, entries);
    }

    public void Apply(Activity span, HttpRequest request, RequestState state)
    {
        foreach (var (tag, value, header) in _entries)
        {
            var text = header is not null && RequestIds.TryGetHeader(request, state, header, out var values) && values.Count > 0 ? HeaderValueEncoding.ToText(values[0]) : value;
            if (!string.IsNullOrEmpty(text))
            {
                span.SetTag(tag, text);
            }
        }
    }

    /// <summary>A tag's fixed value (literal, environment, a header's default) and the header it is read from, if any.</summary>
    private readonly record struct Entry(string Tag, string Value, string? Header);
}
