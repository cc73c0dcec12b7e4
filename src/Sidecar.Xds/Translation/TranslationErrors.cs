using Sidecar.Model;

namespace Sidecar.Xds.Translation;

/// <summary>
/// What a push could not be translated into, named as Envoy names a NACK's cause: the resource
/// (<c>Cluster outbound|9080||reviews.default.svc.cluster.local</c>) and the field path.
/// </summary>
internal sealed class TranslationErrors
{
    private readonly List<ConfigError> _errors = [];
    private readonly List<ConfigError> _warnings = [];

    public IReadOnlyList<ConfigError> All => _errors;

    /// <summary>What was translated with a loss the push does not fail for (logged).</summary>
    public IReadOnlyList<ConfigError> Warnings => _warnings;

    public bool Any => _errors.Count > 0;

    public void Add(string resource, string field, string message) => _errors.Add(new ConfigError(null, resource, field, message));

    public void Warn(string resource, string field, string message) => _warnings.Add(new ConfigError(null, resource, field, message));
}
