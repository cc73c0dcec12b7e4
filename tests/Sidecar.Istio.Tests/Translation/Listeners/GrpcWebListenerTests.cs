using Sidecar.Model;
using static Sidecar.Istio.Tests.TranslationFixture;

namespace Sidecar.Istio.Tests.Translation.Listeners;

/// <summary>
/// istiod's <c>grpc_web</c> filter (pilot's buildHTTPConnectionManager: <c>if httpOpts.protocol == protocol.GRPCWeb</c>):
/// on the connection managers of a <c>grpc-web</c> port, inbound and outbound, and on no other.
/// </summary>
public sealed class GrpcWebListenerTests
{
    private const string Services = """
        apiVersion: v1
        kind: Service
        metadata: {name: web-api, namespace: default}
        spec:
          clusterIP: 10.96.0.60
          selector: {app: productpage}
          ports:
          - {name: grpc-web, port: 8080, targetPort: 8080}
          - {name: grpc, port: 9090, targetPort: 9090}
        """;

    [Fact]
    public void The_connection_managers_of_a_grpc_web_port_carry_the_filter_and_no_others_do()
    {
        var config = Config(Services);

        var outbound = config.Listener("0.0.0.0_8080").FilterChains.Single(c => c.Http is not null);
        Assert.True(outbound.Http!.GrpcWeb);
        Assert.False(config.Listener("0.0.0.0_9090").FilterChains.Single(c => c.Http is not null).Http!.GrpcWeb);

        var inbound = config.Listener(ListenerNames.VirtualInbound).FilterChains;
        Assert.All(inbound.Where(c => c.Match.DestinationPort == 8080 && c.Http is not null), c => Assert.True(c.Http!.GrpcWeb));
        Assert.All(inbound.Where(c => c.Match.DestinationPort == 9090 && c.Http is not null), c => Assert.False(c.Http!.GrpcWeb));
        Assert.Contains(inbound, c => c.Match.DestinationPort == 8080 && c.Http is not null);
    }
}
