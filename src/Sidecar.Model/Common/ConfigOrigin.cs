namespace Sidecar.Model;

/// <summary>Where a snapshot came from: shown by the admin <c>/config_dump</c> and in logs.</summary>
/// <param name="Kind">"files" for the standalone YAML source, "xds" for istiod.</param>
/// <param name="Location">The config directory, or the control plane's address.</param>
/// <param name="LoadedAt">When the source built the snapshot.</param>
/// <param name="Resources">The source resources the snapshot was built from (e.g. <c>VirtualService default/reviews</c>).</param>
public sealed record ConfigOrigin(string Kind, string Location, DateTimeOffset LoadedAt, EquatableArray<string> Resources = default);
