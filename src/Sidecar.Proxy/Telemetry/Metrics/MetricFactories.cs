using Prometheus;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>
/// prometheus-net factories for the sidecar's registries, without exemplars. By default every counter increment and
/// histogram observation asks for an exemplar from the current trace context (an async-local read each, several per
/// request); Envoy's and Istio's metrics carry none, so the sidecar's publish none either.
/// </summary>
internal static class MetricFactories
{
    private static readonly ExemplarBehavior NoExemplars = new() { DefaultExemplarProvider = static (_, _) => Exemplar.None };

    public static MetricFactory For(CollectorRegistry registry)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        factory.ExemplarBehavior = NoExemplars;
        return factory;
    }
}
