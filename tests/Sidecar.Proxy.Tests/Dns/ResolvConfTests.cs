using System.Net;
using Sidecar.Proxy.Dns;

namespace Sidecar.Proxy.Tests.Dns;

/// <summary>resolv.conf as pilot-agent reads it (miekg/dns <c>ClientConfigFromFile</c>): nameservers and search domains.</summary>
public sealed class ResolvConfTests
{
    /// <summary>What kubelet writes for a pod in <c>default</c> (dnsPolicy ClusterFirst).</summary>
    private const string Kubelet = """
        search default.svc.cluster.local svc.cluster.local cluster.local
        nameserver 10.96.0.10
        options ndots:5
        """;

    [Fact]
    public void A_kubelet_resolv_conf_gives_the_cluster_dns_and_the_search_list()
    {
        var conf = ResolvConf.Parse(Kubelet);

        Assert.Equal([new IPEndPoint(IPAddress.Parse("10.96.0.10"), 53)], conf.Nameservers);
        Assert.Equal(["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], conf.SearchDomains);
    }

    [Fact]
    public void Nameservers_keep_their_order_on_port_53()
    {
        var conf = ResolvConf.Parse("nameserver 10.0.0.2\nnameserver fd00::53\nnameserver 1.1.1.1\n");

        Assert.Equal(
            ["10.0.0.2:53", "[fd00::53]:53", "1.1.1.1:53"],
            conf.Nameservers.Select(e => e.ToString()));
    }

    [Fact]
    public void Comments_blank_lines_tabs_and_crlf_are_handled()
    {
        var conf = ResolvConf.Parse("# generated\r\n; nameserver 9.9.9.9\r\n\r\nnameserver\t10.0.0.3\r\n   search\ta.example  b.example\r\n# nameserver 8.8.8.8\r\n");

        Assert.Equal(["10.0.0.3:53"], conf.Nameservers.Select(e => e.ToString()));
        Assert.Equal(["a.example", "b.example"], conf.SearchDomains);
    }

    [Fact]
    public void A_nameserver_that_is_not_an_address_is_skipped()
    {
        var conf = ResolvConf.Parse("nameserver dns.example.com\nnameserver 10.0.0.4\nnameserver\n");

        Assert.Equal(["10.0.0.4:53"], conf.Nameservers.Select(e => e.ToString()));
    }

    [Fact]
    public void The_last_search_or_domain_line_wins()
    {
        Assert.Equal(["second.example"], ResolvConf.Parse("search first.example other.example\nsearch second.example\n").SearchDomains);
        Assert.Equal(["corp.example"], ResolvConf.Parse("search a.example b.example\ndomain corp.example\n").SearchDomains);
        Assert.Equal(["a.example", "b.example"], ResolvConf.Parse("domain corp.example\nsearch a.example b.example\n").SearchDomains);
    }

    [Fact]
    public void A_domain_line_sets_a_single_search_domain()
    {
        // miekg/dns: case "domain": c.Search = make([]string, 1); c.Search[0] = f[1].
        Assert.Equal(["corp.example"], ResolvConf.Parse("domain corp.example extra.example\n").SearchDomains);
    }

    [Fact]
    public void Options_and_unknown_keywords_are_ignored()
    {
        var conf = ResolvConf.Parse("options ndots:2 timeout:1\nsortlist 10.0.0.0/8\nnameserver 10.0.0.5\n");

        Assert.Single(conf.Nameservers);
        Assert.Empty(conf.SearchDomains);
    }

    [Fact]
    public void Empty_text_has_no_nameservers()
    {
        var conf = ResolvConf.Parse("");

        Assert.Empty(conf.Nameservers);
        Assert.Empty(conf.SearchDomains);
    }

    [Fact]
    public void A_missing_file_is_None_and_a_file_is_parsed()
    {
        var directory = Directory.CreateTempSubdirectory("resolvconf-");
        try
        {
            Assert.Same(ResolvConf.None, ResolvConf.Load(Path.Combine(directory.FullName, "missing.conf")));

            var path = Path.Combine(directory.FullName, "resolv.conf");
            File.WriteAllText(path, Kubelet);
            var conf = ResolvConf.Load(path);
            Assert.Equal(["10.96.0.10:53"], conf.Nameservers.Select(e => e.ToString()));
            Assert.Equal(3, conf.SearchDomains.Count);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
