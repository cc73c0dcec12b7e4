using Microsoft.AspNetCore.Http;
using Sidecar.Testing;

namespace Sidecar.FunctionalTests.Security;

/// <summary>
/// Three sidecar processes on distinct loopback addresses sharing one config directory and one local CA directory,
/// like pods of a mesh: <c>server</c> (sa server) in front of an app that echoes <c>x-forwarded-client-cert</c>,
/// serving port 9080 STRICT and port 9081 PERMISSIVE (PeerAuthentication with a port-level override); <c>client</c>
/// (sa client) allowed by an AuthorizationPolicy on <c>/allowed/*</c>; <c>intruder</c> (sa intruder), not allowed. The
/// server's certificates live 20 s, so they rotate every ~10 s (short enough to watch, long enough that a loaded machine never serves an expired one).
/// </summary>
public sealed class MtlsMesh : IAsyncLifetime
{
    public const string Echo = "server.default.svc.cluster.local:9080";
    public const string Permissive = "server.default.svc.cluster.local:9081";
    public const string Grpc = "server.default.svc.cluster.local:9082";
    public const string Impostor = "impostor.default.svc.cluster.local:9080";

    public ConfigDirectory Config { get; } = new();

    public string CaDirectory { get; } = Directory.CreateTempSubdirectory("sidecar-ca-").FullName;

    public TestBackend App { get; private set; } = null!;

    /// <summary>An HTTP/2 (h2c) app behind the server's port 9082 (protocol HTTP2: the sidecars speak istio-h2).</summary>
    public TestBackend App2 { get; private set; } = null!;

    public SidecarProcess Server { get; private set; } = null!;

    public SidecarProcess Client { get; private set; } = null!;

    public SidecarProcess Intruder { get; private set; } = null!;

    /// <summary>A TCP client workload whose egress listener on port 9090 it binds itself (no capture needed).</summary>
    public SidecarProcess TcpClient { get; private set; } = null!;

    /// <summary>A TCP echo app behind the server sidecar (port 9090, STRICT).</summary>
    public TcpEcho TcpApp { get; } = new();

    public async Task InitializeAsync()
    {
        App = await TestBackend.StartAsync("server", (context, request) =>
            context.Response.WriteAsync(request.Headers.GetValueOrDefault("x-forwarded-client-cert") ?? "no-xfcc"));
        App2 = await TestBackend.StartAsync("server-h2", (context, request) =>
            context.Response.WriteAsync($"{request.Protocol} {request.Headers.GetValueOrDefault("x-forwarded-client-cert")}"), protocols: Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        var serverAddress = LoopbackAddresses.Next();
        var tcpClientAddress = LoopbackAddresses.Next();
        Config.Write("mesh.yaml", Yaml(serverAddress.ToString(), App.Port, tcpClientAddress.ToString(), TcpApp.Port, App2.Port));
        string[] ca = ["--ca-dir", CaDirectory];
        // Started together: the first to open the CA directory generates the root; the others must end up with the same one.
        var server = SidecarProcess.StartAsync(Config.Path, serverAddress, ["--labels", "app=server", "--service-account", "server", "--cert-ttl", "20s", "--key-algorithm", "ECDSA", .. ca]);
        var client = SidecarProcess.StartAsync(Config.Path, null, ["--labels", "app=client", "--service-account", "client", .. ca]);
        var intruder = SidecarProcess.StartAsync(Config.Path, null, ["--labels", "app=intruder", "--service-account", "intruder", .. ca]);
        var tcpClient = SidecarProcess.StartAsync(Config.Path, tcpClientAddress, ["--labels", "app=tcpclient", "--service-account", "tcpclient", .. ca]);
        Server = await server;
        Client = await client;
        Intruder = await intruder;
        TcpClient = await tcpClient;
    }

    public async Task DisposeAsync()
    {
        foreach (var sidecar in new[] { Client, Intruder, TcpClient, Server })
        {
            if (sidecar is not null)
            {
                await sidecar.DisposeAsync();
            }
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (App2 is not null)
        {
            await App2.DisposeAsync();
        }

        TcpApp.Dispose();
        Config.Dispose();
        Directory.Delete(CaDirectory, recursive: true);
    }

    private static string Yaml(string server, int appPort, string tcpClient, int tcpAppPort, int h2AppPort) => $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: server, namespace: default}
        spec:
          hosts: [server.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9080, name: http, protocol: HTTP}
          - {number: 9081, name: http-permissive, protocol: HTTP}
          - {number: 9082, name: http2, protocol: HTTP2}
          endpoints:
          - address: {{server}}
            serviceAccount: server
            labels: {app: server, security.istio.io/tlsMode: istio}
        ---
        # The same sidecar under a service account it does not have: the client's SAN check must refuse it.
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: impostor, namespace: default}
        spec:
          hosts: [impostor.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9080, name: http, protocol: HTTP}
          endpoints:
          - address: {{server}}
            serviceAccount: payments
            labels: {app: impostor, security.istio.io/tlsMode: istio}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: echo-tcp, namespace: default}
        spec:
          hosts: [echo-tcp.default.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 9090, name: tcp, protocol: TCP}
          endpoints:
          - address: {{server}}
            serviceAccount: server
            labels: {app: server, security.istio.io/tlsMode: istio}
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: tcpclient, namespace: default}
        spec:
          workloadSelector: {labels: {app: tcpclient} }
          egress:
          - port: {number: 9090, protocol: TCP, name: tcp}
            bind: {{tcpClient}}
            hosts: ["./echo-tcp.default.svc.cluster.local"]
          - hosts: ["./*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: server, namespace: default}
        spec:
          workloadSelector: {labels: {app: server} }
          ingress:
          - port: {number: 9080, protocol: HTTP, name: http}
            bind: {{server}}
            defaultEndpoint: 127.0.0.1:{{appPort}}
          - port: {number: 9081, protocol: HTTP, name: http-permissive}
            bind: {{server}}
            defaultEndpoint: 127.0.0.1:{{appPort}}
          - port: {number: 9082, protocol: HTTP2, name: http2}
            bind: {{server}}
            defaultEndpoint: 127.0.0.1:{{h2AppPort}}
          - port: {number: 9090, protocol: TCP, name: tcp}
            bind: {{server}}
            defaultEndpoint: 127.0.0.1:{{tcpAppPort}}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: server, namespace: default}
        spec:
          selector: {matchLabels: {app: server} }
          mtls: {mode: STRICT}
          portLevelMtls:
            9081: {mode: PERMISSIVE}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: server, namespace: default}
        spec:
          selector: {matchLabels: {app: server} }
          action: ALLOW
          rules:
          - from:
            - source: {principals: [cluster.local/ns/default/sa/client]}
            to:
            - operation: {paths: [/allowed/*]}
          - to:
            - operation: {ports: ["9081"]}
          - from:
            - source: {principals: [cluster.local/ns/default/sa/tcpclient]}
        """;
}
