using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Security;

/// <summary>
/// AuthorizationPolicy CUSTOM and the mesh config's <c>envoyExtAuthzHttp</c> provider (Istio's authz builder for
/// ext_authz): the provider becomes the ext_authz settings, and a provider that cannot be used makes the CUSTOM
/// policies deny what they match.
/// </summary>
public sealed class ExtAuthzTranslatorTests
{
    private const string Service = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ext-authz, namespace: foo}
        spec:
          hosts: [ext-authz.foo.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 8000, name: http, protocol: HTTP}]
          endpoints: [{address: 10.0.0.9}]

        """;

    [Fact]
    public void An_envoyExtAuthzHttp_provider_becomes_the_ext_authz_settings_of_the_workloads_CUSTOM_policy()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, Mesh("""
            - name: authz
              envoyExtAuthzHttp:
                service: ext-authz.foo.svc.cluster.local
                port: 8000
                timeout: 2s
                pathPrefix: /check
                failOpen: true
                statusOnError: "503"
                includeRequestHeadersInCheck: [X-Ext-Authz, "x-user-*"]
                includeAdditionalHeadersInCheck: {x-authz-source: sidecar}
                headersToUpstreamOnAllow: [x-user]
                headersToDownstreamOnDeny: [x-reason]
                headersToDownstreamOnAllow: [set-cookie]
                includeRequestBodyInCheck: {maxRequestBytes: 4096, allowPartialMessage: true}
            """), Service + Policy("authz")));

        Assert.Equal(AuthorizationAction.Custom, Assert.Single(config.AuthorizationPolicies).Action);
        Assert.Equal(
            new ExtAuthzConfig
            {
                Provider = "authz",
                Cluster = "outbound|8000||ext-authz.foo.svc.cluster.local",
                PathPrefix = "/check",
                Timeout = TimeSpan.FromSeconds(2),
                FailOpen = true,
                StatusOnError = 503,
                IncludeRequestHeaders = ["x-ext-authz", "x-user-*"],
                AdditionalHeaders = [new HeaderValueConfig("x-authz-source", "sidecar")],
                HeadersToUpstreamOnAllow = ["x-user"],
                HeadersToDownstreamOnDeny = ["x-reason"],
                HeadersToDownstreamOnAllow = ["set-cookie"],
                MaxRequestBytes = 4096,
                AllowPartialMessage = true,
            },
            config.ExtAuthz);
    }

    [Fact]
    public void An_envoyExtAuthzGrpc_provider_is_asked_over_gRPC()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, Mesh("""
            - name: opa
              envoyExtAuthzGrpc: {service: ext-authz.foo.svc.cluster.local, port: 8000, timeout: 1s, failOpen: true}
            """), Service + Policy("opa")));

        Assert.Equal(ExtAuthzProtocol.Grpc, config.ExtAuthz!.Protocol);
        Assert.Equal("outbound|8000||ext-authz.foo.svc.cluster.local", config.ExtAuthz.Cluster);
        Assert.Equal(TimeSpan.FromSeconds(1), config.ExtAuthz.Timeout);
        Assert.True(config.ExtAuthz.FailOpen);
    }

    [Theory]
    [InlineData("missing", "is not an external authorization provider")]
    [InlineData("elsewhere", "is not a service this sidecar sees")]
    public void A_provider_that_cannot_be_used_turns_the_CUSTOM_policy_into_a_deny(string provider, string reason)
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, Mesh("""
            - name: elsewhere
              envoyExtAuthzHttp: {service: opa.other.svc.cluster.local, port: 8181}
            """), Service + Policy(provider)));

        Assert.True(result.IsValid);
        Assert.Null(result.Config!.ExtAuthz);
        Assert.Equal(AuthorizationAction.Deny, Assert.Single(result.Config.AuthorizationPolicies).Action);
        Assert.Contains(result.Warnings, w => w.Contains("CUSTOM", StringComparison.Ordinal) && w.Contains(reason, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("pathPrefix: check", "pathPrefix")]
    [InlineData("statusOnError: \"abc\"", "statusOnError")]
    public void Invalid_provider_settings_are_refused_with_the_field_named(string setting, string field)
    {
        var errors = Errors(Bookinfo.All(Bookinfo.Services, Mesh($$"""
            - name: authz
              envoyExtAuthzHttp: {service: ext-authz.foo.svc.cluster.local, port: 8000, {{setting}}}
            """)));

        Assert.Contains(errors, e => e.Field!.EndsWith(field, StringComparison.Ordinal) && e.Field.Contains("envoyExtAuthzHttp", StringComparison.Ordinal));
    }

    private static string Mesh(string providers) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {"{"}name: istio, namespace: istio-system{"}"}
        data:
          mesh: |
            extensionProviders:
        {string.Join("\n", providers.Split('\n').Select(line => "    " + line))}

        """;

    private static string Policy(string provider) => $$$"""
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ext-authz, namespace: default}
        spec:
          action: CUSTOM
          provider: {name: {{{provider}}}}
          rules: [{to: [{operation: {paths: ["/admin/*"]}}]}]
        """;
}
