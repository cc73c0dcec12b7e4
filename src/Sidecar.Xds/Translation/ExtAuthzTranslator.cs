using Sidecar.Model;
using EnvoyExtAuthz = Envoy.Extensions.Filters.Http.ExtAuthz.V3.ExtAuthz;
using EnvoyListStringMatcher = Envoy.Type.Matcher.V3.ListStringMatcher;
using EnvoyStringMatcher = Envoy.Type.Matcher.V3.StringMatcher;

namespace Sidecar.Xds.Translation;

/// <summary>
/// Envoy's <c>ext_authz</c> filter as istiod writes it for the provider an AuthorizationPolicy CUSTOM names, read back
/// into the model's external authorization service: gRPC (<c>envoy_grpc</c> cluster) or HTTP (<c>server_uri</c>
/// cluster, path prefix), timeout, fail open, status on error, the request headers and body sent in the check and the
/// check's response headers passed on. Which requests are checked comes from the RBAC filter's shadow rules (the CUSTOM
/// policies), as istiod pairs them.
/// </summary>
internal static class ExtAuthzTranslator
{
    /// <summary>The RBAC shadow rules' stat prefix istiod gives the CUSTOM policies.</summary>
    public const string CustomPoliciesStatPrefix = "istio_ext_authz_";

    public static ExtAuthzConfig? Translate(EnvoyExtAuthz filter, TranslationErrors errors, string resource, string field)
    {
        ExtAuthzProtocol protocol;
        string? cluster;
        TimeSpan? timeout;
        var pathPrefix = "";
        EnvoyListStringMatcher? requestHeaders;
        switch (filter.ServicesCase)
        {
            case EnvoyExtAuthz.ServicesOneofCase.GrpcService:
                protocol = ExtAuthzProtocol.Grpc;
                cluster = filter.GrpcService.EnvoyGrpc?.ClusterName;
                timeout = XdsValues.Duration(filter.GrpcService.Timeout);
                requestHeaders = filter.AllowedHeaders;
                break;
            case EnvoyExtAuthz.ServicesOneofCase.HttpService:
                protocol = ExtAuthzProtocol.Http;
                cluster = filter.HttpService.ServerUri?.Cluster;
                timeout = XdsValues.Duration(filter.HttpService.ServerUri?.Timeout);
                pathPrefix = filter.HttpService.PathPrefix;
                requestHeaders = filter.HttpService.AuthorizationRequest?.AllowedHeaders ?? filter.AllowedHeaders;
                break;
            default:
                errors.Add(resource, field, "ext_authz needs grpc_service or http_service");
                return null;
        }

        if (string.IsNullOrEmpty(cluster))
        {
            errors.Add(resource, field, "ext_authz needs a cluster (envoy_grpc.cluster_name or server_uri.cluster)");
            return null;
        }

        var response = filter.HttpService?.AuthorizationResponse;
        return new ExtAuthzConfig
        {
            Provider = filter.StatPrefix is { Length: > 0 } prefix ? prefix : cluster,
            Protocol = protocol,
            Cluster = cluster,
            PathPrefix = pathPrefix,
            // Envoy's own default is 200 ms; istiod always writes the provider's (600 s unless set).
            Timeout = timeout ?? TimeSpan.FromMilliseconds(200),
            FailOpen = filter.FailureModeAllow,
            StatusOnError = filter.StatusOnError is { Code: not Envoy.Type.V3.StatusCode.Empty } status ? (int)status.Code : 403,
            IncludeRequestHeaders = Patterns(requestHeaders),
            AdditionalHeaders = (filter.HttpService?.AuthorizationRequest?.HeadersToAdd ?? []).Select(h => new HeaderValueConfig(h.Key, h.Value)).ToEquatableArray(),
            HeadersToUpstreamOnAllow = Patterns(response?.AllowedUpstreamHeaders),
            HeadersToDownstreamOnDeny = Patterns(response?.AllowedClientHeaders),
            HeadersToDownstreamOnAllow = Patterns(response?.AllowedClientHeadersOnSuccess),
            MaxRequestBytes = filter.WithRequestBody is { } body ? (int)body.MaxRequestBytes : null,
            AllowPartialMessage = filter.WithRequestBody?.AllowPartialMessage ?? false,
        };
    }

    /// <summary>Header name matchers in Istio's forms (exact, <c>prefix*</c>, <c>*suffix</c>), as the provider's settings spell them.</summary>
    private static EquatableArray<string> Patterns(EnvoyListStringMatcher? matchers) =>
        (matchers?.Patterns ?? []).Select(m => m.MatchPatternCase switch
        {
            EnvoyStringMatcher.MatchPatternOneofCase.Exact => m.Exact,
            EnvoyStringMatcher.MatchPatternOneofCase.Prefix => m.Prefix + "*",
            EnvoyStringMatcher.MatchPatternOneofCase.Suffix => "*" + m.Suffix,
            EnvoyStringMatcher.MatchPatternOneofCase.Contains => "*" + m.Contains + "*",
            _ => null,
        }).OfType<string>().ToEquatableArray();
}
