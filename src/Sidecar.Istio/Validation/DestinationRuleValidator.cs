using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's <c>ValidateDestinationRule</c> and <c>validateTrafficPolicy</c> rules.</summary>
internal static class DestinationRuleValidator
{
    public static void Validate(DestinationRuleSpec dr, ValidationReport report)
    {
        report.Check("spec.host", HostNames.ValidateWildcardDomain(dr.Host));
        ValidateTrafficPolicy(dr.TrafficPolicy, "spec.trafficPolicy", report);

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < dr.Subsets.Count; i++)
        {
            var subset = dr.Subsets[i];
            var path = $"spec.subsets[{i}]";
            report.Error($"{path}.name", $"duplicate subset names: {subset.Name}", !names.Add(subset.Name));
            report.Check($"{path}.name", CommonRules.SubsetName(subset.Name));
            report.Check($"{path}.labels", CommonRules.Labels(subset.Labels));
            ValidateTrafficPolicy(subset.TrafficPolicy, $"{path}.trafficPolicy", report);
        }

        foreach (var message in CommonRules.ExportTo(report.Resource.Namespace, dr.ExportTo, isServiceEntry: false, dr.WorkloadSelector is not null))
        {
            report.Error("spec.exportTo", message);
        }

        report.Check("spec.workloadSelector.matchLabels", CommonRules.Selector(dr.WorkloadSelector));
        if (dr.WorkloadSelector is { Count: 0 })
        {
            report.Warning("spec.workloadSelector", "workload selector specified without labels");
        }
    }

    public static void ValidateTrafficPolicy(TrafficPolicy? policy, string path, ValidationReport report)
    {
        if (policy is null)
        {
            return;
        }

        if (policy.OutlierDetection is null && policy.ConnectionPool is null && policy.LoadBalancer is null && policy.Tls is null &&
            policy.PortLevelSettings.Count == 0 && policy.Tunnel is null && policy.ProxyProtocol is null && policy.RetryBudget is null)
        {
            report.Error(path, "traffic policy must have at least one field");
            return;
        }

        if (policy.Tunnel is not null && policy.ProxyProtocol is not null)
        {
            report.Error(path, "tunnel and proxyProtocol must not be set together");
            return;
        }

        if (policy.Tunnel is { } tunnel)
        {
            // Istio's validateTunnelSettings.
            report.Error($"{path}.tunnel.protocol", "tunnel protocol must be \"CONNECT\" or \"POST\"", tunnel.Protocol is not ("" or "CONNECT" or "POST"));
            if (!HostNames.IsIpAddress(tunnel.TargetHost) && HostNames.ValidateFqdn(tunnel.TargetHost) is { } invalid)
            {
                report.Error($"{path}.tunnel.targetHost", $"tunnel target host must be valid FQDN or IP address: {invalid}");
            }

            report.Error($"{path}.tunnel.targetPort", $"tunnel target port is invalid: port number {tunnel.TargetPort} must be in the range 1..65535", tunnel.TargetPort is 0 or > 65535);
        }

        if (policy.RetryBudget?.Percent is { } percent)
        {
            // Envoy refuses a Percent outside 0..100 (the cluster would be rejected).
            report.Error($"{path}.retryBudget.percent", "percent must be in range [0.0, 100.0]", percent is < 0 or > 100 || double.IsNaN(percent));
        }

        ValidateOutlierDetection(policy.OutlierDetection, $"{path}.outlierDetection", report);
        ValidateConnectionPool(policy.ConnectionPool, $"{path}.connectionPool", report);
        ValidateLoadBalancer(policy.LoadBalancer, $"{path}.loadBalancer", report);
        LocalityLbSettingValidator.Validate(policy.LoadBalancer?.LocalityLbSetting, policy.OutlierDetection is not null, $"{path}.loadBalancer.localityLbSetting", report);
        ValidateTls(policy.Tls, $"{path}.tls", report);
        for (var i = 0; i < policy.PortLevelSettings.Count; i++)
        {
            var pls = policy.PortLevelSettings[i];
            var plsPath = $"{path}.portLevelSettings[{i}]";
            if (pls.Port is null)
            {
                report.Error($"{plsPath}.port", "portTrafficPolicy must have valid port");
            }
            else
            {
                report.Check($"{plsPath}.port.number", CommonRules.Port(pls.Port.Value));
            }

            if (pls.OutlierDetection is null && pls.ConnectionPool is null && pls.LoadBalancer is null && pls.Tls is null)
            {
                report.Error(plsPath, "port traffic policy must have at least one field");
                continue;
            }

            ValidateOutlierDetection(pls.OutlierDetection, $"{plsPath}.outlierDetection", report);
            ValidateConnectionPool(pls.ConnectionPool, $"{plsPath}.connectionPool", report);
            ValidateLoadBalancer(pls.LoadBalancer, $"{plsPath}.loadBalancer", report);
            LocalityLbSettingValidator.Validate(pls.LoadBalancer?.LocalityLbSetting, pls.OutlierDetection is not null, $"{plsPath}.loadBalancer.localityLbSetting", report);
            ValidateTls(pls.Tls, $"{plsPath}.tls", report);
        }
    }

    private static void ValidateOutlierDetection(OutlierDetection? outlier, string path, ValidationReport report)
    {
        if (outlier is null)
        {
            return;
        }

        report.Check($"{path}.baseEjectionTime", CommonRules.Duration(outlier.BaseEjectionTime));
        if (outlier.ConsecutiveErrors is { } errors && errors != 0)
        {
            report.Warning($"{path}.consecutiveErrors", "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead");
        }

        report.Error($"{path}.consecutiveLocalOriginFailures",
            "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false",
            !outlier.SplitExternalLocalOriginErrors && outlier.ConsecutiveLocalOriginFailures > 0);
        report.Check($"{path}.interval", CommonRules.Duration(outlier.Interval));
        report.Check($"{path}.maxEjectionPercent", CommonRules.Percent(outlier.MaxEjectionPercent));
        report.Check($"{path}.minHealthPercent", CommonRules.Percent(outlier.MinHealthPercent));
    }

    public static void ValidateConnectionPool(ConnectionPoolSettings? pool, string path, ValidationReport report)
    {
        if (pool is null)
        {
            return;
        }

        if (pool.Http is null && pool.Tcp is null)
        {
            report.Error(path, "connection pool must have at least one field");
            return;
        }

        if (pool.Http is { } http)
        {
            report.Error($"{path}.http.http1MaxPendingRequests", "http1 max pending requests must be non-negative", http.Http1MaxPendingRequests < 0);
            report.Error($"{path}.http.http2MaxRequests", "http2 max requests must be non-negative", http.Http2MaxRequests < 0);
            report.Error($"{path}.http.maxRequestsPerConnection", "max requests per connection must be non-negative", http.MaxRequestsPerConnection < 0);
            report.Error($"{path}.http.maxRetries", "max retries must be non-negative", http.MaxRetries < 0);
            report.Check($"{path}.http.idleTimeout", CommonRules.Duration(http.IdleTimeout));
            report.Error($"{path}.http", "use client protocol must not be true when H2UpgradePolicy is UPGRADE",
                http.H2UpgradePolicy == "UPGRADE" && http.UseClientProtocol == true);
            report.Error($"{path}.http.maxConcurrentStreams", "max concurrent streams must be non-negative", http.MaxConcurrentStreams < 0);
        }

        if (pool.Tcp is { } tcp)
        {
            report.Error($"{path}.tcp.maxConnections", "max connections must be non-negative", tcp.MaxConnections < 0);
            report.Check($"{path}.tcp.connectTimeout", CommonRules.Duration(tcp.ConnectTimeout));
            report.Check($"{path}.tcp.maxConnectionDuration", CommonRules.Duration(tcp.MaxConnectionDuration));
            if (tcp.IdleTimeout is { Nanoseconds: not 0 } idle)
            {
                // 0s disables the idle timeout and is allowed.
                report.Check($"{path}.tcp.idleTimeout", CommonRules.Duration(idle));
            }

            if (tcp.TcpKeepalive is { } keepalive)
            {
                report.Check($"{path}.tcp.tcpKeepalive.time", CommonRules.Duration(keepalive.Time));
                report.Check($"{path}.tcp.tcpKeepalive.interval", CommonRules.Duration(keepalive.Interval));
            }
        }
    }

    private static void ValidateLoadBalancer(LoadBalancerSettings? lb, string path, ValidationReport report)
    {
        if (lb is null)
        {
            return;
        }

        if (lb.ConsistentHash is { } hash)
        {
            report.Error($"{path}.consistentHash.httpCookie.name", "name required for HttpCookie", hash.HttpCookie is { Name: "" });
            if (hash.MinimumRingSize is { } size && size != 0)
            {
                report.Warning($"{path}.consistentHash.minimumRingSize", "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
                report.Error($"{path}.consistentHash", "only one of MinimumRingSize or Maglev/Ringhash can be specified", hash.HasRingHash || hash.HasMaglev);
            }

            if (hash.HasMaglev)
            {
                var table = hash.MaglevTableSize ?? 0;
                report.Error($"{path}.consistentHash.maglev.tableSize", "tableSize must be set for maglev", table == 0);
                report.Error($"{path}.consistentHash.maglev.tableSize", "tableSize must be less than 5000011 for maglev", table >= 5000011);
                report.Error($"{path}.consistentHash.maglev.tableSize", "tableSize must be a prime number for maglev", table != 0 && !IsPrime(table));
            }
        }

        if (lb.WarmupDuration is not null || lb.WarmupMinimumPercent is not null || lb.WarmupAggression is not null)
        {
            if (lb.WarmupDuration is null)
            {
                report.Error($"{path}.warmup.duration", "duration is required");
            }
            else
            {
                report.Check($"{path}.warmup.duration", CommonRules.Duration(lb.WarmupDuration));
            }

            report.Error($"{path}.warmup.minimumPercent", "minimumPercent value should be less than or equal to 100", lb.WarmupMinimumPercent > 100);
            report.Error($"{path}.warmup.aggression", "aggression should be greater than or equal to 1", lb.WarmupAggression < 1);
        }
    }

    /// <summary>Istio's <c>ValidateTLS</c> for client TLS settings.</summary>
    private static void ValidateTls(ClientTlsSettings? tls, string path, ValidationReport report)
    {
        if (tls is null)
        {
            return;
        }

        if (tls.InsecureSkipVerify == true)
        {
            if (tls.Mode == "SIMPLE" && (!string.IsNullOrEmpty(tls.CaCertificates) || !string.IsNullOrEmpty(tls.CredentialName) || tls.SubjectAltNames is not null))
            {
                report.Error(path, "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true");
            }

            if (tls.Mode == "MUTUAL" && (!string.IsNullOrEmpty(tls.CaCertificates) || tls.SubjectAltNames is not null))
            {
                report.Error(path, "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
            }
        }

        if (tls.Mode is "SIMPLE" or "MUTUAL" && !string.IsNullOrEmpty(tls.CredentialName))
        {
            if (!string.IsNullOrEmpty(tls.ClientCertificate) || !string.IsNullOrEmpty(tls.CaCertificates) || !string.IsNullOrEmpty(tls.PrivateKey) ||
                !string.IsNullOrEmpty(tls.CaCrl))
            {
                report.Error(path, "cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
            }

            return;
        }

        if (tls.Mode == "MUTUAL")
        {
            report.Error($"{path}.clientCertificate", "client certificate required for mutual tls", string.IsNullOrEmpty(tls.ClientCertificate));
            report.Error($"{path}.privateKey", "private key required for mutual tls", string.IsNullOrEmpty(tls.PrivateKey));
        }
    }

    /// <summary>Envoy's primality check for Maglev table sizes.</summary>
    private static bool IsPrime(ulong x)
    {
        if (x is > 0 and < 4)
        {
            return true;
        }

        if ((x & 1) == 0)
        {
            return false;
        }

        var limit = (ulong)Math.Sqrt(x);
        for (ulong factor = 3; factor <= limit; factor += 2)
        {
            if (x % factor == 0)
            {
                return false;
            }
        }

        return true;
    }
}
