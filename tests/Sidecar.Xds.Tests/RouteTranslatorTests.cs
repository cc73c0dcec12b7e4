using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;
using Sidecar.Xds.Translation;

namespace Sidecar.Xds.Tests;

/// <summary>istiod's route tables read into the model: matches, actions, policies and header mutations.</summary>
public sealed class RouteTranslatorTests
{
    [Fact]
    public void Weighted_clusters_retries_and_timeouts_read_as_istiod_writes_a_VirtualService_route()
    {
        var route = new Route
        {
            Name = "split",
            Match = new RouteMatch { Prefix = "/", CaseSensitive = false, Headers = { new HeaderMatcher { Name = "end-user", ExactMatch = "jason" } } },
            Route_ = new RouteAction
            {
                WeightedClusters = new WeightedCluster
                {
                    Clusters =
                    {
                        new WeightedCluster.Types.ClusterWeight { Name = "outbound|9080|v1|reviews.default.svc.cluster.local", Weight = 80 },
                        new WeightedCluster.Types.ClusterWeight
                        {
                            Name = "outbound|9080|v3|reviews.default.svc.cluster.local",
                            Weight = 20,
                            RequestHeadersToAdd = { new HeaderValueOption { Header = new HeaderValue { Key = "x-canary", Value = "1" }, AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd } },
                        },
                    },
                },
                Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(2)),
                RetryPolicy = new RetryPolicy
                {
                    RetryOn = "gateway-error,connect-failure,retriable-status-codes",
                    NumRetries = 3,
                    PerTryTimeout = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(500)),
                    RetriableStatusCodes = { 409 },
                    RetryHostPredicate = { new RetryPolicy.Types.RetryHostPredicate { Name = "envoy.retry_host_predicates.previous_hosts" } },
                    HostSelectionRetryMaxAttempts = 5,
                },
            },
        };

        var config = Single(route, out var errors);

        Assert.False(errors.Any);
        Assert.Equal(PathMatchKind.Prefix, config.Match.Path.Kind);
        Assert.True(config.Match.Path.IgnoreCase);
        Assert.Equal(new StringMatcherConfig(StringMatchKind.Exact, "jason"), Assert.Single(config.Match.Headers).Match);
        var action = config.Route!;
        Assert.Equal([80, 20], action.Clusters.Select(c => c.Weight));
        Assert.Equal("x-canary", Assert.Single(action.Clusters[1].RequestHeaders.Set).Name);
        Assert.Equal(TimeSpan.FromSeconds(2), action.Timeout);
        var retry = action.Retry!;
        Assert.Equal(3, retry.NumRetries);
        Assert.Equal(RetryOn.GatewayError | RetryOn.ConnectFailure | RetryOn.RetriableStatusCodes, retry.RetryOn);
        Assert.Equal([409], retry.RetriableStatusCodes);
        Assert.Equal(TimeSpan.FromMilliseconds(500), retry.PerTryTimeout);
        Assert.True(retry.RetryOtherHosts);
    }

    [Fact]
    public void A_zero_timeout_is_none_and_a_missing_one_is_Envoys_15_seconds()
    {
        Assert.Null(Single(new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = "c", Timeout = Duration.FromTimeSpan(TimeSpan.Zero) } }, out _).Route!.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(15), Single(new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = "c" } }, out _).Route!.Timeout);
    }

    [Fact]
    public void Redirects_mirrors_and_faults_keep_Envoys_values()
    {
        var mirror = new Route
        {
            Match = new RouteMatch { Path = "/mirror" },
            Route_ = new RouteAction
            {
                Cluster = "c",
                RequestMirrorPolicies = { new RouteAction.Types.RequestMirrorPolicy { Cluster = "shadow", RuntimeFraction = new RuntimeFractionalPercent { DefaultValue = new FractionalPercent { Numerator = 50 } } } },
            },
        };
        mirror.TypedPerFilterConfig["envoy.filters.http.fault"] = Any.Pack(new Envoy.Extensions.Filters.Http.Fault.V3.HTTPFault
        {
            Delay = new Envoy.Extensions.Filters.Common.Fault.V3.FaultDelay { FixedDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(7)), Percentage = new FractionalPercent { Numerator = 100_000, Denominator = FractionalPercent.Types.DenominatorType.Million } },
        });
        var redirect = new Route { Match = new RouteMatch { Prefix = "/old" }, Redirect = new RedirectAction { HttpsRedirect = true, HostRedirect = "new.example.com", PrefixRewrite = "/new", ResponseCode = RedirectAction.Types.RedirectResponseCode.PermanentRedirect } };

        var table = Translate(new RouteConfiguration { Name = "80", VirtualHosts = { new VirtualHost { Name = "h", Domains = { "*" }, Routes = { mirror, redirect } } } }, out var errors);

        Assert.False(errors.Any);
        var routes = Assert.Single(table.VirtualHosts).Routes;
        // A HUNDRED-denominated fraction is parts per million in the model.
        Assert.Equal(new MirrorPolicyConfig("shadow", new Percentage(500_000)), Assert.Single(routes[0].Route!.Mirrors));
        Assert.Equal(new DelayFaultConfig(TimeSpan.FromSeconds(7), new Percentage(100_000)), routes[0].Fault!.Delay);
        Assert.Equal(PathMatchKind.Exact, routes[0].Match.Path.Kind);
        Assert.Equal(new RedirectConfig { Scheme = "https", Host = "new.example.com", PrefixRewrite = "/new", ResponseCode = 308 }, routes[1].Redirect);
    }

    [Fact]
    public void Header_mutations_of_the_virtual_host_and_table_follow_the_routes_own()
    {
        var table = new RouteConfiguration
        {
            Name = "9080",
            RequestHeadersToAdd = { new HeaderValueOption { Header = new HeaderValue { Key = "x-table", Value = "t" } } },
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = "h",
                    Domains = { "*" },
                    RequestHeadersToRemove = { "x-drop" },
                    Routes = { new Route { Match = new RouteMatch { Prefix = "/" }, Route_ = new RouteAction { Cluster = "c" }, RequestHeadersToAdd = { new HeaderValueOption { Header = new HeaderValue { Key = "x-route", Value = "r" }, Append = false } } } },
                },
            },
        };

        var headers = Assert.Single(Assert.Single(Translate(table, out _).VirtualHosts).Routes).RequestHeaders;

        // append: false is a set; Envoy's default append action adds.
        Assert.Equal([new HeaderValueConfig("x-route", "r")], headers.Set);
        Assert.Equal([new HeaderValueConfig("x-table", "t")], headers.Add);
        Assert.Equal(["x-drop"], headers.Remove);
    }

    [Fact]
    public void What_the_model_cannot_hold_is_an_error_naming_the_field()
    {
        var route = new Route
        {
            Match = new RouteMatch { SafeRegex = new Envoy.Type.Matcher.V3.RegexMatcher { Regex = "/(a" }, Headers = { new HeaderMatcher { Name = "x-n", RangeMatch = new Int64Range { Start = 1, End = 5 } } } },
            Route_ = new RouteAction { Cluster = "c" },
        };

        Single(route, out var errors);

        Assert.Equal(
            ["virtual_hosts[0].routes[0].match.safe_regex.regex", "virtual_hosts[0].routes[0].match.headers[0].range_match"],
            errors.All.Select(e => e.Field));
        Assert.All(errors.All, e => Assert.Equal("RouteConfiguration 9080", e.Resource));
    }

    private static RouteConfig Single(Route route, out TranslationErrors errors) =>
        Assert.Single(Assert.Single(Translate(new RouteConfiguration { Name = "9080", VirtualHosts = { new VirtualHost { Name = "h", Domains = { "*" }, Routes = { route } } } }, out errors).VirtualHosts).Routes);

    private static RouteTableConfig Translate(RouteConfiguration table, out TranslationErrors errors)
    {
        errors = new TranslationErrors();
        return RouteTranslator.Translate(table, errors);
    }
}
