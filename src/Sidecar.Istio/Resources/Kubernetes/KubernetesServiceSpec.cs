namespace Sidecar.Istio.Resources.Kubernetes;

/// <summary>
/// A core/v1 <c>Service</c>, as istiod's Kubernetes registry reads it: the host
/// <c>name.namespace.svc.cluster.local</c>, its cluster IPs, ports and pod selector.
/// </summary>
public sealed record KubernetesServiceSpec : IstioSpec
{
    /// <summary><c>spec.type</c>: ClusterIP (the default), NodePort, LoadBalancer or ExternalName.</summary>
    public string Type { get; init; } = "ClusterIP";

    /// <summary><c>spec.clusterIP</c> and <c>spec.clusterIPs</c>, in order; <c>None</c> marks a headless service.</summary>
    public IReadOnlyList<string> ClusterIps { get; init; } = [];

    /// <summary><c>spec.selector</c>; null: the service's endpoints are managed by hand (no selector).</summary>
    public IReadOnlyDictionary<string, string>? Selector { get; init; }

    public IReadOnlyList<KubernetesServicePort> Ports { get; init; } = [];

    /// <summary><c>spec.externalName</c> of an ExternalName service.</summary>
    public string? ExternalName { get; init; }

    /// <summary><c>spec.publishNotReadyAddresses</c>: endpoints count whether or not their pods are ready.</summary>
    public bool PublishNotReadyAddresses { get; init; }

    public bool IsHeadless => ClusterIps.Count > 0 && ClusterIps[0] == "None";

    public bool IsExternalName => Type == "ExternalName";
}

/// <summary>One entry of a Service's <c>spec.ports</c>.</summary>
/// <param name="TargetPort">The number or the container port name the port forwards to; null: the port itself.</param>
public sealed record KubernetesServicePort(string Name, int Port, string Protocol, string? AppProtocol, string? TargetPort)
{
    /// <summary>The target port when it is a number; null when it names a container port (or is unset).</summary>
    public int? TargetPortNumber => int.TryParse(TargetPort, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>The container port name the target port refers to; null when it is a number or unset.</summary>
    public string? TargetPortName => TargetPort is { Length: > 0 } t && TargetPortNumber is null ? t : null;
}
