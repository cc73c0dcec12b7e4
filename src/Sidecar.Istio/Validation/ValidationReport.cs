using Sidecar.Istio.Resources;
using Sidecar.Model;

namespace Sidecar.Istio.Validation;

/// <summary>Errors and warnings found in one resource, each naming the file, the resource and the field path.</summary>
internal sealed class ValidationReport(IstioResource resource, List<ConfigError> errors, List<string> warnings)
{
    public IstioResource Resource { get; } = resource;

    public void Error(string field, string message) => errors.Add(new ConfigError(Resource.Source.File, Resource.Id, field, message));

    public void Error(string field, string? message, bool when)
    {
        if (when && message is not null)
        {
            Error(field, message);
        }
    }

    /// <summary>Records <paramref name="message"/> as an error when it is not null (rule helpers return null when valid).</summary>
    public void Check(string field, string? message)
    {
        if (message is not null)
        {
            Error(field, message);
        }
    }

    public void Warning(string field, string message) => warnings.Add($"{Resource.Source.File}: {Resource.Id}: {field}: {message}");
}
