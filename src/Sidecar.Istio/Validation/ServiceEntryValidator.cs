using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Validation;

/// <summary>Istio's <c>ValidateServiceEntry</c> and <c>ValidateWorkloadEntry</c> rules.</summary>
internal static class ServiceEntryValidator
{
    public static void Validate(ServiceEntrySpec se, ValidationReport report)
    {
        report.Check("spec.workloadSelector.labels", CommonRules.Selector(se.WorkloadSelector));
        if (se.WorkloadSelector is { Count: 0 })
        {
            report.Warning("spec.workloadSelector", "service entry: workload selector specified without labels, will be applied to all services in namespace");
        }

        report.Error("spec", "only one of WorkloadSelector or Endpoints is allowed in Service Entry", se.WorkloadSelector is not null && se.Endpoints is not null);
        report.Error("spec.hosts", "service entry must have at least one host", se.Hosts.Count == 0);
        for (var i = 0; i < se.Hosts.Count; i++)
        {
            var host = se.Hosts[i];
            if (host == "*")
            {
                report.Error($"spec.hosts[{i}]", $"invalid host {host}");
            }
            else
            {
                report.Check($"spec.hosts[{i}]", HostNames.ValidateWildcardDomain(host));
            }
        }

        var cidrFound = false;
        for (var i = 0; i < se.Addresses.Count; i++)
        {
            cidrFound |= se.Addresses[i].Contains('/', StringComparison.Ordinal);
            report.Check($"spec.addresses[{i}]", CommonRules.IpSubnet(se.Addresses[i]));
        }

        report.Error("spec.addresses", "CIDR addresses are allowed only for NONE/STATIC resolution types",
            cidrFound && se.Resolution is not ("NONE" or "STATIC"));

        var portNames = new HashSet<string>(StringComparer.Ordinal);
        var portNumbers = new HashSet<int>();
        for (var i = 0; i < se.Ports.Count; i++)
        {
            var port = se.Ports[i];
            var path = $"spec.ports[{i}]";
            report.Error($"{path}.name", $"service entry port name \"{port.Name}\" already defined", !portNames.Add(port.Name));
            report.Error($"{path}.number", $"service entry port {port.Number} already defined", !portNumbers.Add(port.Number));
            if (port.TargetPort is { } target && target != 0)
            {
                report.Check($"{path}.targetPort", CommonRules.Port(target));
            }

            if (se.Addresses.Count == 0 && (string.IsNullOrEmpty(port.Protocol) || port.Protocol == "TCP"))
            {
                report.Warning(path, "addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled");
            }

            report.Check($"{path}.name", CommonRules.PortName(port.Name));
            report.Check($"{path}.protocol", CommonRules.Protocol(port.Protocol));
            report.Check($"{path}.number", CommonRules.Port(port.Number));
        }

        var endpoints = se.Endpoints ?? [];
        switch (se.Resolution)
        {
            case "NONE":
                report.Error("spec.endpoints", "no endpoints should be provided for resolution type none", endpoints.Count != 0);
                if (se.WorkloadSelector is not null)
                {
                    report.Warning("spec.workloadSelector", "workloadSelector should not be set when resolution mode is NONE");
                }

                break;
            case "STATIC":
                for (var i = 0; i < endpoints.Count; i++)
                {
                    ValidateWorkloadEntry(endpoints[i], portNames, allowFqdn: false, $"spec.endpoints[{i}]", report);
                }

                // A socket has no port to tell one service port's traffic from another's.
                report.Error("spec.ports", "exactly 1 service port required for unix socket endpoints",
                    se.Ports.Count != 1 && endpoints.Any(e => e.Address.StartsWith(EndpointConfig.UnixAddressPrefix, StringComparison.Ordinal)));

                break;
            default:
                if (endpoints.Count == 0)
                {
                    foreach (var host in se.Hosts)
                    {
                        report.Error("spec.hosts", $"hosts must be FQDN if no endpoints are provided for resolution mode {se.Resolution}",
                            HostNames.ValidateFqdn(host) is not null);
                    }
                }

                report.Error("spec.endpoints", $"there must only be 0 or 1 endpoint for resolution mode {se.Resolution}",
                    se.Resolution == "DNS_ROUND_ROBIN" && endpoints.Count > 1);
                for (var i = 0; i < endpoints.Count; i++)
                {
                    var endpoint = endpoints[i];
                    var path = $"spec.endpoints[{i}]";
                    if (!HostNames.IsIpAddress(endpoint.Address) && HostNames.ValidateFqdn(endpoint.Address) is not null)
                    {
                        report.Error($"{path}.address", $"endpoint address \"{endpoint.Address}\" is not a valid FQDN or an IP address");
                    }

                    report.Check($"{path}.labels", CommonRules.Labels(endpoint.Labels));
                    ValidateEndpointPorts(endpoint, portNames, path, report);
                }

                if (se.Addresses.Count > 0 && se.Hosts.Count > 1 && se.Ports.Any(p => PortProtocols.Parse(p.Protocol).IsTcp()))
                {
                    report.Warning("spec", "service entry can not have more than one host specified simultaneously with address and tcp port");
                }

                break;
        }

        if (se.Resolution != "NONE" && se.Hosts.Count > 1)
        {
            report.Error("spec.ports", "multiple hosts provided with non-HTTP, non-TLS ports",
                se.Ports.Any(p => PortProtocols.Parse(p.Protocol) is var proto && !proto.IsHttp() && !proto.IsTls()));
        }

        foreach (var message in CommonRules.ExportTo(report.Resource.Namespace, se.ExportTo, isServiceEntry: true, isDestinationRuleWithSelector: false))
        {
            report.Error("spec.exportTo", message);
        }
    }

    /// <summary>Istio's <c>validateWorkloadEntry</c>; <paramref name="servicePorts"/> is null for a standalone WorkloadEntry.</summary>
    public static void ValidateWorkloadEntry(WorkloadEntrySpec entry, HashSet<string>? servicePorts, bool allowFqdn, string path, ValidationReport report)
    {
        var address = entry.Address;
        if (address.Length == 0)
        {
            if (string.IsNullOrEmpty(entry.Network))
            {
                report.Error($"{path}.address", "address is required");
                return;
            }

            report.Warning($"{path}.address", $"address is unset with network \"{entry.Network}\"");
        }

        if (address.StartsWith(EndpointConfig.UnixAddressPrefix, StringComparison.Ordinal))
        {
            report.Check($"{path}.address", CommonRules.UnixAddress(address[EndpointConfig.UnixAddressPrefix.Length..]));
            report.Error($"{path}.ports", $"unix endpoint {address} must not include ports", entry.Ports.Count != 0);
        }
        else if (address.Length > 0 && !HostNames.IsIpAddress(address))
        {
            if (!allowFqdn)
            {
                report.Error($"{path}.address", $"endpoint address \"{address}\" is not a valid IP address");
            }
            else if (HostNames.ValidateFqdn(address) is not null)
            {
                report.Error($"{path}.address", $"endpoint address \"{address}\" is not a valid FQDN or an IP address");
            }
        }

        ValidateEndpointPorts(entry, servicePorts, path, report);
        report.Check($"{path}.labels", CommonRules.Labels(entry.Labels));
    }

    private static void ValidateEndpointPorts(WorkloadEntrySpec entry, HashSet<string>? servicePorts, string path, ValidationReport report)
    {
        foreach (var (name, port) in entry.Ports)
        {
            report.Error($"{path}.ports.{name}", $"endpoint port {port} is not defined by the service entry", servicePorts is not null && !servicePorts.Contains(name));
            report.Check($"{path}.ports.{name}", CommonRules.PortName(name));
            report.Check($"{path}.ports.{name}", CommonRules.Port(port));
        }
    }
}
