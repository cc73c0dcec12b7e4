using Sidecar.Init.Rules;

namespace Sidecar.Init.Tests.Rules;

public sealed class RestoreScriptTests
{
    [Fact]
    public void Tables_are_alphabetical_and_chains_are_created_where_used_then_where_jumped_to()
    {
        var rules = new RuleSet(enableIPv6: false);
        rules.Append(Tables.Raw, Chains.Output, "-j", Chains.IstioOutputDns);
        rules.Append(Tables.Nat, Chains.Output, "-j", Chains.IstioOutput);
        rules.Append(Tables.Nat, Chains.IstioRedirect, "-p", "tcp", "-j", "REDIRECT", "--to-ports", "15001");
        rules.Insert(Tables.Mangle, Chains.IstioInbound, 1, "-p", "tcp", "-j", "RETURN");

        // ISTIO_OUTPUT and ISTIO_OUTPUT_DNS only receive jumps: they are created after the chains that have rules.
        Assert.Equal("""
            * mangle
            -N ISTIO_INBOUND
            -I ISTIO_INBOUND 1 -p tcp -j RETURN
            COMMIT
            * nat
            -N ISTIO_REDIRECT
            -N ISTIO_OUTPUT
            -A OUTPUT -j ISTIO_OUTPUT
            -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
            COMMIT
            * raw
            -N ISTIO_OUTPUT_DNS
            -A OUTPUT -j ISTIO_OUTPUT_DNS
            COMMIT

            """, RestoreScript.Build(rules.For(IpFamily.V4)));
    }

    [Fact]
    public void Ipv6_rules_are_kept_only_for_an_ipv6_pod()
    {
        var ipv4Pod = new RuleSet(enableIPv6: false);
        var ipv6Pod = new RuleSet(enableIPv6: true);
        foreach (var rules in new[] { ipv4Pod, ipv6Pod })
        {
            rules.AppendVersioned("127.0.0.1/32", "::1/128", Tables.Nat, Chains.IstioOutput, "-d", RuleSet.IpVersionSpecific, "-j", "RETURN");
        }

        Assert.Empty(ipv4Pod.For(IpFamily.V6));
        Assert.Equal("-A ISTIO_OUTPUT -d ::1/128 -j RETURN", Assert.Single(ipv6Pod.For(IpFamily.V6)).RestoreLine);
        Assert.Equal("-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN", Assert.Single(ipv6Pod.For(IpFamily.V4)).RestoreLine);
    }
}
