namespace Sidecar.Init.Rules;

/// <summary>The netfilter tables the rules use; iptables-restore input lists them in this (alphabetical) order.</summary>
internal static class Tables
{
    public const string Filter = "filter";
    public const string Mangle = "mangle";
    public const string Nat = "nat";
    public const string Raw = "raw";
}
