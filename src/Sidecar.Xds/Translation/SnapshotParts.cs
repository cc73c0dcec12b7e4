using Sidecar.Model;

namespace Sidecar.Xds.Translation;

/// <summary>What the listeners carry beside themselves: inlined route tables, authorization policies, connection manager settings.</summary>
internal sealed class SnapshotParts
{
    public List<RouteTableConfig> InlineRouteTables { get; } = [];

    /// <summary>Policies of the inbound HTTP RBAC filters (by name: istiod repeats them on every inbound chain).</summary>
    public Dictionary<string, AuthorizationPolicyConfig> HttpPolicies { get; } = new(StringComparer.Ordinal);

    /// <summary>Policies of the inbound network RBAC filters (TCP chains), used when no HTTP chain carries any.</summary>
    public Dictionary<string, AuthorizationPolicyConfig> TcpPolicies { get; } = new(StringComparer.Ordinal);

    /// <summary>The JWT providers of the inbound <c>jwt_authn</c> filters (by issuer and keys: istiod repeats them per chain).</summary>
    public Dictionary<string, JwtRuleConfig> JwtRules { get; } = new(StringComparer.Ordinal);

    /// <summary>The file access log the connection managers write (one mesh-wide setting in Istio); null: none.</summary>
    public (string Path, AccessLogEncoding Encoding, string Format)? AccessLog { get; set; }

    /// <summary>The OpenTelemetry access log the connection managers export to; null: none.</summary>
    public OpenTelemetryAccessLogConfig? OpenTelemetryAccessLog { get; set; }

    /// <summary>The external authorization service the inbound ext_authz filter names (CUSTOM policies); null: none.</summary>
    public ExtAuthzConfig? ExtAuthz { get; set; }

    /// <summary>The path normalization the outbound connection managers ask for (one mesh-wide setting in Istio).</summary>
    public PathNormalization? PathNormalization { get; set; }

    /// <summary>False when a connection manager turns request ids off (Istio's proxyHeaders.requestId disabled).</summary>
    public bool GenerateRequestId { get; set; } = true;
}
