using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.AccessLog;

/// <summary>Envoy's %RESPONSE_CODE_DETAILS% for the outcomes this sidecar produces.</summary>
internal static class ResponseCodeDetails
{
    public static string? For(RequestState state)
    {
        if (state.RefusalDetails is { } refusal)
        {
            return refusal;
        }

        if (state.JwtFailure is { } jwt)
        {
            return $"jwt_authn_access_denied{{{jwt.Replace(' ', '_')}}}";
        }

        if (state.ExtAuthzDenial is { } denial)
        {
            return denial.Error ? "ext_authz_error" : "ext_authz_denied";
        }

        if (state.AccessDeniedBy is { } policy)
        {
            // Envoy's RBAC filter: the matched policy id, whitespace made '_' (Filters::Common::RBAC::responseDetail).
            return $"rbac_access_denied_matched_policy[{policy.Replace(' ', '_')}]";
        }

        if (state.CorsPreflight)
        {
            return "cors_response";
        }

        var flags = state.Flags;
        if ((flags & ResponseFlags.FaultInjected) != 0)
        {
            return "fault_filter_abort";
        }

        if ((flags & ResponseFlags.NoRouteFound) != 0)
        {
            return "route_not_found";
        }

        if ((flags & ResponseFlags.NoClusterFound) != 0)
        {
            return "cluster_not_found";
        }

        if ((flags & ResponseFlags.NoHealthyUpstream) != 0)
        {
            return "no_healthy_upstream";
        }

        if ((flags & ResponseFlags.UpstreamOverflow) != 0)
        {
            return "upstream_reset_before_response_started{overflow}";
        }

        if ((flags & ResponseFlags.UpstreamRequestTimeout) != 0)
        {
            // Envoy's router: the route's timeout, or one attempt's (retry_policy.per_try_timeout).
            return state.PerTryTimedOut ? "upstream_per_try_timeout" : "response_timeout";
        }

        if ((flags & ResponseFlags.UpstreamConnectionFailure) != 0)
        {
            return ConnectFailureReply.Details(state.Context);
        }

        if ((flags & ResponseFlags.UpstreamProtocolError) != 0)
        {
            return "upstream_reset_before_response_started{protocol_error}";
        }

        if ((flags & (ResponseFlags.UpstreamConnectionTermination | ResponseFlags.UpstreamRemoteReset)) != 0)
        {
            return state.UpstreamResetAfterResponseStarted
                ? "upstream_reset_after_response_started{connection_termination}"
                : "upstream_reset_before_response_started{connection_termination}";
        }

        if ((flags & ResponseFlags.DownstreamProtocolError) != 0)
        {
            return "http1.codec_error";
        }

        if ((flags & ResponseFlags.DownstreamRemoteReset) != 0)
        {
            return "http2.remote_reset";
        }

        if ((flags & ResponseFlags.DownstreamConnectionTermination) != 0)
        {
            return "downstream_remote_disconnect";
        }

        // The router's own answer for a route that is a direct response or a redirect (Istio's block_all is one).
        if (state.Route?.Config is { DirectResponse: not null } or { Redirect: not null })
        {
            return "direct_response";
        }

        return state.Endpoint is not null || state.Cluster is not null ? "via_upstream" : null;
    }
}
