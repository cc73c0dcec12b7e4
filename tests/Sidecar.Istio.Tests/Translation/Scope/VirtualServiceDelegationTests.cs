using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Scope;

/// <summary>VirtualService delegation, merged as istiod's <c>mergeVirtualServicesIfNeeded</c> merges it.</summary>
public sealed class VirtualServiceDelegationTests
{
    private const string Root = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-root}
        spec:
          hosts: [reviews]
          http:
          - name: api
            match: [{uri: {prefix: /api}}]
            delegate: {name: reviews-api, namespace: reviews-team}
            timeout: 3s
          - route: [{destination: {host: reviews, subset: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-api, namespace: reviews-team}
        spec:
          http:
          - name: v2
            match: [{uri: {prefix: /api/v2}, headers: {end-user: {exact: jason}}}]
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: v2}}]
          - name: outside
            match: [{uri: {prefix: /other}}]
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: v3}}]
          - name: rest
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]
            timeout: 1s
        """;

    [Fact]
    public void A_delegates_routes_replace_the_delegating_route_narrowed_by_its_match()
    {
        var result = Translate(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, Root));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var routes = result.Config!.Table("9080").VirtualHost("reviews.default.svc.cluster.local:9080").Routes;
        // The delegate's /other route is not within the root's /api: left out, with a warning; "rest" inherits /api.
        Assert.Equal(
            [("api-v2", "/api/v2", "outbound|9080|v2|reviews.default.svc.cluster.local"), ("api-rest", "/api", "outbound|9080|v1|reviews.default.svc.cluster.local"), (null, "/", "outbound|9080|v1|reviews.default.svc.cluster.local")],
            routes.Select(r => (r.Name, r.Match.Path.Value, Assert.Single(r.Route!.Clusters).Cluster)));
        Assert.Equal("end-user", Assert.Single(routes[0].Match.Headers).Name);
        // A policy the delegate leaves unset comes from the root's route; one it sets is its own.
        Assert.Equal(TimeSpan.FromSeconds(3), routes[0].Route!.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(1), routes[1].Route!.Timeout);
        Assert.Contains(result.Warnings, w => w.Contains("VirtualService reviews-team/reviews-api", StringComparison.Ordinal) && w.Contains("conflicts with the match of root", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_or_unexported_delegate_leaves_out_the_delegating_route()
    {
        var hidden = Root.Replace("metadata: {name: reviews-api, namespace: reviews-team}\nspec:\n", "metadata: {name: reviews-api, namespace: reviews-team}\nspec:\n  exportTo: [\".\"]\n", StringComparison.Ordinal);
        var result = Translate(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, hidden));

        var route = Assert.Single(result.Config!.Table("9080").VirtualHost("reviews.default.svc.cluster.local:9080").Routes);
        Assert.Equal("/", route.Match.Path.Value);
        Assert.Contains(result.Warnings, w => w.Contains("delegate virtual service reviews-team/reviews-api is not exported to default", StringComparison.Ordinal));
    }
}
