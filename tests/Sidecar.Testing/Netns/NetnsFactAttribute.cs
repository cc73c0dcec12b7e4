using Xunit;

namespace Sidecar.Testing.Netns;

/// <summary>
/// A fact that runs in real network namespaces: skipped, with the reason, only when the machine cannot create them
/// (not root, or ip/iptables/setpriv missing). CI runs as root, so there it always runs.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute(params string[] extraTools)
    {
        ExtraTools = extraTools;
        if (NetnsPrerequisites.MissingReason(extraTools) is { } reason)
        {
            Skip = reason;
        }
    }

    public IReadOnlyList<string> ExtraTools { get; }
}
