using Sidecar.Model;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>
/// A <c>customTags</c> map, the same shape in Telemetry's <c>tracing[]</c> and in ProxyConfig's <c>tracing</c>: each
/// tag is exactly one of <c>literal.value</c>, <c>environment.name</c> (+ <c>defaultValue</c>) or <c>header.name</c>
/// (+ <c>defaultValue</c>), each of them required, as the CRD's schema requires them.
/// </summary>
internal static class TracingCustomTagsReader
{
    /// <summary>The tags ordered by name (Istio sorts them); null when the map is absent or empty.</summary>
    public static IReadOnlyList<TracingCustomTag>? Read(YamlObject owner, string key)
    {
        if (owner.ObjectMap(key) is not { Count: > 0 } entries)
        {
            return null;
        }

        var tags = new List<TracingCustomTag>();
        foreach (var (name, tag) in entries)
        {
            var literal = tag.Object("literal");
            var environment = tag.Object("environment");
            var header = tag.Object("header");
            tag.RejectUnknownFields();
            var kinds = (literal is null ? 0 : 1) + (environment is null ? 0 : 1) + (header is null ? 0 : 1);
            if (kinds != 1)
            {
                tag.Diagnostics.Error(tag.Path, "exactly one of literal, environment or header must be set", tag.Line);
                continue;
            }

            if (literal is not null)
            {
                var value = literal.RequiredString("value");
                literal.RejectUnknownFields();
                tags.Add(new TracingCustomTag(name, TracingCustomTagKind.Literal, value));
            }
            else
            {
                var source = (environment ?? header)!;
                var sourceName = source.RequiredString("name");
                var defaultValue = source.String("defaultValue") ?? "";
                source.RejectUnknownFields();
                tags.Add(new TracingCustomTag(name, environment is not null ? TracingCustomTagKind.Environment : TracingCustomTagKind.RequestHeader, sourceName, defaultValue));
            }
        }

        tags.Sort((a, b) => string.CompareOrdinal(a.Tag, b.Tag));
        return tags;
    }
}
