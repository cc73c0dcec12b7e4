using System.Globalization;
using Sidecar.Init.Processes;

namespace Sidecar.Init.Xtables;

/// <summary>Readable text for a failed iptables command, with the xtables exit-code meaning Istio adds to it.</summary>
internal static class XtablesError
{
    public static string Describe(CommandResult result)
    {
        var text = result.ErrorText;
        if (result.NotFound)
        {
            return text;
        }
        // xtables_exittype: 1 other problem, 2 parameter problem, 3 version problem, 4 resource problem.
        var kind = result.ExitCode switch
        {
            1 => "xtables other problem",
            2 => "xtables parameter problem",
            3 => "xtables version problem",
            4 => "xtables resource problem",
            _ => "exit code " + result.ExitCode.ToString(CultureInfo.InvariantCulture),
        };
        return text.Length == 0 ? kind : $"{kind}: {text}";
    }

    /// <summary>iptables says "Permission denied (you must be root)" when it lacks CAP_NET_ADMIN, root or not.</summary>
    public static bool IsPermissionDenied(CommandResult result) =>
        result.Stderr.Contains("Permission denied", StringComparison.OrdinalIgnoreCase)
        || result.Stdout.Contains("Permission denied", StringComparison.OrdinalIgnoreCase)
        || result.Stderr.Contains("Operation not permitted", StringComparison.OrdinalIgnoreCase);
}
