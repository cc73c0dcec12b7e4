namespace Sidecar.Model;

/// <summary>Where a custom span tag takes its value (Envoy's <c>CustomTag</c> kinds that Istio configures).</summary>
public enum TracingCustomTagKind
{
    /// <summary>A fixed value.</summary>
    Literal,

    /// <summary>An environment variable of the proxy, read once; its default when unset.</summary>
    Environment,

    /// <summary>A request header (its first value); its default when the request does not carry it.</summary>
    RequestHeader,
}

/// <summary>
/// One custom tag added to every span (Telemetry <c>tracing[].customTags</c>, or the mesh config's
/// <c>defaultConfig.tracing.customTags</c>): <paramref name="Source"/> is the literal value, the environment variable's
/// name or the header's name. A tag whose value comes out empty is not set, as in Envoy.
/// </summary>
public sealed record TracingCustomTag(string Tag, TracingCustomTagKind Kind, string Source, string DefaultValue = "");
