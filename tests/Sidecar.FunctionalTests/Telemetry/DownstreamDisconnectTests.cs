using System.Net.Sockets;
using System.Text;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// A client that hangs up before the response is Envoy's <c>0 DC</c>: no response code was sent, so none is reported,
/// and the request is not counted as a 4xx.
/// </summary>
public sealed class DownstreamDisconnectTests : IAsyncLifetime
{
    private TestBackend _reviews = null!;

    public async Task InitializeAsync() => _reviews = await TestBackend.StartAsync("reviews-v1", ScriptedBackend.Handler("reviews-v1"));

    public async Task DisposeAsync() => await _reviews.DisposeAsync();

    [Fact]
    public async Task A_client_that_hangs_up_before_the_response_is_reported_with_response_code_0_and_flag_DC()
    {
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _reviews.RequestReceived += request =>
        {
            if (request.Path == "/hang-up")
            {
                arrived.TrySetResult();
            }
        };

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(sidecar.Bind, 15001);
            // The backend holds the request until the caller goes away (x-stall-first).
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                "GET /hang-up HTTP/1.1\r\nHost: reviews:9080\r\nx-test-id: hang-up\r\nx-stall-first: 1\r\n\r\n"));
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }

        var stats = sidecar.AdminUrl + "/stats/prometheus";
        List<PrometheusSample> samples = [];
        await Wait.UntilAsync(
            async () =>
            {
                samples = await PrometheusScrape.GetAsync(stats);
                return samples.Any(s => s.Name == "istio_requests_total" && s.Has(("response_flags", "DC")));
            },
            TimeSpan.FromSeconds(15),
            "the abandoned request to be counted");
        var counted = Assert.Single(samples, s => s.Name == "istio_requests_total" && s.Has(("response_flags", "DC")));
        Assert.Equal("0", counted["response_code"]);
        Assert.Equal("reviews.default.svc.cluster.local", counted["destination_service"]);
    }
}
