using System.Globalization;
using System.Text.Json;
using Sidecar.Model;

namespace Sidecar.Proxy.Admin.EnvoyDump;

/// <summary>
/// The pieces of Envoy's proto3 JSON that every part of the config dump writes: <c>@type</c> URLs, durations,
/// fractional percents, string matchers, socket addresses and ADS config sources. Field names are the protos' own
/// (snake_case), as Envoy's admin API prints them and as istioctl and Kiali parse them.
/// </summary>
internal static class EnvoyJson
{
    private const string TypeUrlPrefix = "type.googleapis.com/";

    /// <summary>Starts an object (a property when <paramref name="property"/> is given) carrying an <c>Any</c>'s type URL.</summary>
    public static void StartTyped(Utf8JsonWriter writer, string? property, string protoType)
    {
        StartObject(writer, property);
        writer.WriteString("@type", TypeUrlPrefix + protoType);
    }

    /// <summary>Starts an object: a property's value, or an array element when <paramref name="property"/> is null.</summary>
    public static void StartObject(Utf8JsonWriter writer, string? property)
    {
        if (property is null)
        {
            writer.WriteStartObject();
        }
        else
        {
            writer.WriteStartObject(property);
        }
    }

    /// <summary>An object holding only its type URL (an empty typed config).</summary>
    public static void WriteEmptyTyped(Utf8JsonWriter writer, string property, string protoType)
    {
        StartTyped(writer, property, protoType);
        writer.WriteEndObject();
    }

    /// <summary>An array element naming an extension whose typed config is empty (<c>{"name": ..., "typed_config": {"@type": ...}}</c>).</summary>
    public static void WriteNamedEmpty(Utf8JsonWriter writer, string name, string protoType)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        WriteEmptyTyped(writer, "typed_config", protoType);
        writer.WriteEndObject();
    }

    /// <summary>A <c>google.protobuf.Duration</c>: seconds with 0, 3, 6 or 9 fractional digits, as protojson prints it.</summary>
    public static string Duration(TimeSpan value)
    {
        var seconds = value.Ticks / TimeSpan.TicksPerSecond;
        var nanos = value.Ticks % TimeSpan.TicksPerSecond * 100;
        var whole = seconds.ToString(CultureInfo.InvariantCulture);
        if (nanos == 0)
        {
            return whole + "s";
        }

        var fraction = nanos % 1_000_000 == 0 ? (nanos / 1_000_000).ToString("D3", CultureInfo.InvariantCulture)
            : nanos % 1_000 == 0 ? (nanos / 1_000).ToString("D6", CultureInfo.InvariantCulture)
            : nanos.ToString("D9", CultureInfo.InvariantCulture);
        return $"{whole}.{fraction}s";
    }

    public static void WriteDuration(Utf8JsonWriter writer, string property, TimeSpan value) => writer.WriteString(property, Duration(value));

    /// <summary>A <c>type.v3.FractionalPercent</c> out of a million, the resolution Istio writes.</summary>
    public static void WriteFractionalPercent(Utf8JsonWriter writer, string property, Percentage percentage)
    {
        writer.WriteStartObject(property);
        writer.WriteNumber("numerator", percentage.PartsPerMillion);
        writer.WriteString("denominator", "MILLION");
        writer.WriteEndObject();
    }

    /// <summary>A <c>type.matcher.v3.StringMatcher</c>.</summary>
    public static void WriteStringMatcher(Utf8JsonWriter writer, string? property, StringMatcherConfig matcher)
    {
        StartObject(writer, property);
        switch (matcher.Kind)
        {
            case StringMatchKind.Exact:
                writer.WriteString("exact", matcher.Value);
                break;
            case StringMatchKind.Prefix:
                writer.WriteString("prefix", matcher.Value);
                break;
            case StringMatchKind.Suffix:
                writer.WriteString("suffix", matcher.Value);
                break;
            case StringMatchKind.Contains:
                writer.WriteString("contains", matcher.Value);
                break;
            case StringMatchKind.Regex:
                WriteRegex(writer, "safe_regex", matcher.Value);
                break;
        }

        if (matcher.IgnoreCase)
        {
            writer.WriteBoolean("ignore_case", true);
        }

        writer.WriteEndObject();
    }

    /// <summary>A <c>type.matcher.v3.RegexMatcher</c> (RE2, Envoy's only engine now, so no engine field).</summary>
    public static void WriteRegex(Utf8JsonWriter writer, string property, string regex)
    {
        writer.WriteStartObject(property);
        writer.WriteString("regex", regex);
        writer.WriteEndObject();
    }

    /// <summary>A <c>config.core.v3.Address</c> holding a socket address, or a pipe for a <c>unix://</c> address.</summary>
    public static void WriteSocketAddress(Utf8JsonWriter writer, string property, string address, int port)
    {
        writer.WriteStartObject(property);
        if (address.StartsWith(EndpointConfig.UnixAddressPrefix, StringComparison.Ordinal))
        {
            writer.WriteStartObject("pipe");
            writer.WriteString("path", address[EndpointConfig.UnixAddressPrefix.Length..]);
        }
        else
        {
            writer.WriteStartObject("socket_address");
            writer.WriteString("address", address);
            writer.WriteNumber("port_value", port);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The config source istiod names for every dynamic resource: ADS, no initial fetch timeout, v3.</summary>
    public static void WriteAdsConfigSource(Utf8JsonWriter writer, string property)
    {
        writer.WriteStartObject(property);
        writer.WriteStartObject("ads");
        writer.WriteEndObject();
        writer.WriteString("initial_fetch_timeout", "0s");
        writer.WriteString("resource_api_version", "V3");
        writer.WriteEndObject();
    }

    /// <summary>Writes <c>metadata.filter_metadata.istio.config</c> when the origin names a resource.</summary>
    public static void WriteIstioConfigMetadata(Utf8JsonWriter writer, string? origin)
    {
        if (IstioConfigPath.FromOrigin(origin) is not { } path)
        {
            return;
        }

        writer.WriteStartObject("metadata");
        writer.WriteStartObject("filter_metadata");
        writer.WriteStartObject("istio");
        writer.WriteString("config", path);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
