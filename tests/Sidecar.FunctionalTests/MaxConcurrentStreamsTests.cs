using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// DestinationRule <c>connectionPool.http.maxConcurrentStreams</c> on an HTTP/2 port: istiod sets Envoy's
/// <c>http2_protocol_options.max_concurrent_streams</c> on the cluster, so no upstream connection carries more
/// requests at once than that, even when the server would take more, and further requests get connections of their own.
/// </summary>
public sealed class MaxConcurrentStreamsTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(null, 1)]
    public async Task Concurrent_requests_spread_over_as_many_connections_as_the_stream_limit_needs(int? maxConcurrentStreams, int expectedConnections)
    {
        // A gRPC-style server over h2c that takes 100 streams per connection and holds every request until three are in.
        var connections = new HashSet<string>();
        var threeArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var address = LoopbackAddresses.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.MaxStreamsPerConnection = 100;
            kestrel.Listen(address, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        await using var server = builder.Build();
        var arrived = 0;
        server.Run(async context =>
        {
            lock (connections)
            {
                connections.Add(context.Connection.Id);
            }

            if (Interlocked.Increment(ref arrived) == 3)
            {
                threeArrived.SetResult();
            }

            await threeArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync(context.Request.Protocol);
        });
        await server.StartAsync();
        var port = new Uri(server.Urls.Single()).Port;

        using var config = new ConfigDirectory();
        var pool = maxConcurrentStreams is { } streams ? $"connectionPool: {{http: {{maxConcurrentStreams: {streams}}}}}" : "connectionPool: {http: {idleTimeout: 60s}}";
        config.Write("api.yaml", $$"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: default}
            spec:
              hosts: [api.example.com]
              location: MESH_EXTERNAL
              resolution: STATIC
              ports: [{number: 80, name: http2, protocol: HTTP2, targetPort: {{port}} }]
              endpoints: [{address: {{address}} }]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: api, namespace: default}
            spec:
              host: api.example.com
              trafficPolicy:
                {{pool}}
            """);
        await using var sidecar = await SidecarProcess.StartAsync(config.Path, LoopbackAddresses.Next());

        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => sidecar.SendAsync("api.example.com:80", "/")));
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("HTTP/2", await response.Content.ReadAsStringAsync());
            response.Dispose();
        }

        lock (connections)
        {
            Assert.Equal(expectedConnections, connections.Count);
        }
    }
}
