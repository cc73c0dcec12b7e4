namespace Sidecar.Init.Capture;

/// <summary>
/// Rules per table and chain, read from iptables-save or iptables-restore text (istio-iptables' GetStateFromSave):
/// every chain of ours (ISTIO_*), even empty, and every chain with rules. Rules keep their text as saved.
/// </summary>
internal sealed class IptablesState
{
    private static readonly string[] KnownTables = ["filter", "nat", "mangle", "raw"];

    private readonly Dictionary<string, Dictionary<string, List<string>>> _tables = new(StringComparer.Ordinal);

    private IptablesState()
    {
        foreach (var table in KnownTables)
        {
            _tables[table] = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        }
    }

    public IReadOnlyDictionary<string, Dictionary<string, List<string>>> Tables => _tables;

    public bool IsEmpty
    {
        get
        {
            foreach (var chains in _tables.Values)
            {
                if (chains.Count > 0)
                {
                    return false;
                }
            }
            return true;
        }
    }

    public static IptablesState Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var state = new IptablesState();
        Dictionary<string, List<string>>? chains = null;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.StartsWith('#') || line == "COMMIT")
            {
                continue;
            }
            if (line.StartsWith('*'))
            {
                chains = state._tables.GetValueOrDefault(line[1..].Trim());
                continue;
            }
            if (chains is null)
            {
                continue;
            }
            if (line.StartsWith(':'))
            {
                var name = line[1..].Split(' ')[0];
                if (Rules.Chains.IsIstio(name))
                {
                    ChainOf(chains, name);
                }
                continue;
            }
            var fields = line.Split(' ');
            for (var i = 0; i < fields.Length - 1; i++)
            {
                var chain = fields[i + 1].Trim('\'', '"');
                if (fields[i] is "-A" or "--append" or "-I" or "--insert")
                {
                    ChainOf(chains, chain).Add(line);
                    break;
                }
                if (fields[i] is "-N" or "--new" && Rules.Chains.IsIstio(chain))
                {
                    ChainOf(chains, chain);
                    break;
                }
            }
        }
        return state;
    }

    /// <summary>Our leftovers: ISTIO_* chains, and rules anywhere that jump into one.</summary>
    public IEnumerable<(string Table, string? Chain, string? JumpRule)> IstioLeftovers()
    {
        foreach (var (table, chains) in _tables)
        {
            foreach (var (chain, rules) in chains)
            {
                if (Rules.Chains.IsIstio(chain))
                {
                    yield return (table, chain, null);
                }
                foreach (var rule in rules)
                {
                    if (IsIstioJump(rule))
                    {
                        yield return (table, null, rule);
                    }
                }
            }
        }
    }

    private static bool IsIstioJump(string rule)
    {
        var fields = rule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < fields.Length - 1; i++)
        {
            if (fields[i] is "-j" or "--jump")
            {
                return Rules.Chains.IsIstio(fields[i + 1].Trim('\'', '"'));
            }
        }
        return false;
    }

    private static List<string> ChainOf(Dictionary<string, List<string>> chains, string chain)
    {
        if (!chains.TryGetValue(chain, out var rules))
        {
            rules = [];
            chains[chain] = rules;
        }
        return rules;
    }
}
