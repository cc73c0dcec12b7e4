using System.Globalization;

namespace Sidecar.Init.Configuration;

/// <summary>A port list flag value: empty, the wildcard "*" (only where Istio allows it), or ports in the given order.</summary>
internal sealed class PortList
{
    public static readonly PortList None = new(false, []);

    public static readonly PortList All = new(true, []);

    private PortList(bool isWildcard, IReadOnlyList<string> ports)
    {
        IsWildcard = isWildcard;
        Ports = ports;
    }

    public bool IsWildcard { get; }

    /// <summary>The ports as they will appear in rules, in the order given.</summary>
    public IReadOnlyList<string> Ports { get; }

    public bool IsEmpty => !IsWildcard && Ports.Count == 0;

    public static bool TryParse(string text, bool allowWildcard, out PortList list, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        list = None;
        if (allowWildcard && text == "*")
        {
            list = All;
            return true;
        }
        var ports = new List<string>();
        foreach (var entry in ListText.Split(text))
        {
            if (!IsPort(entry))
            {
                error = $"\"{entry}\" is not a port number (1-65535)";
                return false;
            }
            ports.Add(entry);
        }
        list = ports.Count == 0 ? None : new PortList(false, ports);
        return true;
    }

    public static bool IsPort(string text) =>
        IpText.IsCanonicalDecimal(text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
        && port is >= 1 and <= 65535;
}
