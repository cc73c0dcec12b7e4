using Sidecar.Model;
using Sidecar.Proxy.Http;

namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>The eight standard metric families the sidecar reports.</summary>
internal enum IstioFamily
{
    Requests,
    Duration,
    RequestBytes,
    ResponseBytes,
    TcpSent,
    TcpReceived,
    TcpOpened,
    TcpClosed,
}

/// <summary>Where one label's value comes from, for one family and reporter.</summary>
internal enum LabelSourceKind
{
    /// <summary>The standard label at <see cref="LabelSource.Index"/> (IstioLabelNames order).</summary>
    Standard,

    /// <summary>A fixed value: a string literal, "" for a removed tag (Prometheus reads an empty label as absent), "unknown" for what cannot be evaluated.</summary>
    Constant,

    /// <summary>The request's value of the expression at <see cref="LabelSource.Index"/> in the reporter's <see cref="IstioMetricsLayout.RequestExpressions"/>.</summary>
    Request,

    /// <summary><c>response.code</c>, which the series key already holds.</summary>
    ResponseCode,

    /// <summary><c>xds.cluster_name</c>, which the series key already holds.</summary>
    ClusterName,
}

internal readonly record struct LabelSource(LabelSourceKind Kind, int Index = 0, string Value = "");

/// <summary>One reporter's view of a family: whether it is reported, and each label's source.</summary>
internal sealed record ReporterPlan(bool Enabled, LabelSource[] Sources);

/// <summary>A family's label names (the same for both reporters, as Prometheus needs) and each reporter's plan.</summary>
internal sealed record FamilyLayout(string[] LabelNames, ReporterPlan Client, ReporterPlan Server)
{
    public ReporterPlan For(RequestDirection direction) => direction == RequestDirection.Outbound ? Client : Server;

    /// <summary>Whether either reporter reports the family: if neither does, it is not exported at all.</summary>
    public bool Reported => Client.Enabled || Server.Enabled;
}

/// <summary>
/// The Telemetry API's <c>metrics</c> overrides for the Prometheus provider resolved into label layouts, the way
/// istiod's stats filter config does: overrides apply in order (mesh, namespace, workload), each matching a metric
/// (or ALL_METRICS) and a reporter (CLIENT is the outbound side, SERVER the inbound one); <c>disabled</c> stops a
/// metric for that reporter, REMOVE drops a tag, UPSERT sets a standard tag's value or adds a new one.
/// </summary>
internal sealed class IstioMetricsLayout
{
    public static readonly IstioMetricsLayout Standard = new([]);

    private readonly FamilyLayout[] _families;
    private readonly MetricTagExpression[] _clientExpressions;
    private readonly MetricTagExpression[] _serverExpressions;

    public IstioMetricsLayout(EquatableArray<MetricOverrideConfig> overrides)
    {
        Overrides = overrides;
        var client = new List<MetricTagExpression>();
        var server = new List<MetricTagExpression>();
        _families = new FamilyLayout[8];
        foreach (var family in Enum.GetValues<IstioFamily>())
        {
            _families[(int)family] = Build(family, overrides, client, server);
        }

        _clientExpressions = [.. client];
        _serverExpressions = [.. server];
    }

    public EquatableArray<MetricOverrideConfig> Overrides { get; }

    public FamilyLayout this[IstioFamily family] => _families[(int)family];

    /// <summary>The expressions a reporter evaluates on each request (empty without per-request tags, the common case).</summary>
    public MetricTagExpression[] RequestExpressions(RequestDirection direction) =>
        direction == RequestDirection.Outbound ? _clientExpressions : _serverExpressions;

    private static bool IsTcp(IstioFamily family) => family >= IstioFamily.TcpSent;

    private static FamilyLayout Build(IstioFamily family, EquatableArray<MetricOverrideConfig> overrides, List<MetricTagExpression> client, List<MetricTagExpression> server)
    {
        var standard = IsTcp(family) ? IstioLabelNames.Tcp : IstioLabelNames.Http;
        var (clientEnabled, clientTags) = Resolve(family, WorkloadMode.Client, overrides);
        var (serverEnabled, serverTags) = Resolve(family, WorkloadMode.Server, overrides);

        var names = new List<string>();
        foreach (var name in standard)
        {
            // A standard tag removed for both reporters leaves the family; removed for one, it reads "" there.
            if (!(clientTags.TryGetValue(name, out var c) && c is null && serverTags.TryGetValue(name, out var s) && s is null))
            {
                names.Add(name);
            }
        }

        foreach (var tags in (ReadOnlySpan<Dictionary<string, string?>>)[clientTags, serverTags])
        {
            foreach (var (name, value) in tags)
            {
                if (value is not null && !names.Contains(name) && !IsReserved(family, name))
                {
                    names.Add(name);
                }
            }
        }

        return new FamilyLayout(
            [.. names],
            new ReporterPlan(clientEnabled, Sources(family, names, standard, clientTags, client)),
            new ReporterPlan(serverEnabled, Sources(family, names, standard, serverTags, server)));
    }

    /// <summary>The overrides matching one family and reporter, applied in order: enabled, and each tag's value (null: removed).</summary>
    private static (bool Enabled, Dictionary<string, string?> Tags) Resolve(IstioFamily family, WorkloadMode reporter, EquatableArray<MetricOverrideConfig> overrides)
    {
        var enabled = true;
        var tags = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var entry in overrides)
        {
            if (!Matches(entry.Metric, family) || !entry.Mode.Includes(reporter))
            {
                continue;
            }

            if (entry.Disabled is { } disabled)
            {
                enabled = !disabled;
            }

            foreach (var tag in entry.Tags)
            {
                tags[SanitizeLabelName(tag.Name)] = tag.Remove ? null : tag.Value ?? "";
            }
        }

        return (enabled, tags);
    }

    private static bool Matches(IstioMetric metric, IstioFamily family) => metric switch
    {
        IstioMetric.AllMetrics => true,
        IstioMetric.RequestCount => family == IstioFamily.Requests,
        IstioMetric.RequestDuration => family == IstioFamily.Duration,
        IstioMetric.RequestSize => family == IstioFamily.RequestBytes,
        IstioMetric.ResponseSize => family == IstioFamily.ResponseBytes,
        IstioMetric.TcpOpenedConnections => family == IstioFamily.TcpOpened,
        IstioMetric.TcpClosedConnections => family == IstioFamily.TcpClosed,
        IstioMetric.TcpSentBytes => family == IstioFamily.TcpSent,
        IstioMetric.TcpReceivedBytes => family == IstioFamily.TcpReceived,
        _ => false,
    };

    private static LabelSource[] Sources(IstioFamily family, List<string> names, string[] standard, Dictionary<string, string?> tags, List<MetricTagExpression> requestExpressions)
    {
        var sources = new LabelSource[names.Count];
        for (var i = 0; i < sources.Length; i++)
        {
            var name = names[i];
            if (tags.TryGetValue(name, out var value))
            {
                sources[i] = value is null ? new LabelSource(LabelSourceKind.Constant) : Source(family, MetricTagExpression.Parse(value), requestExpressions);
            }
            else
            {
                var index = Array.IndexOf(standard, name);
                sources[i] = index >= 0 ? new LabelSource(LabelSourceKind.Standard, index) : new LabelSource(LabelSourceKind.Constant);
            }
        }

        return sources;
    }

    private static LabelSource Source(IstioFamily family, MetricTagExpression expression, List<MetricTagExpression> requestExpressions)
    {
        switch (expression.Source)
        {
            case MetricTagSource.Literal:
                return new LabelSource(LabelSourceKind.Constant, Value: expression.Argument);
            case MetricTagSource.ClusterName:
                return new LabelSource(LabelSourceKind.ClusterName);
            case MetricTagSource.Unsupported:
                return new LabelSource(LabelSourceKind.Constant, Value: IstioLabelNames.Unknown);
            case MetricTagSource.ResponseCode when !IsTcp(family):
                return new LabelSource(LabelSourceKind.ResponseCode);
            case var _ when IsTcp(family):
                // A TCP connection has no request attributes: Envoy's expression fails and the tag reads unknown.
                return new LabelSource(LabelSourceKind.Constant, Value: IstioLabelNames.Unknown);
            default:
                var index = requestExpressions.IndexOf(expression);
                if (index < 0)
                {
                    index = requestExpressions.Count;
                    requestExpressions.Add(expression);
                }

                return new LabelSource(LabelSourceKind.Request, index);
        }
    }

    /// <summary>Histograms own <c>le</c>: a tag by that name cannot be added to them.</summary>
    private static bool IsReserved(IstioFamily family, string name) =>
        name == "le" && family is IstioFamily.Duration or IstioFamily.RequestBytes or IstioFamily.ResponseBytes;

    /// <summary>Envoy's Prometheus output: characters outside <c>[a-zA-Z0-9_]</c> become <c>_</c>, a leading digit gets a <c>_</c> prefix.</summary>
    internal static string SanitizeLabelName(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] != '_')
            {
                chars[i] = '_';
            }
        }

        var sanitized = new string(chars);
        if (sanitized.Length == 0 || char.IsAsciiDigit(sanitized[0]))
        {
            sanitized = "_" + sanitized;
        }

        // Names starting "__" are reserved by Prometheus.
        return sanitized.StartsWith("__", StringComparison.Ordinal) ? "_" + sanitized.TrimStart('_') : sanitized;
    }
}
