using System.Net;
using System.Text.RegularExpressions;
using Sidecar.Istio.Naming;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;
using Sidecar.Model;

namespace Sidecar.Istio.Validation;

/// <summary>Field rules several kinds share, as Istio's webhook (<c>pkg/config/validation</c>) applies them.
/// Each returns an error message, or null when the value is valid.</summary>
internal static partial class CommonRules
{
    public const int MaxRegexLength = 1024;

    /// <summary>Istio's <c>ValidateDuration</c>: at least 1 ms, in whole milliseconds.</summary>
    public static string? Duration(IstioDuration? duration)
    {
        if (duration is not { } d)
        {
            return null;
        }

        if (d.Nanoseconds < 1_000_000)
        {
            return "duration must be greater than 1ms";
        }

        return d.IsWholeMilliseconds ? null : "only durations to ms precision are supported";
    }

    public static string? Port(int port) => port is >= 1 and <= 65535 ? null : $"port number {port} must be in the range 1..65535";

    /// <summary>Istio's <c>validatePercentage</c> for a <c>Percent</c> value.</summary>
    public static string? Percentage(double? value) =>
        value is { } v && (v < 0 || v > 100 || (v > 0 && v < 0.0001))
            ? $"percentage {v} is neither 0.0, nor in range [0.0001, 100.0]"
            : null;

    public static string? Percent(int? value) => value is { } v && (v < 0 || v > 100) ? $"percentage {v} is not in range 0..100" : null;

    /// <summary>Istio's RE2 checks: non-empty, at most 1024 characters, and compiling under RE2's rules.</summary>
    public static string? Regex(string regex, string where)
    {
        if (regex.Length == 0)
        {
            return $"\"{where}\": regex string match should not be empty";
        }

        if (regex.Length > MaxRegexLength)
        {
            return $"\"{where}\": regex is too large, max length allowed is {MaxRegexLength}";
        }

        return ProxyConfigValidator.CheckRegex(regex) is { } error
            ? $"\"{where}\": {error}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)"
            : null;
    }

    /// <summary>Istio's <c>validateStringMatch</c>: a prefix must not be empty; a regex must be valid RE2.</summary>
    public static string? StringMatch(StringMatch? match, string where)
    {
        if (match is null)
        {
            return null;
        }

        if (match.Prefix is "")
        {
            return $"\"{where}\": prefix string match should not be empty";
        }

        return match.Regex is { } regex ? Regex(regex, where) : null;
    }

    /// <summary>A <c>uri</c> match may have an empty prefix; only its regex is checked.</summary>
    public static string? UriMatch(StringMatch? match) => match?.Regex is { } regex ? Regex(regex, "uri") : null;

    /// <summary>Kubernetes label rules (<c>labels.Instance.Validate</c>).</summary>
    public static string? Labels(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in labels)
        {
            if (!IsLabelKey(key))
            {
                return $"invalid label key: \"{key}\"";
            }

            if (value.Length > 0 && (value.Length > 63 || !LabelValuePattern().IsMatch(value)))
            {
                return $"invalid label value: \"{value}\" (for key \"{key}\")";
            }
        }

        return null;
    }

    /// <summary>A workload selector: no empty keys and no wildcards.</summary>
    public static string? Selector(IReadOnlyDictionary<string, string>? selector)
    {
        if (selector is null)
        {
            return null;
        }

        foreach (var (key, value) in selector)
        {
            if (key.Length == 0)
            {
                return $"empty key is not supported in selector: \"{key}={value}\"";
            }

            if (key.Contains('*', StringComparison.Ordinal) || value.Contains('*', StringComparison.Ordinal))
            {
                return $"wildcard is not supported in selector: \"{key}={value}\"";
            }
        }

        return Labels(selector);
    }

    /// <summary>Istio's <c>validateExportTo</c>.</summary>
    public static IEnumerable<string> ExportTo(string ns, IReadOnlyList<string> exportTo, bool isServiceEntry, bool isDestinationRuleWithSelector)
    {
        if (exportTo.Count == 0)
        {
            yield break;
        }

        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in exportTo)
        {
            var key = e == "." ? ns : e;
            if (set.Contains(key))
            {
                yield return key != e ? $"duplicate entries in exportTo: . and current namespace {ns}" : $"duplicate entries in exportTo for entry {e}";
                continue;
            }

            if (e == "~" && !isServiceEntry)
            {
                yield return "exportTo ~ (no one) is only allowed for a ServiceEntry";
                continue;
            }

            if (key != "*" && key != "~" && !HostNames.IsDns1123Label(key))
            {
                yield return $"only . or * or a valid namespace name are allowed in exportTo, got \"{e}\"";
                continue;
            }

            set.Add(key);
        }

        if (isDestinationRuleWithSelector && set.Count > 0)
        {
            if (!set.Contains(ns))
            {
                yield return "destination rule with workload selector cannot have exportTo beyond current namespace";
            }
            else if (set.Count > 1)
            {
                yield return "destination rule with workload selector cannot have multiple entries in exportTo";
            }
        }

        if (set.Contains("*") && exportTo.Count > 1)
        {
            yield return "cannot have both public (*) and non-public exportTo values for a resource";
        }

        if (set.Contains("~") && exportTo.Count > 1)
        {
            yield return "cannot export service entry to no one (~) and someone";
        }
    }

    /// <summary>Istio's <c>ValidatePortName</c> (a DNS-1123 label).</summary>
    public static string? PortName(string name) => HostNames.IsDns1123Label(name) ? null : $"invalid port name: {name}";

    /// <summary>Istio's <c>ValidateProtocol</c>: empty means auto-detect; otherwise a known protocol.</summary>
    public static string? Protocol(string? protocol) =>
        string.IsNullOrEmpty(protocol) || PortProtocols.Parse(protocol) != PortProtocol.Unsupported
            ? null
            : $"unsupported protocol: {protocol}";

    public static string? IpAddress(string value) => HostNames.IsIpAddress(value) ? null : $"{value} is not a valid IP";

    /// <summary>Istio's <c>ValidateIPSubnet</c>: an address or a CIDR block.</summary>
    /// <summary>Istio's <c>ValidateUnixAddress</c>: a socket path after <c>unix://</c>, absolute, or <c>@</c> for Linux's abstract namespace.</summary>
    public static string? UnixAddress(string socket) =>
        socket.Length == 0 ? "unix address must not be empty"
        : !socket.StartsWith('@') && (!socket.StartsWith('/') || socket.EndsWith('/')) ? $"{socket} is not an absolute path to a file"
        : null;

    public static string? IpSubnet(string value)
    {
        if (value.Count(c => c == '/') == 1)
        {
            return IPNetwork.TryParse(value, out _) || IsLooseCidr(value) ? null : $"{value} is not a valid CIDR block";
        }

        return IpAddress(value);
    }

    /// <summary>Istio's <c>validateDestination</c>.</summary>
    public static IEnumerable<(string Field, string Message)> Destination(Destination? destination)
    {
        if (destination is null)
        {
            yield break;
        }

        if (destination.Host == "*")
        {
            yield return ("host", $"invalid destination host {destination.Host}");
        }
        else if (HostNames.ValidateWildcardDomain(destination.Host) is { } error)
        {
            yield return ("host", error);
        }

        if (destination.Subset is { } subset && SubsetName(subset) is { } subsetError)
        {
            yield return ("subset", subsetError);
        }

        if (destination.Port is { } port && Port(port) is { } portError)
        {
            yield return ("port.number", portError);
        }
    }

    public static string? SubsetName(string name) =>
        name.Length == 0 ? "subset name cannot be empty" : HostNames.IsDns1123Label(name) ? null : $"subset name is invalid: {name}";

    /// <summary>Istio's <c>ValidateHTTPHeaderName</c>: a non-empty token (RFC 9110 tchar).</summary>
    public static string? HeaderName(string name)
    {
        if (name.Length == 0)
        {
            return "header name cannot be empty";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return $"header name {name} is not a valid header name";
            }
        }

        return null;
    }

    /// <summary>Istio's <c>ValidateHTTPHeaderValue</c>: no control characters, and Envoy's <c>%</c> substitutions balanced.</summary>
    public static string? HeaderValue(string value)
    {
        foreach (var c in value)
        {
            if (c is (>= '\u0000' and <= '\u0008') or (>= '\u000A' and <= '\u001F') or '\u007F')
            {
                return $"header value configuration {value} is invalid";
            }
        }

        var unescaped = value.Replace("%%", "", StringComparison.Ordinal);
        if (unescaped.Count(c => c == '%') % 2 != 0)
        {
            return $"header value configuration: invalid header value \"{value}\" (unbalanced '%')";
        }

        // Istio passes the value to Envoy's headers_to_add, whose formatter refuses (NACKs) an operator it does not know.
        return unescaped.Contains('%', StringComparison.Ordinal) && AccessLogTemplate.ParseHeaderValue(value, out var error) is null
            ? $"header value configuration: invalid header value \"{value}\" (Envoy refuses it: {error})"
            : null;
    }

    /// <summary>Istio's <c>ValidateHTTPHeaderWithAuthorityOperationName</c> (request add/set).</summary>
    public static string? RequestHeaderToWrite(string name) =>
        name.Length == 0 ? "header name cannot be empty"
        : IsInternalHeader(name) && !IsAuthorityHeader(name) ? $"invalid header \"{name}\": header cannot have \":\" prefix"
        : null;

    /// <summary>Istio's <c>ValidateHTTPHeaderOperationName</c> (request remove, response add/set/remove).</summary>
    public static string? HeaderToModify(string name) =>
        name.Length == 0 ? "header name cannot be empty"
        : string.Equals(name, "host", StringComparison.OrdinalIgnoreCase) ? $"invalid header \"{name}\": cannot set Host header"
        : IsInternalHeader(name) ? $"invalid header \"{name}\": header cannot have \":\" prefix"
        : null;

    public static bool IsInternalHeader(string name) => name.StartsWith(':') || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);

    public static bool IsAuthorityHeader(string name) =>
        string.Equals(name, ":authority", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase);

    private static bool IsLooseCidr(string value)
    {
        // Go's ParseCIDR accepts host bits set (10.0.0.1/8); IPNetwork.TryParse refuses them.
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return IPAddress.TryParse(value.AsSpan(0, slash), out var address) &&
            int.TryParse(value.AsSpan(slash + 1), out var bits) &&
            bits >= 0 && bits <= (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    private static bool IsLabelKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var name = key;
        if (slash >= 0)
        {
            var prefix = key[..slash];
            name = key[(slash + 1)..];
            if (!HostNames.IsDns1123Subdomain(prefix))
            {
                return false;
            }
        }

        return name.Length is > 0 and <= 63 && LabelValuePattern().IsMatch(name);
    }

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValuePattern();
}
