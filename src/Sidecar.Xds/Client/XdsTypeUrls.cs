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

    /// <summary>The message name alone (<c>Cluster</c>), for logs and errors.</summary>
    public static string ShortName(string typeUrl) => typeUrl[(typeUrl.LastIndexOf('.') + 1)..];

    /// <summary>Types asked for whole (no names): istiod sends every resource of the type the proxy may use.</summary>
    public static bool IsWildcard(string typeUrl) => typeUrl is Cluster or Listener or NameTable;
}
