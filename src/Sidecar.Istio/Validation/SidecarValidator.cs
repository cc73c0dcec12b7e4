using System.Globalization;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's <c>ValidateSidecar</c> rules, plus the limits of this sidecar (no unix socket listeners, no ingress TLS).</summary>
internal static class SidecarValidator
{
    private const string UnixAddressPrefix = EndpointConfig.UnixAddressPrefix;

    public static void Validate(SidecarSpec sidecar, ValidationReport report)
    {
        report.Check("spec.workloadSelector.labels", CommonRules.Selector(sidecar.WorkloadSelector));
        if (sidecar.WorkloadSelector is { Count: 0 })
        {
            report.Warning("spec.workloadSelector", "sidecar: workload selector specified without labels, will be applied to all services in namespace");
        }

        if (sidecar.Egress.Count == 0 && sidecar.Ingress.Count == 0 && !sidecar.HasOutboundTrafficPolicy && sidecar.InboundConnectionPool is null)
        {
            report.Error("spec", "sidecar: empty configuration provided");
            return;
        }

        var ports = new HashSet<int>();
        for (var i = 0; i < sidecar.Ingress.Count; i++)
        {
            var ingress = sidecar.Ingress[i];
            var path = $"spec.ingress[{i}]";
            if (ingress.Port is not { } port)
            {
                report.Error($"{path}.port", "sidecar: port is required for ingress listeners");
                continue;
            }

            report.Error($"{path}.port.targetPort", "targetPort has no impact on Sidecars", port.TargetPort > 0);
            ValidatePort(port, path, report);
            if (!string.IsNullOrEmpty(ingress.Bind))
            {
                report.Check($"{path}.bind", CommonRules.IpAddress(ingress.Bind));
            }

            report.Error($"{path}.port", "sidecar: ports on IP bound listeners must be unique", !ports.Add(port.Number));
            if (!string.IsNullOrEmpty(ingress.DefaultEndpoint))
            {
                ValidateDefaultEndpoint(ingress.DefaultEndpoint, $"{path}.defaultEndpoint", report);
            }

            report.Error($"{path}.tls", "sidecar: ingress TLS termination with file certificates is not supported by this sidecar", ingress.HasTls);
            DestinationRuleValidator.ValidateConnectionPool(ingress.ConnectionPool, $"{path}.connectionPool", report);
        }

        DestinationRuleValidator.ValidateConnectionPool(sidecar.InboundConnectionPool, "spec.inboundConnectionPool", report);

        ports.Clear();
        var catchAllFound = false;
        for (var i = 0; i < sidecar.Egress.Count; i++)
        {
            var egress = sidecar.Egress[i];
            var path = $"spec.egress[{i}]";
            if (egress.Port is null)
            {
                if (catchAllFound)
                {
                    report.Error(path, "sidecar: egress can have only one listener with empty port");
                    continue;
                }

                if (i == sidecar.Egress.Count - 1)
                {
                    catchAllFound = true;
                }
                else
                {
                    report.Error(path, "sidecar: the egress listener with empty port should be the last listener in the list");
                }
            }
            else
            {
                var port = egress.Port;
                report.Error($"{path}.port.targetPort", "targetPort has no impact on Sidecars", port.TargetPort > 0);
                if (port.Number == 0 || (egress.Bind?.StartsWith(UnixAddressPrefix, StringComparison.Ordinal) ?? false))
                {
                    report.Error($"{path}.bind", "sidecar: unix domain socket egress listeners are not supported by this sidecar");
                }
                else
                {
                    ValidatePort(port, path, report);
                    if (!string.IsNullOrEmpty(egress.Bind))
                    {
                        report.Check($"{path}.bind", CommonRules.IpAddress(egress.Bind));
                    }

                    report.Error($"{path}.port", "sidecar: ports on IP bound listeners must be unique", !ports.Add(port.Number));
                }
            }

            if (egress.Hosts.Count == 0)
            {
                report.Error($"{path}.hosts", "sidecar: egress listener must contain at least one host");
            }

            for (var h = 0; h < egress.Hosts.Count; h++)
            {
                report.Check($"{path}.hosts[{h}]", NamespaceSlashHost(egress.Hosts[h]));
            }
        }

        if (sidecar.EgressProxy is { } egressProxy)
        {
            // Istio's validateSidecarOutboundTrafficPolicy.
            report.Error("spec.outboundTrafficPolicy.egressProxy", "egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode", sidecar.OutboundTrafficPolicyMode != "ALLOW_ANY");
            report.Check("spec.outboundTrafficPolicy.egressProxy.host", egressProxy.Host.Length == 0 ? "host must not be empty" : HostNames.ValidateFqdn(egressProxy.Host));
            if (egressProxy.Port is { } port)
            {
                report.Check("spec.outboundTrafficPolicy.egressProxy.port.number", CommonRules.Port(port));
            }
            else
            {
                report.Error("spec.outboundTrafficPolicy.egressProxy.port", "egress_proxy port must be non-nil");
            }
        }
    }

    private static void ValidatePort(SidecarPort port, string path, ValidationReport report)
    {
        if (!string.IsNullOrEmpty(port.Name))
        {
            report.Check($"{path}.port.name", CommonRules.PortName(port.Name));
        }

        report.Check($"{path}.port.protocol", CommonRules.Protocol(port.Protocol));
        report.Check($"{path}.port.number", CommonRules.Port(port.Number));
    }

    private static void ValidateDefaultEndpoint(string endpoint, string path, ValidationReport report)
    {
        if (endpoint.StartsWith(UnixAddressPrefix, StringComparison.Ordinal))
        {
            report.Check(path, CommonRules.UnixAddress(endpoint[UnixAddressPrefix.Length..]));
            return;
        }

        if (!DefaultEndpoints.TrySplit(endpoint, out var host, out var portText))
        {
            report.Error(path, $"address {endpoint}: missing port in address");
            return;
        }

        if (host.Length > 0 && host is not ("127.0.0.1" or "0.0.0.0" or "::1" or "::"))
        {
            report.Error(path, "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset");
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            report.Error(path, $"sidecar: defaultEndpoint port ({portText}) is not a number");
        }
        else
        {
            report.Check(path, CommonRules.Port(port));
        }
    }

    /// <summary>Istio's <c>ValidateNamespaceSlashWildcardHostname</c> for sidecars: <c>ns/host</c> with ns one of
    /// <c>*</c>, <c>.</c>, <c>~</c> or a namespace, and host <c>*</c> or a (wildcard) domain.</summary>
    internal static string? NamespaceSlashHost(string hostname)
    {
        var slash = hostname.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return "host must be of form namespace/dnsName";
        }

        var ns = hostname[..slash];
        var name = hostname[(slash + 1)..];
        if (ns.Length == 0 || name.Length == 0)
        {
            return "config namespace and dnsName in host entry cannot be empty";
        }

        if (ns is not ("*" or "." or "~") && !HostNames.IsDns1123Label(ns))
        {
            return $"invalid namespace value \"{ns}\" in sidecar";
        }

        if (name == "*")
        {
            return null;
        }

        // Istio's validateSidecarOrGatewayHostnamePart: no short names, and a wildcard only as a whole first label.
        if (!name.Contains('.', StringComparison.Ordinal))
        {
            return "short names (non FQDN) are not allowed";
        }

        if (name.StartsWith('*') && name.Length > 1 && name[1] != '.')
        {
            return $"partial wildcard \"{name}\" not allowed";
        }

        return HostNames.ValidateWildcardDomain(name);
    }
}
