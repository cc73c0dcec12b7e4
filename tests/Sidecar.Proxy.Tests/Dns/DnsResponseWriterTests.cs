using System.Net;
using Sidecar.Proxy.Dns;
using static Sidecar.Proxy.Tests.Dns.DnsWire;

namespace Sidecar.Proxy.Tests.Dns;

/// <summary>
/// The proxy's own replies, as pilot-agent builds them with miekg/dns: <c>SetReply</c> (id, opcode, RD and CD
/// copied for a standard query, the first question), <c>Authoritative = true</c>, then <c>Truncate(size)</c>
/// (as many records as fit in 512 bytes, the EDNS0 size or 64 KiB over TCP, TC set when any is left out).
/// </summary>
public sealed class DnsResponseWriterTests
{
    private static DnsReply Write(byte[] message, DnsLookupResult result, bool tcp = false)
    {
        Assert.True(DnsQuery.TryParse(message, out var query));
        var buffer = new byte[DnsResponseWriter.MaxMessageSize];
        var length = DnsResponseWriter.WriteAnswer(buffer, message, query, result, DnsResponseWriter.MaxReplySize(query, tcp));
        return Decode(buffer[..length]);
    }

    private static DnsLookupResult Addresses(int count, int family = 4) => new(
        true,
        null,
        [.. Enumerable.Range(1, count).Select(i => family == 4
            ? new byte[] { 10, 0, (byte)(i >> 8), (byte)i }
            : IPAddress.Parse($"fd00::{i:x}").GetAddressBytes())]);

    private static DnsReply WriteError(byte[] message, int rcode, bool withQuestion)
    {
        var query = DnsQuery.TryParse(message, out var parsed) ? parsed : DnsQuery.HeaderOf(message);
        var buffer = new byte[DnsResponseWriter.MaxMessageSize];
        var length = DnsResponseWriter.WriteError(buffer, message, query, rcode, withQuestion);
        return Decode(buffer[..length]);
    }

    [Fact]
    public void The_header_is_miekg_SetReply_with_AA_set()
    {
        var reply = Write(Query("reviews.", TypeA, id: 0xA1B2, recursionDesired: true, checkingDisabled: true), Addresses(1));

        Assert.Equal(0xA1B2, reply.Id);
        Assert.True(reply.IsResponse);
        Assert.Equal(0, reply.Opcode);
        Assert.True(reply.Authoritative);
        Assert.True(reply.RecursionDesired); // "Copy rd bit"
        Assert.True(reply.CheckingDisabled); // "Copy cd bit"
        Assert.False(reply.RecursionAvailable); // SetReply leaves RA clear
        Assert.False(reply.Truncated);
        Assert.Equal(0, reply.Rcode);
        Assert.Single(reply.Questions);
        Assert.Single(reply.Answers);
        Assert.Empty(reply.Authority);
        Assert.Empty(reply.Additional);
        Assert.Equal(0, reply.Flags & 0x0040); // Z
    }

    [Fact]
    public void RD_and_CD_clear_in_the_query_stay_clear()
    {
        var reply = Write(Query("reviews.", TypeA, recursionDesired: false), Addresses(1));

        Assert.False(reply.RecursionDesired);
        Assert.False(reply.CheckingDisabled);
        Assert.True(reply.Authoritative);
    }

    [Fact]
    public void RD_is_copied_only_for_a_standard_query()
    {
        // SetReply: "if dns.Opcode == OpcodeQuery { RecursionDesired, CheckingDisabled copied }".
        var reply = Write(Query("reviews.", TypeA, opcode: 4, recursionDesired: true, checkingDisabled: true), Addresses(1));

        Assert.Equal(4, reply.Opcode);
        Assert.False(reply.RecursionDesired);
        Assert.False(reply.CheckingDisabled);
    }

    [Fact]
    public void The_question_is_echoed_byte_for_byte_and_an_opt_record_is_not()
    {
        var message = Query("ReViEwS.Default.", TypeA, ednsUdpSize: 4096);

        var reply = Write(message, Addresses(2));

        var question = Assert.Single(reply.Questions);
        Assert.Equal(message[12..^11], question.Wire); // the OPT record is the last 11 bytes
        Assert.Equal("ReViEwS.Default.", question.Name);
        Assert.Equal(TypeA, question.Type);
        Assert.Equal(1, question.Class);
        Assert.Empty(reply.Additional); // pilot-agent's reply carries no OPT record
    }

    [Fact]
    public void Owner_names_are_pointers_to_the_question()
    {
        var message = Query("reviews.default.svc.cluster.local.", TypeA);

        var reply = Write(message, Addresses(3));

        var first = message.Length; // the reply's question ends where the query's does
        Assert.Equal(0xC0, reply.Wire[first]);
        Assert.Equal(12, reply.Wire[first + 1]);
        Assert.Equal(first + (3 * 16), reply.Wire.Length); // 2 + 10 + 4 bytes an A record
        Assert.All(reply.Answers, a =>
        {
            Assert.True(a.OwnerCompressed);
            Assert.Equal("reviews.default.svc.cluster.local.", a.Owner);
            Assert.Equal(1, a.Class);
            Assert.Equal(30u, a.Ttl);
            Assert.Equal(4, a.Data.Length);
        });
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], reply.Addresses.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void IPv6_addresses_are_AAAA_records()
    {
        var reply = Write(Query("reviews.", TypeAaaa), Addresses(2, family: 6));

        Assert.All(reply.Answers, a => Assert.Equal(TypeAaaa, a.Type));
        Assert.Equal(["fd00::1", "fd00::2"], reply.Addresses.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Address_records_are_shuffled_as_pilot_agent_roundRobinResponse_does()
    {
        // ServeDNS: "Randomize the responses; this ensures for things like headless services we can do DNS-LB".
        var message = Query("headless.default.svc.cluster.local.", TypeA);
        var orders = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 50; i++)
        {
            var reply = Write(message, Addresses(4));
            Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"], reply.Addresses.Order(StringComparer.Ordinal));
            orders.Add(string.Join(",", reply.Addresses));
        }

        Assert.True(orders.Count > 1, "50 replies came in one order");
    }

    [Fact]
    public void A_cname_stays_first_when_the_addresses_are_shuffled()
    {
        for (var i = 0; i < 20; i++)
        {
            var reply = Write(Query("api.example.com.default.svc.cluster.local.", TypeA), new DnsLookupResult(true, "api.example.com.", [[240, 240, 0, 1], [240, 240, 0, 2], [240, 240, 0, 3]]));
            Assert.Equal([TypeCname, TypeA, TypeA, TypeA], reply.Answers.Select(a => a.Type));
        }
    }

    [Fact]
    public void A_known_name_without_addresses_is_an_empty_authoritative_NOERROR()
    {
        var reply = Write(Query("reviews.", TypeAaaa), new DnsLookupResult(true, null, []));

        Assert.True(reply.Authoritative);
        Assert.Equal(0, reply.Rcode);
        Assert.Empty(reply.Answers);
        Assert.Equal(0, reply.Wire[6] | reply.Wire[7]);
    }

    [Fact]
    public void A_cname_is_first_and_owns_the_question_and_its_target_owns_the_addresses()
    {
        var message = Query("api.example.com.default.svc.cluster.local.", TypeA);

        var reply = Write(message, new DnsLookupResult(true, "api.example.com.", [[240, 240, 0, 1], [240, 240, 0, 2]]));

        Assert.Equal([TypeCname, TypeA, TypeA], reply.Answers.Select(a => a.Type));
        Assert.Equal("api.example.com.default.svc.cluster.local.", reply.Answers[0].Owner);
        Assert.Equal("api.example.com.", reply.Answers[0].CnameTarget);
        Assert.Equal(30u, reply.Answers[0].Ttl);
        Assert.All(reply.Answers.Skip(1), a => Assert.Equal("api.example.com.", a.Owner));
        Assert.All(reply.Answers, a => Assert.True(a.OwnerCompressed));
    }

    // miekg/dns Truncate: without EDNS0 a UDP reply holds 512 bytes (dns.MinMsgSize). The question of
    // many.example.com. is 18 + 4 bytes; each compressed A record 16: (512 - 12 - 22) / 16 = 29 records.
    [Theory]
    [InlineData(null, false, 40, 29, true)]
    [InlineData(100, false, 40, 29, true)] // an EDNS0 size under 512 counts as 512 (RFC 6891 6.2.5)
    [InlineData(600, false, 40, 35, true)] // (600 - 34) / 16
    [InlineData(1232, false, 40, 40, false)]
    [InlineData(null, true, 40, 40, false)] // TCP: 64 KiB
    [InlineData(null, false, 29, 29, false)] // exactly 498 bytes: fits, no TC
    public void A_udp_reply_is_cut_to_the_records_that_fit_with_TC_set(int? ednsSize, bool tcp, int addresses, int expected, bool truncated)
    {
        var message = Query("many.example.com.", TypeA, ednsUdpSize: ednsSize);

        var reply = Write(message, Addresses(addresses), tcp);

        Assert.Equal(expected, reply.Answers.Count);
        Assert.Equal(truncated, reply.Truncated);
        Assert.True(reply.Authoritative);
        Assert.Equal(0, reply.Rcode);
        Assert.True(reply.Wire.Length <= Math.Max(512, tcp ? 65535 : ednsSize ?? 0));
        // The records kept are distinct addresses of the name (shuffled first, so which ones varies).
        Assert.Equal(expected, reply.Addresses.Distinct(StringComparer.Ordinal).Count());
        Assert.Subset(Enumerable.Range(1, addresses).Select(i => $"10.0.0.{i}").ToHashSet(), reply.Addresses.ToHashSet());
    }

    [Fact]
    public void AAAA_records_are_truncated_at_their_own_size()
    {
        // 2 + 10 + 16 = 28 bytes each: (512 - 34) / 28 = 17.
        var reply = Write(Query("many.example.com.", TypeAaaa), Addresses(20, family: 6));

        Assert.Equal(17, reply.Answers.Count);
        Assert.True(reply.Truncated);
    }

    [Fact]
    public void A_cname_chain_is_cut_after_the_cname()
    {
        var label = new string('q', 63);
        var question = $"{label}.{label}.{label}."; // 193 bytes
        var target = $"{new string('t', 63)}.{new string('u', 63)}.{new string('v', 63)}."; // 193 bytes
        var message = Query(question, TypeA);

        // 12 + 197 + (12 + 193) = 414 bytes before the A records: (512 - 414) / 16 = 6 of them.
        var reply = Write(message, new DnsLookupResult(true, target, [.. Enumerable.Range(1, 10).Select(i => new byte[] { 10, 0, 0, (byte)i })]));

        Assert.True(reply.Truncated);
        Assert.Equal(7, reply.Answers.Count);
        Assert.Equal(TypeCname, reply.Answers[0].Type);
        Assert.Equal(target, reply.Answers[0].CnameTarget);
        Assert.All(reply.Answers.Skip(1), a => Assert.Equal(target, a.Owner));
        Assert.True(reply.Wire.Length <= 512);
    }

    [Fact]
    public void A_cname_that_does_not_fit_leaves_no_answers_and_TC_set()
    {
        var label = new string('q', 63);
        var question = $"{label}.{label}.{label}.{new string('r', 61)}."; // 255 bytes
        var target = $"{new string('t', 63)}.{new string('u', 63)}.{new string('v', 63)}.{new string('w', 61)}.";
        var message = Query(question, TypeA);

        var reply = Write(message, new DnsLookupResult(true, target, [[10, 0, 0, 1]]));

        Assert.True(reply.Truncated);
        Assert.Empty(reply.Answers);
        Assert.Single(reply.Questions);

        var tcp = Write(message, new DnsLookupResult(true, target, [[10, 0, 0, 1]]), tcp: true);
        Assert.False(tcp.Truncated);
        Assert.Equal(2, tcp.Answers.Count);
    }

    [Theory]
    [InlineData(null, false, 512)]
    [InlineData(256, false, 512)]
    [InlineData(512, false, 512)]
    [InlineData(4096, false, 4096)]
    [InlineData(4096, true, 65535)]
    [InlineData(null, true, 65535)]
    public void MaxReplySize_is_ednsSize(int? edns, bool tcp, int expected)
    {
        // pilot-agent's size(proto, r) and ednsSize: 64 KiB over TCP, else the OPT size, at least 512.
        Assert.True(DnsQuery.TryParse(Query("reviews.", TypeA, ednsUdpSize: edns), out var query));

        Assert.Equal(expected, DnsResponseWriter.MaxReplySize(query, tcp));
    }

    [Fact]
    public void SERVFAIL_echoes_the_question_without_AA()
    {
        // pilot-agent's serverFailure: SetReply, Rcode = RcodeServerFailure.
        var message = Query("unknown.example.", TypeA, id: 42);

        var reply = WriteError(message, DnsRecordType.RcodeServerFailure, withQuestion: true);

        Assert.Equal(42, reply.Id);
        Assert.True(reply.IsResponse);
        Assert.False(reply.Authoritative);
        Assert.True(reply.RecursionDesired);
        Assert.Equal(2, reply.Rcode);
        Assert.Equal("unknown.example.", Assert.Single(reply.Questions).Name);
        Assert.Empty(reply.Answers);
    }

    [Fact]
    public void FORMERR_and_NOTIMP_are_a_header_alone()
    {
        var formErr = WriteError(Query("a.", TypeA, id: 7), DnsRecordType.RcodeFormatError, withQuestion: false);
        Assert.Equal(12, formErr.Wire.Length);
        Assert.Equal(7, formErr.Id);
        Assert.Equal(1, formErr.Rcode);
        Assert.Empty(formErr.Questions);

        var notImp = WriteError(Query("a.", TypeA, opcode: 5), DnsRecordType.RcodeNotImplemented, withQuestion: false);
        Assert.Equal(4, notImp.Rcode);
        Assert.Equal(5, notImp.Opcode);
        Assert.False(notImp.RecursionDesired);
    }

    [Fact]
    public void A_malformed_query_gets_FORMERR_from_its_header()
    {
        var message = Query("reviews.", TypeA, id: 0x0102)[..14];
        Assert.False(DnsQuery.TryParse(message, out _));

        var reply = WriteError(message, DnsRecordType.RcodeFormatError, withQuestion: false);

        Assert.Equal(0x0102, reply.Id);
        Assert.Equal(1, reply.Rcode);
        Assert.Empty(reply.Questions);
    }
}
