namespace Sidecar.Istio.Tests;

/// <summary>
/// A bookinfo-shaped mesh written for these tests: productpage, details, reviews v1/v2/v3 and ratings as
/// ServiceEntries with labelled endpoints (standalone form of the Kubernetes services), plus the usual traffic rules.
/// </summary>
internal static class Bookinfo
{
    public const string Services = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: productpage
          namespace: default
        spec:
          hosts: [productpage.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9080, name: http, protocol: HTTP}
          endpoints:
          - address: 10.1.0.41
            labels: {app: productpage, version: v1, security.istio.io/tlsMode: istio}
            serviceAccount: bookinfo-productpage
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: details
          namespace: default
        spec:
          hosts: [details.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9080, name: http, protocol: HTTP}
          endpoints:
          - address: 10.1.0.31
            labels: {app: details, version: v1, security.istio.io/tlsMode: istio}
            serviceAccount: bookinfo-details
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: reviews
          namespace: default
        spec:
          hosts: [reviews.default.svc.cluster.local]
          addresses: [10.96.0.12]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9080, name: http, protocol: HTTP}
          endpoints:
          - address: 10.1.0.11
            labels: {app: reviews, version: v1, security.istio.io/tlsMode: istio}
            serviceAccount: bookinfo-reviews
          - address: 10.1.0.12
            labels: {app: reviews, version: v2, security.istio.io/tlsMode: istio}
            serviceAccount: bookinfo-reviews
          - address: 10.1.0.13
            labels: {app: reviews, version: v3, security.istio.io/tlsMode: istio}
            serviceAccount: bookinfo-reviews
            weight: 3
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: ratings
          namespace: default
        spec:
          hosts: [ratings.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9080, name: http, protocol: HTTP}
          endpoints:
          - address: 10.1.0.21
            labels: {app: ratings, version: v1, security.istio.io/tlsMode: istio}
            serviceAccount: bookinfo-ratings
          - address: 10.1.0.22
            labels: {app: ratings, version: v2, security.istio.io/tlsMode: istio}
            serviceAccount: bookinfo-ratings
        """;

    public const string DestinationRules = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: reviews
        spec:
          host: reviews
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
          - name: v3
            labels: {version: v3}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: ratings
        spec:
          host: ratings
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
        """;

    /// <summary>reviews: requests from jason go to v2, the rest to v1.</summary>
    public const string ReviewsJason = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
          - match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination: {host: reviews, subset: v2}
          - route:
            - destination: {host: reviews, subset: v1}
        """;

    /// <summary>ratings: a 7 s delay for jason (all of his requests), v1 otherwise.</summary>
    public const string RatingsDelayForJason = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: ratings
        spec:
          hosts: [ratings]
          http:
          - match:
            - headers:
                end-user: {exact: jason}
            fault:
              delay:
                percentage: {value: 100.0}
                fixedDelay: 7s
            route:
            - destination: {host: ratings, subset: v1}
          - route:
            - destination: {host: ratings, subset: v1}
        """;

    public static string All(params string[] documents) => string.Join("\n---\n", documents);
}
