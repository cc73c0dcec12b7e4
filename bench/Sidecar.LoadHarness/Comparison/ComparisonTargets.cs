namespace Sidecar.LoadHarness.Comparison;

/// <summary>
/// The closed-loop targets and the ratios the comparison reports: each sidecar against the forwarder with the same
/// event loops, and against HAProxy's one thread.
/// </summary>
internal static class ComparisonTargets
{
    public const string Sidecar = "sidecar";
    public const string SidecarOneLoop = "sidecar, 1 loop";
    public const string BareYarp = "bare-yarp";
    public const string BareYarpOneLoop = "bare-yarp, 1 loop";
    public const string HaProxy = "haproxy";

    /// <summary>Which target is divided by which, in the order they are printed.</summary>
    public static readonly IReadOnlyList<(string Target, string Reference)> Ratios =
    [
        (Sidecar, BareYarp),
        (Sidecar, HaProxy),
        (SidecarOneLoop, BareYarpOneLoop),
        (SidecarOneLoop, HaProxy),
    ];
}
