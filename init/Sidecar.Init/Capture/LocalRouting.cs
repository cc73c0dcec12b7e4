using Sidecar.Init.Configuration;
using Sidecar.Init.Diagnostics;
using Sidecar.Init.Processes;
using Sidecar.Init.Xtables;

namespace Sidecar.Init.Capture;

/// <summary>
/// The routing half of capture (Istio's tproxy.ConfigureRoutes): in TPROXY mode, packets marked -t are looked up in
/// table -r, which delivers everything locally on lo; on an IPv6 pod, ::6 is put on lo so the proxy can bind it as
/// the inbound passthrough source (IPv4 has all of 127/8 already).
/// </summary>
internal sealed class LocalRouting
{
    private readonly InitLog _log;

    public LocalRouting(InitLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        _log = log;
    }

    public bool Configure(CaptureConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.EnableIPv6 && !Ip(["-6", "addr", "add", "::6/128", "dev", "lo"], allowExisting: true))
        {
            return false;
        }
        if (!UsesTproxy(config))
        {
            return true;
        }
        foreach (var family in Families(config))
        {
            if (!Ip([family, "rule", "add", "fwmark", config.InboundTProxyMark, "lookup", config.InboundTProxyRouteTable], allowExisting: true)
                || !Ip([family, "route", "add", "local", DefaultRoute(family), "dev", "lo", "table", config.InboundTProxyRouteTable], allowExisting: true))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Best effort: the TPROXY rule and route go with the iptables rules.</summary>
    public void Remove(CaptureConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!UsesTproxy(config))
        {
            return;
        }
        foreach (var family in Families(config))
        {
            ExternalCommand.Run("ip", [family, "rule", "del", "fwmark", config.InboundTProxyMark, "lookup", config.InboundTProxyRouteTable]);
            ExternalCommand.Run("ip", [family, "route", "del", "local", DefaultRoute(family), "dev", "lo", "table", config.InboundTProxyRouteTable]);
        }
    }

    private static bool UsesTproxy(CaptureConfig config) =>
        config.InboundInterceptionMode == InterceptionMode.Tproxy && !config.InboundPortsInclude.IsEmpty;

    private static string[] Families(CaptureConfig config) => config.EnableIPv6 ? ["-4", "-6"] : ["-4"];

    private static string DefaultRoute(string family) => family == "-4" ? "0.0.0.0/0" : "::/0";

    private bool Ip(string[] arguments, bool allowExisting)
    {
        var commandLine = "ip " + string.Join(' ', arguments);
        _log.Info("Running: " + commandLine);
        var result = ExternalCommand.Run("ip", arguments);
        if (result.Succeeded || (allowExisting && result.Stderr.Contains("File exists", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }
        _log.Error($"{commandLine} failed: {result.ErrorText}");
        return false;
    }
}
