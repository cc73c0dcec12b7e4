namespace Sidecar.Xds.Client;

/// <summary>The resource types this proxy subscribes to over ADS, in istiod's push order.</summary>
internal static class XdsTypeUrls
{
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string Endpoints = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string Route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

    /// <summary>Istio's name table (NDS), for the DNS proxy: asked for only when DNS capture is on.</summary>
    public const string NameTable = "type.googleapis.com/istio.networking.nds.v1.NameTable";
}
