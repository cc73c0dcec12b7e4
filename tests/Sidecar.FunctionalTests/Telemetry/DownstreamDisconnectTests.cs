using System.Net.Sockets;
using System.Text;
using Sidecar.FunctionalTests.Infrastructure;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Telemetry;

/// <summary>
/// A client that hangs up before the response is Envoy's <c>0 DC</c>: no response code was sent, so none is reported,
/// and the request is not counted as a 4xx; an HTTP/2 client that resets the stream is <c>0 DR</c>.
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

    [Theory]
    [InlineData(false, "DR")]
    [InlineData(true, "DC")]
    public async Task An_http2_client_that_resets_its_stream_is_DR_and_one_that_closes_its_connection_DC(bool closeConnection, string flag)
    {
        // Envoy's connection manager: a stream the client resets (RST_STREAM) on a connection it keeps is
        // DownstreamRemoteReset; a connection that goes away takes its streams with it (DownstreamConnectionTermination).
        using var config = new ConfigDirectory();
        config.Write("services.yaml", MeshYaml.Service("reviews", 9080, (_reviews, "v1")));
        await using var sidecar = await SidecarProcess.StartAsync(config.Path);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _reviews.RequestReceived += request =>
        {
            if (request.Path == "/reset")
            {
                arrived.TrySetResult();
            }
        };

        var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{sidecar.Bind}:15001/reset")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = "reviews:9080";
        request.Headers.Add("x-stall-first", "1");
        using var cancel = new CancellationTokenSource();
        var send = client.SendAsync(request, cancel.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15));
        if (closeConnection)
        {
            client.Dispose(); // the connection closes under the stream
        }
        else
        {
            cancel.Cancel(); // RST_STREAM (CANCEL); the connection stays open
        }

        await Assert.ThrowsAnyAsync<Exception>(() => send);

        var stats = sidecar.AdminUrl + "/stats/prometheus";
        List<PrometheusSample> samples = [];
        await Wait.UntilAsync(
            async () =>
            {
                samples = await PrometheusScrape.GetAsync(stats);
                return samples.Any(s => s.Name == "istio_requests_total" && s["destination_service"] == "reviews.default.svc.cluster.local");
            },
            TimeSpan.FromSeconds(15),
            "the abandoned request to be counted");
        var counted = Assert.Single(samples, s => s.Name == "istio_requests_total" && s["destination_service"] == "reviews.default.svc.cluster.local");
        Assert.Equal("0", counted["response_code"]);
        Assert.Equal(flag, counted["response_flags"]);
        client.Dispose();
    }
}
