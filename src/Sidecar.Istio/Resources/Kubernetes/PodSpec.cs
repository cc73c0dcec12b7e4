namespace Sidecar.Istio.Resources.Kubernetes;

/// <summary>
/// A core/v1 <c>Pod</c>, for what istiod reads of it: its labels (an endpoint's labels, which DestinationRule subsets
/// select), service account, named container ports, IP and readiness.
/// </summary>
public sealed record PodSpec : IstioSpec
{
    /// <summary><c>spec.serviceAccountName</c> (Kubernetes' <c>default</c> when unset).</summary>
    public string ServiceAccountName { get; init; } = "default";

    /// <summary>The ports of every container, by name where named (a Service's named <c>targetPort</c>).</summary>
    public IReadOnlyList<EndpointPort> ContainerPorts { get; init; } = [];

    /// <summary><c>status.podIPs</c> (or <c>status.podIP</c>); empty for a pod not yet scheduled.</summary>
    public IReadOnlyList<string> Ips { get; init; } = [];

    /// <summary>The workload the pod belongs to, from its owner (a ReplicaSet's Deployment); null: the pod itself.</summary>
    public string? WorkloadName { get; init; }

    /// <summary><c>spec.hostname</c> and <c>spec.subdomain</c> (a StatefulSet's pods: <c>mysql-0</c> under its
    /// headless Service <c>mysql</c>), which give the pod its own DNS name.</summary>
    public string? Hostname { get; init; }

    public string? Subdomain { get; init; }

    /// <summary>Running and, where the status says, its <c>Ready</c> condition true.</summary>
    public bool Ready { get; init; }

    /// <summary>The container port number for a Service's named <c>targetPort</c>; null when no container names it.</summary>
    public int? NamedPort(string name)
    {
        foreach (var port in ContainerPorts)
        {
            if (port.Name == name)
            {
                return port.Port;
            }
        }

        return null;
    }
}
