using System.Text.RegularExpressions;
using Sidecar.Init.Processes;

namespace Sidecar.Init.Xtables;

/// <summary>
/// Chooses the iptables variant for an address family as istio-iptables does (DetectIptablesVersion): legacy if it
/// already holds rules in this network namespace, else nf_tables, else the plain binary; or the variant forced by
/// --force-iptables-binary. A variant is usable when its -save runs and a no-op rule can be added to filter.
/// </summary>
internal static partial class IptablesDetector
{
    // Protocol 255 is reserved: a rule matching it never matches anything.
    private static readonly string[] ProbeRule = ["-t", "filter", "-A", "INPUT", "-p", "255", "-j", "DROP"];

    public static IptablesBinaries Detect(bool ipv6, string? forcedVariant)
    {
        var plain = ipv6 ? "ip6tables" : "iptables";
        var legacy = plain + "-legacy";
        var nft = plain + "-nft";
        var failures = new List<(string Binary, CommandResult Result, string Reason)>();

        if (forcedVariant is not null)
        {
            var forced = forcedVariant == "legacy" ? legacy : nft;
            return Probe(forced, requireExistingRules: false, failures) ?? throw Unavailable(plain, failures);
        }
        // Rules already installed with legacy (by the node or an earlier run) must be managed with legacy.
        if (Probe(legacy, requireExistingRules: true, failures) is { } existing)
        {
            return existing;
        }
        return Probe(nft, requireExistingRules: false, failures)
            ?? Probe(plain, requireExistingRules: false, failures)
            ?? throw Unavailable(plain, failures);
    }

    private static IptablesBinaries? Probe(string binary, bool requireExistingRules, List<(string, CommandResult, string)> failures)
    {
        var save = binary + "-save";
        var dump = ExternalCommand.Run(save, []);
        if (!dump.Succeeded)
        {
            failures.Add((save, dump, dump.NotFound ? "not found" : XtablesError.Describe(dump)));
            return null;
        }
        // Istio counts dump lines; a filter table left empty by the probe rule below would count as rules, so look
        // for rules themselves.
        var existingRules = dump.Stdout.Contains("\n-A ", StringComparison.Ordinal) || dump.Stdout.StartsWith("-A ", StringComparison.Ordinal);
        if (requireExistingRules && !existingRules)
        {
            return null;
        }

        var versionRun = ExternalCommand.Run(save, ["--version"]);
        var version = new Version(0, 0);
        var legacy = true;
        if (versionRun.Succeeded && !versionRun.Stderr.Contains("unrecognized option", StringComparison.Ordinal)
            && VersionPattern().Match(versionRun.Stdout) is { Success: true } match && Version.TryParse(match.Groups[1].Value, out var parsed))
        {
            version = parsed;
            legacy = !versionRun.Stdout.Contains("nf_tables", StringComparison.Ordinal);
        }

        var probe = ExternalCommand.Run(binary, ProbeRule);
        if (!probe.Succeeded || probe.Stderr.Contains("does not exist", StringComparison.Ordinal))
        {
            failures.Add((binary, probe, probe.NotFound ? "not found" : "cannot add a rule: " + XtablesError.Describe(probe)));
            return null;
        }
        string[] deleteProbe = [.. ProbeRule];
        deleteProbe[2] = "-D";
        ExternalCommand.Run(binary, deleteProbe);

        return new IptablesBinaries(binary, save, binary + "-restore", version, legacy, existingRules);
    }

    private static XtablesUnavailableException Unavailable(string plain, List<(string Binary, CommandResult Result, string Reason)> failures)
    {
        foreach (var (binary, result, _) in failures)
        {
            if (XtablesError.IsPermissionDenied(result))
            {
                return new XtablesUnavailableException(
                    $"{binary} was denied permission ({result.ErrorText}): installing the capture rules needs the NET_ADMIN " +
                    "capability (run the init container as root with NET_ADMIN).");
            }
        }
        var allMissing = failures.TrueForAll(f => f.Result.NotFound);
        if (allMissing)
        {
            var tried = string.Join(", ", failures.ConvertAll(f => f.Binary));
            return new XtablesUnavailableException($"{plain} is not installed: none of {tried} was found on PATH.");
        }
        var reasons = string.Join("; ", failures.ConvertAll(f => $"{f.Binary}: {f.Reason}"));
        return new XtablesUnavailableException($"no usable {plain} found ({reasons}).");
    }

    [GeneratedRegex(@"v([0-9]+(\.[0-9]+)+)")]
    private static partial Regex VersionPattern();
}
