using Sidecar.Istio.Naming;
using Sidecar.Istio.Parsing.Readers;
using Sidecar.Istio.Resources;
using Sidecar.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Sidecar.Istio.Parsing;

/// <summary>
/// Reads Istio resources from YAML: every <c>*.yaml</c>/<c>*.yml</c> file under a directory, several documents per
/// file, strictly (unknown fields are errors naming the field path, as Istio's validation refuses them). The Kubernetes
/// objects istiod's registry watches (Service, EndpointSlice, Endpoints, Pod) are read leniently; other kinds the
/// sidecar does not use are skipped, not refused.
/// </summary>
public static class IstioYamlParser
{
    private const string NetworkingGroup = "networking.istio.io";
    private const string SecurityGroup = "security.istio.io";
    private const string TelemetryGroup = "telemetry.istio.io";
    private const string DiscoveryGroup = "discovery.k8s.io";
    private const string GatewayApiGroup = "gateway.networking.k8s.io";
    private static readonly string[] NetworkingVersions = ["v1", "v1beta1", "v1alpha3"];
    private static readonly string[] SecurityVersions = ["v1", "v1beta1"];
    private static readonly string[] TelemetryVersions = ["v1", "v1alpha1"];
    private static readonly string[] DiscoveryVersions = ["v1", "v1beta1"];
    private static readonly string[] GatewayApiVersions = ["v1", "v1beta1"];

    /// <summary>Parses every YAML file under <paramref name="directory"/> (recursively, hidden entries skipped), in
    /// ordinal path order. Files are named relative to the directory in errors.</summary>
    public static ParseResult ParseDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            return new ParseResult([], [new ConfigError(directory, null, null, "config directory does not exist")], []);
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            MatchType = MatchType.Simple,
        };
        var files = Directory.EnumerateFiles(directory, "*", options)
            .Where(IsYamlFile)
            .Order(StringComparer.Ordinal)
            .ToArray();

        var resources = new List<IstioResource>();
        var errors = new List<ConfigError>();
        var skipped = new List<SkippedDocument>();
        foreach (var file in files)
        {
            var name = Path.GetRelativePath(directory, file).Replace(Path.DirectorySeparatorChar, '/');
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException ex)
            {
                errors.Add(new ConfigError(name, null, null, $"cannot read file: {ex.Message}"));
                continue;
            }
            catch (UnauthorizedAccessException ex)
            {
                errors.Add(new ConfigError(name, null, null, $"cannot read file: {ex.Message}"));
                continue;
            }

            ParseInto(text, name, resources, errors, skipped);
        }

        CheckDuplicates(resources, errors);
        return new ParseResult(resources, errors, skipped);
    }

    /// <summary>Parses YAML text (one or more documents) as if read from <paramref name="fileName"/>.</summary>
    public static ParseResult Parse(string yaml, string fileName = "<inline>")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var resources = new List<IstioResource>();
        var errors = new List<ConfigError>();
        var skipped = new List<SkippedDocument>();
        ParseInto(yaml, fileName, resources, errors, skipped);
        CheckDuplicates(resources, errors);
        return new ParseResult(resources, errors, skipped);
    }

    internal static bool IsYamlFile(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private static void ParseInto(string text, string file, List<IstioResource> resources, List<ConfigError> errors, List<SkippedDocument> skipped)
    {
        // One document at a time: its node tree is garbage once its resource is read.
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            while (parser.Accept<DocumentStart>(out _))
            {
                // Merge keys (`<<: *anchor`) resolve as kubectl's YAML reader resolves them.
                var stream = new YamlStream();
                try
                {
                    stream.Load(new MergingParser(new SingleDocumentParser(parser)));
                }
                catch (InvalidOperationException)
                {
                    // YamlDotNet's parser gives up on some malformed flow collections (an unclosed `[` before a block
                    // key) with an InvalidOperationException and no position of its own: the event it stopped at has one.
                    errors.Add(new ConfigError(file, null, null, $"invalid YAML: the document is not well-formed (an unclosed flow sequence or mapping?) (line {parser.Current?.Start.Line ?? 0})"));
                    return;
                }

                ReadDocument(stream.Documents[0], file, resources, errors, skipped);
            }
        }
        catch (YamlException ex)
        {
            errors.Add(new ConfigError(file, null, null, $"invalid YAML: {ex.Message.Trim()} (line {ex.Start.Line})"));
        }
    }

    private static void ReadDocument(YamlDocument document, string file, List<IstioResource> resources, List<ConfigError> errors, List<SkippedDocument> skipped)
    {
        var root = document.RootNode;
        if (root is null || YamlObject.IsNull(root) || root is YamlMappingNode { Children.Count: 0 })
        {
            return;
        }

        if (root is not YamlMappingNode mapping)
        {
            errors.Add(new ConfigError(file, null, null, $"a document must be an object (line {root.Start.Line})"));
            return;
        }

        ReadObject(mapping, file, resources, errors, skipped);
    }

    private static void ReadObject(YamlMappingNode mapping, string file, List<IstioResource> resources, List<ConfigError> errors, List<SkippedDocument> skipped)
    {
        var diagnostics = new ParseDiagnostics(file, errors);
        var document = new YamlObject(mapping, "", diagnostics);
        var apiVersion = document.String("apiVersion");
        var kind = document.String("kind");
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            diagnostics.Error(null, "a document needs apiVersion and kind", document.Line);
            return;
        }

        var line = document.Line;
        if (kind == "List" && apiVersion == "v1")
        {
            foreach (var item in document.ObjectList("items") ?? [])
            {
                ReadObject(item.Node, file, resources, errors, skipped);
            }

            return;
        }

        var resourceKind = Classify(apiVersion, kind, out var wrongVersion);
        if (wrongVersion)
        {
            diagnostics.Error("apiVersion", $"{kind} is not served at apiVersion {apiVersion}", line);
            return;
        }

        var metadataName = PeekName(mapping);
        if (resourceKind is null)
        {
            skipped.Add(new SkippedDocument(file, line, apiVersion, kind, metadataName, "kind not used by the sidecar"));
            return;
        }

        if (kind == "ConfigMap" && metadataName != "istio")
        {
            skipped.Add(new SkippedDocument(file, line, apiVersion, kind, metadataName, "only the ConfigMap named istio (mesh config) is read"));
            return;
        }

        var before = errors.Count;
        var metadata = ReadMetadata(document);
        if (metadata is null)
        {
            return;
        }

        diagnostics.Resource = $"{resourceKind} {metadata.Namespace}/{metadata.Name}";
        IstioSpec spec;
        if (resourceKind == ResourceKind.MeshConfig)
        {
            spec = ReadMeshConfigMap(document, diagnostics);
        }
        else if (KubernetesKinds(resourceKind.Value))
        {
            spec = resourceKind switch
            {
                ResourceKind.Service => KubernetesReader.ReadService(document),
                ResourceKind.EndpointSlice => KubernetesReader.ReadEndpointSlice(document),
                ResourceKind.Endpoints => KubernetesReader.ReadEndpoints(document),
                _ => KubernetesReader.ReadPod(document),
            };
        }
        else
        {
            var status = resourceKind == ResourceKind.ServiceEntry ? document.Object("status") : null;
            document.Ignore("status");
            var specObject = document.Object("spec") ?? new YamlObject(new YamlMappingNode(), "spec", diagnostics);
            spec = resourceKind switch
            {
                ResourceKind.VirtualService => VirtualServiceReader.Read(specObject),
                ResourceKind.DestinationRule => DestinationRuleReader.Read(specObject),
                ResourceKind.ServiceEntry => ServiceEntryReader.Read(specObject, status),
                ResourceKind.WorkloadEntry => ReadWorkloadEntry(specObject),
                ResourceKind.Sidecar => SidecarReader.Read(specObject),
                ResourceKind.PeerAuthentication => SecurityReader.ReadPeerAuthentication(specObject),
                ResourceKind.RequestAuthentication => SecurityReader.ReadRequestAuthentication(specObject),
                ResourceKind.AuthorizationPolicy => SecurityReader.ReadAuthorizationPolicy(specObject),
                ResourceKind.Telemetry => TelemetryReader.Read(specObject),
                ResourceKind.HTTPRoute => HttpRouteReader.Read(specObject),
                ResourceKind.GRPCRoute => HttpRouteReader.ReadGrpc(specObject),
                _ => throw new InvalidOperationException($"unhandled kind {resourceKind}"),
            };
            document.RejectUnknownFields();
        }

        if (errors.Count == before)
        {
            resources.Add(new IstioResource { Kind = resourceKind.Value, Metadata = metadata, Source = new SourceLocation(file, line), Spec = spec });
        }
    }

    private static Resources.Networking.WorkloadEntrySpec ReadWorkloadEntry(YamlObject spec)
    {
        var entry = ServiceEntryReader.WorkloadEntry(spec);
        return entry;
    }

    private static Resources.Mesh.MeshConfigSpec ReadMeshConfigMap(YamlObject document, ParseDiagnostics diagnostics)
    {
        document.Ignore("binaryData", "immutable");
        var data = document.Object("data");
        document.RejectUnknownFields();
        if (data is null)
        {
            return Resources.Mesh.MeshConfigSpec.Default;
        }

        var meshText = data.String("mesh");
        data.Ignore(data.Keys.ToArray());
        if (string.IsNullOrWhiteSpace(meshText))
        {
            return Resources.Mesh.MeshConfigSpec.Default;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(meshText));
        }
        catch (YamlException ex)
        {
            diagnostics.Error("data.mesh", $"invalid YAML: {ex.Message.Trim()} (mesh line {ex.Start.Line})", 0);
            return Resources.Mesh.MeshConfigSpec.Default;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode meshNode)
        {
            diagnostics.Error("data.mesh", "must be a YAML object", 0);
            return Resources.Mesh.MeshConfigSpec.Default;
        }

        return MeshConfigReader.Read(new YamlObject(meshNode, "data.mesh", diagnostics));
    }

    private static ResourceMetadata? ReadMetadata(YamlObject document)
    {
        var metadata = document.Object("metadata");
        if (metadata is null)
        {
            document.Diagnostics.Error("metadata", "is required", document.Line);
            return null;
        }

        var name = metadata.String("name");
        var ns = metadata.String("namespace");
        var labels = metadata.StringDictionary("labels") ?? ResourceMetadata.EmptyMap;
        var annotations = metadata.StringDictionary("annotations") ?? ResourceMetadata.EmptyMap;
        var created = metadata.String("creationTimestamp");
        DateTimeOffset? creationTimestamp = null;
        if (created is not null)
        {
            if (DateTimeOffset.TryParse(created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
            {
                creationTimestamp = parsed;
            }
            else
            {
                metadata.Diagnostics.Error("metadata.creationTimestamp", $"\"{created}\" is not an RFC 3339 time", metadata.Line);
            }
        }

        metadata.Ignore("generateName", "uid", "resourceVersion", "generation", "deletionTimestamp",
            "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields", "selfLink");
        metadata.RejectUnknownFields();
        if (string.IsNullOrEmpty(name))
        {
            metadata.Diagnostics.Error("metadata.name", "is required", metadata.Line);
            return null;
        }

        if (!HostNames.IsDns1123Subdomain(name))
        {
            metadata.Diagnostics.Error("metadata.name", $"\"{name}\" is not a valid name (lowercase DNS-1123 subdomain)", metadata.Line);
        }

        if (!string.IsNullOrEmpty(ns) && !HostNames.IsKubernetesDns1123Label(ns))
        {
            metadata.Diagnostics.Error("metadata.namespace", $"\"{ns}\" is not a valid namespace (lowercase DNS-1123 label)", metadata.Line);
        }

        return new ResourceMetadata
        {
            Name = name,
            Namespace = string.IsNullOrEmpty(ns) ? ResourceMetadata.DefaultNamespace : ns,
            Labels = labels,
            Annotations = annotations,
            CreationTimestamp = creationTimestamp,
        };
    }

    /// <summary>The resource kind for an apiVersion/kind pair; null for kinds the sidecar skips.</summary>
    private static ResourceKind? Classify(string apiVersion, string kind, out bool wrongVersion)
    {
        wrongVersion = false;
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        ResourceKind? result = (group, kind) switch
        {
            (NetworkingGroup, "ServiceEntry") => ResourceKind.ServiceEntry,
            (NetworkingGroup, "WorkloadEntry") => ResourceKind.WorkloadEntry,
            (NetworkingGroup, "DestinationRule") => ResourceKind.DestinationRule,
            (NetworkingGroup, "VirtualService") => ResourceKind.VirtualService,
            (NetworkingGroup, "Sidecar") => ResourceKind.Sidecar,
            (SecurityGroup, "PeerAuthentication") => ResourceKind.PeerAuthentication,
            (SecurityGroup, "RequestAuthentication") => ResourceKind.RequestAuthentication,
            (SecurityGroup, "AuthorizationPolicy") => ResourceKind.AuthorizationPolicy,
            (TelemetryGroup, "Telemetry") => ResourceKind.Telemetry,
            ("", "ConfigMap") => ResourceKind.MeshConfig,
            ("", "Service") => ResourceKind.Service,
            ("", "Endpoints") => ResourceKind.Endpoints,
            ("", "Pod") => ResourceKind.Pod,
            (DiscoveryGroup, "EndpointSlice") => ResourceKind.EndpointSlice,
            (GatewayApiGroup, "HTTPRoute") => ResourceKind.HTTPRoute,
            (GatewayApiGroup, "GRPCRoute") => ResourceKind.GRPCRoute,
            _ => null,
        };
        if (result is null)
        {
            return null;
        }

        var versions = group switch
        {
            NetworkingGroup => NetworkingVersions,
            SecurityGroup => SecurityVersions,
            TelemetryGroup => TelemetryVersions,
            DiscoveryGroup => DiscoveryVersions,
            GatewayApiGroup => GatewayApiVersions,
            _ => ["v1"],
        };
        if (Array.IndexOf(versions, version) < 0)
        {
            wrongVersion = true;
            return null;
        }

        return result;
    }

    private static bool KubernetesKinds(ResourceKind kind) =>
        kind is ResourceKind.Service or ResourceKind.EndpointSlice or ResourceKind.Endpoints or ResourceKind.Pod;

    private static string? PeekName(YamlMappingNode mapping)
    {
        foreach (var (key, value) in mapping.Children)
        {
            if (key is YamlScalarNode { Value: "metadata" } && value is YamlMappingNode metadata)
            {
                foreach (var (k, v) in metadata.Children)
                {
                    if (k is YamlScalarNode { Value: "name" } && v is YamlScalarNode name)
                    {
                        return name.Value;
                    }
                }
            }
        }

        return null;
    }

    private static void CheckDuplicates(List<IstioResource> resources, List<ConfigError> errors)
    {
        var seen = new Dictionary<string, IstioResource>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            if (!seen.TryAdd(resource.Id, resource))
            {
                var first = seen[resource.Id];
                errors.Add(new ConfigError(resource.Source.File, resource.Id, null,
                    $"duplicate resource (line {resource.Source.Line}); already defined at {first.Source}"));
            }
        }
    }
}
