namespace Sidecar.Init.Rules;

/// <summary>
/// Renders a family's rules as iptables-restore input, applied with --noflush so other owners' rules stay: per table
/// (filter, mangle, nat, raw), a "-N" for each of our chains - those rules are added to, then those only jumped
/// to - followed by the rules in the order they were added (istio-iptables' buildRestore).
/// </summary>
internal static class RestoreScript
{
    private static readonly string[] TableOrder = [Tables.Filter, Tables.Mangle, Tables.Nat, Tables.Raw];

    public static string Build(IReadOnlyList<Rule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var lines = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var created = new HashSet<(string Table, string Chain)>();
        foreach (var rule in rules)
        {
            if (created.Add((rule.Table, rule.Chain)) && !Chains.IsBuiltIn(rule.Chain))
            {
                LinesOf(lines, rule.Table).Add("-N " + rule.Chain);
            }
        }
        foreach (var rule in rules)
        {
            if (rule.JumpTarget is { } target && created.Add((rule.Table, target)) && !Chains.IsBuiltIn(target))
            {
                LinesOf(lines, rule.Table).Add("-N " + target);
            }
        }
        foreach (var rule in rules)
        {
            LinesOf(lines, rule.Table).Add(rule.RestoreLine);
        }

        var script = new System.Text.StringBuilder();
        foreach (var table in Ordered(lines.Keys))
        {
            script.Append("* ").Append(table).Append('\n');
            foreach (var line in lines[table])
            {
                script.Append(line).Append('\n');
            }
            script.Append("COMMIT\n");
        }
        return script.ToString();
    }

    private static List<string> LinesOf(Dictionary<string, List<string>> lines, string table)
    {
        if (!lines.TryGetValue(table, out var list))
        {
            list = [];
            lines[table] = list;
        }
        return list;
    }

    private static List<string> Ordered(IEnumerable<string> tables)
    {
        var ordered = new List<string>();
        foreach (var table in TableOrder)
        {
            foreach (var present in tables)
            {
                if (present == table)
                {
                    ordered.Add(table);
                }
            }
        }
        foreach (var present in tables)
        {
            if (!ordered.Contains(present))
            {
                ordered.Add(present);
            }
        }
        return ordered;
    }
}
