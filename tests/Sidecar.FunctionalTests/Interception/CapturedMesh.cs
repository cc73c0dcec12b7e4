using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Sidecar.Testing;
using Sidecar.Testing.Netns;

namespace Sidecar.FunctionalTests.Interception;

/// <summary>
/// Pods as Istio runs them: network namespaces on a bridge, each with the init program's iptables rules, its
/// application, and a sidecar process running as uid 1337 with <c>--bind 0.0.0.0</c>. Applications know nothing of
/// the sidecars: they dial pod addresses and listen on their own ports.
/// <list type="bullet">
/// <item><c>client</c>: the calling application (this test, dialling from inside the namespace as root).</item>
/// <item><c>server</c> (v1) and <c>other</c> (v2): HTTP on 8080, h2c on 8081, TCP echo on 9000, a server-first protocol on
/// 3306 (port named without a protocol: auto-detected); <c>other</c> also TLS on 8443.</item>
/// <item><c>strict</c>: a REGISTRY_ONLY pod whose init excludes outbound port 9999 and <c>other</c>'s address.</item>
/// </list>
/// </summary>
public sealed class CapturedMesh : IAsyncLifetime
{
    private readonly List<IDisposable> _apps = [];
    private readonly List<NamespaceListener> _listeners = [];
    private readonly List<TestBackend> _backends = [];
    private readonly List<SidecarProcess> _sidecars = [];

    public PodNetwork Network { get; private set; } = null!;

    public Pod Client => Network["client"];

    public Pod Server => Network["server"];

    public Pod Other => Network["other"];

    public Pod Strict => Network["strict"];

    public ConfigDirectory Config { get; } = new();

    public SidecarProcess ClientSidecar { get; private set; } = null!;

    public SidecarProcess ServerSidecar { get; private set; } = null!;

    public SidecarProcess StrictSidecar { get; private set; } = null!;

    public SidecarProcess OtherSidecar { get; private set; } = null!;

    public static string? SkipReason => NetnsPrerequisites.MissingReason();

    /// <summary>The init program as the injector runs it: capture everything, except the sidecar's own ports inbound.</summary>
    public static readonly string[] InjectedInitFlags = ["-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"];

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        Network = PodNetwork.Create(["client", "server", "other", "strict"], subnet: 100 + (Environment.ProcessId % 100));
        Config.Write("mesh.yaml", MeshYaml());

        foreach (var (pod, version) in new[] { (Server, "v1"), (Other, "v2") })
        {
            _backends.Add(await PodApps.StartHttpAsync(pod.Namespace, $"server-{version}", 8080));
            _backends.Add(await PodApps.StartHttpAsync(pod.Namespace, $"grpc-{version}", 8081, HttpProtocols.Http2));
            _apps.Add(PodApps.StartTcpEcho(pod.Namespace, 9000, $"echo-{version}"));
            _apps.Add(PodApps.StartGreeter(pod.Namespace, 3306, $"db-{version}"));
        }

        _apps.Add(PodApps.StartTls(Other.Namespace, 8443, "secure"));
        _listeners.Add(NamespaceListener.Start(Other.Namespace, 9999, "other-9999"));
        _listeners.Add(NamespaceListener.Start(Other.Namespace, 7777, "other-7777"));

        foreach (var pod in new[] { Client, Server, Other })
        {
            Init(pod, InjectedInitFlags);
        }

        Init(Strict, [.. InjectedInitFlags.Take(8), "-o", "9999", "-x", $"{Other.Address}/32", "-b", "*", "-d", "15090,15021,15020"]);

        ClientSidecar = await StartSidecar(Client, "client", "v1", "--access-log", "/dev/stdout");
        ServerSidecar = await StartSidecar(Server, "server", "v1");
        OtherSidecar = await StartSidecar(Other, "server", "v2");
        StrictSidecar = await StartSidecar(Strict, "strict", "v1", "--outbound-traffic-policy", "REGISTRY_ONLY");
    }

    public async Task DisposeAsync()
    {
        foreach (var sidecar in _sidecars)
        {
            await sidecar.DisposeAsync();
        }

        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }

        foreach (var app in _apps)
        {
            app.Dispose();
        }

        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        Network?.Dispose();
        Config.Dispose();
    }

    /// <summary>Runs the init program inside the pod, as the init container would.</summary>
    public static CommandOutput Init(Pod pod, IReadOnlyList<string> flags) =>
        pod.Namespace.Exec(["dotnet", Path.Combine(AppContext.BaseDirectory, "sidecar-init.dll"), .. flags], environment: null).EnsureSuccess();

    private async Task<SidecarProcess> StartSidecar(Pod pod, string app, string version, params string[] extra)
    {
        var sidecar = await SidecarProcess.StartInPodAsync(pod, Config.Path, ["--labels", $"app={app},version={version}", "--protocol-detection-timeout", "300ms", .. extra]);
        _sidecars.Add(sidecar);
        return sidecar;
    }

    private string MeshYaml() => string.Create(CultureInfo.InvariantCulture, $$$"""
        # "server" is a service whose address is the server pod's IP (its ClusterIP, here), with v1 there and v2 in "other".
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: server}
        spec:
          hosts: [server.default.svc.cluster.local]
          addresses: [{{{Server.Address}}}]
          location: MESH_INTERNAL
          resolution: STATIC
          ports:
          - {number: 8080, name: http, protocol: HTTP}
          - {number: 8081, name: grpc, protocol: GRPC}
          - {number: 9000, name: tcp-echo, protocol: TCP}
          - {number: 3306, name: db}
          endpoints:
          - {address: {{{Server.Address}}}, labels: {app: server, version: v1}}
          - {address: {{{Other.Address}}}, labels: {app: server, version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: server}
        spec:
          host: server.default.svc.cluster.local
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: server}
        spec:
          hosts: [server.default.svc.cluster.local]
          http:
          - match:
            - headers:
                x-route: {exact: v2}
            route:
            - destination: {host: server.default.svc.cluster.local, subset: v2}
          - route:
            - destination: {host: server.default.svc.cluster.local, subset: v1}
          tcp:
          - match: [{port: 9000}]
            route:
            - destination: {host: server.default.svc.cluster.local, subset: v2, port: {number: 9000}}
        ---
        # An external TLS service reached by name: SNI routing, passed through without terminating TLS.
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: secure}
        spec:
          hosts: [secure.example.com]
          location: MESH_EXTERNAL
          resolution: STATIC
          ports:
          - {number: 443, name: tls, protocol: TLS}
          endpoints:
          - {address: {{{Other.Address}}}, ports: {tls: 8443}}
        """);
}
