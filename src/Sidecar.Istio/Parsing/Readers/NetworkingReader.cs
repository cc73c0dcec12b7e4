using Sidecar.Istio.Resources;
using Sidecar.Istio.Resources.Networking;

namespace Sidecar.Istio.Parsing.Readers;

/// <summary>Readers for the message types several networking kinds share.</summary>
internal static class NetworkingReader
{
    public static StringMatch? StringMatch(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var match = new StringMatch { Exact = o.String("exact"), Prefix = o.String("prefix"), Regex = o.String("regex") };
        o.RejectUnknownFields();
        var set = (match.Exact is null ? 0 : 1) + (match.Prefix is null ? 0 : 1) + (match.Regex is null ? 0 : 1);
        if (set > 1)
        {
            o.Diagnostics.Error(o.Path, "only one of exact, prefix or regex may be set", o.Line);
        }

        return match;
    }

    public static IReadOnlyList<KeyValuePair<string, StringMatch>> StringMatchMap(YamlObject o, string key)
    {
        var entries = o.ObjectMap(key);
        if (entries is null)
        {
            return [];
        }

        var result = new List<KeyValuePair<string, StringMatch>>(entries.Count);
        foreach (var (name, value) in entries)
        {
            result.Add(new(name, StringMatch(value)!));
        }

        return result;
    }

    public static Destination? Destination(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var port = o.Object("port");
        var destination = new Destination
        {
            Host = o.String("host") ?? "",
            Subset = o.String("subset"),
            Port = port is null ? null : PortSelector(port),
        };
        o.RejectUnknownFields();
        return destination;
    }

    /// <summary>Istio's <c>PortSelector</c>: <c>{number: 9080}</c>.</summary>
    public static int? PortSelector(YamlObject o)
    {
        var number = o.Int32("number");
        o.RejectUnknownFields();
        return number ?? 0;
    }

    /// <summary>Istio's <c>Percent</c> message: <c>{value: 10.5}</c>.</summary>
    public static double? Percent(YamlObject o, string key)
    {
        if (o.Object(key) is not { } percent)
        {
            return null;
        }

        var value = percent.Double("value") ?? 0;
        percent.RejectUnknownFields();
        return value;
    }

    public static Headers? Headers(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var headers = new Headers { Request = HeaderOperations(o.Object("request")), Response = HeaderOperations(o.Object("response")) };
        o.RejectUnknownFields();
        return headers;
    }

    private static HeaderOperations? HeaderOperations(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var operations = new HeaderOperations
        {
            Set = o.StringMap("set") ?? [],
            Add = o.StringMap("add") ?? [],
            Remove = o.StringList("remove") ?? [],
        };
        o.RejectUnknownFields();
        return operations;
    }

    /// <summary>A <c>workloadSelector</c> with a <c>labels</c> map (networking kinds).</summary>
    public static IReadOnlyDictionary<string, string>? WorkloadSelector(YamlObject o, string key = "workloadSelector")
    {
        if (o.Object(key) is not { } selector)
        {
            return null;
        }

        var labels = selector.StringDictionary("labels") ?? ResourceMetadata.EmptyMap;
        selector.RejectUnknownFields();
        return labels;
    }

    public static TrafficPolicy? TrafficPolicy(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var portLevel = new List<PortTrafficPolicy>();
        foreach (var item in o.ObjectList("portLevelSettings") ?? [])
        {
            var port = item.Object("port");
            portLevel.Add(new PortTrafficPolicy
            {
                Port = port is null ? null : PortSelector(port),
                LoadBalancer = LoadBalancer(item.Object("loadBalancer")),
                ConnectionPool = ConnectionPool(item.Object("connectionPool")),
                OutlierDetection = OutlierDetection(item.Object("outlierDetection")),
                Tls = ClientTls(item.Object("tls")),
            });
            item.RejectUnknownFields();
        }

        var policy = new TrafficPolicy
        {
            LoadBalancer = LoadBalancer(o.Object("loadBalancer")),
            ConnectionPool = ConnectionPool(o.Object("connectionPool")),
            OutlierDetection = OutlierDetection(o.Object("outlierDetection")),
            Tls = ClientTls(o.Object("tls")),
            PortLevelSettings = portLevel,
            Tunnel = Tunnel(o.Object("tunnel")),
            ProxyProtocol = ProxyProtocol(o.Object("proxyProtocol")),
            RetryBudget = RetryBudget(o.Object("retryBudget")),
        };
        o.RejectUnknownFields();
        return policy;
    }

    private static TunnelSettings? Tunnel(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        // Istio validates the protocol's value (validateTunnelSettings), not the parser: read as given.
        var settings = new TunnelSettings(o.String("protocol") ?? "", o.String("targetHost") ?? "", o.UInt32("targetPort") ?? 0);
        o.RejectUnknownFields();
        return settings;
    }

    private static RetryBudgetSettings? RetryBudget(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var settings = new RetryBudgetSettings(o.Double("percent"), o.UInt32("minRetryConcurrency") ?? 0);
        o.RejectUnknownFields();
        return settings;
    }

    private static ProxyProtocolSettings? ProxyProtocol(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var settings = new ProxyProtocolSettings(o.Enum("version", "V1", "V2") ?? "V1");
        o.RejectUnknownFields();
        return settings;
    }

    public static LoadBalancerSettings? LoadBalancer(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var warmup = o.Object("warmup");
        var settings = new LoadBalancerSettings
        {
            Simple = o.Enum("simple", "UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"),
            ConsistentHash = ConsistentHash(o.Object("consistentHash")),
            LocalityLbSetting = LocalityLbSetting(o.Object("localityLbSetting")),
            WarmupDurationSecs = o.Duration("warmupDurationSecs"),
            WarmupDuration = warmup?.Duration("duration"),
            WarmupMinimumPercent = warmup is null ? null : NetworkingReader.DoubleValue(warmup, "minimumPercent"),
            WarmupAggression = warmup is null ? null : NetworkingReader.DoubleValue(warmup, "aggression"),
        };
        warmup?.RejectUnknownFields();
        o.RejectUnknownFields();
        if (settings.Simple is not null && settings.ConsistentHash is not null)
        {
            o.Diagnostics.Error(o.Path, "only one of simple or consistentHash may be set", o.Line);
        }

        return settings;
    }

    public static LocalityLbSetting? LocalityLbSetting(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var distribute = new List<LocalityDistribute>();
        foreach (var entry in o.ObjectList("distribute") ?? [])
        {
            var to = new List<KeyValuePair<string, long>>();
            foreach (var (locality, weight) in entry.IntegerMap("to", 0, int.MaxValue) ?? new Dictionary<string, int>())
            {
                to.Add(new(locality, weight));
            }

            distribute.Add(new LocalityDistribute(entry.String("from") ?? "", to));
            entry.RejectUnknownFields();
        }

        var failover = new List<LocalityFailover>();
        foreach (var entry in o.ObjectList("failover") ?? [])
        {
            failover.Add(new LocalityFailover(entry.String("from") ?? "", entry.String("to") ?? ""));
            entry.RejectUnknownFields();
        }

        var setting = new LocalityLbSetting
        {
            Enabled = o.Bool("enabled"),
            Distribute = distribute,
            Failover = failover,
            FailoverPriority = o.StringList("failoverPriority") ?? [],
        };
        o.RejectUnknownFields();
        return setting;
    }

    /// <summary>A protobuf DoubleValue wrapper, written as a plain number.</summary>
    private static double? DoubleValue(YamlObject o, string key) => o.Double(key);

    private static ConsistentHashLb? ConsistentHash(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var cookie = o.Object("httpCookie");
        var ringHash = o.Object("ringHash");
        var maglev = o.Object("maglev");
        var hash = new ConsistentHashLb
        {
            HttpHeaderName = o.String("httpHeaderName"),
            HttpCookie = cookie is null ? null : new HttpCookie
            {
                Name = cookie.String("name") ?? "",
                Path = cookie.String("path"),
                Ttl = cookie.Duration("ttl"),
            },
            UseSourceIp = o.Bool("useSourceIp"),
            HttpQueryParameterName = o.String("httpQueryParameterName"),
            HasRingHash = ringHash is not null,
            RingHashMinimumRingSize = ringHash?.UInt64("minimumRingSize"),
            HasMaglev = maglev is not null,
            MaglevTableSize = maglev?.UInt64("tableSize"),
            MinimumRingSize = o.UInt64("minimumRingSize"),
        };
        cookie?.Ignore("attributes");
        cookie?.RejectUnknownFields();
        ringHash?.RejectUnknownFields();
        maglev?.RejectUnknownFields();
        o.RejectUnknownFields();
        var keys = (hash.HttpHeaderName is null ? 0 : 1) + (hash.HttpCookie is null ? 0 : 1) + (hash.UseSourceIp is null ? 0 : 1) +
            (hash.HttpQueryParameterName is null ? 0 : 1);
        if (keys > 1)
        {
            o.Diagnostics.Error(o.Path, "only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName may be set", o.Line);
        }

        if (hash.HasRingHash && hash.HasMaglev)
        {
            o.Diagnostics.Error(o.Path, "only one of ringHash or maglev may be set", o.Line);
        }

        return hash;
    }

    public static ConnectionPoolSettings? ConnectionPool(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var tcp = o.Object("tcp");
        var http = o.Object("http");
        TcpSettings? tcpSettings = null;
        if (tcp is not null)
        {
            var keepalive = tcp.Object("tcpKeepalive");
            tcpSettings = new TcpSettings
            {
                MaxConnections = tcp.Int32("maxConnections"),
                ConnectTimeout = tcp.Duration("connectTimeout"),
                TcpKeepalive = keepalive is null ? null : new TcpKeepalive
                {
                    Probes = (int?)keepalive.UInt32("probes"),
                    Time = keepalive.Duration("time"),
                    Interval = keepalive.Duration("interval"),
                },
                MaxConnectionDuration = tcp.Duration("maxConnectionDuration"),
                IdleTimeout = tcp.Duration("idleTimeout"),
            };
            keepalive?.RejectUnknownFields();
            tcp.RejectUnknownFields();
        }

        HttpSettings? httpSettings = null;
        if (http is not null)
        {
            httpSettings = new HttpSettings
            {
                Http1MaxPendingRequests = http.Int32("http1MaxPendingRequests"),
                Http2MaxRequests = http.Int32("http2MaxRequests"),
                MaxRequestsPerConnection = http.Int32("maxRequestsPerConnection"),
                MaxRetries = http.Int32("maxRetries"),
                IdleTimeout = http.Duration("idleTimeout"),
                H2UpgradePolicy = http.Enum("h2UpgradePolicy", "DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"),
                UseClientProtocol = http.Bool("useClientProtocol"),
                MaxConcurrentStreams = http.Int32("maxConcurrentStreams"),
            };
            http.RejectUnknownFields();
        }

        o.RejectUnknownFields();
        return new ConnectionPoolSettings { Tcp = tcpSettings, Http = httpSettings };
    }

    private static OutlierDetection? OutlierDetection(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var outlier = new OutlierDetection
        {
            SplitExternalLocalOriginErrors = o.Bool("splitExternalLocalOriginErrors") ?? false,
            ConsecutiveLocalOriginFailures = o.UInt32("consecutiveLocalOriginFailures"),
            ConsecutiveGatewayErrors = o.UInt32("consecutiveGatewayErrors"),
            Consecutive5xxErrors = o.UInt32("consecutive5xxErrors"),
            ConsecutiveErrors = o.Int32("consecutiveErrors"),
            Interval = o.Duration("interval"),
            BaseEjectionTime = o.Duration("baseEjectionTime"),
            MaxEjectionPercent = o.Int32("maxEjectionPercent"),
            MinHealthPercent = o.Int32("minHealthPercent"),
        };
        o.RejectUnknownFields();
        return outlier;
    }

    public static ClientTlsSettings? ClientTls(YamlObject? o)
    {
        if (o is null)
        {
            return null;
        }

        var tls = new ClientTlsSettings
        {
            Mode = o.Enum("mode", "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL") ?? "DISABLE",
            ClientCertificate = o.String("clientCertificate"),
            PrivateKey = o.String("privateKey"),
            CaCertificates = o.String("caCertificates"),
            CredentialName = o.String("credentialName"),
            SubjectAltNames = o.StringList("subjectAltNames"),
            Sni = o.String("sni"),
            InsecureSkipVerify = o.Bool("insecureSkipVerify"),
            CaCrl = o.String("caCrl"),
        };
        o.RejectUnknownFields();
        return tls;
    }
}
