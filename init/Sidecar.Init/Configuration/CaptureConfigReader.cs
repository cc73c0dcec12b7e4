using System.Globalization;
using System.Net;
using Sidecar.Init.CommandLine;
using Sidecar.Init.PodFacts;

namespace Sidecar.Init.Configuration;

/// <summary>
/// Turns flags and environment into a validated <see cref="CaptureConfig"/>, filling in what istio-iptables reads
/// from the pod (FillConfigFromEnvironment): the default proxy uid, whether the pod is IPv6, and its nameservers.
/// Every bad value is refused here, naming the flag or variable it came from, before any rule is touched.
/// </summary>
internal static class CaptureConfigReader
{
    public const string OwnerGroupsEnv = "ISTIO_OUTBOUND_OWNER_GROUPS";
    public const string OwnerGroupsExcludeEnv = "ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE";
    public const string LoopbackCidrEnv = "ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR";
    public const string EnvoyUserEnv = "ENVOY_USER";
    public const string DefaultProxyUid = "1337";

    // Istio folds included groups into one rule of N owner matches; kernels cap matches per rule.
    private const int MaxOwnerGroupsInclude = 64;

    public static CaptureConfig Read(ParsedOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);

        var uidText = options.Text(IptablesFlags.ProxyUid, string.Empty);
        var uids = uidText.Length == 0
            ? [PasswdFile.FindUid(environment(EnvoyUserEnv) ?? "istio-proxy") ?? DefaultProxyUid]
            : Owners(options.Find(IptablesFlags.ProxyUid)!);
        // istio-iptables: "same default value as -u" (the whole list).
        var gids = options.Text(IptablesFlags.ProxyGid, string.Empty).Length == 0
            ? uids
            : Owners(options.Find(IptablesFlags.ProxyGid)!);

        var dualStack = options.Switch(IptablesFlags.DualStack);
        var (hostIp, enableIPv6) = DetectIPv6(options, dualStack);

        var redirectDns = options.Switch(IptablesFlags.RedirectDns);
        var captureAllDns = options.Switch(IptablesFlags.CaptureAllDns);
        var resolv = new ResolvConf([], []);
        if (redirectDns && !captureAllDns)
        {
            var path = options.Text(IptablesFlags.ResolvConf, ResolvConf.DefaultPath);
            try
            {
                resolv = ResolvConf.Load(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OptionException($"failed to load {path}: {e.Message}");
            }
        }

        var ownerGroups = InterceptFilter.Parse(environment(OwnerGroupsEnv) ?? "*", environment(OwnerGroupsExcludeEnv) ?? string.Empty);
        if (!ownerGroups.Except && ownerGroups.Values.Count > MaxOwnerGroupsInclude)
        {
            throw new OptionException(
                $"invalid {OwnerGroupsEnv}: at most {MaxOwnerGroupsInclude} owner groups can be captured, got {ownerGroups.Values.Count}");
        }

        var loopback = environment(LoopbackCidrEnv) ?? "127.0.0.1/32";
        ValidateLoopbackCidr(loopback);

        return new CaptureConfig
        {
            ProxyPort = Port(options, IptablesFlags.EnvoyPort, "15001"),
            InboundCapturePort = Port(options, IptablesFlags.InboundCapturePort, "15006"),
            InboundTunnelPort = Port(options, IptablesFlags.InboundTunnelPort, "15008"),
            ProxyUids = uids,
            ProxyGids = gids,
            InboundInterceptionMode = Mode(options),
            InboundTProxyMark = Number(options, IptablesFlags.InboundTProxyMark, "1337", allowZero: false),
            InboundTProxyRouteTable = Number(options, IptablesFlags.InboundTProxyRouteTable, "133", allowZero: false),
            InboundPortsInclude = Ports(options, IptablesFlags.InboundPorts, allowWildcard: true),
            InboundPortsExclude = Ports(options, IptablesFlags.LocalExcludePorts, allowWildcard: false),
            OutboundPortsInclude = Ports(options, IptablesFlags.OutboundPorts, allowWildcard: false),
            OutboundPortsExclude = Ports(options, IptablesFlags.LocalOutboundPortsExclude, allowWildcard: false),
            OutboundIpRangesInclude = Cidrs(options, IptablesFlags.ServiceCidr, allowWildcard: true),
            OutboundIpRangesExclude = Cidrs(options, IptablesFlags.ServiceExcludeCidr, allowWildcard: false),
            KubeVirtInterfaces = Interfaces(options, IptablesFlags.KubeVirtInterfaces),
            ExcludeInterfaces = Interfaces(options, IptablesFlags.ExcludeInterfaces),
            OwnerGroups = ownerGroups,
            HostIPv4LoopbackCidr = loopback,
            RedirectDns = redirectDns,
            CaptureAllDns = captureAllDns,
            DropInvalid = options.Switch(IptablesFlags.DropInvalid),
            DualStack = dualStack,
            EnableIPv6 = enableIPv6,
            HostIp = hostIp,
            DnsServersV4 = resolv.ServersV4,
            DnsServersV6 = resolv.ServersV6,
            DryRun = options.Switch(IptablesFlags.DryRun),
            CleanupOnly = options.Switch(IptablesFlags.CleanupOnly) || options.CleanupCommand,
            Reconcile = options.Switch(IptablesFlags.Reconcile),
            ForceApply = options.Switch(IptablesFlags.ForceApply),
            SkipRuleApply = options.Switch(IptablesFlags.SkipRuleApply),
            ForceIptablesBinary = IptablesVariant(options),
        };
    }

    private static (IPAddress HostIp, bool EnableIPv6) DetectIPv6(ParsedOptions options, bool dualStack)
    {
        IReadOnlyList<IPAddress> addresses;
        if (options.Find(IptablesFlags.PodIps) is { } podIps)
        {
            var list = new List<IPAddress>();
            foreach (var entry in ListText.Split(podIps.Text))
            {
                list.Add(IpText.TryParse(entry, out var address)
                    ? address
                    : throw OptionException.Invalid(podIps, $"\"{entry}\" is not an IP address"));
            }
            addresses = list;
        }
        else
        {
            addresses = PodAddresses.FromInterfaces();
        }
        return PodAddresses.Select(addresses, dualStack)
            ?? throw new OptionException("no valid local IP address found: the pod has no address outside loopback and link-local");
    }

    private static string Port(ParsedOptions options, string name, string fallback)
    {
        if (options.Find(name) is not { } value)
        {
            return fallback;
        }
        return PortList.IsPort(value.Text) ? value.Text : throw OptionException.Invalid(value, "not a port number (1-65535)");
    }

    private static PortList Ports(ParsedOptions options, string name, bool allowWildcard)
    {
        if (options.Find(name) is not { } value)
        {
            return PortList.None;
        }
        return PortList.TryParse(value.Text, allowWildcard, out var list, out var error) ? list : throw OptionException.Invalid(value, error!);
    }

    private static CidrList Cidrs(ParsedOptions options, string name, bool allowWildcard)
    {
        if (options.Find(name) is not { } value)
        {
            return CidrList.Empty;
        }
        if (!CidrList.TryParse(value.Text, out var list, out var error))
        {
            throw OptionException.Invalid(value, error!);
        }
        // istio-iptables: "invalid value for OUTBOUND_IP_RANGES_EXCLUDE" - excluding everything is not a thing.
        return list.IsWildcard && !allowWildcard ? throw OptionException.Invalid(value, "\"*\" is not allowed here") : list;
    }

    private static InterceptionMode Mode(ParsedOptions options) =>
        options.Find(IptablesFlags.InboundInterceptionMode) switch
        {
            null => InterceptionMode.Redirect,
            { Text: "" or "REDIRECT" } => InterceptionMode.Redirect,
            { Text: "TPROXY" } => InterceptionMode.Tproxy,
            { } value => throw OptionException.Invalid(value, "unknown mode (expected REDIRECT or TPROXY)"),
        };

    private static string Number(ParsedOptions options, string name, string fallback, bool allowZero)
    {
        if (options.Find(name) is not { } value)
        {
            return fallback;
        }
        var valid = (IpText.IsCanonicalDecimal(value.Text) || (allowZero && value.Text == "0"))
            && uint.TryParse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && (allowZero || number > 0);
        return valid ? value.Text : throw OptionException.Invalid(value, "not a positive 32-bit number");
    }

    private static string[] Owners(OptionValue value)
    {
        var owners = ListText.Split(value.Text);
        if (owners.Length == 0)
        {
            throw OptionException.Invalid(value, "no uid or gid given");
        }
        foreach (var owner in owners)
        {
            if (!IsName(owner))
            {
                throw OptionException.Invalid(value, $"\"{owner}\" is not a uid/gid or a user/group name");
            }
        }
        return owners;
    }

    private static string[] Interfaces(ParsedOptions options, string name)
    {
        if (options.Find(name) is not { } value)
        {
            return [];
        }
        var interfaces = ListText.Split(value.Text);
        foreach (var nic in interfaces)
        {
            // Linux interface names: at most 15 bytes, no '/', ':' or whitespace.
            if (nic.Length > 15 || !IsName(nic))
            {
                throw OptionException.Invalid(value, $"\"{nic}\" is not an interface name");
            }
        }
        return interfaces;
    }

    private static string? IptablesVariant(ParsedOptions options) =>
        options.Find(IptablesFlags.ForceIptablesBinary) switch
        {
            null or { Text: "" } => null,
            { Text: "legacy" or "nft" } value => value.Text,
            { } value => throw OptionException.Invalid(value, "expected legacy or nft"),
        };

    private static void ValidateLoopbackCidr(string cidr)
    {
        // Istio's ValidateIPv4LoopbackCidr: an IPv4 loopback prefix of length 8 to 32.
        if (!IpPrefix.TryParse(cidr, out var prefix) || !prefix.IsIPv4 || !prefix.IsLoopback || prefix.Bits < 8)
        {
            throw new OptionException(
                $"invalid value \"{cidr}\" for {LoopbackCidrEnv}: expected an IPv4 loopback CIDR with a mask of 8 to 32 bits");
        }
    }

    private static bool IsName(string text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '@' or '$'))
            {
                return false;
            }
        }
        return text.Length > 0;
    }
}
