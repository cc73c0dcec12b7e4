using System.Text.Json;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Sidecar.Model;

namespace Sidecar.Xds.Client;

/// <summary>
/// The node this proxy presents to istiod, as pilot-agent's bootstrap writes it: id
/// <c>sidecar~IP~POD.NS~NS.svc.cluster.local</c>, cluster <c>app.namespace</c>, and the metadata istiod reads to
/// pick the workload's Sidecar, policies, labels, identity and interception mode (every <c>ISTIO_META_X</c> becomes
/// key <c>X</c>; <c>ISTIO_METAJSON_X</c> is parsed as JSON).
/// </summary>
internal static class NodeBuilder
{
    /// <summary>The Istio release whose xDS this proxy speaks (istiod gates features on <c>ISTIO_VERSION</c>).</summary>
    public const string IstioVersion = "1.24.0";

    public static Node Build(XdsOptions options)
    {
        var workload = options.Workload;
        var metadata = new Struct();
        foreach (var (key, value) in options.EnvironmentMetadata)
        {
            metadata.Fields[key] = Value.ForString(value);
        }

        metadata.Fields["NAME"] = Value.ForString(workload.PodName);
        metadata.Fields["NAMESPACE"] = Value.ForString(workload.Namespace);
        metadata.Fields["CLUSTER_ID"] = Value.ForString(workload.ClusterId);
        metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString(workload.ServiceAccount);
        metadata.Fields["WORKLOAD_NAME"] = Value.ForString(workload.WorkloadName);
        metadata.Fields["OWNER"] = Value.ForString(PeerMetadata.From(workload).Owner);
        metadata.Fields["INSTANCE_IPS"] = Value.ForString(string.Join(',', workload.InstanceIps));
        metadata.Fields["INTERCEPTION_MODE"] = Value.ForString(options.InterceptionMode);
        metadata.Fields["ISTIO_VERSION"] = Value.ForString(IstioVersion);
        metadata.Fields["ENVOY_STATUS_PORT"] = Value.ForNumber(15021);
        metadata.Fields["ENVOY_PROMETHEUS_PORT"] = Value.ForNumber(15090);
        if (!metadata.Fields.ContainsKey("MESH_ID"))
        {
            metadata.Fields["MESH_ID"] = Value.ForString(workload.TrustDomain);
        }

        var labels = new Struct();
        foreach (var (key, value) in workload.Labels)
        {
            labels.Fields[key] = Value.ForString(value);
        }

        metadata.Fields["LABELS"] = Value.ForStruct(labels);
        var node = new Node
        {
            Id = workload.NodeId,
            Cluster = $"{workload.Labels["app"] ?? workload.WorkloadName}.{workload.Namespace}",
            Metadata = metadata,
            UserAgentName = "sidecar",
            UserAgentVersion = IstioVersion,
        };
        if (workload.Locality.Split('/') is [var region, .. var rest] && region.Length > 0)
        {
            node.Locality = new Locality { Region = region, Zone = rest.Length > 0 ? rest[0] : "", SubZone = rest.Length > 1 ? rest[1] : "" };
        }

        return node;
    }

    /// <summary>
    /// Node metadata from environment variables, as pilot-agent reads them: <c>ISTIO_META_X=v</c> is <c>X: "v"</c>,
    /// <c>ISTIO_METAJSON_X={...}</c> is <c>X</c> holding the JSON's string form (labels and annotations are flattened
    /// to their JSON text here; the typed ones this proxy sets itself).
    /// </summary>
    public static Dictionary<string, string> FromEnvironment(System.Collections.IDictionary variables)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in variables)
        {
            if (entry.Key is not string name || entry.Value is not string value)
            {
                continue;
            }

            if (name.StartsWith("ISTIO_META_", StringComparison.Ordinal))
            {
                result[name["ISTIO_META_".Length..]] = value;
            }
            else if (name.StartsWith("ISTIO_METAJSON_", StringComparison.Ordinal) && IsJson(value))
            {
                result[name["ISTIO_METAJSON_".Length..]] = value;
            }
        }

        return result;
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
