using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Tests.Http;

public sealed class RequestIdsTests
{
    [Fact]
    public void New_ids_are_distinct_version_4_uuids()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => RequestIds.NewId()).ToList();

        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
