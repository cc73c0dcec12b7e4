using System.Globalization;
using Sidecar.Istio.Resources.Mesh;
using Sidecar.Model;

namespace Sidecar.Istio.Translation;

/// <summary>MeshConfig's telemetry fields -> the model's <see cref="TelemetryConfig"/> (what istiod puts in the bootstrap and HCM).</summary>
internal static class TelemetryTranslator
{
    public static TelemetryConfig Translate(MeshConfigSpec mesh) => new()
    {
        AccessLogFile = mesh.AccessLogFile ?? "",
        AccessLogEncoding = mesh.AccessLogEncoding == "JSON" ? AccessLogEncoding.Json : AccessLogEncoding.Text,
        EnableTracing = mesh.EnableTracing ?? true,
        TracingSamplingPercent = mesh.TracingSampling ?? TelemetryConfig.Default.TracingSamplingPercent,
        TracingProvider = DefaultTracingProvider(mesh),
    };

    /// <summary>The first provider named in <c>defaultProviders.tracing</c> that is a tracing extension provider.</summary>
    private static TracingProviderConfig? DefaultTracingProvider(MeshConfigSpec mesh)
    {
        foreach (var name in mesh.DefaultTracingProviders)
        {
            foreach (var provider in mesh.TracingProviders)
            {
                if (provider.Name != name)
                {
                    continue;
                }

                var authority = $"http://{provider.Service}:{provider.Port.ToString(CultureInfo.InvariantCulture)}";
                return provider.Kind switch
                {
                    "zipkin" => new TracingProviderConfig(name, TracingProtocol.Zipkin, new Uri(authority + provider.Path)),
                    _ when provider.Path is { } path => new TracingProviderConfig(name, TracingProtocol.OtlpHttp, new Uri(authority + path)),
                    _ => new TracingProviderConfig(name, TracingProtocol.OtlpGrpc, new Uri(authority)),
                };
            }
        }

        return null;
    }
}
