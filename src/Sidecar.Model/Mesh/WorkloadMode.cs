namespace Sidecar.Model;

/// <summary>Istio's <c>WorkloadMode</c>: the side a metrics override or an access log applies to (CLIENT: outbound, SERVER: inbound).</summary>
public enum WorkloadMode
{
    ClientAndServer,
    Client,
    Server,
}

/// <summary>Which sides a <see cref="WorkloadMode"/> covers.</summary>
public static class WorkloadModeExtensions
{
    /// <summary>Whether a setting for <paramref name="mode"/> applies on the <paramref name="side"/> (Client or Server) reporting.</summary>
    public static bool Includes(this WorkloadMode mode, WorkloadMode side) => mode == WorkloadMode.ClientAndServer || mode == side;
}
