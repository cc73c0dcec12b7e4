using System.Globalization;
using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Route.V3;
using Sidecar.FunctionalTests.Interception;
using Sidecar.Testing;
using Sidecar.Testing.Netns;
using static Sidecar.FunctionalTests.Xds.IstiodResources;

namespace Sidecar.FunctionalTests.Xds;

/// <summary>
/// Mesh mode in pods: network namespaces with the init program's iptables rules, each sidecar (uid 1337) configured
/// over xDS by the control plane, which the pods reach through the node, with certificates from a shared local CA. An
/// app's plain request to a pod address is captured by its sidecar, routed by istiod-shaped listeners and routes,
/// carried over auto mTLS, captured again on the server pod's 15006, terminated by the virtualInbound mTLS chain and
/// handed to the app through the inbound cluster (original destination, from 127.0.0.6); a plaintext client outside
/// the mesh takes the PERMISSIVE plaintext chain.
/// </summary>
public sealed class XdsPodTests : IAsyncLifetime
{
    private const int AppPort = 8080;
    private const string Service = "server.default.svc.cluster.local";
    private const string Outbound = $"outbound|8080||{Service}";
    private const string Sni = $"outbound_.8080_._.{Service}";
    private PodNetwork _network = null!;
    private FakeIstiod _istiod = null!;
    private NamespaceRelay _relay = null!;
    private TestBackend _app = null!;
    private SidecarProcess _client = null!;
    private SidecarProcess _server = null!;
    private string _caDirectory = null!;
    private IPAddress _node = null!;

    public async Task InitializeAsync()
    {
        if (CapturedMesh.SkipReason is not null)
        {
            return;
        }

        var subnet = 200 + (Environment.ProcessId % 50);
        _network = PodNetwork.Create(["client", "server"], subnet);
        var node = _node = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"10.77.{subnet}.254"));
        _istiod = await FakeIstiod.StartAsync();
        _relay = NamespaceRelay.Start(_network.Node, new IPEndPoint(node, 15010), new IPEndPoint(IPAddress.Loopback, _istiod.Address.Port));
        _app = await PodApps.StartHttpAsync(_network["server"].Namespace, "server-v1", AppPort);
        _istiod.Push(Resources(_network["server"].Address));
        foreach (var pod in _network.Pods)
        {
            CapturedMesh.Init(pod, CapturedMesh.InjectedInitFlags);
        }

        // One local CA for both sidecars (they run as uid 1337: the directory is theirs to write).
        _caDirectory = Directory.CreateTempSubdirectory("sidecar-xds-ca-").FullName;
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_caDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        }

        var xds = new Uri($"http://{node}:15010");
        _client = await SidecarProcess.StartInPodWithXdsAsync(_network["client"], xds, ["--labels", "app=client", "--service-account", "client", "--ca-dir", _caDirectory, "--access-log", "/dev/stdout"]);
        _server = await SidecarProcess.StartInPodWithXdsAsync(_network["server"], xds, ["--labels", "app=server", "--service-account", "server", "--ca-dir", _caDirectory, "--access-log", "/dev/stdout"]);
    }

    public async Task DisposeAsync()
    {
        foreach (var sidecar in new[] { _client, _server })
        {
            if (sidecar is not null)
            {
                await sidecar.DisposeAsync();
            }
        }

        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }

        if (_istiod is not null)
        {
            await _istiod.DisposeAsync();
        }

        _network?.Dispose();
        if (_caDirectory is not null)
        {
            Directory.Delete(_caDirectory, recursive: true);
        }
    }

    [NetnsFact]
    public async Task A_captured_request_crosses_both_sidecars_as_istiod_configured_them()
    {
        using var app = NamespaceHttp.CreateClient(_network["client"].Namespace);
        using var response = await app.GetAsync($"http://{_network["server"].Address}:{AppPort}/over-xds");

        Assert.Equal("server-v1", await response.Content.ReadAsStringAsync());
        // The client's sidecar answered (outbound) and routed by the RDS table to the EDS cluster...
        Assert.Equal("envoy", response.Headers.Server.ToString());
        await _client.WaitForOutputAsync(Outbound, TimeSpan.FromSeconds(10));
        // ...and the server's sidecar took it on 15006 over mTLS (the access log's requested server name is the client's
        // SNI, outbound_.port_.subset_.host), through the virtualInbound chain and the inbound cluster.
        await _server.WaitForOutputAsync("inbound|8080||", TimeSpan.FromSeconds(10));
        Assert.Contains(Sni, _server.Output, StringComparison.Ordinal);
    }

    [NetnsFact]
    public async Task A_connection_from_outside_the_mesh_reaches_the_app_through_the_inbound_chain()
    {
        using var node = NamespaceHttp.CreateClient(_network.Node);
        using var response = await node.GetAsync($"http://{_network["server"].Address}:{AppPort}/from-node");

        Assert.Equal("server-v1", await response.Content.ReadAsStringAsync());
        Assert.Equal("istio-envoy", response.Headers.Server.ToString());
    }

    [NetnsFact]
    public async Task An_AuthorizationPolicy_pushed_as_RBAC_is_enforced_on_the_server_side_and_lifted_by_the_next_push()
    {
        // istiod's DENY for "to: paths /admin/*, from: principals client": the client's identity comes from its mTLS certificate.
        var deny = new Envoy.Config.Rbac.V3.RBAC
        {
            Action = Envoy.Config.Rbac.V3.RBAC.Types.Action.Deny,
            Policies =
            {
                ["ns[default]-policy[deny-admin]-rule[0]"] = new Envoy.Config.Rbac.V3.Policy
                {
                    Principals = { new Envoy.Config.Rbac.V3.Principal { Authenticated = new Envoy.Config.Rbac.V3.Principal.Types.Authenticated { PrincipalName = new Envoy.Type.Matcher.V3.StringMatcher { Exact = "spiffe://cluster.local/ns/default/sa/client" } } } },
                    Permissions = { new Envoy.Config.Rbac.V3.Permission { UrlPath = new Envoy.Type.Matcher.V3.PathMatcher { Path = new Envoy.Type.Matcher.V3.StringMatcher { Prefix = "/admin/" } } } },
                },
            },
        };
        var rbac = new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter
        {
            Name = "envoy.filters.http.rbac",
            TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(new Envoy.Extensions.Filters.Http.Rbac.V3.RBAC { Rules = deny }),
        };
        using var app = NamespaceHttp.CreateClient(_network["client"].Namespace);
        var admin = $"http://{_network["server"].Address}:{AppPort}/admin/settings";
        try
        {
            _istiod.Push(Resources(_network["server"].Address, rbac));
            await Wait.UntilAsync(async () => await StatusAsync(app, admin) == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(10), "the policy to be enforced");

            using var denied = await app.GetAsync(admin);
            Assert.Equal("RBAC: access denied", await denied.Content.ReadAsStringAsync());
            using var allowed = await app.GetAsync($"http://{_network["server"].Address}:{AppPort}/public");
            Assert.Equal("server-v1", await allowed.Content.ReadAsStringAsync());
        }
        finally
        {
            _istiod.Push(Resources(_network["server"].Address));
        }

        await Wait.UntilAsync(async () => await StatusAsync(app, admin) == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the policy to be lifted");
    }

    [NetnsFact]
    public async Task A_RequestAuthentication_pushed_as_jwt_authn_verifies_tokens_and_RBAC_matches_the_request_principal()
    {
        using var issuer = new TestJwtIssuer("https://issuer.example.com");
        // istiod: jwt_authn with the provider (inline JWKS; any provider or no token), then an RBAC DENY of /secure/*
        // for requests without a request principal (notRequestPrincipals: ["*"]), matched on the JWT filter's metadata.
        var jwt = new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtAuthentication
        {
            Providers = { ["origins-0"] = new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtProvider { Issuer = issuer.Issuer, LocalJwks = new Envoy.Config.Core.V3.DataSource { InlineString = issuer.Jwks }, PayloadInMetadata = issuer.Issuer } },
            Rules =
            {
                new Envoy.Extensions.Filters.Http.JwtAuthn.V3.RequirementRule
                {
                    Match = new RouteMatch { Prefix = "/" },
                    Requires = new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtRequirement
                    {
                        RequiresAny = new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtRequirementOrList
                        {
                            Requirements = { new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtRequirement { ProviderName = "origins-0" }, new Envoy.Extensions.Filters.Http.JwtAuthn.V3.JwtRequirement { AllowMissing = new Google.Protobuf.WellKnownTypes.Empty() } },
                        },
                    },
                },
            },
        };
        var principal = new Envoy.Type.Matcher.V3.MetadataMatcher { Filter = "istio_authn", Value = new Envoy.Type.Matcher.V3.ValueMatcher { StringMatch = new Envoy.Type.Matcher.V3.StringMatcher { SafeRegex = new Envoy.Type.Matcher.V3.RegexMatcher { Regex = ".+" } } } };
        principal.Path.Add(new Envoy.Type.Matcher.V3.MetadataMatcher.Types.PathSegment { Key = "request.auth.principal" });
        var deny = new Envoy.Config.Rbac.V3.RBAC
        {
            Action = Envoy.Config.Rbac.V3.RBAC.Types.Action.Deny,
            Policies =
            {
                ["ns[default]-policy[require-jwt]-rule[0]"] = new Envoy.Config.Rbac.V3.Policy
                {
                    Principals = { new Envoy.Config.Rbac.V3.Principal { NotId = new Envoy.Config.Rbac.V3.Principal { Metadata = principal } } },
                    Permissions = { new Envoy.Config.Rbac.V3.Permission { UrlPath = new Envoy.Type.Matcher.V3.PathMatcher { Path = new Envoy.Type.Matcher.V3.StringMatcher { Prefix = "/secure/" } } } },
                },
            },
        };
        var filters = new[]
        {
            new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter { Name = "envoy.filters.http.jwt_authn", TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(jwt) },
            new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter { Name = "envoy.filters.http.rbac", TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(new Envoy.Extensions.Filters.Http.Rbac.V3.RBAC { Rules = deny }) },
        };
        using var app = NamespaceHttp.CreateClient(_network["client"].Namespace);
        var secure = $"http://{_network["server"].Address}:{AppPort}/secure/data";
        try
        {
            _istiod.Push(Resources(_network["server"].Address, filters));
            await Wait.UntilAsync(async () => await StatusAsync(app, secure) == HttpStatusCode.Forbidden, TimeSpan.FromSeconds(10), "the policy to be enforced");

            Assert.Equal(HttpStatusCode.OK, await StatusAsync(app, secure, $"Bearer {issuer.Token("user-1")}"));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(app, secure, "Bearer not-a-valid-token"));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(app, $"http://{_network["server"].Address}:{AppPort}/public"));
        }
        finally
        {
            _istiod.Push(Resources(_network["server"].Address));
        }

        await Wait.UntilAsync(async () => await StatusAsync(app, secure) == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the policy to be lifted");
    }

    [NetnsFact]
    public async Task A_CUSTOM_policy_pushed_as_ext_authz_and_its_shadow_rules_checks_only_the_requests_it_selects()
    {
        // The authorization service on the test's loopback, reached from the server pod through the node.
        await using var authz = await Security.GrpcExtAuthzServer.StartAsync();
        await using var relay = NamespaceRelay.Start(_network.Node, new IPEndPoint(_node, 9191), new IPEndPoint(IPAddress.Loopback, authz.Port));
        const string AuthzCluster = "outbound|9191||ext-authz.default.svc.cluster.local";
        var authzCluster = new Cluster
        {
            Name = AuthzCluster,
            Type = Cluster.Types.DiscoveryType.Static,
            ConnectTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)),
            LoadAssignment = Endpoints(AuthzCluster, new IPEndPoint(_node, 9191)),
        };
        authzCluster.TypedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = Google.Protobuf.WellKnownTypes.Any.Pack(new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions
        {
            ExplicitHttpConfig = new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Envoy.Config.Core.V3.Http2ProtocolOptions() },
        });
        // istiod's CUSTOM: RBAC shadow rules selecting /custom/*, and the ext_authz filter of the provider.
        var rbac = new Envoy.Extensions.Filters.Http.Rbac.V3.RBAC
        {
            ShadowRulesStatPrefix = "istio_ext_authz_",
            ShadowRules = new Envoy.Config.Rbac.V3.RBAC
            {
                Policies =
                {
                    ["istio-ext-authz-ns[default]-policy[ext-authz]-rule[0]"] = new Envoy.Config.Rbac.V3.Policy
                    {
                        Principals = { new Envoy.Config.Rbac.V3.Principal { Any = true } },
                        Permissions = { new Envoy.Config.Rbac.V3.Permission { UrlPath = new Envoy.Type.Matcher.V3.PathMatcher { Path = new Envoy.Type.Matcher.V3.StringMatcher { Prefix = "/custom/" } } } },
                    },
                },
            },
        };
        var extAuthz = new Envoy.Extensions.Filters.Http.ExtAuthz.V3.ExtAuthz
        {
            GrpcService = new Envoy.Config.Core.V3.GrpcService
            {
                EnvoyGrpc = new Envoy.Config.Core.V3.GrpcService.Types.EnvoyGrpc { ClusterName = AuthzCluster },
                Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(10)),
            },
        };
        var filters = new[]
        {
            new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter { Name = "envoy.filters.http.rbac", TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(rbac) },
            new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter { Name = "envoy.filters.http.ext_authz", TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(extAuthz) },
        };
        using var app = NamespaceHttp.CreateClient(_network["client"].Namespace);
        var custom = $"http://{_network["server"].Address}:{AppPort}/custom/report";
        try
        {
            _istiod.Push([.. Resources(_network["server"].Address, filters), authzCluster]);
            await Wait.UntilAsync(async () => await StatusAsync(app, custom) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10), "the CUSTOM policy to be enforced");

            using var allowed = new HttpRequestMessage(HttpMethod.Get, custom);
            allowed.Headers.Add("x-ext-authz", "allow");
            using var response = await app.SendAsync(allowed);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var checks = authz.Checks.Count;
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(app, $"http://{_network["server"].Address}:{AppPort}/public"));
            Assert.Equal(checks, authz.Checks.Count);
        }
        finally
        {
            _istiod.Push(Resources(_network["server"].Address));
        }

        await Wait.UntilAsync(async () => await StatusAsync(app, custom) == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "the policy to be lifted");
        // Lifting it removed the provider's cluster before the listener that named it (istiod's order): accepted, as Envoy does.
        Assert.Empty(_istiod.Nacks);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string url, string? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", authorization);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>What istiod would send both pods for one HTTP service on the server pod (its address as the VIP).</summary>
    private static Google.Protobuf.IMessage[] Resources(IPAddress server, params Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter[] inboundFilters)
    {
        var cluster = EdsCluster(Outbound, Service, AppPort);
        AutoMtls(cluster, Sni, "spiffe://cluster.local/ns/default/sa/server");
        var passthroughInbound = Passthrough();
        passthroughInbound.Name = "InboundPassthroughCluster";
        passthroughInbound.UpstreamBindConfig = new Envoy.Config.Core.V3.BindConfig { SourceAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "127.0.0.6" } };
        var table = new RouteConfiguration
        {
            Name = "8080",
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = $"{Service}:8080",
                    Domains = { Service, $"{Service}:8080", "server", "server:8080", server.ToString(), $"{server}:8080" },
                    Routes = { To(Outbound) },
                },
            },
            ValidateClusters = false,
        };
        return
        [
            cluster,
            WithTlsMode(Endpoints(Outbound, new IPEndPoint(server, AppPort))),
            Passthrough(),
            passthroughInbound,
            InboundCluster(AppPort),
            VirtualOutbound(),
            HttpPort(AppPort),
            VirtualInbound(AppPort, inboundFilters),
            table,
        ];
    }
}
