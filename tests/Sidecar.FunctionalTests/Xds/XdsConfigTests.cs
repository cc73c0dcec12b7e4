using System.Net;
using System.Text.Json;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Testing;
using static Sidecar.FunctionalTests.Xds.IstiodResources;

namespace Sidecar.FunctionalTests.Xds;

/// <summary>
/// Mesh mode: a real sidecar process configured over ADS by a control plane speaking Envoy's xDS API with
/// istiod-shaped resources (CDS, EDS, LDS, RDS): it routes by them, ACKs each push, follows new pushes without a
/// restart, and NACKs a push it cannot apply while the last good config keeps serving. Delta xDS (pilot-agent's
/// default, <c>ISTIO_DELTA_XDS</c>) unless a test says state of the world.
/// </summary>
public sealed class XdsConfigTests : IAsyncLifetime
{
    private const string V1 = $"outbound|9080|v1|{Reviews}";
    private const string V2 = $"outbound|9080|v2|{Reviews}";
    private TestBackend _v1 = null!;
    private TestBackend _v2 = null!;
    private FakeIstiod _istiod = null!;

    public async Task InitializeAsync()
    {
        _v1 = await TestBackend.StartAsync("reviews-v1", ScriptedBackend.Handler("reviews-v1"));
        _v2 = await TestBackend.StartAsync("reviews-v2", ScriptedBackend.Handler("reviews-v2"));
        _istiod = await FakeIstiod.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _istiod.DisposeAsync();
        await _v1.DisposeAsync();
        await _v2.DisposeAsync();
    }

    [Fact]
    public async Task Routes_as_istiod_configures_it_ACKs_every_type_and_follows_a_new_push()
    {
        _istiod.Push(Mesh(Table("9080", To(V2, Header("end-user", "jason"), "jason"), To(V1)), accessLogFormat: "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %RESPONSE_CODE% %UPSTREAM_CLUSTER% xds-access-log"));
        await using var sidecar = await SidecarProcess.StartWithXdsAsync(_istiod.Address, arguments: ["--namespace", "default", "--pod-name", "productpage-v1-abc", "--labels", "app=productpage,version=v1"]);

        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));
        Assert.Equal("reviews-v2", await BodyAsync(sidecar, "/reviews/0", jason: true));
        // The connection manager's file access log (istiod's accessLogFile and accessLogFormat) is written.
        await sidecar.WaitForOutputAsync($"GET /reviews/0 200 {V2} xds-access-log", TimeSpan.FromSeconds(10));

        // The first request names the node as pilot-agent does; every type is ACKed (version and nonce echoed, no error).
        var first = _istiod.Requests.First();
        Assert.Equal("sidecar~127.0.0.1~productpage-v1-abc.default~default.svc.cluster.local", first.Node.Id);
        Assert.Equal("productpage.default", first.Node.Cluster);
        Assert.Equal("default", first.Node.Metadata.Fields["NAMESPACE"].StringValue);
        Assert.Equal("productpage", first.Node.Metadata.Fields["LABELS"].StructValue.Fields["app"].StringValue);
        // Like Envoy, the sidecar ACKs a response after applying it: the last ACK may follow the first request served.
        await Wait.UntilAsync(
            () => _istiod.Requests.Where(r => r.ResponseNonce.Length > 0 && r.ErrorDetail is null).Select(r => r.TypeUrl).Distinct().Count() == 4,
            TimeSpan.FromSeconds(10), "an ACK of each of the four types");
        Assert.Empty(_istiod.Nacks);
        Assert.Equal([V1, V2], _istiod.SubscribedNames(EdsType));
        Assert.NotEmpty(_istiod.DeltaRequests);

        using (var dump = JsonDocument.Parse(await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/config_dump")))
        {
            Assert.Equal("xds", dump.RootElement.GetProperty("source").GetProperty("kind").GetString());
        }

        // A new push: everything to v2, and a fault (Envoy's per-route HTTPFault) on /fault.
        var fault = To(V2, new RouteMatch { Prefix = "/fault" }, "fault");
        fault.TypedPerFilterConfig["envoy.filters.http.fault"] = Any.Pack(new HTTPFault
        {
            Abort = new FaultAbort { HttpStatus = 503, Percentage = new Envoy.Type.V3.FractionalPercent { Numerator = 100 } },
        });
        _istiod.Push(Mesh(Table("9080", fault, To(V2))));
        await Wait.UntilAsync(async () => await BodyAsync(sidecar, "/reviews/0") == "reviews-v2", TimeSpan.FromSeconds(10), "the pushed routes to be served");
        using var aborted = await sidecar.SendAsync("reviews:9080", "/fault");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, aborted.StatusCode);
        Assert.Equal("FI", string.Join(",", aborted.Headers.GetValues("x-envoy-response-flags")));
        Assert.Empty(_istiod.Nacks);
    }

    [Fact]
    public async Task A_push_it_cannot_apply_is_NACKed_with_the_cause_and_the_last_good_config_keeps_serving()
    {
        _istiod.Push(Mesh(Table("9080", To(V1))));
        await using var sidecar = await SidecarProcess.StartWithXdsAsync(_istiod.Address);
        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));

        // An invalid RE2 pattern: Envoy refuses the RouteConfiguration, and so does this proxy.
        var broken = To(V2, new RouteMatch { SafeRegex = new Envoy.Type.Matcher.V3.RegexMatcher { Regex = "/reviews/(" } }, "broken");
        _istiod.Push(Mesh(Table("9080", broken, To(V2))));
        await Wait.UntilAsync(() => Task.FromResult(_istiod.Nacks.Count > 0), TimeSpan.FromSeconds(10), "the push to be NACKed");

        var nack = _istiod.Nacks[0];
        Assert.EndsWith("RouteConfiguration", nack.TypeUrl, StringComparison.Ordinal);
        Assert.Contains("RouteConfiguration 9080", nack.ErrorDetail.Message, StringComparison.Ordinal);
        Assert.Equal(3, nack.ErrorDetail.Code);
        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));
        using var dump = JsonDocument.Parse(await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/config_dump"));
        Assert.True(dump.RootElement.GetProperty("rejected_count").GetInt64() >= 1);
    }

    [Fact]
    public async Task A_broken_state_of_the_world_stream_is_opened_again_resuming_with_the_versions_held_while_the_config_keeps_serving()
    {
        _istiod.Push(Mesh(Table("9080", To(V1))));
        await using var sidecar = await SidecarProcess.StartWithXdsAsync(_istiod.Address, environment: StateOfTheWorld);
        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));
        Assert.Empty(_istiod.DeltaRequests);
        var heldClusters = _istiod.Requests.Last(r => r.TypeUrl.EndsWith(".Cluster", StringComparison.Ordinal)).VersionInfo;

        _istiod.DropStreams();
        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));
        await Wait.UntilAsync(() => Task.FromResult(_istiod.Requests.Count(r => r.Node is not null) >= 2), TimeSpan.FromSeconds(10), "a second stream");

        // The new stream names the node again and tells istiod the cluster version it holds (no nonce: a new stream).
        var resumed = _istiod.Requests.Where(r => r.Node is not null).ElementAt(1);
        Assert.EndsWith(".Cluster", resumed.TypeUrl, StringComparison.Ordinal);
        Assert.Equal(heldClusters, resumed.VersionInfo);
        Assert.Equal("", resumed.ResponseNonce);

        // Pushes reach the sidecar on the new stream.
        _istiod.Push(Mesh(Table("9080", To(V2))));
        await Wait.UntilAsync(async () => await BodyAsync(sidecar, "/reviews/0") == "reviews-v2", TimeSpan.FromSeconds(10), "the push on the new stream");
    }

    [Fact]
    public async Task A_broken_delta_stream_is_opened_again_telling_istiod_the_resource_versions_held()
    {
        _istiod.Push(Mesh(Table("9080", To(V1))));
        await using var sidecar = await SidecarProcess.StartWithXdsAsync(_istiod.Address);
        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));
        await Wait.UntilAsync(() => Task.FromResult(_istiod.DeltaRequests.Any(r => r.TypeUrl == RdsType && r.ResponseNonce.Length > 0)), TimeSpan.FromSeconds(10), "the route table's ACK");

        _istiod.DropStreams();
        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));
        await Wait.UntilAsync(() => Task.FromResult(_istiod.DeltaRequests.Count(r => r.Node is not null) >= 2), TimeSpan.FromSeconds(10), "a second stream");

        // xDS's reconnect: each type's first request on the new stream carries initial_resource_versions, no nonce;
        // the clusters as a wildcard subscription (no names), the endpoints by name.
        var resumed = _istiod.DeltaRequests.SkipWhile(r => r.Node is null).Skip(1).SkipWhile(r => r.Node is null).ToList();
        var clusters = resumed.First(r => r.TypeUrl == CdsType);
        Assert.Equal("", clusters.ResponseNonce);
        Assert.Empty(clusters.ResourceNamesSubscribe);
        Assert.Equal(new[] { V1, V2, "PassthroughCluster" }.Order(StringComparer.Ordinal), clusters.InitialResourceVersions.Keys.Order(StringComparer.Ordinal));
        var endpoints = resumed.First(r => r.TypeUrl == EdsType);
        Assert.Equal([V1, V2], endpoints.ResourceNamesSubscribe.Order(StringComparer.Ordinal));
        Assert.Equal([V1, V2], endpoints.InitialResourceVersions.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["9080"], resumed.First(r => r.TypeUrl == RdsType).InitialResourceVersions.Keys);

        // Pushes reach the sidecar on the new stream.
        _istiod.Push(Mesh(Table("9080", To(V2))));
        await Wait.UntilAsync(async () => await BodyAsync(sidecar, "/reviews/0") == "reviews-v2", TimeSpan.FromSeconds(10), "the push on the new stream");
        Assert.Empty(_istiod.Nacks);
    }

    [Fact]
    public async Task A_delta_push_removes_a_cluster_and_the_sidecar_unsubscribes_from_its_endpoints()
    {
        _istiod.Push(Mesh(Table("9080", To(V2, Header("end-user", "jason"), "jason"), To(V1))));
        await using var sidecar = await SidecarProcess.StartWithXdsAsync(_istiod.Address);
        Assert.Equal("reviews-v2", await BodyAsync(sidecar, "/reviews/0", jason: true));

        // v2 goes: istiod's delta push names the removed cluster (and the route no longer refers to it).
        _istiod.Push(EdsCluster(V1, Reviews, 9080, "v1"), Passthrough(), Endpoints(V1, _v1), VirtualOutbound(), HttpPort(9080, null), Table("9080", To(V1)));
        await Wait.UntilAsync(async () => await BodyAsync(sidecar, "/reviews/0", jason: true) == "reviews-v1", TimeSpan.FromSeconds(10), "the push without v2");

        // A subscription change of its own, without a nonce, as istiod expects one.
        await Wait.UntilAsync(() => Task.FromResult(_istiod.DeltaRequests.Any(r => r.TypeUrl == EdsType && r.ResourceNamesUnsubscribe.Contains(V2))), TimeSpan.FromSeconds(10), "the unsubscription from v2's endpoints");
        var unsubscribe = _istiod.DeltaRequests.First(r => r.TypeUrl == EdsType && r.ResourceNamesUnsubscribe.Contains(V2));
        Assert.Equal("", unsubscribe.ResponseNonce);
        Assert.Empty(unsubscribe.ResourceNamesSubscribe);
        Assert.Equal([V1], _istiod.SubscribedNames(EdsType));
        var clusters = await sidecar.Client.GetStringAsync($"{sidecar.AdminUrl}/clusters");
        Assert.DoesNotContain(V2, clusters, StringComparison.Ordinal);
        Assert.Contains(V1, clusters, StringComparison.Ordinal);
        Assert.Empty(_istiod.Nacks);
    }

    [Fact]
    public async Task A_control_plane_without_delta_xds_is_asked_in_state_of_the_world()
    {
        await using var istiod = await FakeIstiod.StartAsync(servesDelta: false);
        istiod.Push(Mesh(Table("9080", To(V1))));
        await using var sidecar = await SidecarProcess.StartWithXdsAsync(istiod.Address);

        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/0"));
        Assert.Contains("does not serve delta xDS", sidecar.Output, StringComparison.Ordinal);
        Assert.Contains(istiod.Requests, r => r.Node is not null && r.VersionInfo.Length == 0);
        Assert.Empty(istiod.Nacks);
    }

    [Fact]
    public async Task With_DNS_capture_it_subscribes_to_istiods_NDS_name_table_with_DNS_CAPTURE_metadata_and_ACKs_it_without_it_it_does_not()
    {
        const string NdsType = "type.googleapis.com/istio.networking.nds.v1.NameTable";
        _istiod.Push([.. Mesh(Table("9080", To(V1))), NameTable(Reviews, "10.96.0.20")]);
        await using var capturing = await SidecarProcess.StartWithXdsAsync(_istiod.Address, arguments: ["--dns-capture"]);

        // pilot-agent's node says DNS_CAPTURE "true" (istiod builds a table only then) and asks for NDS as a wildcard.
        Assert.Equal("true", _istiod.Requests.First().Node.Metadata.Fields["DNS_CAPTURE"].StringValue);
        Assert.Empty(_istiod.Requests.First(r => r.TypeUrl == NdsType).ResourceNames);
        await Wait.UntilAsync(
            () => _istiod.Requests.Any(r => r.TypeUrl == NdsType && r.ResponseNonce.Length > 0 && r.ErrorDetail is null),
            TimeSpan.FromSeconds(10), "an ACK of the name table");
        Assert.Empty(_istiod.Nacks);
        // The accepted table is the snapshot's (what the DNS proxy answers from).
        await Wait.UntilAsync(async () =>
        {
            using var dump = JsonDocument.Parse(await capturing.Client.GetStringAsync($"{capturing.AdminUrl}/config_dump?include_model"));
            return dump.RootElement.GetProperty("config").TryGetProperty("name_table", out var table)
                && table.EnumerateArray().Any(n => n.GetProperty("host").GetString() == Reviews && n.GetProperty("ips")[0].GetString() == "10.96.0.20");
        }, TimeSpan.FromSeconds(10), "the name table in the snapshot");

        // Without DNS capture: no DNS_CAPTURE in the node and no NDS subscription.
        await using var istiod = await FakeIstiod.StartAsync();
        istiod.Push([.. Mesh(Table("9080", To(V1))), NameTable(Reviews, "10.96.0.20")]);
        await using var plain = await SidecarProcess.StartWithXdsAsync(istiod.Address);
        await Wait.UntilAsync(
            () => istiod.Requests.Where(r => r.ResponseNonce.Length > 0 && r.ErrorDetail is null).Select(r => r.TypeUrl).Distinct().Count() == 4,
            TimeSpan.FromSeconds(10), "an ACK of each of Envoy's four types");
        Assert.False(istiod.Requests.First().Node.Metadata.Fields.ContainsKey("DNS_CAPTURE"));
        Assert.DoesNotContain(istiod.Requests, r => r.TypeUrl == NdsType);
    }

    private const string CdsType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    private const string EdsType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    private const string RdsType = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

    /// <summary>pilot-agent's switch to state-of-the-world xDS.</summary>
    private static readonly Dictionary<string, string> StateOfTheWorld = new() { ["ISTIO_DELTA_XDS"] = "false" };

    /// <summary>The mesh for reviews v1 and v2 with <paramref name="table"/> as route table "9080".</summary>
    private Google.Protobuf.IMessage[] Mesh(RouteConfiguration table, string? accessLogFormat = null, Envoy.Config.Accesslog.V3.AccessLog? otherLog = null) =>
    [
        EdsCluster(V1, Reviews, 9080, "v1"),
        EdsCluster(V2, Reviews, 9080, "v2"),
        Passthrough(),
        Endpoints(V1, _v1),
        Endpoints(V2, _v2),
        VirtualOutbound(),
        HttpPort(9080, accessLogFormat, otherLog),
        table,
    ];

    [Fact]
    public async Task The_OpenTelemetry_access_log_istiod_configures_exports_each_request_to_the_collector_its_cluster_names()
    {
        await using var collector = await Telemetry.OtlpReceiver.StartAsync();
        var collectorPort = new Uri(collector.GrpcEndpoint).Port;

        // pilot's buildOpenTelemetryAccessLogConfig for an envoyOtelAls provider with logFormat text and labels.
        var otel = new Envoy.Extensions.AccessLoggers.OpenTelemetry.V3.OpenTelemetryAccessLogConfig
        {
            CommonConfig = new Envoy.Extensions.AccessLoggers.Grpc.V3.CommonGrpcAccessLogConfig
            {
                LogName = "otel_envoy_accesslog",
                GrpcService = new Envoy.Config.Core.V3.GrpcService
                {
                    EnvoyGrpc = new Envoy.Config.Core.V3.GrpcService.Types.EnvoyGrpc { ClusterName = $"outbound|{collectorPort}||127.0.0.1", Authority = "127.0.0.1" },
                },
            },
            DisableBuiltinLabels = true,
            Body = new Opentelemetry.Proto.Common.V1.AnyValue { StringValue = "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %UPSTREAM_CLUSTER%" },
            Attributes = new Opentelemetry.Proto.Common.V1.KeyValueList
            {
                Values = { new Opentelemetry.Proto.Common.V1.KeyValue { Key = "code", Value = new Opentelemetry.Proto.Common.V1.AnyValue { StringValue = "%RESPONSE_CODE%" } } },
            },
        };
        _istiod.Push(Mesh(Table("9080", To(V1)), otherLog: new Envoy.Config.Accesslog.V3.AccessLog { Name = "envoy.access_loggers.open_telemetry", TypedConfig = Any.Pack(otel) }));
        await using var sidecar = await SidecarProcess.StartWithXdsAsync(_istiod.Address, arguments: ["--namespace", "default", "--pod-name", "productpage-v1-abc", "--labels", "app=productpage,version=v1"]);

        Assert.Equal("reviews-v1", await BodyAsync(sidecar, "/reviews/otel"));

        await Wait.UntilAsync(() => collector.Logs.Any(r => r.Body == $"GET /reviews/otel 200 {V1}"), TimeSpan.FromSeconds(20), "the request's record at the collector");
        Assert.Equal("200", collector.Logs.Single(r => r.Body == $"GET /reviews/otel 200 {V1}").Attributes["code"]);
        Assert.Empty(_istiod.Nacks);
    }

    private static async Task<string> BodyAsync(SidecarProcess sidecar, string path, bool jason = false)
    {
        using var response = await sidecar.SendAsync("reviews:9080", path, configure: r =>
        {
            if (jason)
            {
                r.Headers.Add("end-user", "jason");
            }
        });
        return await response.Content.ReadAsStringAsync();
    }
}
