using System.Globalization;
using System.Net;

namespace Sidecar.Testing.Netns;

/// <summary>A pod of a <see cref="PodNetwork"/>: its namespace, and the addresses of its eth0.</summary>
public sealed record Pod(string Name, NetworkNamespace Namespace, IPAddress Address, IPAddress? AddressV6)
{
    public IPEndPoint EndPoint(int port) => new(Address, port);
}

/// <summary>
/// Pods joined like on a node: each pod is a namespace whose eth0 is one end of a veth pair; the other ends sit on a
/// bridge in a "node" namespace. Pod i gets 10.77.N.(i+1)/24 (and fd00:77:N::(i+1)/64 when asked for IPv6); the node
/// is 10.77.N.254 and every pod's default route.
/// Everything is created inside namespaces this object owns, so nothing touches the host's interfaces, and all of
/// it is deleted on dispose.
/// </summary>
public sealed class PodNetwork : IDisposable
{
    private readonly List<NetworkNamespace> _namespaces = [];

    private PodNetwork()
    {
    }

    public NetworkNamespace Node { get; private set; } = null!;

    public IReadOnlyList<Pod> Pods { get; private set; } = [];

    /// <param name="podNames">One pod per name, in order.</param>
    /// <param name="subnet">The third octet N of 10.77.N.0/24.</param>
    /// <param name="ipv6">Also give each pod an IPv6 address (dual stack).</param>
    public static PodNetwork Create(IReadOnlyList<string> podNames, int subnet = 0, bool ipv6 = false)
    {
        ArgumentNullException.ThrowIfNull(podNames);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(podNames.Count, 250);
        var network = new PodNetwork();
        try
        {
            network.Build(podNames, subnet, ipv6);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public Pod this[string name] => Pods.First(p => p.Name == name);

    public void Dispose()
    {
        // Deleting a namespace deletes its end of each veth, and with it the peer.
        foreach (var ns in _namespaces)
        {
            ns.Dispose();
        }
        _namespaces.Clear();
    }

    private void Build(IReadOnlyList<string> podNames, int subnet, bool ipv6)
    {
        Node = Track(NetworkNamespace.Create("node"));
        Node.Exec("ip", "link", "add", "br0", "type", "bridge").EnsureSuccess();
        Node.Exec("ip", "link", "set", "br0", "up").EnsureSuccess();
        // The node has an address on the pod network (as a node does), so tests can dial pods from outside any pod.
        Node.Exec("ip", "addr", "add", string.Create(CultureInfo.InvariantCulture, $"10.77.{subnet}.254/24"), "dev", "br0").EnsureSuccess();
        var pods = new List<Pod>();
        for (var i = 0; i < podNames.Count; i++)
        {
            var ns = Track(NetworkNamespace.Create(podNames[i]));
            var port = string.Create(CultureInfo.InvariantCulture, $"veth{i}");
            Node.Exec("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns.Name).EnsureSuccess();
            Node.Exec("ip", "link", "set", port, "master", "br0").EnsureSuccess();
            Node.Exec("ip", "link", "set", port, "up").EnsureSuccess();

            var address = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"10.77.{subnet}.{i + 1}"));
            ns.Exec("ip", "addr", "add", address + "/24", "dev", "eth0").EnsureSuccess();
            IPAddress? addressV6 = null;
            if (ipv6)
            {
                addressV6 = IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"fd00:77:{subnet:x}::{i + 1:x}"));
                // nodad: usable at once, no duplicate address detection wait.
                ns.Exec("ip", "-6", "addr", "add", addressV6 + "/64", "dev", "eth0", "nodad").EnsureSuccess();
            }
            ns.Exec("ip", "link", "set", "eth0", "up").EnsureSuccess();
            // A default route via the node, as pods have: traffic to any address leaves through eth0 (and is captured first).
            ns.Exec("ip", "route", "add", "default", "via", string.Create(CultureInfo.InvariantCulture, $"10.77.{subnet}.254"), "dev", "eth0").EnsureSuccess();
            pods.Add(new Pod(podNames[i], ns, address, addressV6));
        }
        Pods = pods;
    }

    private NetworkNamespace Track(NetworkNamespace ns)
    {
        _namespaces.Add(ns);
        return ns;
    }
}
