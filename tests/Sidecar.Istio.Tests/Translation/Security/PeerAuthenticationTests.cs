using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Security;

public sealed class PeerAuthenticationTests
{
    private static IEnumerable<string> ChainNames(ProxyConfig config) =>
        config.Listener(ListenerNames.VirtualInbound).FilterChains.Skip(1).Select(c => c.Name);

    [Fact]
    public void Without_a_policy_the_mode_is_PERMISSIVE_tls_chain_for_istio_alpn_then_plaintext()
    {
        var config = Config(Bookinfo.Services);
        Assert.Equal(["inbound|9080|mtls-http", "inbound|9080|http"], ChainNames(config));
        var tls = config.Listener(ListenerNames.VirtualInbound).FilterChains[1];
        Assert.Equal("tls", tls.Match.TransportProtocol);
        Assert.Equal(["istio-http/1.0", "istio-http/1.1", "istio-h2"], tls.Match.ApplicationProtocols);
        Assert.True(tls.Tls!.RequireClientCertificate);
        Assert.Equal(["spiffe://cluster.local/"], tls.Tls.PeerSanPrefixes);
    }

    [Fact]
    public void Mesh_wide_STRICT_in_the_root_namespace_leaves_only_the_tls_chain_and_a_refusal()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec:
              mtls: {mode: STRICT}
            """));
        Assert.Equal(["inbound|9080|mtls-http", "inbound|9080|strict-refused", "InboundPassthroughFilterChain-mtls", "InboundPassthroughFilterChain-strict-refused"], ChainNames(config));
        var chains = config.Listener(ListenerNames.VirtualInbound).FilterChains;
        Assert.True(chains[2].NotFound);
        // Ports no service declares: mTLS terminated then passed through, anything else refused.
        Assert.Null(chains[3].Match.DestinationPort);
        Assert.NotNull(chains[3].Tls);
        Assert.Equal(ClusterName.InboundPassthrough, chains[3].Tcp!.Clusters[0].Cluster);
        Assert.True(chains[4].NotFound);
    }

    [Fact]
    public void A_workload_policy_overrides_the_namespace_policy_and_UNSET_inherits_it()
    {
        var strictNamespace = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: default}
            spec:
              mtls: {mode: STRICT}
            """;
        var disabledWorkload = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: productpage, namespace: default}
            spec:
              selector: {matchLabels: {app: productpage}}
              mtls: {mode: DISABLE}
            """;
        Assert.Equal(["inbound|9080|http"], ChainNames(Config(Bookinfo.All(Bookinfo.Services, strictNamespace, disabledWorkload))));
        Assert.Equal(["inbound|9080|mtls-http", "inbound|9080|strict-refused", "InboundPassthroughFilterChain-mtls", "InboundPassthroughFilterChain-strict-refused"],
            ChainNames(Config(Bookinfo.All(Bookinfo.Services, strictNamespace, disabledWorkload.Replace("DISABLE", "UNSET", StringComparison.Ordinal)))));
    }

    [Fact]
    public void PortLevelMtls_overrides_the_workload_mode_for_that_port()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: productpage, namespace: default}
            spec:
              selector: {matchLabels: {app: productpage}}
              mtls: {mode: PERMISSIVE}
              portLevelMtls:
                9080: {mode: STRICT}
            """));
        Assert.Equal(["inbound|9080|mtls-http", "inbound|9080|strict-refused"], ChainNames(config));
    }

    [Fact]
    public void A_policy_in_another_namespace_does_not_apply()
    {
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: other}
            spec:
              mtls: {mode: DISABLE}
            """));
        Assert.Equal(["inbound|9080|mtls-http", "inbound|9080|http"], ChainNames(config));
    }

    [Fact]
    public void A_destination_whose_own_policy_says_DISABLE_gets_plaintext_from_auto_mTLS()
    {
        // istiod's endpoint mtlsChecker: the client's auto mTLS follows the server workload's PeerAuthentication,
        // so a DISABLE server (workload-wide or on its target port) is not sent TLS it would refuse.
        var config = Config(Bookinfo.All(Bookinfo.Services, """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: reviews-v2-plaintext, namespace: default}
            spec:
              selector: {matchLabels: {app: reviews, version: v2}}
              mtls: {mode: DISABLE}
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: ratings-port, namespace: default}
            spec:
              selector: {matchLabels: {app: ratings}}
              mtls: {mode: STRICT}
              portLevelMtls:
                9080: {mode: DISABLE}
            """));

        var reviews = config.Cluster("outbound|9080||reviews.default.svc.cluster.local");
        Assert.Equal(["v1:True", "v2:False", "v3:True"], reviews.Endpoints.Select(e => $"{e.Labels["version"]}:{e.IsIstioMtlsCapable}").Order());
        Assert.All(config.Cluster("outbound|9080||ratings.default.svc.cluster.local").Endpoints, e => Assert.False(e.IsIstioMtlsCapable));
        Assert.All(config.Cluster("outbound|9080||details.default.svc.cluster.local").Endpoints, e => Assert.True(e.IsIstioMtlsCapable));
    }
}
