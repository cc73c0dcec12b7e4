using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>Reads a <c>VirtualService</c> spec strictly.</summary>
internal static class VirtualServiceReader
{
    public static VirtualServiceSpec Read(YamlObject spec)
    {
        var result = new VirtualServiceSpec
        {
            Hosts = spec.StringList("hosts") ?? [],
            Gateways = spec.StringList("gateways") ?? [],
            Http = (spec.ObjectList("http") ?? []).Select(HttpRoute).ToArray(),
            Tls = (spec.ObjectList("tls") ?? []).Select(TlsRoute).ToArray(),
            Tcp = (spec.ObjectList("tcp") ?? []).Select(TcpRoute).ToArray(),
            ExportTo = spec.StringList("exportTo") ?? [],
        };
        spec.RejectUnknownFields();
        return result;
    }

    private static HttpRoute HttpRoute(YamlObject o)
    {
        var mirrorPercentage = NetworkingReader.Percent(o, "mirrorPercentage");
        var route = new HttpRoute
        {
            Name = o.String("name"),
            Match = (o.ObjectList("match") ?? []).Select(HttpMatch).ToArray(),
            Route = (o.ObjectList("route") ?? []).Select(HttpRouteDestination).ToArray(),
            Redirect = Redirect(o.Object("redirect")),
            DirectResponse = DirectResponse(o.Object("directResponse")),
            Delegate = Delegate(o.Object("delegate")),
            Rewrite = Rewrite(o.Object("rewrite")),
            Timeout = o.Duration("timeout"),
            Retries = Retry(o.Object("retries")),
            Fault = Fault(o.Object("fault")),
            Mirror = NetworkingReader.Destination(o.Object("mirror")),
            Mirrors = (o.ObjectList("mirrors") ?? []).Select(Mirror).ToArray(),
            MirrorPercent = o.UInt32("mirrorPercent"),
            MirrorPercentage = mirrorPercentage,
            CorsPolicy = Cors(o.Object("corsPolicy")),
            Headers = NetworkingReader.Headers(o.Object("headers")),
        };
        o.RejectUnknownFields();
        return route;
    }

    private static HttpMatchRequest HttpMatch(YamlObject o)
    {
        var match = new HttpMatchRequest
        {
            Name = o.String("name"),
            Uri = NetworkingReader.StringMatch(o.Object("uri")),
            Scheme = NetworkingReader.StringMatch(o.Object("scheme")),
            Method = NetworkingReader.StringMatch(o.Object("method")),
            Authority = NetworkingReader.StringMatch(o.Object("authority")),
            Headers = NetworkingReader.StringMatchMap(o, "headers"),
            WithoutHeaders = NetworkingReader.StringMatchMap(o, "withoutHeaders"),
            QueryParams = NetworkingReader.StringMatchMap(o, "queryParams"),
            Port = o.Int32("port"),
            SourceLabels = o.StringDictionary("sourceLabels") ?? ResourceMetadata.EmptyMap,
            SourceNamespace = o.String("sourceNamespace"),
            Gateways = o.StringList("gateways") ?? [],
            IgnoreUriCase = o.Bool("ignoreUriCase") ?? false,
            StatPrefix = o.String("statPrefix"),
        };
        o.RejectUnknownFields();
        return match;
    }

    private static HttpRouteDestination HttpRouteDestination(YamlObject o)
    {
        var destination = new HttpRouteDestination
        {
            Destination = NetworkingReader.Destination(o.Object("destination")),
            Weight = o.Int32("weight") ?? 0,
            Headers = NetworkingReader.Headers(o.Object("headers")),
        };
        o.RejectUnknownFields();
        return destination;
    }

    private static RouteDestination RouteDestination(YamlObject o)
    {
        var destination = new RouteDestination
        {
            Destination = NetworkingReader.Destination(o.Object("destination")),
            Weight = o.Int32("weight") ?? 0,
        };
        o.RejectUnknownFields();
        return destination;
    }

    private static HttpRedirect? Redirect(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var redirect = new HttpRedirect
        {
            Uri = o.String("uri"),
            Authority = o.String("authority"),
            Port = o.Int32("port"),
            DerivePort = o.Enum("derivePort", "FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"),
            Scheme = o.String("scheme"),
            RedirectCode = o.Int32("redirectCode") ?? 0,
        };
        o.RejectUnknownFields();
        if (redirect.Port is not null && redirect.DerivePort is not null)
        {
            o.Diagnostics.Error(o.Path, "only one of port or derivePort may be set", o.Line);
        }

        return redirect;
    }

    private static HttpDirectResponse? DirectResponse(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        string? text = null;
        byte[]? bytes = null;
        if (o.Object("body") is { } body)
        {
            text = body.String("string");
            if (body.String("bytes") is { } encoded)
            {
                try
                {
                    bytes = Convert.FromBase64String(encoded);
                }
                catch (FormatException)
                {
                    body.Error("bytes", "is not valid base64");
                }
            }

            body.RejectUnknownFields();
            if (text is not null && bytes is not null)
            {
                o.Diagnostics.Error(body.Path, "only one of string or bytes may be set", body.Line);
            }
        }

        var response = new HttpDirectResponse { Status = (int?)o.UInt32("status") ?? 0, BodyString = text, BodyBytes = bytes };
        o.RejectUnknownFields();
        return response;
    }

    private static VirtualServiceDelegate? Delegate(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var result = new VirtualServiceDelegate(o.String("name"), o.String("namespace"));
        o.RejectUnknownFields();
        return result;
    }

    private static HttpRewrite? Rewrite(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        RegexRewrite? regex = null;
        if (o.Object("uriRegexRewrite") is { } r)
        {
            regex = new RegexRewrite(r.String("match") ?? "", r.String("rewrite") ?? "");
            r.RejectUnknownFields();
        }

        var rewrite = new HttpRewrite { Uri = o.String("uri"), Authority = o.String("authority"), UriRegexRewrite = regex };
        o.RejectUnknownFields();
        return rewrite;
    }

    internal static HttpRetry? Retry(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var retry = new HttpRetry
        {
            Attempts = o.Int32("attempts") ?? 0,
            PerTryTimeout = o.Duration("perTryTimeout"),
            RetryOn = o.String("retryOn"),
            RetryRemoteLocalities = o.Bool("retryRemoteLocalities"),
            RetryIgnorePreviousHosts = o.Bool("retryIgnorePreviousHosts"),
            Backoff = o.Duration("backoff"),
        };
        o.RejectUnknownFields();
        return retry;
    }

    private static HttpFaultInjection? Fault(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        FaultDelay? delay = null;
        if (o.Object("delay") is { } d)
        {
            delay = new FaultDelay
            {
                FixedDelay = d.Duration("fixedDelay"),
                ExponentialDelay = d.Duration("exponentialDelay"),
                Percentage = NetworkingReader.Percent(d, "percentage"),
                Percent = d.Int32("percent"),
            };
            d.RejectUnknownFields();
            if (delay.FixedDelay is not null && delay.ExponentialDelay is not null)
            {
                o.Diagnostics.Error(d.Path, "only one of fixedDelay or exponentialDelay may be set", d.Line);
            }
        }

        FaultAbort? abort = null;
        if (o.Object("abort") is { } a)
        {
            abort = new FaultAbort
            {
                HttpStatus = a.Int32("httpStatus"),
                GrpcStatus = a.String("grpcStatus"),
                Http2Error = a.String("http2Error"),
                Percentage = NetworkingReader.Percent(a, "percentage"),
            };
            a.RejectUnknownFields();
            var kinds = (abort.HttpStatus is null ? 0 : 1) + (abort.GrpcStatus is null ? 0 : 1) + (abort.Http2Error is null ? 0 : 1);
            if (kinds > 1)
            {
                o.Diagnostics.Error(a.Path, "only one of httpStatus, grpcStatus or http2Error may be set", a.Line);
            }
        }

        var fault = new HttpFaultInjection { Delay = delay, Abort = abort };
        o.RejectUnknownFields();
        return fault;
    }

    private static HttpMirrorPolicy Mirror(YamlObject o)
    {
        var mirror = new HttpMirrorPolicy
        {
            Destination = NetworkingReader.Destination(o.Object("destination")),
            Percentage = NetworkingReader.Percent(o, "percentage"),
        };
        o.RejectUnknownFields();
        return mirror;
    }

    private static CorsPolicy? Cors(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var origins = new List<StringMatch>();
        var allowOrigins = o.ObjectList("allowOrigins");
        foreach (var origin in allowOrigins ?? [])
        {
            origins.Add(NetworkingReader.StringMatch(origin)!);
        }

        // The deprecated allowOrigin (exact strings) counts only without allowOrigins, as in istiod.
        if (o.StringList("allowOrigin") is { } legacy && allowOrigins is null)
        {
            origins.AddRange(legacy.Select(value => new StringMatch { Exact = value }));
        }

        var cors = new CorsPolicy
        {
            AllowOrigins = origins,
            AllowMethods = o.StringList("allowMethods") ?? [],
            AllowHeaders = o.StringList("allowHeaders") ?? [],
            ExposeHeaders = o.StringList("exposeHeaders") ?? [],
            MaxAge = o.Duration("maxAge"),
            AllowCredentials = o.Bool("allowCredentials"),
            UnmatchedPreflights = o.Enum("unmatchedPreflights", "UNSPECIFIED", "FORWARD", "IGNORE"),
        };
        o.RejectUnknownFields();
        return cors;
    }

    private static TcpRoute TcpRoute(YamlObject o)
    {
        var route = new TcpRoute
        {
            Match = (o.ObjectList("match") ?? []).Select(L4Match).ToArray(),
            Route = (o.ObjectList("route") ?? []).Select(RouteDestination).ToArray(),
        };
        o.RejectUnknownFields();
        return route;
    }

    private static TlsRoute TlsRoute(YamlObject o)
    {
        var route = new TlsRoute
        {
            Match = (o.ObjectList("match") ?? []).Select(TlsMatch).ToArray(),
            Route = (o.ObjectList("route") ?? []).Select(RouteDestination).ToArray(),
        };
        o.RejectUnknownFields();
        return route;
    }

    private static L4MatchAttributes L4Match(YamlObject o)
    {
        var match = new L4MatchAttributes
        {
            DestinationSubnets = o.StringList("destinationSubnets") ?? [],
            Port = o.Int32("port"),
            SourceLabels = o.StringDictionary("sourceLabels") ?? ResourceMetadata.EmptyMap,
            SourceNamespace = o.String("sourceNamespace"),
            Gateways = o.StringList("gateways") ?? [],
        };
        o.Ignore("sourceSubnet");
        o.RejectUnknownFields();
        return match;
    }

    private static TlsMatchAttributes TlsMatch(YamlObject o)
    {
        var match = new TlsMatchAttributes
        {
            SniHosts = o.StringList("sniHosts") ?? [],
            DestinationSubnets = o.StringList("destinationSubnets") ?? [],
            Port = o.Int32("port"),
            SourceLabels = o.StringDictionary("sourceLabels") ?? ResourceMetadata.EmptyMap,
            SourceNamespace = o.String("sourceNamespace"),
            Gateways = o.StringList("gateways") ?? [],
        };
        o.RejectUnknownFields();
        return match;
    }
}
