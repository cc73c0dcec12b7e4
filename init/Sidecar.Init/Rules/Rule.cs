using System.Globalization;

namespace Sidecar.Init.Rules;

/// <summary>
/// One rule as istio-iptables builds it: appended to its chain, or inserted at a 1-based position. The match and
/// target arguments are kept apart from the operation so the same rule renders as add (-A/-I), check (-C) and
/// delete (-D).
/// </summary>
internal sealed record Rule(string Table, string Chain, IReadOnlyList<string> Arguments, int? InsertAt = null)
{
    /// <summary>The iptables-restore line: "-A CHAIN args" or "-I CHAIN n args".</summary>
    public string RestoreLine =>
        string.Join(' ', InsertAt is { } position
            ? ["-I", Chain, position.ToString(CultureInfo.InvariantCulture), .. Arguments]
            : (string[])["-A", Chain, .. Arguments]);

    /// <summary>The target after "-j" when it is the last argument (a plain jump), else null.</summary>
    public string? JumpTarget => Arguments.Count >= 2 && Arguments[^2] == "-j" ? Arguments[^1] : null;

    /// <summary>True when the rule jumps to one of our chains: such rules in any chain must be undone explicitly.</summary>
    public bool JumpsToIstioChain
    {
        get
        {
            for (var i = 0; i < Arguments.Count - 1; i++)
            {
                if (Arguments[i] is "-j" or "--jump" && Chains.IsIstio(Arguments[i + 1]))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>iptables arguments for this rule with another operation (-C, -D) in place of -A/-I.</summary>
    public string[] Command(string operation) => ["-t", Table, operation, Chain, .. Arguments];
}
