namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>
/// A fact that binds a fake nameserver to port 53 (resolv.conf names no port, so the DNS proxy forwards there):
/// skipped, saying so, only where this process cannot bind a port below 1024. CI runs as root, so there it runs.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PrivilegedPortFactAttribute : FactAttribute
{
    public PrivilegedPortFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (distinct 127.x loopback addresses for the sidecar and the fake nameserver)";
        }
        else if (!Environment.IsPrivilegedProcess && !UnprivilegedPortsReach53())
        {
            Skip = "needs root: the fake upstream nameserver listens on port 53, the port resolv.conf implies";
        }
    }

    private static bool UnprivilegedPortsReach53()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim(), System.Globalization.CultureInfo.InvariantCulture) <= 53;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
