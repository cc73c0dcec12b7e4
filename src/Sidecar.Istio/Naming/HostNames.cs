using System.Net;

namespace Sidecar.Istio.Naming;

/// <summary>
/// Istio's host-name rules: DNS-1123 checks as its validation applies them, short-name resolution
/// (<c>reviews</c> in namespace <c>default</c> means <c>reviews.default.svc.cluster.local</c>) and wildcard matching.
/// </summary>
public static class HostNames
{
    /// <summary>The Kubernetes DNS domain Istio appends to short names.</summary>
    public const string DomainSuffix = "cluster.local";

    /// <summary>
    /// Istio's <c>labels.IsDNS1123Label</c>, which its validation applies to port, subset and namespace names: its
    /// pattern admits upper case, unlike Kubernetes' own check (<see cref="IsKubernetesDns1123Label"/>).
    /// </summary>
    public static bool IsDns1123Label(string value) => value.Length is > 0 and <= 63 && IsLabel(value, lowercaseOnly: false);

    /// <summary>Kubernetes' DNS-1123 label, lower case only: what the API server requires of a namespace.</summary>
    public static bool IsKubernetesDns1123Label(string value) => value.Length is > 0 and <= 63 && IsLabel(value, lowercaseOnly: true);

    public static bool IsDns1123Subdomain(string value) =>
        value.Length is > 0 and <= 253 && value.Split('.').All(label => label.Length <= 63 && IsLabel(label, lowercaseOnly: true));

    public static bool IsWildcarded(string host) => host.StartsWith('*');

    public static bool IsIpAddress(string value) => IPAddress.TryParse(value, out _) && !value.Contains('/', StringComparison.Ordinal) && value.Any(c => c == '.' || c == ':');

    /// <summary>Istio's <c>ValidateWildcardDomain</c>: an FQDN whose first label may be a wildcard; null when valid.</summary>
    public static string? ValidateWildcardDomain(string domain)
    {
        if (Preconditions(domain) is { } error)
        {
            return error;
        }

        var dot = domain.IndexOf('.', StringComparison.Ordinal);
        var first = dot < 0 ? domain : domain[..dot];
        if (!IsWildcardLabel(first))
        {
            return $"domain name \"{domain}\" invalid (label \"{first}\" invalid)";
        }

        return dot < 0 ? null : ValidateLabels(domain[(dot + 1)..], domain);
    }

    /// <summary>Istio's <c>ValidateFQDN</c>; null when valid.</summary>
    public static string? ValidateFqdn(string fqdn) => Preconditions(fqdn) ?? ValidateLabels(fqdn, fqdn);

    /// <summary>Istio's <c>ResolveShortnameToFQDN</c>: a name without dots is qualified with the namespace and
    /// <c>svc.cluster.local</c>; names with dots, IPs and <c>*</c> stay as written. Hosts are lower-cased.</summary>
    public static string Resolve(string host, string ns)
    {
        var h = host.ToLowerInvariant();
        if (h.Length == 0 || h == "*" || IsIpAddress(h) || h.Contains('.', StringComparison.Ordinal))
        {
            return h;
        }

        return ServiceHost(h, ns);
    }

    /// <summary>The host of Kubernetes Service <paramref name="name"/> in <paramref name="ns"/>: <c>name.ns.svc.cluster.local</c>.</summary>
    public static string ServiceHost(string name, string ns) => $"{name}.{ns}.svc.{DomainSuffix}";

    /// <summary>Istio's <c>host.Name.Matches</c>: whether two hosts, either possibly a wildcard, overlap.</summary>
    public static bool Matches(string a, string b)
    {
        var aWild = IsWildcarded(a);
        var bWild = IsWildcarded(b);
        if (aWild && bWild)
        {
            return a.Length < b.Length
                ? b.AsSpan(1).EndsWith(a.AsSpan(1), StringComparison.Ordinal)
                : a.AsSpan(1).EndsWith(b.AsSpan(1), StringComparison.Ordinal);
        }

        if (aWild)
        {
            return b.AsSpan().EndsWith(a.AsSpan(1), StringComparison.Ordinal);
        }

        if (bWild)
        {
            return a.AsSpan().EndsWith(b.AsSpan(1), StringComparison.Ordinal);
        }

        return string.Equals(a, b, StringComparison.Ordinal);
    }

    /// <summary>Istio's <c>host.Name.SubsetOf</c>: every name <paramref name="host"/> covers is covered by <paramref name="of"/>.</summary>
    public static bool SubsetOf(string host, string of)
    {
        if (IsWildcarded(of))
        {
            return IsWildcarded(host)
                ? host.AsSpan(1).EndsWith(of.AsSpan(1), StringComparison.Ordinal)
                : host.AsSpan().EndsWith(of.AsSpan(1), StringComparison.Ordinal);
        }

        return !IsWildcarded(host) && string.Equals(host, of, StringComparison.Ordinal);
    }

    /// <summary>The short name of a Kubernetes-style host (<c>reviews</c> for <c>reviews.default.svc.cluster.local</c>),
    /// else the host itself, as Istio names ServiceEntry services.</summary>
    public static string ShortName(string host)
    {
        var svc = host.IndexOf(".svc.", StringComparison.Ordinal);
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return svc > 0 && dot < svc ? host[..dot] : host;
    }

    private static string? Preconditions(string name)
    {
        if (name.Length > 255)
        {
            return $"domain name \"{name}\" too long (max 255)";
        }

        return name.Length == 0 ? "empty domain name not allowed" : null;
    }

    private static string? ValidateLabels(string labels, string domain)
    {
        var parts = labels.Split('.');
        var top = parts[^1];
        if (top.Length > 0 && top.All(char.IsAsciiDigit))
        {
            return $"domain name \"{domain}\" invalid (top level domain \"{top}\" cannot be all-numeric)";
        }

        for (var i = 0; i < parts.Length; i++)
        {
            if (i == parts.Length - 1 && parts[i].Length == 0)
            {
                return null;
            }

            if (parts[i].Length is 0 or > 63 || !IsLabel(parts[i], lowercaseOnly: false))
            {
                return $"domain name \"{domain}\" invalid (label \"{parts[i]}\" invalid)";
            }
        }

        return null;
    }

    /// <summary>Istio's wildcard first label: <c>*</c>, or a label optionally after <c>*</c> or <c>*-</c>.</summary>
    private static bool IsWildcardLabel(string label) =>
        label == "*" || (label.Length <= 63 && (IsLabel(label, false)
            || (label.StartsWith("*-", StringComparison.Ordinal) && label.Length > 2 && IsLabel(label[2..], false))
            || (label.StartsWith('*') && label.Length > 1 && IsLabel(label[1..], false))));

    private static bool IsLabel(string label, bool lowercaseOnly)
    {
        if (label.Length == 0 || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        foreach (var c in label)
        {
            var ok = char.IsAsciiDigit(c) || c == '-' || char.IsAsciiLetterLower(c) || (!lowercaseOnly && char.IsAsciiLetterUpper(c));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
