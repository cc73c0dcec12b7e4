namespace Sidecar.Proxy.Telemetry.Metrics;

/// <summary>Istio's connection_security_policy label: mutual_tls or none on the destination reporter, unknown on the source.</summary>
internal enum SecurityPolicy : byte
{
    Unknown,
    None,
    MutualTls,
}

internal static class SecurityPolicyNames
{
    public static string ToLabel(this SecurityPolicy policy) => policy switch
    {
        SecurityPolicy.MutualTls => "mutual_tls",
        SecurityPolicy.None => "none",
        _ => IstioLabelNames.Unknown,
    };
}
