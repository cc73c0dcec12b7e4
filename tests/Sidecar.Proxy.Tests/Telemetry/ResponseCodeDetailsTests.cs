using Sidecar.Proxy.Http;
using Sidecar.Proxy.Telemetry.AccessLog;

namespace Sidecar.Proxy.Tests.Telemetry;

/// <summary>%RESPONSE_CODE_DETAILS% for the RBAC filter's denials, as Envoy writes it (Filters::Common::RBAC::responseDetail).</summary>
public sealed class ResponseCodeDetailsTests
{
    [Fact]
    public void A_denial_by_a_DENY_rule_names_the_rule_as_istiod_named_it()
    {
        var state = new RequestState { AccessDeniedBy = "ns[foo]-policy[deny-method-get]-rule[0]" };
        Assert.Equal("rbac_access_denied_matched_policy[ns[foo]-policy[deny-method-get]-rule[0]]", ResponseCodeDetails.For(state));
    }

    [Fact]
    public void A_denial_because_no_ALLOW_policy_matched_names_none()
    {
        var state = new RequestState { AccessDeniedBy = "none" };
        Assert.Equal("rbac_access_denied_matched_policy[none]", ResponseCodeDetails.For(state));
    }

    [Fact]
    public void Whitespace_in_a_policy_id_becomes_underscores_so_the_log_keeps_its_fields()
    {
        var state = new RequestState { AccessDeniedBy = "my policy" };
        Assert.Equal("rbac_access_denied_matched_policy[my_policy]", ResponseCodeDetails.For(state));
    }
}
