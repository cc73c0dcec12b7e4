namespace Sidecar.Testing.Netns;

/// <summary>What namespace tests need from the machine: root, and the iproute2/util-linux/iptables tools.</summary>
public static class NetnsPrerequisites
{
    /// <summary>The tools every namespace test uses.</summary>
    public static readonly IReadOnlyList<string> Tools = ["ip", "iptables", "iptables-save", "iptables-restore", "setpriv"];

    /// <summary>Why namespace tests cannot run here, or null when they can.</summary>
    public static string? MissingReason(IEnumerable<string>? extraTools = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return "network namespace tests need root (ip netns, iptables)";
        }
        foreach (var tool in extraTools is null ? Tools : Tools.Concat(extraTools))
        {
            if (HostCommand.Find(tool) is null)
            {
                return $"network namespace tests need `{tool}` on PATH";
            }
        }
        return null;
    }
}
