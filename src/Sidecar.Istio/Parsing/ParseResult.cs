using Sidecar.Istio.Resources;
using Sidecar.Model;

namespace Sidecar.Istio.Parsing;

/// <summary>A document the parser read but did not keep (a kind the sidecar does not use, e.g. a Deployment).</summary>
public sealed record SkippedDocument(string File, int Line, string ApiVersion, string Kind, string? Name, string Reason)
{
    public override string ToString() => $"{File}:{Line}: skipped {Kind} {Name} ({Reason})";
}

/// <summary>What the parser found: typed resources, errors (with file and field path) and skipped documents.</summary>
public sealed record ParseResult(IReadOnlyList<IstioResource> Resources, IReadOnlyList<ConfigError> Errors, IReadOnlyList<SkippedDocument> Skipped)
{
    public bool IsValid => Errors.Count == 0;
}
