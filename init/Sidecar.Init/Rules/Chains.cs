namespace Sidecar.Init.Rules;

/// <summary>The chains istio-iptables creates, and the built-in chains and verdicts it never creates or deletes.</summary>
internal static class Chains
{
    public const string IstioOutput = "ISTIO_OUTPUT";
    public const string IstioOutputDns = "ISTIO_OUTPUT_DNS";
    public const string IstioInbound = "ISTIO_INBOUND";
    public const string IstioDivert = "ISTIO_DIVERT";
    public const string IstioTproxy = "ISTIO_TPROXY";
    public const string IstioRedirect = "ISTIO_REDIRECT";
    public const string IstioInRedirect = "ISTIO_IN_REDIRECT";
    public const string IstioDrop = "ISTIO_DROP";

    public const string Prerouting = "PREROUTING";
    public const string Output = "OUTPUT";
    public const string Input = "INPUT";
    public const string Forward = "FORWARD";

    /// <summary>Every chain this program owns starts with it; cleanup and state checks look only at these.</summary>
    public const string IstioPrefix = "ISTIO_";

    /// <summary>Istio's BuiltInChainsAndTargetsMap: never given a "-N", never flushed or deleted.</summary>
    public static bool IsBuiltIn(string name) =>
        name is "INPUT" or "OUTPUT" or "FORWARD" or "PREROUTING" or "POSTROUTING" or "ACCEPT" or "RETURN" or "DROP";

    public static bool IsIstio(string name) => name.StartsWith(IstioPrefix, StringComparison.Ordinal);
}
