namespace Sidecar.Model;

/// <summary>Names istiod gives the listeners every sidecar has.</summary>
public static class ListenerNames
{
    /// <summary>The outbound capture listener (15001): its chains handle connections no per-port listener takes
    /// (PassthroughCluster under ALLOW_ANY, BlackHoleCluster under REGISTRY_ONLY).</summary>
    public const string VirtualOutbound = "virtualOutbound";

    /// <summary>The inbound capture listener (15006): chains per destination port toward <c>inbound|port||</c>.</summary>
    public const string VirtualInbound = "virtualInbound";

    /// <summary>Istio's name for a per-port outbound listener: <c>0.0.0.0_9080</c> or <c>10.0.0.5_3306</c>.</summary>
    public static string ForAddress(string address, int port) => $"{address}_{port}";
}
