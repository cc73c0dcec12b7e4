using System.Globalization;
using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Security;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>Reads <c>PeerAuthentication</c>, <c>RequestAuthentication</c> and <c>AuthorizationPolicy</c> specs strictly.</summary>
internal static class SecurityReader
{
    private static readonly string[] MtlsModes = ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"];

    public static PeerAuthenticationSpec ReadPeerAuthentication(YamlObject spec)
    {
        string? mode = null;
        if (spec.Object("mtls") is { } mtls)
        {
            mode = mtls.Enum("mode", MtlsModes) ?? "UNSET";
            mtls.RejectUnknownFields();
        }

        Dictionary<int, string>? portLevel = null;
        if (spec.ObjectMap("portLevelMtls") is { } ports)
        {
            portLevel = [];
            foreach (var (key, value) in ports)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                {
                    spec.Diagnostics.Error($"{spec.FieldPath("portLevelMtls")}.{key}", "port must be a number", value.Line);
                    continue;
                }

                portLevel[port] = value.Enum("mode", MtlsModes) ?? "UNSET";
                value.RejectUnknownFields();
            }
        }

        var result = new PeerAuthenticationSpec { Selector = Selector(spec), MtlsMode = mode, PortLevelMtls = portLevel };
        spec.RejectUnknownFields();
        return result;
    }

    public static AuthorizationPolicySpec ReadAuthorizationPolicy(YamlObject spec)
    {
        var targetRefs = new List<PolicyTargetReference>();
        if (spec.Object("targetRef") is { } single)
        {
            targetRefs.Add(TargetRef(single));
        }

        foreach (var item in spec.ObjectList("targetRefs") ?? [])
        {
            targetRefs.Add(TargetRef(item));
        }

        string? providerName = null;
        var provider = spec.Object("provider");
        if (provider is not null)
        {
            providerName = provider.String("name");
            provider.RejectUnknownFields();
        }

        var result = new AuthorizationPolicySpec
        {
            Selector = Selector(spec),
            TargetRefs = targetRefs,
            Action = spec.Enum("action", "ALLOW", "DENY", "AUDIT", "CUSTOM") ?? "ALLOW",
            ProviderName = providerName,
            HasProvider = provider is not null,
            Rules = spec.ObjectList("rules")?.Select(Rule).ToArray(),
        };
        spec.RejectUnknownFields();
        return result;
    }

    public static RequestAuthenticationSpec ReadRequestAuthentication(YamlObject spec)
    {
        var targetRefs = new List<PolicyTargetReference>();
        if (spec.Object("targetRef") is { } single)
        {
            targetRefs.Add(TargetRef(single));
        }

        foreach (var item in spec.ObjectList("targetRefs") ?? [])
        {
            targetRefs.Add(TargetRef(item));
        }

        var result = new RequestAuthenticationSpec
        {
            Selector = Selector(spec),
            TargetRefs = targetRefs,
            JwtRules = spec.ObjectList("jwtRules")?.Select(JwtRule).ToArray() ?? [],
        };
        spec.RejectUnknownFields();
        return result;
    }

    private static JwtRule JwtRule(YamlObject o)
    {
        var headers = new List<JwtHeader>();
        foreach (var header in o.ObjectList("fromHeaders") ?? [])
        {
            headers.Add(new JwtHeader(header.String("name") ?? "", header.String("prefix") ?? ""));
            header.RejectUnknownFields();
        }

        var claims = new List<ClaimToHeader>();
        foreach (var claim in o.ObjectList("outputClaimToHeaders") ?? [])
        {
            claims.Add(new ClaimToHeader(claim.String("header") ?? "", claim.String("claim") ?? ""));
            claim.RejectUnknownFields();
        }

        var rule = new JwtRule
        {
            Issuer = o.String("issuer") ?? "",
            Audiences = o.StringList("audiences") ?? [],
            JwksUri = o.String("jwksUri") ?? o.String("jwks_uri"),
            Jwks = o.String("jwks"),
            FromHeaders = headers,
            FromParams = o.StringList("fromParams") ?? [],
            FromCookies = o.StringList("fromCookies") ?? [],
            OutputPayloadToHeader = o.String("outputPayloadToHeader"),
            ForwardOriginalToken = o.Bool("forwardOriginalToken") ?? false,
            OutputClaimToHeaders = claims,
            Timeout = o.Duration("timeout"),
            SpaceDelimitedClaims = o.StringList("spaceDelimitedClaims") ?? [],
        };
        o.RejectUnknownFields();
        return rule;
    }

    private static IReadOnlyDictionary<string, string>? Selector(YamlObject spec)
    {
        if (spec.Object("selector") is not { } selector)
        {
            return null;
        }

        var labels = selector.StringDictionary("matchLabels") ?? ResourceMetadata.EmptyMap;
        selector.RejectUnknownFields();
        return labels;
    }

    private static PolicyTargetReference TargetRef(YamlObject o)
    {
        var reference = new PolicyTargetReference(o.String("group"), o.String("kind"), o.String("name"), o.String("namespace"));
        o.RejectUnknownFields();
        return reference;
    }

    private static AuthorizationRule Rule(YamlObject o)
    {
        List<AuthorizationSource?>? from = null;
        if (o.ObjectList("from") is { } fromList)
        {
            from = [];
            foreach (var f in fromList)
            {
                from.Add(Source(f.Object("source")));
                f.RejectUnknownFields();
            }
        }

        List<AuthorizationOperation?>? to = null;
        if (o.ObjectList("to") is { } toList)
        {
            to = [];
            foreach (var t in toList)
            {
                to.Add(Operation(t.Object("operation")));
                t.RejectUnknownFields();
            }
        }

        var when = new List<AuthorizationCondition>();
        foreach (var w in o.ObjectList("when") ?? [])
        {
            when.Add(new AuthorizationCondition
            {
                Key = w.String("key") ?? "",
                Values = w.StringList("values") ?? [],
                NotValues = w.StringList("notValues") ?? [],
            });
            w.RejectUnknownFields();
        }

        var rule = new AuthorizationRule { From = from, To = to, When = when };
        o.RejectUnknownFields();
        return rule;
    }

    private static AuthorizationSource? Source(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var source = new AuthorizationSource
        {
            Principals = o.StringList("principals"),
            NotPrincipals = o.StringList("notPrincipals"),
            RequestPrincipals = o.StringList("requestPrincipals"),
            NotRequestPrincipals = o.StringList("notRequestPrincipals"),
            Namespaces = o.StringList("namespaces"),
            NotNamespaces = o.StringList("notNamespaces"),
            TrustDomains = o.StringList("trustDomains"),
            NotTrustDomains = o.StringList("notTrustDomains"),
            ServiceAccounts = o.StringList("serviceAccounts"),
            NotServiceAccounts = o.StringList("notServiceAccounts"),
            IpBlocks = o.StringList("ipBlocks"),
            NotIpBlocks = o.StringList("notIpBlocks"),
            RemoteIpBlocks = o.StringList("remoteIpBlocks"),
            NotRemoteIpBlocks = o.StringList("notRemoteIpBlocks"),
        };
        o.RejectUnknownFields();
        return source;
    }

    private static AuthorizationOperation? Operation(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var operation = new AuthorizationOperation
        {
            Hosts = o.StringList("hosts"),
            NotHosts = o.StringList("notHosts"),
            Ports = o.StringList("ports"),
            NotPorts = o.StringList("notPorts"),
            Methods = o.StringList("methods"),
            NotMethods = o.StringList("notMethods"),
            Paths = o.StringList("paths"),
            NotPaths = o.StringList("notPaths"),
        };
        o.RejectUnknownFields();
        return operation;
    }
}
