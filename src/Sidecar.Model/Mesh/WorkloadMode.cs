namespace Sidecar.Model;

/// <summary>Istio's <c>WorkloadMode</c>: the side a metrics override or an access log applies to (CLIENT: outbound, SERVER: inbound).</summary>
public enum WorkloadMode
{
    ClientAndServer,
    Client,
    Server,
}
