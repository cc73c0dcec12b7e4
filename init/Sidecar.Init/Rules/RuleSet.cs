namespace Sidecar.Init.Rules;

/// <summary>
/// The IPv4 and IPv6 rules, in the order they are added (istio-iptables' IptablesRuleBuilder). IPv6 rules are kept
/// only when the pod is IPv6; a rule added "for both" is added to each family.
/// </summary>
internal sealed class RuleSet
{
    /// <summary>Stands for the family's own address in a rule added with <see cref="AppendVersioned"/>.</summary>
    public const string IpVersionSpecific = "PLACEHOLDER_IP_VERSION_SPECIFIC";

    private readonly List<Rule> _v4 = [];
    private readonly List<Rule> _v6 = [];

    public RuleSet(bool enableIPv6) => EnableIPv6 = enableIPv6;

    public bool EnableIPv6 { get; }

    public IReadOnlyList<Rule> For(IpFamily family) => family == IpFamily.V4 ? _v4 : _v6;

    public void Append(string table, string chain, params string[] arguments)
    {
        AppendV4(table, chain, arguments);
        AppendV6(table, chain, arguments);
    }

    public void AppendV4(string table, string chain, params string[] arguments) => _v4.Add(new Rule(table, chain, arguments));

    public void AppendV6(string table, string chain, params string[] arguments)
    {
        if (EnableIPv6)
        {
            _v6.Add(new Rule(table, chain, arguments));
        }
    }

    /// <summary>Appends to both families with <see cref="IpVersionSpecific"/> replaced by each family's value.</summary>
    public void AppendVersioned(string ipv4, string ipv6, string table, string chain, params string[] arguments)
    {
        AppendV4(table, chain, Replace(arguments, ipv4));
        AppendV6(table, chain, Replace(arguments, ipv6));
    }

    public void Insert(string table, string chain, int position, params string[] arguments)
    {
        InsertV4(table, chain, position, arguments);
        InsertV6(table, chain, position, arguments);
    }

    public void InsertV4(string table, string chain, int position, params string[] arguments) =>
        _v4.Add(new Rule(table, chain, arguments, position));

    public void InsertV6(string table, string chain, int position, params string[] arguments)
    {
        if (EnableIPv6)
        {
            _v6.Add(new Rule(table, chain, arguments, position));
        }
    }

    private static string[] Replace(string[] arguments, string value)
    {
        var result = new string[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            result[i] = arguments[i] == IpVersionSpecific ? value : arguments[i];
        }
        return result;
    }
}
