using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Istio.Resources.Security;
using Sidecar.Istio.Resources.Telemetry;
using Sidecar.Model;

namespace Sidecar.Istio.Validation;

/// <summary>The outcome of validating a resource set: errors refuse the whole set; warnings are only logged.</summary>
public sealed record ValidationResult(IReadOnlyList<ConfigError> Errors, IReadOnlyList<string> Warnings)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Validates parsed Istio resources as Istio's admission webhook does (<c>pkg/config/validation</c>), reporting each
/// problem with its file, resource and field path. Rules this sidecar adds (features it does not implement) are
/// refused here too, so nothing is silently ignored.
/// </summary>
public static class IstioResourceValidator
{
    public static ValidationResult Validate(IReadOnlyList<IstioResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var errors = new List<ConfigError>();
        var warnings = new List<string>();
        IstioResource? mesh = null;
        foreach (var resource in resources)
        {
            var report = new ValidationReport(resource, errors, warnings);
            switch (resource.Spec)
            {
                case VirtualServiceSpec vs:
                    VirtualServiceValidator.Validate(vs, report);
                    break;
                case DestinationRuleSpec dr:
                    DestinationRuleValidator.Validate(dr, report);
                    break;
                case ServiceEntrySpec se:
                    ServiceEntryValidator.Validate(se, report);
                    break;
                case WorkloadEntrySpec we:
                    ServiceEntryValidator.ValidateWorkloadEntry(we, null, allowFqdn: true, "spec", report);
                    break;
                case SidecarSpec sidecar:
                    SidecarValidator.Validate(sidecar, report);
                    break;
                case PeerAuthenticationSpec pa:
                    SecurityValidator.ValidatePeerAuthentication(pa, report);
                    break;
                case RequestAuthenticationSpec ra:
                    SecurityValidator.ValidateRequestAuthentication(ra, report);
                    break;
                case AuthorizationPolicySpec ap:
                    SecurityValidator.ValidateAuthorizationPolicy(ap, report);
                    SecurityValidator.ValidateDryRun(resource.Metadata, ap, report);
                    break;
                case TelemetrySpec telemetry:
                    TelemetryValidator.Validate(telemetry, report);
                    break;
                case Resources.GatewayApi.HttpRouteSpec httpRoute:
                    HttpRouteValidator.Validate(httpRoute, report);
                    break;
                case MeshConfigSpec meshConfig:
                    if (mesh is not null)
                    {
                        report.Error("metadata.name", $"only one istio mesh ConfigMap may be given; another is at {mesh.Source}");
                    }

                    mesh = resource;
                    MeshConfigValidator.Validate(meshConfig, report);
                    break;
            }
        }

        return new ValidationResult(errors, warnings);
    }
}
