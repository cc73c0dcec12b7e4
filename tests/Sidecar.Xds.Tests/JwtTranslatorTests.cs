using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Http.JwtAuthn.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Tests;

/// <summary>istiod's jwt_authn filter (from RequestAuthentications) read back into the model's JWT rules.</summary>
public sealed class JwtTranslatorTests
{
    [Fact]
    public void Each_provider_is_a_rule_with_its_issuer_keys_token_locations_and_outputs()
    {
        var authentication = new JwtAuthentication
        {
            Providers =
            {
                ["origins-0"] = new JwtProvider
                {
                    Issuer = "https://issuer.example.com",
                    Audiences = { "bookinfo" },
                    RemoteJwks = new RemoteJwks { HttpUri = new HttpUri { Uri = "https://issuer.example.com/jwks", Cluster = "outbound|443||issuer.example.com", Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(3)) } },
                    Forward = true,
                    FromHeaders = { new JwtHeader { Name = "x-jwt", ValuePrefix = "Token " } },
                    FromParams = { "token" },
                    ForwardPayloadHeader = "x-jwt-payload",
                    ClaimToHeaders = { new JwtClaimToHeader { HeaderName = "x-sub", ClaimName = "sub" } },
                    NormalizePayloadInMetadata = new JwtProvider.Types.NormalizePayload { SpaceDelimitedClaims = { "scope" } },
                },
                ["origins-1"] = new JwtProvider { Issuer = "local", LocalJwks = new DataSource { InlineString = "{\"keys\":[]}" } },
            },
            Rules =
            {
                new RequirementRule
                {
                    Match = new Envoy.Config.Route.V3.RouteMatch { Prefix = "/" },
                    Requires = new JwtRequirement
                    {
                        RequiresAny = new JwtRequirementOrList
                        {
                            Requirements = { new JwtRequirement { ProviderName = "origins-0" }, new JwtRequirement { ProviderName = "origins-1" }, new JwtRequirement { AllowMissing = new Empty() } },
                        },
                    },
                },
            },
        };

        var rules = new Dictionary<string, JwtRuleConfig>();
        var errors = new TranslationErrors();
        JwtTranslator.Add(authentication, rules, errors, "Listener virtualInbound", "http_filters[1]");

        Assert.False(errors.Any);
        Assert.Empty(errors.Warnings);
        Assert.Equal(2, rules.Count);
        var remote = rules.Values.Single(r => r.Issuer == "https://issuer.example.com");
        Assert.Equal(["bookinfo"], remote.Audiences);
        Assert.Equal("https://issuer.example.com/jwks", remote.JwksUri);
        Assert.Equal(TimeSpan.FromSeconds(3), remote.JwksFetchTimeout);
        Assert.Equal([new JwtHeaderLocationConfig("x-jwt", "Token ")], remote.FromHeaders);
        Assert.Equal(["token"], remote.FromParams);
        Assert.True(remote.ForwardOriginalToken);
        Assert.Equal("x-jwt-payload", remote.OutputPayloadToHeader);
        Assert.Equal([new JwtClaimToHeaderConfig("x-sub", "sub")], remote.OutputClaimToHeaders);
        Assert.Equal(["scope"], remote.SpaceDelimitedClaims);
        Assert.Equal("{\"keys\":[]}", rules.Values.Single(r => r.Issuer == "local").Jwks);
    }

    [Fact]
    public void A_requirement_that_refuses_a_missing_token_is_warned_about()
    {
        var authentication = new JwtAuthentication
        {
            Providers = { ["p"] = new JwtProvider { Issuer = "i", LocalJwks = new DataSource { InlineString = "{\"keys\":[]}" } } },
            Rules = { new RequirementRule { Match = new Envoy.Config.Route.V3.RouteMatch { Prefix = "/" }, Requires = new JwtRequirement { ProviderName = "p" } } },
        };

        var errors = new TranslationErrors();
        JwtTranslator.Add(authentication, new Dictionary<string, JwtRuleConfig>(), errors, "Listener virtualInbound", "http_filters[1]");

        Assert.Equal("http_filters[1].rules[0]", Assert.Single(errors.Warnings).Field);
    }
}
