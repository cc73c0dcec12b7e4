namespace Sidecar.Model;

/// <summary>
/// Istio's <c>meshConfig.pathNormalization.normalization</c>: how the request path is normalized before routing and
/// authorization see it and before it is forwarded (Envoy's <c>normalize_path</c>, <c>merge_slashes</c> and
/// <c>path_with_escaped_slashes_action</c>, as istiod sets them).
/// </summary>
public enum PathNormalization
{
    /// <summary>RFC 3986 normalization (Istio's default, also <c>DEFAULT</c>): percent-encoded unreserved characters decoded, backslashes made slashes, dot segments resolved.</summary>
    Base,

    /// <summary>The path as the client sent it.</summary>
    None,

    /// <summary><see cref="Base"/>, then runs of slashes merged into one.</summary>
    MergeSlashes,

    /// <summary><see cref="MergeSlashes"/> after decoding <c>%2F</c> and <c>%5C</c> into slashes.</summary>
    DecodeAndMergeSlashes,
}
