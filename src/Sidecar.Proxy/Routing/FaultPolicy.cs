using Sidecar.Model;

namespace Sidecar.Proxy.Routing;

/// <summary>
/// A compiled fault-injection policy (Envoy's fault filter, per route). Each request draws once for the delay and
/// once for the abort, as Envoy does, each against its own percentage.
/// </summary>
internal sealed class FaultPolicy
{
    public FaultPolicy(FaultConfig config)
    {
        Delay = config.Delay;
        Abort = config.Abort;
        AbortBody = "fault filter abort"u8.ToArray();
    }

    public DelayFaultConfig? Delay { get; }

    public AbortFaultConfig? Abort { get; }

    /// <summary>Envoy's local reply body for an injected abort.</summary>
    public byte[] AbortBody { get; }

    public bool ShouldDelay(Random random) =>
        Delay is { } delay && delay.Percentage.Includes(random.Next(Percentage.Million));

    public bool ShouldAbort(Random random) =>
        Abort is { } abort && abort.Percentage.Includes(random.Next(Percentage.Million));
}
