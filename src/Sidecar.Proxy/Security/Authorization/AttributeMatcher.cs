using System.Globalization;
using Sidecar.Model;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// One compiled attribute test (<see cref="AttributeMatchConfig"/>): values and notValues parsed once into patterns,
/// CIDRs or ports, then evaluated per request without allocating.
/// </summary>
internal sealed class AttributeMatcher
{
    private readonly Attribute _attribute;
    private readonly string? _headerName;
    private readonly StringPattern[] _values;
    private readonly StringPattern[] _notValues;
    private readonly Cidr[] _ranges;
    private readonly Cidr[] _notRanges;
    private readonly int[] _ports;
    private readonly int[] _notPorts;
    private readonly string[] _claimPath = [];

    private AttributeMatcher(Attribute attribute, AttributeMatchConfig config)
    {
        _attribute = attribute;
        var ignoreCase = attribute == Attribute.Host;
        _values = Patterns(config.Values, ignoreCase);
        _notValues = Patterns(config.NotValues, ignoreCase);
        _ranges = Ranges(config.Values);
        _notRanges = Ranges(config.NotValues);
        _ports = Ports(config.Values);
        _notPorts = Ports(config.NotValues);
        HasValues = !config.Values.IsEmpty;
        if (attribute == Attribute.Header)
        {
            _headerName = config.Attribute["request.headers[".Length..^1];
        }
        else if (attribute == Attribute.RequestClaim)
        {
            // request.auth.claims[a][b]: the nested claim b of claim a.
            _claimPath = config.Attribute["request.auth.claims[".Length..^1].Split("][");
        }
    }

    private enum Attribute
    {
        Principal,
        Namespace,
        SourceIp,
        RemoteIp,
        DestinationIp,
        DestinationPort,
        ServerName,
        Method,
        Path,
        Host,
        Header,

        /// <summary><c>request.auth.principal</c>: the verified JWT's <c>iss/sub</c>.</summary>
        RequestPrincipal,
        RequestAudiences,
        RequestPresenter,
        RequestClaim,

        /// <summary>Attributes this sidecar does not have (Envoy's experimental filter metadata): always absent.</summary>
        Absent,
    }

    /// <summary>Only meaningful for HTTP: a TCP connection has no method, path, host or headers.</summary>
    public bool IsHttpOnly => _attribute is Attribute.Method or Attribute.Path or Attribute.Host or Attribute.Header
        or Attribute.RequestPrincipal or Attribute.RequestAudiences or Attribute.RequestPresenter or Attribute.RequestClaim;

    private bool HasValues { get; }

    public static AttributeMatcher Compile(AttributeMatchConfig config)
    {
        var attribute = config.Attribute switch
        {
            "source.principal" => Attribute.Principal,
            "source.namespace" => Attribute.Namespace,
            "source.ip" => Attribute.SourceIp,
            "remote.ip" => Attribute.RemoteIp,
            "destination.ip" => Attribute.DestinationIp,
            "destination.port" => Attribute.DestinationPort,
            "connection.sni" => Attribute.ServerName,
            "request.method" => Attribute.Method,
            "request.path" => Attribute.Path,
            "request.host" => Attribute.Host,
            var key when key.StartsWith("request.headers[", StringComparison.Ordinal) && key.EndsWith(']') => Attribute.Header,
            "request.auth.principal" => Attribute.RequestPrincipal,
            "request.auth.audiences" => Attribute.RequestAudiences,
            "request.auth.presenter" => Attribute.RequestPresenter,
            var key when key.StartsWith("request.auth.claims[", StringComparison.Ordinal) && key.EndsWith(']') => Attribute.RequestClaim,
            _ => Attribute.Absent,
        };
        return new AttributeMatcher(attribute, config);
    }

    public bool Matches(in AuthorizationRequest request)
    {
        switch (_attribute)
        {
            case Attribute.SourceIp:
                return MatchesAddress(request.SourceAddress);
            case Attribute.RemoteIp:
                return MatchesAddress(request.RemoteAddress);
            case Attribute.DestinationIp:
                return MatchesAddress(request.DestinationAddress);
            case Attribute.ServerName:
                return MatchesText(request.ServerName);
            case Attribute.DestinationPort:
                return (_ports.Length == 0 || Array.IndexOf(_ports, request.DestinationPort) >= 0) && Array.IndexOf(_notPorts, request.DestinationPort) < 0;
            case Attribute.Principal:
                return MatchesText(request.PrincipalWithoutScheme);
            case Attribute.Namespace:
                return MatchesText(request.Namespace);
            case Attribute.Method:
                return MatchesText(request.Http?.Method);
            case Attribute.Path:
                return MatchesText(request.Http?.Path.Value);
            case Attribute.Host:
                // Istio's hosts match with or without the port: a value may match either form, and a notValue
                // matching either form excludes the request (`notHosts: [reviews]` must refuse `reviews:9080`).
                // The authority as sent (Envoy's :authority), not HttpRequest.Host, which decodes punycode.
                var host = request.Http is { } http ? Routing.RequestView.AuthorityOf(http).AsSpan() : default;
                return MatchesText(host, WithoutPort(host));
            case Attribute.Header:
                var header = request.Http?.Headers[_headerName!] ?? default;
                return header.Count == 0 ? MatchesText(default) : MatchesText(header.Count == 1 ? header[0] : header.ToString());
            case Attribute.RequestPrincipal:
                return MatchesText(request.Jwt?.Principal);
            case Attribute.RequestPresenter:
                return MatchesText(request.Jwt?.Presenter);
            case Attribute.RequestAudiences:
                return MatchesAny(request.Jwt?.Audiences ?? []);
            case Attribute.RequestClaim:
                return MatchesAny(request.Jwt?.ClaimValues(_claimPath) ?? []);
            default:
                return MatchesText(default);
        }
    }

    /// <summary>A list-valued attribute (audiences, a list claim) matches when any element matches and none is excluded.</summary>
    private bool MatchesAny(IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return MatchesText(default);
        }

        var matched = !HasValues;
        foreach (var value in values)
        {
            foreach (var pattern in _values)
            {
                matched |= pattern.Matches(value);
            }

            foreach (var pattern in _notValues)
            {
                if (pattern.Matches(value))
                {
                    return false;
                }
            }
        }

        return matched;
    }

    /// <summary><c>reviews:9080</c> -> <c>reviews</c> (Istio's hosts match with or without the port), without allocating.</summary>
    private static ReadOnlySpan<char> WithoutPort(ReadOnlySpan<char> host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && host.LastIndexOf(']') < colon ? host[..colon] : host;
    }

    private bool MatchesText(ReadOnlySpan<char> text) => MatchesText(text, text);

    /// <summary>Values and notValues against a text that has two equivalent forms (a host with and without its port).</summary>
    private bool MatchesText(ReadOnlySpan<char> text, ReadOnlySpan<char> alternate)
    {
        var matched = !HasValues;
        foreach (var pattern in _values)
        {
            if (pattern.Matches(text) || pattern.Matches(alternate))
            {
                matched = true;
                break;
            }
        }

        if (!matched)
        {
            return false;
        }

        foreach (var pattern in _notValues)
        {
            if (pattern.Matches(text) || pattern.Matches(alternate))
            {
                return false;
            }
        }

        return true;
    }

    private bool MatchesAddress(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return !HasValues;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var matched = _ranges.Length == 0;
        foreach (var range in _ranges)
        {
            if (range.Contains(address))
            {
                matched = true;
                break;
            }
        }

        if (!matched)
        {
            return false;
        }

        foreach (var range in _notRanges)
        {
            if (range.Contains(address))
            {
                return false;
            }
        }

        return true;
    }

    private static StringPattern[] Patterns(EquatableArray<string> values, bool ignoreCase)
    {
        var result = new StringPattern[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = StringPattern.Parse(values[i], ignoreCase);
        }

        return result;
    }

    private static Cidr[] Ranges(EquatableArray<string> values)
    {
        var result = new List<Cidr>();
        foreach (var value in values)
        {
            if (Cidr.TryParse(value, out var cidr))
            {
                result.Add(cidr);
            }
        }

        return [.. result];
    }

    private static int[] Ports(EquatableArray<string> values)
    {
        var result = new List<int>();
        foreach (var value in values)
        {
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                result.Add(port);
            }
        }

        return [.. result];
    }
}
