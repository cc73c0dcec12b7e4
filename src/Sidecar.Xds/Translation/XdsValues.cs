using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using EnvoyFractionalPercent = Envoy.Type.V3.FractionalPercent;
using EnvoyStringMatcher = Envoy.Type.Matcher.V3.StringMatcher;

namespace Sidecar.Xds.Translation;

/// <summary>Envoy's value types as the model holds them: durations, fractions, string matchers, header mutations, metadata.</summary>
internal static class XdsValues
{
    public static TimeSpan? Duration(Google.Protobuf.WellKnownTypes.Duration? duration) => duration?.ToTimeSpan();

    /// <summary>A fraction in the model's parts per million, whatever Envoy's denominator.</summary>
    public static Percentage Fraction(EnvoyFractionalPercent? fraction)
    {
        if (fraction is null)
        {
            return Percentage.Full;
        }

        long perMillion = fraction.Denominator switch
        {
            EnvoyFractionalPercent.Types.DenominatorType.Million => fraction.Numerator,
            EnvoyFractionalPercent.Types.DenominatorType.TenThousand => fraction.Numerator * 100L,
            _ => fraction.Numerator * 10_000L,
        };
        return new Percentage((int)Math.Min(perMillion, Percentage.Million));
    }

    /// <summary>Envoy's <c>StringMatcher</c>; null (with an error) for a form the model has not.</summary>
    public static StringMatcherConfig? Matcher(EnvoyStringMatcher matcher, TranslationErrors errors, string resource, string field)
    {
        var ignoreCase = matcher.IgnoreCase;
        switch (matcher.MatchPatternCase)
        {
            case EnvoyStringMatcher.MatchPatternOneofCase.Exact:
                return new StringMatcherConfig(StringMatchKind.Exact, matcher.Exact, ignoreCase);
            case EnvoyStringMatcher.MatchPatternOneofCase.Prefix:
                return new StringMatcherConfig(StringMatchKind.Prefix, matcher.Prefix, ignoreCase);
            case EnvoyStringMatcher.MatchPatternOneofCase.Suffix:
                return new StringMatcherConfig(StringMatchKind.Suffix, matcher.Suffix, ignoreCase);
            case EnvoyStringMatcher.MatchPatternOneofCase.Contains:
                return new StringMatcherConfig(StringMatchKind.Contains, matcher.Contains, ignoreCase);
            case EnvoyStringMatcher.MatchPatternOneofCase.SafeRegex:
                return new StringMatcherConfig(StringMatchKind.Regex, Regex(matcher.SafeRegex.Regex, errors, resource, field + ".safe_regex.regex"), ignoreCase);
            default:
                // An empty matcher: Envoy refuses it; so does this proxy.
                errors.Add(resource, field, "a string matcher needs exact, prefix, suffix, contains or safe_regex");
                return null;
        }
    }

    /// <summary>
    /// Header additions and removals at one level (Envoy's <c>*_headers_to_add/remove</c>): OVERWRITE_IF_EXISTS_OR_ADD
    /// (or <c>append: false</c>) sets, APPEND_IF_EXISTS_OR_ADD (Envoy's default) adds.
    /// </summary>
    public static HeaderMutationConfig Headers(IEnumerable<HeaderValueOption> add, IEnumerable<string> remove, TranslationErrors errors, string resource, string field)
    {
        var set = new List<HeaderValueConfig>();
        var append = new List<HeaderValueConfig>();
        foreach (var option in add)
        {
            var header = new HeaderValueConfig(option.Header?.Key ?? "", option.Header?.Value ?? "");
            var overwrite = option.Append is { } legacy
                ? !legacy
                : option.AppendAction switch
                {
                    HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd => true,
                    HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd => false,
                    var other => Unsupported(errors, resource, field, $"append_action {other} is not supported"),
                };
            (overwrite ? set : append).Add(header);
        }

        var removals = remove.ToEquatableArray();
        return set.Count == 0 && append.Count == 0 && removals.IsEmpty
            ? HeaderMutationConfig.None
            : new HeaderMutationConfig { Set = set.ToEquatableArray(), Add = append.ToEquatableArray(), Remove = removals };
    }

    /// <summary>One mutation after another (a route's, then its virtual host's, then its table's, as Envoy applies them).</summary>
    public static HeaderMutationConfig Then(HeaderMutationConfig first, HeaderMutationConfig second) =>
        second.IsEmpty ? first
        : first.IsEmpty ? second
        : new HeaderMutationConfig
        {
            Set = first.Set.Concat(second.Set).ToEquatableArray(),
            Add = first.Add.Concat(second.Add).ToEquatableArray(),
            Remove = first.Remove.Concat(second.Remove).ToEquatableArray(),
        };

    /// <summary>A string in <c>filter_metadata[filter][key]</c>, or null.</summary>
    public static string? MetadataString(Metadata? metadata, string filter, string key) =>
        metadata?.FilterMetadata.TryGetValue(filter, out var fields) == true
        && fields.Fields.TryGetValue(key, out var value) && value.KindCase == Value.KindOneofCase.StringValue
            ? value.StringValue
            : null;

    /// <summary>The model's origin (<c>VirtualService default/reviews</c>) from istiod's <c>istio.config</c> metadata.</summary>
    public static string? Origin(Metadata? metadata) => IstioConfigPath.ToOrigin(MetadataString(metadata, "istio", "config"));

    /// <summary>An RE2 pattern, checked as Envoy compiles it when the resource arrives (an error names the field).</summary>
    public static string Regex(string pattern, TranslationErrors errors, string resource, string field)
    {
        if (ProxyConfigValidator.CheckRegex(pattern) is { } error)
        {
            errors.Add(resource, field, error);
        }

        return pattern;
    }

    /// <summary>An IP address or CIDR as text (<c>10.0.0.0/8</c>).</summary>
    public static string Cidr(CidrRange range) => range.PrefixLen is { } length ? $"{range.AddressPrefix}/{length}" : range.AddressPrefix;

    private static bool Unsupported(TranslationErrors errors, string resource, string field, string message)
    {
        errors.Add(resource, field, message);
        return false;
    }
}
