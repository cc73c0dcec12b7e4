using Envoy.Config.Core.V3;
using Envoy.Config.Rbac.V3;
using Envoy.Extensions.Filters.Http.ExtAuthz.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Config.Listener.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using Sidecar.Xds.Translation;
using EnvoyStringMatcher = Envoy.Type.Matcher.V3.StringMatcher;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;

namespace Sidecar.Xds.Tests;

/// <summary>An AuthorizationPolicy CUSTOM over xDS: istiod's ext_authz filter and the RBAC shadow rules that select what it checks.</summary>
public sealed class ExtAuthzTranslatorTests
{
    [Fact]
    public void An_http_provider_keeps_its_cluster_prefix_timeout_headers_and_error_handling()
    {
        var filter = new ExtAuthz
        {
            HttpService = new HttpService
            {
                ServerUri = new HttpUri { Uri = "http://ext-authz.foo.svc.cluster.local:8000", Cluster = "outbound|8000||ext-authz.foo.svc.cluster.local", Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)) },
                PathPrefix = "/check",
                AuthorizationRequest = new AuthorizationRequest
                {
                    AllowedHeaders = new Envoy.Type.Matcher.V3.ListStringMatcher { Patterns = { new EnvoyStringMatcher { Exact = "x-ext-authz", IgnoreCase = true }, new EnvoyStringMatcher { Prefix = "x-user-" } } },
                    HeadersToAdd = { new HeaderValue { Key = "x-from", Value = "sidecar" } },
                },
                AuthorizationResponse = new AuthorizationResponse
                {
                    AllowedUpstreamHeaders = new Envoy.Type.Matcher.V3.ListStringMatcher { Patterns = { new EnvoyStringMatcher { Exact = "x-verdict" } } },
                    AllowedClientHeaders = new Envoy.Type.Matcher.V3.ListStringMatcher { Patterns = { new EnvoyStringMatcher { Suffix = "-reason" } } },
                },
            },
            FailureModeAllow = true,
            StatusOnError = new Envoy.Type.V3.HttpStatus { Code = Envoy.Type.V3.StatusCode.ServiceUnavailable },
            WithRequestBody = new BufferSettings { MaxRequestBytes = 4096, AllowPartialMessage = true },
        };

        var config = ExtAuthzTranslator.Translate(filter, new TranslationErrors(), "Listener virtualInbound", "http_filters[2]")!;

        Assert.Equal(ExtAuthzProtocol.Http, config.Protocol);
        Assert.Equal("outbound|8000||ext-authz.foo.svc.cluster.local", config.Cluster);
        Assert.Equal("/check", config.PathPrefix);
        Assert.Equal(TimeSpan.FromSeconds(2), config.Timeout);
        Assert.Equal(["x-ext-authz", "x-user-*"], config.IncludeRequestHeaders);
        Assert.Equal([new HeaderValueConfig("x-from", "sidecar")], config.AdditionalHeaders);
        Assert.Equal(["x-verdict"], config.HeadersToUpstreamOnAllow);
        Assert.Equal(["*-reason"], config.HeadersToDownstreamOnDeny);
        Assert.True(config.FailOpen);
        Assert.Equal(503, config.StatusOnError);
        Assert.Equal((4096, true), (config.MaxRequestBytes, config.AllowPartialMessage));
    }

    [Fact]
    public void The_shadow_rules_istiod_pairs_with_ext_authz_are_the_CUSTOM_policies()
    {
        var rbac = new HttpRbac
        {
            ShadowRulesStatPrefix = ExtAuthzTranslator.CustomPoliciesStatPrefix,
            ShadowRules = new RBAC
            {
                Action = RBAC.Types.Action.Deny,
                Policies =
                {
                    ["istio-ext-authz-ns[foo]-policy[ext-authz]-rule[0]"] = new Policy
                    {
                        Principals = { new Principal { Any = true } },
                        Permissions = { new Permission { UrlPath = new Envoy.Type.Matcher.V3.PathMatcher { Path = new EnvoyStringMatcher { Prefix = "/admin/" } } } },
                    },
                },
            },
        };
        var grpc = new ExtAuthz { GrpcService = new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = "outbound|9000||ext-authz-grpc.foo.svc.cluster.local" }, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(600)) } };
        var manager = new HttpConnectionManager
        {
            RouteConfig = new Envoy.Config.Route.V3.RouteConfiguration { Name = "inbound|8080||" },
            HttpFilters =
            {
                new HttpFilter { Name = "envoy.filters.http.rbac", TypedConfig = Any.Pack(rbac) },
                new HttpFilter { Name = "envoy.filters.http.ext_authz", TypedConfig = Any.Pack(grpc) },
                new HttpFilter { Name = "envoy.filters.http.router" },
            },
        };
        var listener = new Listener
        {
            Name = "virtualInbound",
            Address = new Address { SocketAddress = new SocketAddress { Address = "0.0.0.0", PortValue = 15006 } },
            TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Inbound,
            FilterChains = { new FilterChain { FilterChainMatch = new FilterChainMatch { DestinationPort = 8080 }, Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(manager) } } } },
        };

        var parts = new SnapshotParts();
        var errors = new TranslationErrors();
        ListenerTranslator.Translate(listener, parts, errors);

        Assert.False(errors.Any);
        var policy = Assert.Single(parts.HttpPolicies.Values);
        Assert.Equal(("foo/ext-authz", AuthorizationAction.Custom), (policy.Name, policy.Action));
        Assert.Equal(new AttributeMatchConfig("request.path", ["/admin/*"], []), Assert.Single(Assert.Single(Assert.Single(policy.Rules).To).Matches));
        Assert.Equal(ExtAuthzProtocol.Grpc, parts.ExtAuthz!.Protocol);
        Assert.Equal("outbound|9000||ext-authz-grpc.foo.svc.cluster.local", parts.ExtAuthz.Cluster);
        Assert.Equal(TimeSpan.FromSeconds(600), parts.ExtAuthz.Timeout);
    }
}
