namespace Sidecar.Init.CommandLine;

/// <summary>
/// One istio-iptables flag: its long and short names, whether it is a switch, and the environment variables that
/// set it when the flag is absent (Istio's flag.BindEnv: the long name upper-cased with '-' turned into '_', plus any
/// extra names it accepts for compatibility, later ones winning).
/// </summary>
internal sealed record OptionSpec(string Name, char? Short, bool IsSwitch, string Help, IReadOnlyList<string> EnvNames, bool Hidden = false)
{
    /// <summary>"-p/--envoy-port", or "--redirect-dns", for messages.</summary>
    public string Display => Short is { } s ? $"-{s}/--{Name}" : $"--{Name}";

    /// <summary>The name Istio's BindEnv derives from the flag name.</summary>
    public static string EnvNameOf(string name) => name.Replace('-', '_').ToUpperInvariant();
}
