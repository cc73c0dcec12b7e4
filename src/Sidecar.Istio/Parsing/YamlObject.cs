using System.Globalization;
using Sidecar.Istio.Resources;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sidecar.Istio.Parsing;

/// <summary>
/// A strict reader over one YAML mapping, as protobuf's strict JSON reading of Istio resources behaves: typed getters
/// report wrong types with the field path (<c>spec.http[0].route[1].weight</c>), and <see cref="RejectUnknownFields"/>
/// reports every key that no getter asked for.
/// </summary>
internal sealed class YamlObject
{
    private readonly Dictionary<string, YamlNode> _fields = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly ParseDiagnostics _diagnostics;

    public YamlObject(YamlMappingNode node, string path, ParseDiagnostics diagnostics)
    {
        Node = node;
        Path = path;
        _diagnostics = diagnostics;
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode { Value: { } name })
            {
                _fields[name] = value;
            }
            else
            {
                diagnostics.Error(path, "field names must be strings", (int)key.Start.Line);
            }
        }
    }

    public YamlMappingNode Node { get; }

    public string Path { get; }

    public int Line => (int)Node.Start.Line;

    public ParseDiagnostics Diagnostics => _diagnostics;

    public IEnumerable<string> Keys => _fields.Keys;

    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public void Error(string key, string message) =>
        _diagnostics.Error(FieldPath(key), message, _fields.TryGetValue(key, out var node) ? (int)node.Start.Line : Line);

    /// <summary>Whether the key is present with a non-null value.</summary>
    public bool Has(string key)
    {
        _read.Add(key);
        return _fields.TryGetValue(key, out var node) && !IsNull(node);
    }

    /// <summary>Marks keys as known without reading them (fields this sidecar accepts but ignores).</summary>
    public void Ignore(params string[] keys)
    {
        foreach (var key in keys)
        {
            _read.Add(key);
        }
    }

    public IReadOnlyList<string> UnreadKeys() => _fields.Keys.Where(k => !_read.Contains(k)).ToArray();

    /// <summary>Reports every key no getter asked for, as Istio's strict decoding refuses unknown fields.</summary>
    public void RejectUnknownFields()
    {
        foreach (var key in UnreadKeys())
        {
            _diagnostics.Error(FieldPath(key), $"unknown field \"{key}\"", (int)_fields[key].Start.Line);
        }
    }

    public string? String(string key)
    {
        var node = Get(key);
        switch (node)
        {
            case null:
                return null;
            case YamlScalarNode scalar:
                return scalar.Value ?? "";
            default:
                Error(key, "expected a string");
                return null;
        }
    }

    /// <summary>A string that must be present and non-empty; reports "is required" otherwise.</summary>
    public string RequiredString(string key)
    {
        var present = _fields.TryGetValue(key, out var node) && !IsNull(node);
        var value = String(key);
        if (string.IsNullOrEmpty(value))
        {
            if (!present || node is YamlScalarNode)
            {
                Error(key, "is required");
            }

            return "";
        }

        return value;
    }

    public long? Integer(string key, long min = int.MinValue, long max = int.MaxValue)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } &&
            long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            if (value < min || value > max)
            {
                Error(key, $"value {value} is out of range [{min}, {max}]");
                return null;
            }

            return value;
        }

        Error(key, $"expected an integer, got '{Describe(node)}'");
        return null;
    }

    public int? Int32(string key) => (int?)Integer(key);

    public uint? UInt32(string key) => (uint?)Integer(key, 0, uint.MaxValue);

    public ulong? UInt64(string key) => (ulong?)Integer(key, 0, long.MaxValue);

    public double? Double(string key)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } &&
            double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }

        Error(key, $"expected a number, got '{Describe(node)}'");
        return null;
    }

    public bool? Bool(string key)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } scalar)
        {
            if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            // kubectl reads YAML 1.1, where plain yes/no, on/off and y/n are booleans too.
            if (scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && Yaml11Boolean(text) is { } yaml11)
            {
                return yaml11;
            }
        }

        Error(key, $"expected true or false, got '{Describe(node)}'");
        return null;
    }

    private static bool? Yaml11Boolean(string text) => text switch
    {
        "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
        "n" or "N" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
        _ => null,
    };

    /// <summary>A protobuf Duration in Go form (<c>1s</c>, <c>100ms</c>, <c>1h30m</c>).</summary>
    public IstioDuration? Duration(string key)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text })
        {
            if (IstioDuration.TryParse(text, out var duration, out var error))
            {
                return duration;
            }

            Error(key, error!);
            return null;
        }

        Error(key, "expected a duration such as '1s' or '100ms'");
        return null;
    }

    /// <summary>A protobuf enum by name; reports the allowed names otherwise.</summary>
    public string? Enum(string key, params string[] allowed)
    {
        var value = String(key);
        if (value is null)
        {
            return null;
        }

        if (Array.IndexOf(allowed, value) < 0)
        {
            Error(key, $"unknown value \"{value}\" (expected one of {string.Join(", ", allowed)})");
            return null;
        }

        return value;
    }

    public YamlObject? Object(string key)
    {
        var node = Get(key);
        switch (node)
        {
            case null:
                return null;
            case YamlMappingNode mapping:
                return new YamlObject(mapping, FieldPath(key), _diagnostics);
            default:
                Error(key, "expected an object");
                return null;
        }
    }

    /// <summary>A list of objects; null when the key is absent.</summary>
    public IReadOnlyList<YamlObject>? ObjectList(string key)
    {
        if (GetSequence(key) is not { } sequence)
        {
            return null;
        }

        var result = new List<YamlObject>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            if (item is YamlMappingNode mapping)
            {
                result.Add(new YamlObject(mapping, $"{FieldPath(key)}[{i}]", _diagnostics));
            }
            else if (IsNull(item))
            {
                _diagnostics.Error($"{FieldPath(key)}[{i}]", "may not be null", (int)item.Start.Line);
            }
            else
            {
                _diagnostics.Error($"{FieldPath(key)}[{i}]", "expected an object", (int)item.Start.Line);
            }
        }

        return result;
    }

    /// <summary>A list of strings; null when the key is absent.</summary>
    public IReadOnlyList<string>? StringList(string key)
    {
        if (GetSequence(key) is not { } sequence)
        {
            return null;
        }

        var result = new List<string>(sequence.Children.Count);
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlScalarNode { Value: { } value } && !IsNull(sequence.Children[i]))
            {
                result.Add(value);
            }
            else
            {
                _diagnostics.Error($"{FieldPath(key)}[{i}]", "expected a string", (int)sequence.Children[i].Start.Line);
            }
        }

        return result;
    }

    /// <summary>A map of strings in document order; null when the key is absent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? StringMap(string key)
    {
        if (GetMapping(key) is not { } mapping)
        {
            return null;
        }

        var result = new List<KeyValuePair<string, string>>(mapping.Children.Count);
        foreach (var (k, v) in mapping.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            if (v is YamlScalarNode { Value: { } value })
            {
                result.Add(new(name, IsNull(v) ? "" : value));
            }
            else
            {
                _diagnostics.Error($"{FieldPath(key)}.{name}", "expected a string", (int)v.Start.Line);
            }
        }

        return result;
    }

    public IReadOnlyDictionary<string, string>? StringDictionary(string key) =>
        StringMap(key) is { } pairs ? ToDictionary(pairs) : null;

    /// <summary>A map of objects in document order; null when the key is absent. Null values are reported.</summary>
    public IReadOnlyList<KeyValuePair<string, YamlObject>>? ObjectMap(string key)
    {
        if (GetMapping(key) is not { } mapping)
        {
            return null;
        }

        var result = new List<KeyValuePair<string, YamlObject>>(mapping.Children.Count);
        foreach (var (k, v) in mapping.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            var path = $"{FieldPath(key)}.{name}";
            if (v is YamlMappingNode child)
            {
                result.Add(new(name, new YamlObject(child, path, _diagnostics)));
            }
            else if (IsNull(v))
            {
                // `{}` written as a bare key: an empty object.
                result.Add(new(name, new YamlObject(new YamlMappingNode(), path, _diagnostics)));
            }
            else
            {
                _diagnostics.Error(path, "expected an object", (int)v.Start.Line);
            }
        }

        return result;
    }

    /// <summary>A map of integers (e.g. endpoint ports by name); null when absent.</summary>
    public IReadOnlyDictionary<string, int>? IntegerMap(string key, long min, long max)
    {
        if (GetMapping(key) is not { } mapping)
        {
            return null;
        }

        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (k, v) in mapping.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            if (v is YamlScalarNode { Value: { } text } &&
                long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) &&
                value >= min && value <= max)
            {
                result[name] = (int)value;
            }
            else
            {
                _diagnostics.Error($"{FieldPath(key)}.{name}", $"expected an integer in [{min}, {max}], got '{Describe(v)}'", (int)v.Start.Line);
            }
        }

        return result;
    }

    internal static IReadOnlyDictionary<string, string> ToDictionary(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        var map = new Dictionary<string, string>(pairs.Count, StringComparer.Ordinal);
        foreach (var (k, v) in pairs)
        {
            map[k] = v;
        }

        return map;
    }

    internal static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "null" or "Null" or "NULL" or "~" };

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode => "a list",
        YamlMappingNode => "an object",
        _ => node.NodeType.ToString(),
    };

    private YamlNode? Get(string key)
    {
        _read.Add(key);
        return _fields.TryGetValue(key, out var node) && !IsNull(node) ? node : null;
    }

    private YamlSequenceNode? GetSequence(string key)
    {
        var node = Get(key);
        if (node is null or YamlSequenceNode)
        {
            return (YamlSequenceNode?)node;
        }

        Error(key, "expected a list");
        return null;
    }

    private YamlMappingNode? GetMapping(string key)
    {
        var node = Get(key);
        if (node is null or YamlMappingNode)
        {
            return (YamlMappingNode?)node;
        }

        Error(key, "expected an object");
        return null;
    }
}
