using System.Net;
using Sidecar.Testing.Netns;

namespace Sidecar.FunctionalTests.Interception;

/// <summary>
/// DNS capture end to end in a pod: an application's glibc resolver asks the nameserver of resolv.conf, the init
/// program's <c>--redirect-dns</c> rules send that to the sidecar's DNS proxy on 15053, which answers the mesh's names
/// itself and forwards the others, as uid 1337 (not redirected again), to the real nameserver.
/// </summary>
public sealed class DnsCaptureTests : IClassFixture<DnsCapturePod>
{
    private readonly DnsCapturePod _pod;

    public DnsCaptureTests(DnsCapturePod pod) => _pod = pod;

    [NetnsFact("getent")]
    public async Task An_apps_lookup_of_a_service_name_is_answered_by_the_sidecar_with_the_cluster_ip()
    {
        var before = await _pod.DnsMetricsAsync();

        // "reviews": expanded with the first search domain. The FQDN: with ndots:5, glibc first asks for it with the
        // search domain appended, which the proxy answers as a CNAME to the FQDN.
        Assert.Equal([IPAddress.Parse(DnsCapturePod.ClusterIp)], _pod.Resolve("reviews"));
        Assert.Equal([IPAddress.Parse(DnsCapturePod.ClusterIp)], _pod.Resolve("reviews.default.svc.cluster.local"));
        Assert.Equal([IPAddress.Parse(DnsCapturePod.ClusterIp)], _pod.Resolve("reviews.default", overTcp: true));

        // The nameserver (which would have said 192.0.2.99) was never asked: the queries were redirected to the proxy.
        Assert.DoesNotContain(_pod.Nameserver.Queries, q => q.Name.StartsWith("reviews", StringComparison.Ordinal));
        var after = await _pod.DnsMetricsAsync();
        Assert.True(after.Requests >= before.Requests + 3, $"requests {before.Requests} -> {after.Requests}");
        Assert.Equal(before.UpstreamRequests, after.UpstreamRequests);
    }

    [NetnsFact("getent")]
    public async Task A_name_outside_the_mesh_is_forwarded_by_the_sidecar_to_the_pods_nameserver()
    {
        var before = await _pod.DnsMetricsAsync();

        Assert.Equal([DnsCapturePod.ExternalAddress], _pod.Resolve("external.example.com"));
        Assert.Equal([DnsCapturePod.ExternalAddress], _pod.Resolve("external.example.com", overTcp: true));

        // The nameserver got the query from the pod, over each transport: the proxy's own query (uid 1337) went out
        // rather than back to the proxy, which would have looped until SERVFAIL.
        var asked = _pod.Nameserver.Queries.Where(q => q.Name == "external.example.com.").ToList();
        Assert.Equal([false, true], asked.Select(q => q.Tcp));
        Assert.All(asked, q => Assert.Equal(_pod.App.Address, q.From.Address));

        // And it came from the proxy, not from the app: the app's queries (the search expansions first, then the
        // name) were each forwarded by it.
        var after = await _pod.DnsMetricsAsync();
        Assert.Equal(_pod.Nameserver.Queries.Count, after.UpstreamRequests);
        Assert.True(after.UpstreamRequests >= before.UpstreamRequests + 2, $"upstream {before.UpstreamRequests} -> {after.UpstreamRequests}");
        Assert.Equal(0, after.UpstreamFailures);
    }
}
