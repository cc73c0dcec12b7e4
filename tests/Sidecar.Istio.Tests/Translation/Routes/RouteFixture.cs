using Sidecar.Model;

namespace Sidecar.Istio.Tests.Translation.Routes;

internal static class RouteFixture
{
    public const string ReviewsHost = "reviews.default.svc.cluster.local";

    /// <summary>The routes of reviews' virtual host in table 9080, for a reviews VirtualService with these http rules.</summary>
    public static EquatableArray<RouteConfig> ReviewsRoutes(string http, string extra = "", WorkloadInfo? workload = null)
    {
        var config = TranslationFixture.Config(Bookinfo.All(Bookinfo.Services, Bookinfo.DestinationRules, ReviewsVirtualService(http), extra), workload);
        return config.Table("9080").VirtualHost($"{ReviewsHost}:9080").Routes;
    }

    public static RouteConfig SingleReviewsRoute(string http, string extra = "") => Assert.Single(ReviewsRoutes(http, extra));

    public static string ReviewsVirtualService(string http) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {"{name: reviews}"}
        spec:
          hosts: [reviews]
          http:
        {Validation.ValidationFixture.Indent(http, 2)}
        """;

    public static string Cluster(string subset) => $"outbound|9080|{subset}|{ReviewsHost}";
}
