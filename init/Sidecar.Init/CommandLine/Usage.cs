namespace Sidecar.Init.CommandLine;

/// <summary>The --help text.</summary>
internal static class Usage
{
    public static void Write(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("sidecar-init: installs the iptables rules that send a pod's TCP traffic through the sidecar");
        output.WriteLine("(istio-iptables compatible flags and environment variables).");
        output.WriteLine();
        output.WriteLine("Usage: sidecar-init [flags]            install the rules");
        output.WriteLine("       sidecar-init cleanup [flags]    remove them (same as --cleanup-only)");
        output.WriteLine();
        output.WriteLine("Flags (all but -p also read from the environment variable named after them, e.g. ISTIO_INBOUND_PORTS):");
        foreach (var spec in IptablesFlags.All)
        {
            if (spec.Hidden)
            {
                continue;
            }
            var names = spec.Short is { } s ? $"-{s}, --{spec.Name}" : $"    --{spec.Name}";
            var value = spec.IsSwitch ? string.Empty : " value";
            output.WriteLine($"  {names + value,-46} {spec.Help}");
        }
        output.WriteLine();
        output.WriteLine("Environment only: ISTIO_OUTBOUND_OWNER_GROUPS (default *), ISTIO_OUTBOUND_OWNER_GROUPS_EXCLUDE,");
        output.WriteLine("ISTIO_OUTBOUND_IPV4_LOOPBACK_CIDR (default 127.0.0.1/32), ENVOY_USER (default istio-proxy).");
    }
}
