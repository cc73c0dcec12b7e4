using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sidecar.Identity;
using Sidecar.Model;
using Sidecar.Model.Json;
using Sidecar.Proxy.Admin.EnvoyDump;

namespace Sidecar.Proxy.Admin;

/// <summary>
/// <c>/config_dump</c> in Envoy's shape (<c>envoy.admin.v3.ConfigDump</c>: <c>configs</c> of bootstrap, clusters,
/// listeners, routes and secrets), so that <c>istioctl proxy-config</c>, Kiali and the usual jq recipes read it, with
/// Envoy's query parameters: <c>include_eds</c>, <c>resource</c> (one list, entry by entry) and <c>name_regex</c>.
/// Beside <c>configs</c> (fields Envoy's readers skip) it tells what Envoy cannot: the snapshot's version and source,
/// the push and refusal counts and the last refusal; <c>include_model</c> adds the snapshot itself as this sidecar
/// holds it, through the model's source-generated JSON.
/// </summary>
internal static class ConfigDumpWriter
{
    /// <summary>The dump, or a refusal: <paramref name="error"/> is set (with the status to answer) when a parameter is bad.</summary>
    public static byte[]? Write(ConfigDumpRequest request, out int status, out string? error)
    {
        Regex? names = null;
        status = 200;
        error = null;
        if (request.NameRegex is { Length: > 0 } pattern)
        {
            try
            {
                names = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                status = 400;
                error = $"Error while parsing name_regex from {pattern}: {ex.Message}";
                return null;
            }
        }

        Func<string, bool> include = names is null ? static _ => true : name => names.IsMatch(name);
        var config = request.Config;
        var sections = config is null ? [] : BuildSections(request, config);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("configs");
            if (request.Resource is { Length: > 0 } resource)
            {
                if (sections.SelectMany(s => s.Lists).FirstOrDefault(l => l.Field == resource) is not { } list)
                {
                    status = 404;
                    error = $"{resource} not found in config dump";
                    return null;
                }

                foreach (var item in list.Items.Where(i => include(i.Name)))
                {
                    EnvoyJson.StartTyped(writer, null, list.ItemType);
                    item.WriteFields(writer);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.Flush();
                return buffer.WrittenSpan.ToArray();
            }

            if (config is not null)
            {
                BootstrapWriter.Write(writer, request.ProxyVersion, new DumpSource(config, request.Workload), request.Ports);
            }

            foreach (var section in sections)
            {
                section.Write(writer, include);
            }

            writer.WriteEndArray();
            WriteSidecarState(writer, request);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static IReadOnlyList<DumpSection> BuildSections(ConfigDumpRequest request, ProxyConfig config) =>
        DumpSectionBuilder.Build(new DumpSource(config, request.Workload), request.Ports, request.Certificate, request.CertificateGeneration, request.IncludeEndpoints);

    private static void WriteSidecarState(Utf8JsonWriter writer, ConfigDumpRequest request)
    {
        var json = ProxyConfigJsonContext.Default;
        var store = request.Store;
        if (request.Config is { } config)
        {
            writer.WriteString("version", config.Version);
            writer.WritePropertyName("source");
            JsonSerializer.Serialize(writer, config.Origin, json.ConfigOrigin);
        }

        writer.WriteNumber("push_count", store.PushCount);
        writer.WriteNumber("rejected_count", store.RejectedCount);
        if (store.LastRejection is { } rejection)
        {
            writer.WritePropertyName("last_rejection");
            JsonSerializer.Serialize(writer, rejection, json.ConfigRejection);
        }

        if (request.IncludeModel && request.Config is { } model)
        {
            writer.WritePropertyName("config");
            JsonSerializer.Serialize(writer, model, json.ProxyConfig);
        }
    }
}
