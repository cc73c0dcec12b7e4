namespace Sidecar.Init.CommandLine;

/// <summary>A flag's value and where it came from, so a bad value is reported under the name the user wrote.</summary>
internal sealed record OptionValue(OptionSpec Spec, string Text, string? EnvName)
{
    /// <summary>"-b/--istio-inbound-ports", or "ISTIO_INBOUND_PORTS (for -b/--istio-inbound-ports)" when set by the environment.</summary>
    public string Origin => EnvName is null ? Spec.Display : $"{EnvName} (for {Spec.Display})";
}
