using Sidecar.Istio.Resources.Mesh;

namespace Sidecar.Istio.Validation;

/// <summary>Checks of the typed MeshConfig fields (Istio's <c>ValidateMeshConfig</c>, for the fields this sidecar reads).</summary>
internal static class MeshConfigValidator
{
    public static void Validate(MeshConfigSpec mesh, ValidationReport report)
    {
        report.Check("data.mesh.connectTimeout", CommonRules.Duration(mesh.ConnectTimeout));
        if (mesh.ConnectTimeout.ToTimeSpan() > TimeSpan.FromSeconds(30))
        {
            report.Error("data.mesh.connectTimeout", $"time {mesh.ConnectTimeout} must be >1ms and <30s");
        }

        report.Error("data.mesh.dnsRefreshRate", "DNS refresh rate only supports durations to seconds precision", mesh.DnsRefreshRate.Nanoseconds % 1_000_000_000 != 0);
        if (mesh.DefaultHttpRetryPolicy is { } retry)
        {
            report.Error("data.mesh.defaultHttpRetryPolicy.attempts", "attempts cannot be negative", retry.Attempts < 0);
            report.Check("data.mesh.defaultHttpRetryPolicy.perTryTimeout", CommonRules.Duration(retry.PerTryTimeout));
        }

        foreach (var field in mesh.UntypedFields)
        {
            report.Warning($"data.mesh.{field}", "not used by this sidecar");
        }
    }
}
