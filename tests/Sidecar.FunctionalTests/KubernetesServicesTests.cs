using System.Net;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// A sidecar configured from Kubernetes objects, as <c>kubectl get svc,endpointslices,pods -o yaml</c> prints them, with
/// Istio's routing on top: the Service is the host, the slices its endpoints, the pods' labels their subsets.
/// </summary>
public sealed class KubernetesServicesTests : IAsyncLifetime
{
    private TestBackend _v1 = null!;
    private TestBackend _v2 = null!;
    private TestBackend _ratingsA = null!;
    private TestBackend _ratingsB = null!;

    public async Task InitializeAsync()
    {
        _v1 = await TestBackend.StartAsync("reviews-v1");
        _v2 = await TestBackend.StartAsync("reviews-v2");
        _ratingsA = await TestBackend.StartAsync("ratings-a");
        _ratingsB = await TestBackend.StartAsync("ratings-b");
    }

    public async Task DisposeAsync()
    {
        foreach (var backend in new[] { _v1, _v2, _ratingsA, _ratingsB })
        {
            await backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task Subsets_route_to_the_pods_the_slices_list_by_their_labels()
    {
        using var config = new ConfigDirectory();
        config.Write("cluster.yaml", $$$"""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Service
              metadata: {name: reviews, namespace: default, labels: {app: reviews}}
              spec:
                clusterIP: 10.96.14.7
                ports: [{name: http, port: 9080, protocol: TCP, targetPort: 9080}]
                selector: {app: reviews}
                type: ClusterIP
              status: {loadBalancer: {}}
            {{{Slice("reviews-v1abc", "reviews", _v1, "reviews-v1-5b5d6494f4-abcde")}}}
            {{{Slice("reviews-v2def", "reviews", _v2, "reviews-v2-7d79d5bd5d-fghij")}}}
            {{{Pod("reviews-v1-5b5d6494f4-abcde", "reviews", "v1")}}}
            {{{Pod("reviews-v2-7d79d5bd5d-fghij", "reviews", "v2")}}}
            """);
        config.Write("routing.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews}
            spec:
              host: reviews
              subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews}
            spec:
              hosts: [reviews]
              http:
              - match: [{headers: {end-user: {exact: jason}}}]
                route: [{destination: {host: reviews, subset: v2}}]
              - route: [{destination: {host: reviews, subset: v1}}]
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("reviews-v1", await BodyAsync(sidecar, "reviews:9080", user: null));
            Assert.Equal("reviews-v2", await BodyAsync(sidecar, "reviews.default.svc.cluster.local:9080", user: "jason"));
        }
    }

    [Fact]
    public async Task Without_slices_the_selected_ready_pods_serve_on_their_named_target_port()
    {
        using var config = new ConfigDirectory();
        config.Write("ratings.yaml", $"""
            apiVersion: v1
            kind: Service
            metadata:
              name: ratings
            spec:
              clusterIP: 10.96.0.30
              ports:
              - name: http
                port: 9080
                targetPort: web
              selector:
                app: ratings
            ---
            {NamedPortPod("ratings-a", _ratingsA, "Running")}
            ---
            {NamedPortPod("ratings-b", _ratingsB, "Pending")}
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);

        for (var i = 0; i < 10; i++)
        {
            // The pending pod is no endpoint: every request goes to the running one.
            Assert.Equal("ratings-a", await BodyAsync(sidecar, "ratings:9080", user: null));
        }

        Assert.Equal(0, _ratingsB.RequestCount);
    }

    private static async Task<string> BodyAsync(SidecarProcess sidecar, string host, string? user)
    {
        using var response = await sidecar.SendAsync(host, "/reviews/0", configure: r =>
        {
            if (user is not null)
            {
                r.Headers.Add("end-user", user);
            }
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    // One slice per backend: a slice's port list is shared by its endpoints, and each test backend has its own port.
    private static string Slice(string name, string service, TestBackend backend, string pod) => $$$"""
        - apiVersion: discovery.k8s.io/v1
          kind: EndpointSlice
          metadata:
            name: {{{name}}}
            namespace: default
            labels: {kubernetes.io/service-name: {{{service}}}}
          addressType: IPv4
          endpoints:
          - addresses: [{{{backend.Address}}}]
            conditions: {ready: true, serving: true, terminating: false}
            targetRef: {kind: Pod, name: {{{pod}}}, namespace: default}
          ports: [{name: http, port: {{{backend.Port}}}, protocol: TCP}]
        """;

    private static string Pod(string name, string app, string version) => $$$"""
        - apiVersion: v1
          kind: Pod
          metadata:
            name: {{{name}}}
            namespace: default
            labels: {app: {{{app}}}, version: {{{version}}}}
          spec:
            serviceAccountName: bookinfo-{{{app}}}
            containers: [{name: {{{app}}}, image: {{{app}}}-{{{version}}}}]
          status:
            phase: Running
            podIP: 127.0.0.1
            conditions: [{type: Ready, status: "True"}]
        """;

    private static string NamedPortPod(string name, TestBackend backend, string phase) => $$$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{{name}}}
          labels:
            app: ratings
        spec:
          containers:
          - name: ratings
            ports:
            - name: web
              containerPort: {{{backend.Port}}}
        status:
          phase: {{{phase}}}
          podIP: {{{backend.Address}}}
        """;
}
