namespace Sidecar.Init.CommandLine;

/// <summary>The flags that were set, by flag or environment, before any interpretation.</summary>
internal sealed class ParsedOptions
{
    private readonly Dictionary<string, OptionValue> _values = new(StringComparer.Ordinal);

    /// <summary>Set by the positional word "cleanup", an alias of --cleanup-only.</summary>
    public bool CleanupCommand { get; set; }

    public void Set(OptionValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _values[value.Spec.Name] = value;
    }

    public OptionValue? Find(string name) => _values.GetValueOrDefault(name);

    public string Text(string name, string fallback) => Find(name)?.Text ?? fallback;

    /// <summary>A switch's value, parsed as Go's strconv.ParseBool does (1, t, true, 0, f, false, in any common case).</summary>
    public bool Switch(string name)
    {
        if (Find(name) is not { } value)
        {
            return false;
        }
        return TryParseBool(value.Text, out var result)
            ? result
            : throw OptionException.Invalid(value, "expected true or false");
    }

    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "true" or "TRUE" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "false" or "FALSE" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
