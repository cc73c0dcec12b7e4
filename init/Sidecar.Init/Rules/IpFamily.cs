namespace Sidecar.Init.Rules;

/// <summary>Which rule set: iptables (IPv4) or ip6tables (IPv6).</summary>
internal enum IpFamily
{
    V4,
    V6,
}
