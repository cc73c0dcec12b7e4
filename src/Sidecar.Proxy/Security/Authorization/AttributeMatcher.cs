using System.Globalization;
using Sidecar.Model;
using Sidecar.Proxy.Http;
using Sidecar.Proxy.Listeners;

namespace Sidecar.Proxy.Security.Authorization;

/// <summary>
/// One compiled attribute test (<see cref="AttributeMatchConfig"/>): values and notValues parsed once into patterns,
/// CIDRs or ports, then evaluated per request without allocating.
/// </summary>
internal sealed class AttributeMatcher
{
    /// <summary>The attribute a source's <c>trustDomains</c> match: no condition key names it, so Istio's validation never admits it in <c>when</c>.</summary>
    public const string SourceTrustDomainKey = "source.trustDomain";

    private readonly Attribute _attribute;
    private readonly string? _headerName;
    private readonly StringPattern[] _values;
    private readonly StringPattern[] _notValues;
    private readonly Cidr[] _ranges;
    private readonly Cidr[] _notRanges;
    private readonly int[] _ports;
    private readonly int[] _notPorts;
    private readonly string[] _claimPath = [];
    private readonly (StringPattern Issuer, StringPattern Subject)[] _principalValues = [];
    private readonly (StringPattern Issuer, StringPattern Subject)[] _principalNotValues = [];

    private AttributeMatcher(Attribute attribute, AttributeMatchConfig config)
    {
        _attribute = attribute;
        var ignoreCase = attribute == Attribute.Host;
        var pathTemplate = attribute == Attribute.Path;
        // A header's value is held as its bytes (HeaderValueEncoding): the policy's text is compared as its UTF-8.
        var values = attribute == Attribute.Header ? [.. config.Values.Select(HeaderValueEncoding.FromText)] : config.Values;
        var notValues = attribute == Attribute.Header ? [.. config.NotValues.Select(HeaderValueEncoding.FromText)] : config.NotValues;
        _values = Patterns(values, ignoreCase, pathTemplate);
        _notValues = Patterns(notValues, ignoreCase, pathTemplate);
        _ranges = Ranges(config.Values);
        _notRanges = Ranges(config.NotValues);
        _ports = Ports(config.Values);
        _notPorts = Ports(config.NotValues);
        HasValues = !config.Values.IsEmpty;
        if (attribute == Attribute.RequestPrincipal)
        {
            _principalValues = PrincipalPatterns(config.Values);
            _principalNotValues = PrincipalPatterns(config.NotValues);
        }

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
        TrustDomain,
        Namespace,
        ServiceAccount,
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
            SourceTrustDomainKey => Attribute.TrustDomain,
            "source.serviceAccount" => Attribute.ServiceAccount,
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
            case Attribute.TrustDomain:
                return MatchesText(request.TrustDomain);
            case Attribute.ServiceAccount:
                return MatchesText(request.ServiceAccount);
            case Attribute.Method:
                return MatchesText(request.Http?.Method);
            case Attribute.Path:
                return MatchesText(request.Http?.Path.Value);
            case Attribute.Host:
                // Istio's HostMatcher: exact, prefix or suffix, ignoring case, on :authority as sent (port included,
                // so `reviews` does not match `reviews:9080`); not HttpRequest.Host, which decodes punycode.
                return MatchesText(request.Http is { } http ? Routing.RequestView.AuthorityOf(http).AsSpan() : default);
            case Attribute.Header:
                var header = request.Http?.Headers[_headerName!] ?? default;
                return header.Count == 0 ? MatchesText(default) : MatchesText(header.Count == 1 ? header[0] : header.ToString());
            case Attribute.RequestPrincipal:
                return MatchesRequestPrincipal(request.Jwt);
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

    private bool MatchesText(ReadOnlySpan<char> text)
    {
        var matched = !HasValues;
        foreach (var pattern in _values)
        {
            if (pattern.Matches(text))
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
            if (pattern.Matches(text))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Istio's requestPrincipals: each value <c>iss/sub</c> is split at its last '/' and the token's issuer and
    /// subject are matched separately (each exact, <c>prefix*</c>, <c>*suffix</c> or <c>*</c>); a value of <c>*</c>
    /// needs both present. A token without <c>sub</c> has no request principal to match.
    /// </summary>
    private bool MatchesRequestPrincipal(Jwt.JwtIdentity? jwt)
    {
        if (jwt is null || string.IsNullOrEmpty(jwt.Subject))
        {
            return !HasValues && _principalValues.Length == 0;
        }

        var matched = !HasValues;
        foreach (var (issuer, subject) in _principalValues)
        {
            if (issuer.Matches(jwt.Issuer) && subject.Matches(jwt.Subject))
            {
                matched = true;
                break;
            }
        }

        if (!matched)
        {
            return false;
        }

        foreach (var (issuer, subject) in _principalNotValues)
        {
            if (issuer.Matches(jwt.Issuer) && subject.Matches(jwt.Subject))
            {
                return false;
            }
        }

        return true;
    }

    private static (StringPattern Issuer, StringPattern Subject)[] PrincipalPatterns(EquatableArray<string> values)
    {
        var result = new (StringPattern, StringPattern)[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var value = values[i];
            var slash = value.LastIndexOf('/');
            result[i] = value == "*" || slash < 0
                ? (StringPattern.Parse("*"), StringPattern.Parse(value == "*" ? "*" : value))
                : (StringPattern.Parse(value[..slash]), StringPattern.Parse(value[(slash + 1)..]));
        }

        return result;
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

    private static StringPattern[] Patterns(EquatableArray<string> values, bool ignoreCase, bool pathTemplate)
    {
        var result = new StringPattern[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = StringPattern.Parse(values[i], ignoreCase, pathTemplate);
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
