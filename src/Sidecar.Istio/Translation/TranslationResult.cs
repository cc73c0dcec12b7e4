using Sidecar.Model;

namespace Sidecar.Istio.Translation;

/// <summary>A translated snapshot, or the errors that refused it; warnings do not refuse.</summary>
public sealed record TranslationResult(ProxyConfig? Config, IReadOnlyList<ConfigError> Errors, IReadOnlyList<string> Warnings)
{
    public bool IsValid => Config is not null && Errors.Count == 0;
}
