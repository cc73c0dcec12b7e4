using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Translation.Registry;

/// <summary>How a service's endpoints are found (a ServiceEntry's <c>resolution</c>).</summary>
internal enum ServiceResolution
{
    /// <summary>NONE: traffic goes to the original destination (an ORIGINAL_DST cluster).</summary>
    Passthrough,

    /// <summary>STATIC: the listed endpoint addresses.</summary>
    Static,

    /// <summary>DNS: endpoints resolved and re-resolved (STRICT_DNS).</summary>
    Dns,

    /// <summary>DNS_ROUND_ROBIN: one name resolved per new connection (LOGICAL_DNS).</summary>
    DnsRoundRobin,
}

/// <summary>A service port with its protocol as Istio reads it.</summary>
internal sealed record MeshServicePort(int Number, string Name, PortProtocol Protocol, int? TargetPort)
{
    /// <summary>A Kubernetes Service's <c>targetPort</c> given as a container port name: each pod resolves it.</summary>
    public string? TargetPortName { get; init; }
}

/// <summary>One endpoint of a service: an inline ServiceEntry endpoint or a selected WorkloadEntry.</summary>
internal sealed record ServiceEndpoint
{
    public required string Address { get; init; }

    public IReadOnlyDictionary<string, int> Ports { get; init; } = new Dictionary<string, int>();

    public Labels Labels { get; init; } = Labels.Empty;

    public int Weight { get; init; } = 1;

    public string? Locality { get; init; }

    public string? ServiceAccount { get; init; }

    public string? WorkloadName { get; init; }

    public required string Namespace { get; init; }

    /// <summary>A pod's DNS name under a headless service: its hostname (the endpoint's, else the pod's
    /// <c>spec.hostname</c>) and the pod's <c>spec.subdomain</c>; both null for other endpoints.</summary>
    public string? HostName { get; init; }

    public string? SubDomain { get; init; }

    /// <summary>
    /// The service ports this endpoint serves, by number; null: all of its service's. Set when two ServiceEntries
    /// for one host are merged: each entry's endpoints serve only that entry's ports.
    /// </summary>
    public IReadOnlySet<int>? ServicePorts { get; init; }

    /// <summary>The endpoint's port for a service port: its <c>ports</c> entry by name, else the target port, else the port.</summary>
    public int PortFor(MeshServicePort port) => Ports.TryGetValue(port.Name, out var p) ? p : port.TargetPort ?? port.Number;

    /// <summary>Whether the endpoint serves <paramref name="port"/> of its (possibly merged) service.</summary>
    public bool Serves(MeshServicePort port) => ServicePorts is null || ServicePorts.Contains(port.Number);
}

/// <summary>A service in the registry: one host of a ServiceEntry, with its ports, addresses and endpoints.</summary>
internal sealed record MeshService
{
    public required string Host { get; init; }

    public required string Namespace { get; init; }

    public required IReadOnlyList<MeshServicePort> Ports { get; init; }

    /// <summary>Plain VIPs from <c>addresses</c>.</summary>
    public IReadOnlyList<string> Vips { get; init; } = [];

    /// <summary>CIDR blocks from <c>addresses</c>.</summary>
    public IReadOnlyList<string> Cidrs { get; init; } = [];

    public ServiceResolution Resolution { get; init; }

    public bool MeshExternal { get; init; }

    public IReadOnlyList<ServiceEndpoint> Endpoints { get; init; } = [];

    public IReadOnlyList<string> ExportTo { get; init; } = [];

    /// <summary>SANs expected of the service's workloads: the entry's <c>subjectAltNames</c> and the endpoints' SPIFFE ids.</summary>
    public IReadOnlyList<string> ServiceAccounts { get; init; } = [];

    /// <summary>Other hosts that name this service: ExternalName Services pointing at it.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The ServiceEntry's <c>workloadSelector</c>, or null.</summary>
    public Labels? WorkloadSelector { get; init; }

    public required IstioResource Source { get; init; }

    /// <summary>Istio's service name: <c>reviews</c> for <c>reviews.default.svc.cluster.local</c>, else the host.</summary>
    public string ShortName => Naming.HostNames.ShortName(Host);

    public MeshServicePort? FindPort(int number)
    {
        foreach (var port in Ports)
        {
            if (port.Number == number)
            {
                return port;
            }
        }

        return null;
    }

    /// <summary>
    /// Istio's <c>canMergeServices</c> (1.21 on): another ServiceEntry for this host from the same namespace, with the
    /// same resolution, labels, workload selector and exportTo, adds the ports this one lacks.
    /// </summary>
    public bool CanMergeWith(MeshService other) =>
        Source.Kind == ResourceKind.ServiceEntry && other.Source.Kind == ResourceKind.ServiceEntry
        && other.Host == Host && other.Namespace == Namespace && other.Resolution == Resolution
        && Labels.From(other.Source.Metadata.Labels).Equals(Labels.From(Source.Metadata.Labels))
        && Equals(other.WorkloadSelector, WorkloadSelector)
        && other.ExportTo.Order(StringComparer.Ordinal).SequenceEqual(ExportTo.Order(StringComparer.Ordinal));

    /// <summary>This service with <paramref name="other"/>'s ports that it lacks (Istio's appendSidecarServices), each
    /// definition's endpoints serving its own ports.</summary>
    public MeshService WithPortsOf(MeshService other)
    {
        var added = other.Ports.Where(p => FindPort(p.Number) is null).ToArray();
        if (added.Length == 0)
        {
            return this;
        }

        var own = Ports.Select(p => p.Number).ToHashSet();
        var theirs = added.Select(p => p.Number).ToHashSet();
        return this with
        {
            Ports = [.. Ports, .. added],
            Endpoints = [.. Endpoints.Select(e => e with { ServicePorts = e.ServicePorts ?? own }), .. other.Endpoints.Select(e => e with { ServicePorts = theirs })],
            ServiceAccounts = [.. ServiceAccounts.Union(other.ServiceAccounts, StringComparer.Ordinal)],
        };
    }

    /// <summary>This service with <paramref name="aliases"/> added.</summary>
    public MeshService WithAliases(IEnumerable<string> aliases) => this with { Aliases = [.. Aliases, .. aliases] };

    public override string ToString() => $"{Host} ({Source.Id})";
}
