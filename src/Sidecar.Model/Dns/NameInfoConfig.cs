namespace Sidecar.Model;

/// <summary>
/// One host of the DNS proxy's name table (Istio's NDS <c>NameTable.NameInfo</c>): the addresses a name resolves to
/// in this proxy's view of the mesh. istiod builds the table from the services the proxy sees; pilot-agent answers
/// queries for these names itself and forwards every other query to the pod's nameservers.
/// </summary>
public sealed record NameInfoConfig
{
    /// <summary>The service's host, without a trailing dot (<c>reviews.default.svc.cluster.local</c>).</summary>
    public required string Host { get; init; }

    /// <summary>IPv4 and IPv6 addresses, in the order they are answered.</summary>
    public EquatableArray<string> Ips { get; init; }

    /// <summary>The registry that defines the host: <c>Kubernetes</c> or <c>External</c> (ServiceEntry).</summary>
    public string Registry { get; init; } = ExternalRegistry;

    /// <summary>A Kubernetes service's name; with <see cref="Namespace"/>, the short forms the agent also answers
    /// (<c>reviews</c> from the service's own namespace, <c>reviews.default</c>, <c>reviews.default.svc</c>).</summary>
    public string? ShortName { get; init; }

    public string? Namespace { get; init; }

    /// <summary>Further names answered with these addresses.</summary>
    public EquatableArray<string> AltHosts { get; init; }

    public const string KubernetesRegistry = "Kubernetes";

    public const string ExternalRegistry = "External";
}
