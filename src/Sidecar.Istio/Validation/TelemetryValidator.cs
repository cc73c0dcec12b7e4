using System.Globalization;
using Sidecar.Istio.Resources.Telemetry;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's checks on a <c>Telemetry</c> spec, plus a warning for what the sidecar accepts but does not apply.</summary>
internal static class TelemetryValidator
{
    public static void Validate(TelemetrySpec spec, ValidationReport report)
    {
        for (var i = 0; i < spec.Tracing.Count; i++)
        {
            if (spec.Tracing[i].RandomSamplingPercentage is { } percentage)
            {
                report.Error(
                    string.Create(CultureInfo.InvariantCulture, $"spec.tracing[{i}].randomSamplingPercentage"),
                    "must be between 0 and 100",
                    when: percentage is < 0 or > 100 || double.IsNaN(percentage));
            }
        }
    }
}
