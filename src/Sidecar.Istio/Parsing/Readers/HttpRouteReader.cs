using Sidecar.Istio.Resources.GatewayApi;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>
/// Reads a Gateway API <c>HTTPRoute</c> (or <c>GRPCRoute</c>) spec strictly, as the API server's schema admits it: enums checked, defaults
/// applied (a path match defaults to <c>PathPrefix</c>, a header match to <c>Exact</c>, a backend weight to 1).
/// </summary>
internal static class HttpRouteReader
{
    /// <summary>A <c>GRPCRoute</c>, read into the HTTPRoute shape istiod converts it through: each method match becomes
    /// a path match on <c>/service/method</c> (<c>createGRPCURIMatch</c>).</summary>
    public static HttpRouteSpec ReadGrpc(YamlObject spec)
    {
        var result = new HttpRouteSpec
        {
            ParentRefs = (spec.ObjectList("parentRefs") ?? []).Select(ParentRef).ToArray(),
            Hostnames = spec.StringList("hostnames") ?? [],
            Rules = (spec.ObjectList("rules") ?? []).Select(GrpcRule).ToArray(),
        };
        spec.RejectUnknownFields();
        return result;
    }

    public static HttpRouteSpec Read(YamlObject spec)
    {
        var result = new HttpRouteSpec
        {
            ParentRefs = (spec.ObjectList("parentRefs") ?? []).Select(ParentRef).ToArray(),
            Hostnames = spec.StringList("hostnames") ?? [],
            Rules = (spec.ObjectList("rules") ?? []).Select(Rule).ToArray(),
        };
        spec.RejectUnknownFields();
        return result;
    }

    private static ParentReference ParentRef(YamlObject o)
    {
        var parent = new ParentReference(
            o.String("group") ?? "gateway.networking.k8s.io",
            o.String("kind") ?? "Gateway",
            o.RequiredString("name"),
            o.String("namespace"),
            (int?)o.Integer("port", 1, 65535),
            o.String("sectionName"));
        o.RejectUnknownFields();
        return parent;
    }

    private static HttpRouteRule Rule(YamlObject o)
    {
        var timeouts = o.Object("timeouts");
        var rule = new HttpRouteRule
        {
            Name = o.String("name"),
            Matches = (o.ObjectList("matches") ?? []).Select(Match).ToArray(),
            Filters = (o.ObjectList("filters") ?? []).Select(Filter).ToArray(),
            BackendRefs = (o.ObjectList("backendRefs") ?? []).Select(BackendRef).ToArray(),
            RequestTimeout = timeouts?.Duration("request"),
            BackendRequestTimeout = timeouts?.Duration("backendRequest"),
            Retry = Retry(o.Object("retry")),
        };
        timeouts?.RejectUnknownFields();
        o.Ignore("sessionPersistence");
        o.RejectUnknownFields();
        return rule;
    }

    private static HttpRouteRule GrpcRule(YamlObject o)
    {
        var rule = new HttpRouteRule
        {
            Name = o.String("name"),
            Matches = (o.ObjectList("matches") ?? []).Select(GrpcMatch).ToArray(),
            Filters = (o.ObjectList("filters") ?? []).Select(Filter).ToArray(),
            BackendRefs = (o.ObjectList("backendRefs") ?? []).Select(BackendRef).ToArray(),
        };
        o.Ignore("sessionPersistence");
        o.RejectUnknownFields();
        return rule;
    }

    private static HttpRouteMatch GrpcMatch(YamlObject o)
    {
        HttpPathMatch? path = null;
        if (o.Object("method") is { } m)
        {
            var type = m.Enum("type", "Exact", "RegularExpression") ?? "Exact";
            var service = m.String("service");
            var method = m.String("method");
            m.RejectUnknownFields();
            path = (type, service, method) switch
            {
                (_, null, null) => Invalid(m),
                ("Exact", { } s, null) => new HttpPathMatch("PathPrefix", $"/{s}/"),
                ("Exact", { } s, { } name) => new HttpPathMatch("Exact", $"/{s}/{name}"),
                (_, null, { } name) => new HttpPathMatch("RegularExpression", $"/[^/]+/{name}"),
                (_, { } s, null) => new HttpPathMatch("RegularExpression", $"/{s}/.+"),
                (_, { } s, { } name) => new HttpPathMatch("RegularExpression", $"/{s}/{name}"),
            };
        }

        var match = new HttpRouteMatch { Path = path, Headers = (o.ObjectList("headers") ?? []).Select(ValueMatch).ToArray() };
        o.RejectUnknownFields();
        return match;

        static HttpPathMatch? Invalid(YamlObject method)
        {
            method.Diagnostics.Error(method.Path, "a gRPC method match needs a service or a method", method.Line);
            return null;
        }
    }

    private static HttpRouteMatch Match(YamlObject o)
    {
        HttpPathMatch? path = null;
        if (o.Object("path") is { } p)
        {
            path = new HttpPathMatch(p.Enum("type", "Exact", "PathPrefix", "RegularExpression") ?? "PathPrefix", p.String("value") ?? "/");
            p.RejectUnknownFields();
        }

        var match = new HttpRouteMatch
        {
            Path = path,
            Headers = (o.ObjectList("headers") ?? []).Select(ValueMatch).ToArray(),
            QueryParams = (o.ObjectList("queryParams") ?? []).Select(ValueMatch).ToArray(),
            Method = o.Enum("method", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"),
        };
        o.RejectUnknownFields();
        return match;
    }

    private static HttpValueMatch ValueMatch(YamlObject o)
    {
        var match = new HttpValueMatch(o.Enum("type", "Exact", "RegularExpression") ?? "Exact", o.RequiredString("name"), o.String("value") ?? "");
        o.RejectUnknownFields();
        return match;
    }

    private static HttpRouteFilter Filter(YamlObject o)
    {
        var filter = new HttpRouteFilter
        {
            Type = o.RequiredString("type"),
            RequestHeaderModifier = HeaderModifier(o.Object("requestHeaderModifier")),
            ResponseHeaderModifier = HeaderModifier(o.Object("responseHeaderModifier")),
            RequestRedirect = Redirect(o.Object("requestRedirect")),
            UrlRewrite = Rewrite(o.Object("urlRewrite")),
            RequestMirror = Mirror(o.Object("requestMirror")),
            Cors = Cors(o.Object("cors")),
        };
        o.Ignore("extensionRef", "externalAuth");
        o.RejectUnknownFields();
        return filter;
    }

    // istiod's createCorsFilter: origins as exact matches, credentials only when true, maxAge in seconds when positive.
    private static Resources.Networking.CorsPolicy? Cors(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var maxAge = o.Integer("maxAge", 0, int.MaxValue);
        var cors = new Resources.Networking.CorsPolicy
        {
            AllowOrigins = (o.StringList("allowOrigins") ?? []).Select(origin => new Resources.Networking.StringMatch { Exact = origin }).ToArray(),
            AllowMethods = o.StringList("allowMethods") ?? [],
            AllowHeaders = o.StringList("allowHeaders") ?? [],
            ExposeHeaders = o.StringList("exposeHeaders") ?? [],
            AllowCredentials = o.Bool("allowCredentials") == true ? true : null,
            MaxAge = maxAge is > 0 ? Resources.IstioDuration.FromTimeSpan(TimeSpan.FromSeconds(maxAge.Value)) : null,
        };
        o.RejectUnknownFields();
        return cors;
    }

    private static HeaderModifier? HeaderModifier(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var modifier = new HeaderModifier(Pairs(o, "set"), Pairs(o, "add"), o.StringList("remove") ?? []);
        o.RejectUnknownFields();
        return modifier;
    }

    private static KeyValuePair<string, string>[] Pairs(YamlObject o, string key) =>
        (o.ObjectList(key) ?? []).Select(h =>
        {
            var pair = new KeyValuePair<string, string>(h.RequiredString("name"), h.String("value") ?? "");
            h.RejectUnknownFields();
            return pair;
        }).ToArray();

    private static RequestRedirectFilter? Redirect(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var redirect = new RequestRedirectFilter(
            o.Enum("scheme", "http", "https"),
            o.String("hostname"),
            PathModifier(o.Object("path")),
            (int?)o.Integer("port", 1, 65535),
            (int?)o.Integer("statusCode", 300, 399) ?? 302);
        o.RejectUnknownFields();
        return redirect;
    }

    private static UrlRewriteFilter? Rewrite(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var rewrite = new UrlRewriteFilter(o.String("hostname"), PathModifier(o.Object("path")));
        o.RejectUnknownFields();
        return rewrite;
    }

    private static HttpPathModifier? PathModifier(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var type = o.Enum("type", "ReplaceFullPath", "ReplacePrefixMatch") ?? "ReplaceFullPath";
        var modifier = new HttpPathModifier(type, (type == "ReplaceFullPath" ? o.String("replaceFullPath") : o.String("replacePrefixMatch")) ?? "/");
        o.Ignore("replaceFullPath", "replacePrefixMatch");
        o.RejectUnknownFields();
        return modifier;
    }

    private static RequestMirrorFilter? Mirror(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var backend = o.Object("backendRef") is { } b ? Backend(b) : null;
        if (backend is null)
        {
            o.Error("backendRef", "is required");
        }

        double? percent = o.Integer("percent", 0, 100);
        if (o.Object("fraction") is { } fraction)
        {
            var numerator = fraction.Integer("numerator", 0, int.MaxValue) ?? 0;
            var denominator = fraction.Integer("denominator", 1, int.MaxValue) ?? 100;
            fraction.RejectUnknownFields();
            percent = 100.0 * numerator / denominator;
        }

        o.RejectUnknownFields();
        return backend is null ? null : new RequestMirrorFilter(backend, percent);
    }

    private static HttpBackendRef BackendRef(YamlObject o)
    {
        var backend = Backend(o, strict: false);
        var filters = (o.ObjectList("filters") ?? []).Select(Filter).ToArray();
        var weight = (int?)o.Integer("weight", 0, 1_000_000) ?? 1;
        o.RejectUnknownFields();
        return new HttpBackendRef(backend, weight, filters);
    }

    // strict: the reference is the whole object (a mirror's); a backendRefs entry has its weight and filters beside it.
    private static BackendReference Backend(YamlObject o, bool strict = true)
    {
        var backend = new BackendReference(o.String("group") ?? "", o.String("kind") ?? "Service", o.RequiredString("name"), o.String("namespace"), (int?)o.Integer("port", 1, 65535));
        if (strict)
        {
            o.RejectUnknownFields();
        }

        return backend;
    }

    private static HttpRouteRetry? Retry(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var codes = new List<int>();
        if (o.Has("codes"))
        {
            foreach (var code in o.StringList("codes") ?? [])
            {
                if (int.TryParse(code, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 400 and <= 599)
                {
                    codes.Add(n);
                }
                else
                {
                    o.Error("codes", $"\"{code}\" is not an HTTP status code from 400 to 599");
                }
            }
        }

        var retry = new HttpRouteRetry(codes, (int?)o.Integer("attempts", 0, int.MaxValue), o.Duration("backoff"));
        o.RejectUnknownFields();
        return retry;
    }
}
