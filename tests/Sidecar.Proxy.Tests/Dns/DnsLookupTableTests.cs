using Sidecar.Model;
using Sidecar.Proxy.Dns;
using static Sidecar.Proxy.Tests.Dns.DnsWire;

namespace Sidecar.Proxy.Tests.Dns;

/// <summary>
/// pilot-agent's lookup table (istio pkg/dns/client/dns.go: <c>generateAltHosts</c>, <c>buildDNSAnswers</c>,
/// <c>lookupHost</c>), driven end to end: a wire query through <see cref="DnsQuery.TryParse"/>,
/// <see cref="DnsLookupTable.Lookup"/> and <see cref="DnsResponseWriter.WriteAnswer"/>, the reply decoded by the
/// test's own codec. A null reply means the table does not know the name and the query goes upstream.
/// </summary>
public sealed class DnsLookupTableTests
{
    /// <summary>A pod in <c>default</c>, as kubelet writes its resolv.conf search line.</summary>
    private static readonly string[] Search = ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"];

    private static readonly NameInfoConfig[] NameTable =
    [
        Kubernetes("reviews.default.svc.cluster.local", "reviews", "default", "10.96.0.10"),
        Kubernetes("ratings.other.svc.cluster.local", "ratings", "other", "10.96.0.20", "fd00::20"),
        // A Kubernetes service of another cluster's domain (pilot-agent: "do not generate alt hostnames if the
        // service is in a different domain").
        Kubernetes("db.default.svc.remote.local", "db", "default", "10.200.0.5"),
        // ServiceEntry hosts: only the host itself, even one under svc.cluster.local with a name and namespace.
        External("api.example.com", "240.240.0.1", "240.240.0.2"),
        External("legacy.default.svc.cluster.local", "240.240.0.3") with { ShortName = "legacy", Namespace = "default" },
        External("*.wild.com", "240.240.0.4"),
        External("v6only.example.com", "2001:db8::6"),
    ];

    private static readonly DnsLookupTable Table = DnsLookupTable.Build(NameTable, "default", Search);

    private static NameInfoConfig Kubernetes(string host, string shortName, string ns, params string[] ips) => new()
    {
        Host = host,
        Ips = ips.ToEquatableArray(),
        Registry = NameInfoConfig.KubernetesRegistry,
        ShortName = shortName,
        Namespace = ns,
    };

    private static NameInfoConfig External(string host, params string[] ips) => new() { Host = host, Ips = ips.ToEquatableArray() };

    private static DnsReply? A(string name, DnsLookupTable? table = null) => Resolve(table ?? Table, Query(name, TypeA));

    private static DnsReply Answered(DnsReply? reply)
    {
        Assert.NotNull(reply);
        Assert.True(reply.IsResponse);
        Assert.True(reply.Authoritative); // "We are the authority here, since we control DNS for known hostnames"
        Assert.Equal(0, reply.Rcode); // NOERROR, also with no records
        Assert.False(reply.Truncated);
        Assert.Empty(reply.Authority);
        Assert.Empty(reply.Additional);
        return reply;
    }

    [Theory]
    [InlineData("reviews.default.svc.cluster.local.")]
    [InlineData("reviews.")] // the short name, from the service's own namespace
    [InlineData("reviews.default.")]
    [InlineData("reviews.default.svc.")] // generateAltHosts: proxyDomainParts[0] ("svc") only
    public void A_kubernetes_service_of_the_proxy_namespace_answers_to_every_alt_host_of_generateAltHosts(string name)
    {
        var reply = Answered(A(name));

        var answer = Assert.Single(reply.Answers);
        Assert.Equal(name, answer.Owner);
        Assert.Equal(TypeA, answer.Type);
        Assert.Equal(1, answer.Class);
        Assert.Equal(30u, answer.Ttl); // defaultTTLInSeconds
        Assert.Equal("10.96.0.10", answer.Address!.ToString());
        Assert.True(answer.OwnerCompressed); // a pointer to the question
        Assert.Equal(name, Assert.Single(reply.Questions).Name);
    }

    [Theory]
    [InlineData("reviews.default.svc.cluster.", false)] // only the first label of the domain is generated
    [InlineData("reviews.svc.cluster.local.", false)] // a search domain other than the first is not expanded
    [InlineData("reviews.cluster.local.", false)]
    [InlineData("reviews.default.svc.cluster.local.svc.cluster.local.", false)]
    [InlineData("reviews.default.svc.cluster.local.default.svc.cluster.local.", true)] // first search domain: a CNAME
    public void Only_the_generated_names_are_known_and_the_rest_go_upstream(string name, bool known) =>
        Assert.Equal(known, A(name) is not null);

    [Theory]
    [InlineData("ratings.other.", true)]
    [InlineData("ratings.other.svc.", true)]
    [InlineData("ratings.other.svc.cluster.local.", true)]
    [InlineData("ratings.", false)] // generateAltHosts: the bare name only when proxyNamespace == nameinfo.Namespace
    public void A_service_of_another_namespace_has_no_bare_short_name(string name, bool known)
    {
        var reply = A(name);

        Assert.Equal(known, reply is not null);
        if (reply is not null)
        {
            Assert.Equal(["10.96.0.20"], Answered(reply).Addresses);
        }
    }

    [Fact]
    public void The_proxy_namespace_decides_which_bare_names_are_answered()
    {
        var table = DnsLookupTable.Build(NameTable, "other", Search);

        Assert.Equal(["10.96.0.20"], Answered(A("ratings.", table)).Addresses);
        Assert.Null(A("reviews.", table));
        Assert.Equal(["10.96.0.10"], Answered(A("reviews.default.", table)).Addresses);
    }

    [Theory]
    [InlineData("db.default.svc.remote.local.", true)]
    [InlineData("db.", false)]
    [InlineData("db.default.", false)]
    [InlineData("db.default.svc.", false)]
    public void A_kubernetes_host_outside_the_cluster_domain_gets_no_short_forms(string name, bool known) =>
        Assert.Equal(known, A(name) is not null);

    [Theory]
    [InlineData("api.example.com.", true)]
    [InlineData("legacy.default.svc.cluster.local.", true)]
    [InlineData("legacy.", false)] // BuildAlternateHosts: a non-Kubernetes registry stores the host alone
    [InlineData("legacy.default.", false)]
    [InlineData("legacy.default.svc.", false)]
    [InlineData("api.", false)]
    public void An_external_registry_host_is_answered_only_by_its_own_name(string name, bool known) =>
        Assert.Equal(known, A(name) is not null);

    [Fact]
    public void Every_address_of_the_name_is_answered()
    {
        var reply = Answered(A("api.example.com."));

        Assert.Equal(["240.240.0.1", "240.240.0.2"], reply.Addresses.Order(StringComparer.Ordinal)); // shuffled (roundRobinResponse)
        Assert.All(reply.Answers, a => Assert.Equal("api.example.com.", a.Owner));
    }

    [Fact]
    public void The_first_search_domain_appended_is_a_cname_to_the_host_followed_by_the_targets_addresses()
    {
        // buildDNSAnswers: "we will resolve www.google.com.ns1.svc.cluster.local with a CNAME record pointing to
        // www.google.com."; lookupHost returns the chain: the CNAME owned by the question, then the A records.
        const string question = "api.example.com.default.svc.cluster.local.";

        var reply = Answered(A(question));

        Assert.Equal([TypeCname, TypeA, TypeA], reply.Answers.Select(a => a.Type));
        var cname = reply.Answers[0];
        Assert.Equal(TypeCname, cname.Type);
        Assert.Equal(question, cname.Owner);
        Assert.Equal("api.example.com.", cname.CnameTarget);
        Assert.Equal(30u, cname.Ttl);
        var a = reply.Answers[1];
        Assert.Equal(TypeA, a.Type);
        Assert.Equal("api.example.com.", a.Owner); // the target owns the address (a compression pointer into the CNAME)
        Assert.True(a.OwnerCompressed);
        Assert.Equal(30u, a.Ttl);
    }

    [Theory]
    [InlineData("reviews.default.default.svc.cluster.local.", "reviews.default.")]
    [InlineData("reviews.default.svc.default.svc.cluster.local.", "reviews.default.svc.")]
    [InlineData("reviews.default.svc.cluster.local.default.svc.cluster.local.", "reviews.default.svc.cluster.local.")]
    public void Every_alt_host_gets_its_search_domain_cname(string question, string target)
    {
        var reply = Answered(A(question));

        Assert.Equal([TypeCname, TypeA], reply.Answers.Select(a => a.Type));
        Assert.Equal(target, reply.Answers[0].CnameTarget);
        Assert.Equal(target, reply.Answers[1].Owner);
        Assert.Equal("10.96.0.10", reply.Answers[1].Address!.ToString());
    }

    [Fact]
    public void A_short_name_whose_expansion_is_a_real_host_is_not_made_a_cname()
    {
        // "if host is productpage, and search namespace is ns1.svc.cluster.local then the expanded host
        // productpage.ns1.svc.cluster.local is a valid hostname": it keeps its A records.
        var reply = Answered(A("reviews.default.svc.cluster.local."));

        Assert.Equal([TypeA], reply.Answers.Select(a => a.Type));
    }

    [Fact]
    public void Without_search_domains_there_are_no_cnames()
    {
        var table = DnsLookupTable.Build(NameTable, "default", []);

        Assert.Null(A("api.example.com.default.svc.cluster.local.", table));
        Assert.NotNull(A("api.example.com.", table));
    }

    [Fact]
    public void A_search_domain_with_a_trailing_dot_is_appended_as_is()
    {
        var table = DnsLookupTable.Build(NameTable, "default", ["Corp.Example."]);

        var reply = Answered(A("api.example.com.corp.example.", table));

        Assert.Equal("api.example.com.", reply.Answers[0].CnameTarget);
    }

    [Theory]
    [InlineData("foo.wild.com.")]
    [InlineData("Bar.Wild.com.")]
    public void A_wildcard_host_answers_a_name_under_it_with_the_question_as_owner(string question)
    {
        // lookupHost: "For wildcard hosts, set the host that is being queried for."
        var reply = Answered(A(question));

        var answer = Assert.Single(reply.Answers);
        Assert.Equal(question, answer.Owner);
        Assert.Equal("240.240.0.4", answer.Address!.ToString());
    }

    [Fact]
    public void A_wildcard_covers_names_more_than_one_label_below_it()
    {
        // lookupHost walks the labels: for "svc.svcns.example.com" it tries "*.svcns.example.com", "*.example.com".
        var reply = Answered(A("a.b.wild.com."));

        Assert.Equal("a.b.wild.com.", Assert.Single(reply.Answers).Owner);
        Assert.Equal(["240.240.0.4"], reply.Addresses);
    }

    [Fact]
    public void The_nearest_wildcard_wins()
    {
        var table = DnsLookupTable.Build([External("*.wild.com", "240.240.0.4"), External("*.b.wild.com", "240.240.0.5")], "default", []);

        Assert.Equal(["240.240.0.5"], Answered(A("a.b.wild.com.", table)).Addresses);
        Assert.Equal(["240.240.0.4"], Answered(A("a.c.wild.com.", table)).Addresses);
    }

    [Theory]
    [InlineData("wild.com.")] // the wildcard does not match its own domain
    [InlineData("wild.")]
    [InlineData("foo.wild.org.")]
    public void Names_outside_a_wildcard_are_not_known(string name) => Assert.Null(A(name));

    [Fact]
    public void A_wildcard_with_the_search_domain_appended_is_a_cname_to_the_wildcard_then_its_addresses()
    {
        // *.wild.com.default.svc.cluster.local. is stored as a CNAME to *.wild.com.; lookupHost: "If there is a
        // CNAME record for the wildcard host, we will sent a chained response of CNAME + A/AAAA pointer", the A
        // records owned by the CNAME's target.
        const string question = "foo.wild.com.default.svc.cluster.local.";

        var reply = Answered(A(question));

        Assert.Equal([TypeCname, TypeA], reply.Answers.Select(a => a.Type));
        Assert.Equal(question, reply.Answers[0].Owner);
        Assert.Equal("*.wild.com.", reply.Answers[0].CnameTarget);
        Assert.Equal("*.wild.com.", reply.Answers[1].Owner);
        Assert.Equal(["240.240.0.4"], reply.Addresses);
    }

    [Fact]
    public void AAAA_for_a_v4_only_name_is_NOERROR_with_no_records()
    {
        // "Even if answers is empty, we still return NOERROR ... (see https://github.com/istio/istio/issues/31250)".
        var reply = Answered(Resolve(Table, Query("reviews.default.svc.cluster.local.", TypeAaaa)));

        Assert.Empty(reply.Answers);
        Assert.Equal(TypeAaaa, Assert.Single(reply.Questions).Type);
    }

    [Fact]
    public void A_for_a_v6_only_name_is_NOERROR_with_no_records()
    {
        Assert.Empty(Answered(A("v6only.example.com.")).Answers);
        var aaaa = Answered(Resolve(Table, Query("v6only.example.com.", TypeAaaa)));
        var answer = Assert.Single(aaaa.Answers);
        Assert.Equal(TypeAaaa, answer.Type);
        Assert.Equal(16, answer.Data.Length);
        Assert.Equal("2001:db8::6", answer.Address!.ToString());
    }

    [Fact]
    public void A_dual_stack_name_answers_each_family_to_its_own_type()
    {
        Assert.Equal(["10.96.0.20"], Answered(A("ratings.other.")).Addresses);
        var aaaa = Answered(Resolve(Table, Query("ratings.other.", TypeAaaa)));
        Assert.Equal(["fd00::20"], aaaa.Addresses);
        Assert.All(aaaa.Answers, a => Assert.Equal(TypeAaaa, a.Type));
    }

    [Fact]
    public void A_search_domain_cname_for_a_type_without_addresses_is_NOERROR_with_no_records()
    {
        // lookupHost appends the CNAME only "if len(ipAnswers) > 0".
        var reply = Answered(Resolve(Table, Query("reviews.default.default.svc.cluster.local.", TypeAaaa)));

        Assert.Empty(reply.Answers);
    }

    [Theory]
    [InlineData(TypeTxt)]
    [InlineData(TypeSrv)]
    [InlineData(TypeMx)]
    [InlineData(TypePtr)]
    [InlineData(TypeNs)]
    [InlineData(TypeCname)]
    public void Other_types_for_a_known_name_are_not_found_and_so_forwarded(ushort type)
    {
        // lookupHost: "default: // TODO: handle PTR records for reverse dns lookups; return nil, false".
        Assert.Null(Resolve(Table, Query("reviews.default.svc.cluster.local.", type)));
        Assert.Null(Resolve(Table, Query("foo.wild.com.", type)));
        Assert.Equal(DnsLookupResult.NotFound, Table.Lookup(type, "reviews."));
    }

    [Fact]
    public void An_unknown_name_is_not_found()
    {
        Assert.Null(A("www.google.com."));
        Assert.Null(A("."));
        Assert.Null(A("com."));
    }

    [Fact]
    public void Names_match_case_insensitively_and_the_question_is_echoed_as_sent()
    {
        // ServeDNS looks up strings.ToLower(req.Question[0].Name); SetReply copies the question unchanged.
        const string question = "Reviews.DEFAULT.Svc.Cluster.Local.";
        var query = Query(question, TypeA);

        var reply = Answered(Resolve(Table, query));

        var echoed = Assert.Single(reply.Questions);
        Assert.Equal(question, echoed.Name);
        Assert.Equal(query[12..], echoed.Wire);
        var answer = Assert.Single(reply.Answers);
        Assert.Equal(question, answer.Owner); // a pointer to the question as sent
        Assert.Equal("10.96.0.10", answer.Address!.ToString());
    }

    [Fact]
    public void Name_table_hosts_are_stored_lower_case()
    {
        var table = DnsLookupTable.Build([External("API.Example.COM", "240.240.0.9")], "default", []);

        Assert.Equal(["240.240.0.9"], Answered(A("api.example.com.", table)).Addresses);
        Assert.Equal(["240.240.0.9"], Answered(A("Api.EXAMPLE.com.", table)).Addresses);
    }

    [Fact]
    public void Kubernetes_alt_hosts_of_the_name_info_are_answered_too()
    {
        var info = Kubernetes("reviews.default.svc.cluster.local", "reviews", "default", "10.96.0.10") with { AltHosts = ["reviews.default.svc.cluster"] };
        var table = DnsLookupTable.Build([info], "default", []);

        Assert.Equal(["10.96.0.10"], Answered(A("reviews.default.svc.cluster.", table)).Addresses);
    }

    [Fact]
    public void A_custom_cluster_domain_changes_the_short_forms()
    {
        var info = Kubernetes("reviews.default.svc.corp.internal", "reviews", "default", "10.96.0.10");
        var table = DnsLookupTable.Build([info], "default", [], "svc.corp.internal");

        Assert.NotNull(A("reviews.", table));
        Assert.NotNull(A("reviews.default.svc.", table));
        Assert.Null(A("reviews.", DnsLookupTable.Build([info], "default", [])));
    }

    [Fact]
    public void Lookup_reports_the_cname_target_and_the_addresses()
    {
        var direct = Table.Lookup(DnsRecordType.A, "reviews.");
        Assert.True(direct.Found);
        Assert.Null(direct.CnameTarget);
        Assert.Equal(new byte[] { 10, 96, 0, 10 }, Assert.Single(direct.Addresses));

        var chained = Table.Lookup(DnsRecordType.A, "reviews.default.svc.cluster.local.default.svc.cluster.local.");
        Assert.Equal("reviews.default.svc.cluster.local.", chained.CnameTarget);

        Assert.False(Table.Lookup(DnsRecordType.A, "unknown.").Found);
        Assert.False(DnsLookupTable.Empty.Lookup(DnsRecordType.A, "reviews.").Found);
        Assert.Equal(0, DnsLookupTable.Empty.Count);
    }
}
