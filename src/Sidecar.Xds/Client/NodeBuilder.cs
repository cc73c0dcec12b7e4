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
            metadata.Fields[key] = value;
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
        if (options.DnsCapture)
        {
            // istiod builds the NDS name table only for a node that says so (pilot-agent sets it from the same switch).
            metadata.Fields["DNS_CAPTURE"] = Value.ForString("true");
        }

        if (options.DnsAutoAllocate)
        {
            metadata.Fields["DNS_AUTO_ALLOCATE"] = Value.ForString("true");
        }

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
            Cluster = workload.NodeCluster,
            Metadata = metadata,
            UserAgentName = "sidecar",
            UserAgentVersion = IstioVersion,
        };
        if (LocalityParts.Parse(workload.Locality) is { Region.Length: > 0 } locality)
        {
            node.Locality = new Locality { Region = locality.Region, Zone = locality.Zone, SubZone = locality.SubZone };
        }

        return node;
    }

    /// <summary>
    /// Node metadata from environment variables, as pilot-agent reads them: <c>ISTIO_META_X=v</c> is <c>X: "v"</c>,
    /// <c>ISTIO_METAJSON_X={...}</c> is <c>X</c> holding the JSON's value (istiod parses ANNOTATIONS and the like as
    /// maps, so they go as structs, not as text); JSON that does not parse is left out.
    /// </summary>
    public static Dictionary<string, Value> FromEnvironment(System.Collections.IDictionary variables)
    {
        var result = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in variables)
        {
            if (entry.Key is not string name || entry.Value is not string text)
            {
                continue;
            }

            if (name.StartsWith("ISTIO_META_", StringComparison.Ordinal))
            {
                result[name["ISTIO_META_".Length..]] = Value.ForString(text);
            }
            else if (name.StartsWith("ISTIO_METAJSON_", StringComparison.Ordinal) && Json(text) is { } json)
            {
                result[name["ISTIO_METAJSON_".Length..]] = json;
            }
        }

        return result;
    }

    private static Value? Json(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return ToValue(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON value as a <c>google.protobuf.Value</c>.</summary>
    private static Value ToValue(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var fields = new Struct();
                foreach (var property in element.EnumerateObject())
                {
                    fields.Fields[property.Name] = ToValue(property.Value);
                }

                return Value.ForStruct(fields);
            case JsonValueKind.Array:
                return Value.ForList([.. element.EnumerateArray().Select(ToValue)]);
            case JsonValueKind.String:
                return Value.ForString(element.GetString()!);
            case JsonValueKind.Number:
                return Value.ForNumber(element.GetDouble());
            case JsonValueKind.True or JsonValueKind.False:
                return Value.ForBool(element.GetBoolean());
            default:
                return Value.ForNull();
        }
    }
}
