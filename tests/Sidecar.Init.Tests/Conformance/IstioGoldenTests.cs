namespace Sidecar.Init.Tests.Conformance;

/// <summary>
/// For every golden file of Istio's istio-iptables, a dry run with the same flags prints the same commands and the
/// same rule sets, rule for rule and in order. The flags of each case are those of the README.md in the golden
/// folder (from Istio's capture/run_test.go); DNS servers and the pod's IPv6 address are stated through the same
/// inputs a real run reads (a resolv.conf file, the pod's addresses).
/// </summary>
public sealed class IstioGoldenTests
{
    // README "Every case starts from these defaults": -p 15001 -z 15006 -e 15008 -u 1337 -g 1337, TPROXY mark 1337,
    // route table 133, owner groups * and loopback 127.0.0.1/32 (their env defaults), IPv4 only.
    private static readonly string[] Defaults = ["-p", "15001", "-z", "15006", "-e", "15008", "-u", "1337", "-g", "1337", "-t", "1337", "-r", "133"];

    private static readonly string[] LocalDns = ["127.0.0.53"];

    /// <summary>README.md's table: case -> flags beyond the defaults, DNS servers, IPv6, environment.</summary>
    private static readonly Dictionary<string, GoldenCase> Cases = new(StringComparer.Ordinal)
    {
        ["empty"] = new([]),
        ["inbound-ports-wildcard"] = new(["-b", "*"]),
        ["inbound-ports-include"] = new(["-b", "32000,31000"]),
        ["inbound-ports-tproxy"] = new(["-b", "32000,31000", "-m", "TPROXY"]),
        ["ipnets"] = new(["-i", "10.0.0.0/8"]),
        ["kube-virt-interfaces"] = new(["-k", "eth1,eth2", "-i", "*"]),
        ["outbound-ports-include"] = new(["-q", "32000,31000"]),
        ["ipv6-inbound-ports"] = new(["-b", "4000,5000"], IPv6: true),
        ["ip-range"] = new(["-x", "1.1.0.0/16", "-i", "9.9.0.0/16", "--redirect-dns", "-g", "1,2", "-u", "3,4"], Dns: LocalDns),
        ["tproxy"] = new(["-m", "TPROXY", "-b", "*", "-x", "1.1.0.0/16", "-i", "9.9.0.0/16", "--redirect-dns", "-g", "1337", "-u", "1337", "-c", "not-istio-nic"],
            Dns: LocalDns, IPv6: true),
        ["dns-uid-gid"] = new(["--redirect-dns", "-g", "1,2", "-u", "3,4"], Dns: ["127.0.0.53", "::127.0.0.53"], IPv6: true),
        ["basic-exclude-nic"] = new(["-c", "not-istio-nic"]),
        ["drop-invalid"] = new(["--drop-invalid"]),
        ["host-ipv4-loopback-cidr"] = new([], Environment: new() { ["ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR"] = "127.0.0.1/8" }),
        ["outbound-owner-groups"] = new([], Environment: new() { ["ISTIO_OUTBOUND_OWNER_GROUPS"] = "java,202" }),
    };

    public static TheoryData<string> GoldenCases() => new(IstioGoldenFiles.CaseNames());

    [IstioGoldenTheory]
    [MemberData(nameof(GoldenCases))]
    public void DryRun_prints_the_commands_and_rule_sets_of_istio_iptables(string name)
    {
        Assert.True(Cases.TryGetValue(name, out var golden),
            $"no flags are known for golden case \"{name}\": add its row of README.md to {nameof(IstioGoldenTests)}.{nameof(Cases)}");
        var expected = File.ReadAllText(Path.Combine(IstioGoldenFiles.Directory!, name + ".golden"));

        var resolvConf = Path.GetTempFileName();
        try
        {
            File.WriteAllText(resolvConf, string.Concat((golden.Dns ?? []).Select(server => $"nameserver {server}\n")));
            // "IPv6 on": the pod has an IPv6 address besides its IPv4 one (dual stack).
            string[] pod = golden.IPv6 ? ["--pod-ips", "10.0.0.1,fd00::1", "--dual-stack"] : ["--pod-ips", "10.0.0.1"];
            var outcome = SidecarInit.Run([.. Defaults, .. golden.Flags, .. pod, "--resolv-conf", resolvConf, "--dry-run"], golden.Environment);

            Assert.True(outcome.ExitCode == 0, outcome.Stderr);
            Assert.Equal(Lines(expected), Lines(outcome.Stdout));
        }
        finally
        {
            File.Delete(resolvConf);
        }
    }

    [Fact]
    public void Every_case_of_the_readme_table_is_known()
    {
        if (IstioGoldenFiles.Directory is null)
        {
            return;
        }
        var readme = File.ReadAllText(Path.Combine(IstioGoldenFiles.Directory, "README.md"));
        foreach (var name in Cases.Keys)
        {
            Assert.Contains($"| {name} |", readme, StringComparison.Ordinal);
        }
    }

    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

    private sealed record GoldenCase(string[] Flags, string[]? Dns = null, bool IPv6 = false, Dictionary<string, string>? Environment = null);
}
