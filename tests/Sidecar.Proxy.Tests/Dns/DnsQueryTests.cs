using Sidecar.Proxy.Dns;
using static Sidecar.Proxy.Tests.Dns.DnsWire;

namespace Sidecar.Proxy.Tests.Dns;

/// <summary>What the DNS proxy reads of a query (RFC 1035 4.1.1, 4.1.2; EDNS0, RFC 6891 6.1.2).</summary>
public sealed class DnsQueryTests
{
    private static DnsQuery Parse(byte[] message)
    {
        Assert.True(DnsQuery.TryParse(message, out var query));
        return query;
    }

    [Fact]
    public void Reads_the_header_and_the_first_question()
    {
        var message = Query("reviews.default.svc.cluster.local", TypeAaaa, id: 0x1234, recursionDesired: true, checkingDisabled: true);

        var query = Parse(message);

        Assert.Equal(0x1234, query.Id);
        Assert.Equal(0x0110, query.Flags); // RD and CD
        Assert.Equal(1, query.QuestionCount);
        Assert.Equal(0, query.AnswerCount);
        Assert.Equal(0, query.AuthorityCount);
        Assert.Equal(0, query.AdditionalCount);
        Assert.Equal("reviews.default.svc.cluster.local.", query.Name);
        Assert.Equal(TypeAaaa, query.Type);
        Assert.Equal(1, query.Class);
        Assert.Equal(message.Length, query.QuestionEnd);
        Assert.Equal(0, query.UdpPayloadSize);
        Assert.False(query.IsResponse);
        Assert.Equal(0, query.Opcode);
        Assert.True(query.SectionCountsFitAQuery);
    }

    [Fact]
    public void The_name_is_lower_cased_with_a_trailing_dot()
    {
        // pilot-agent's ServeDNS: hostname := strings.ToLower(req.Question[0].Name).
        Assert.Equal("reviews.default.", Parse(Query("Reviews.DEFAULT", TypeA)).Name);
        Assert.Equal("a-b_c.example.", Parse(Query("A-B_C.Example.", TypeA)).Name);
    }

    [Fact]
    public void The_root_name_is_a_dot()
    {
        var query = Parse(Query(".", TypeNs));

        Assert.Equal(".", query.Name);
        Assert.Equal(12 + 1 + 4, query.QuestionEnd);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1232)]
    [InlineData(4096)]
    [InlineData(65535)]
    public void An_opt_record_gives_the_udp_payload_size(int size)
    {
        var message = Query("reviews.", TypeA, ednsUdpSize: size);

        var query = Parse(message);

        Assert.Equal(size, query.UdpPayloadSize);
        Assert.Equal(1, query.AdditionalCount);
        Assert.Equal(12 + 9 + 4, query.QuestionEnd); // the OPT record is after the question, not part of it
        Assert.True(query.SectionCountsFitAQuery);
    }

    [Fact]
    public void An_opt_record_after_other_records_is_found()
    {
        // A query with an answer record (NOTIFY's SOA would do) then OPT: the answer is skipped, the OPT read.
        var question = Query("reviews.", TypeA);
        var answer = new byte[] { 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 1 };
        var opt = new byte[] { 0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0 };
        var message = question.Concat(answer).Concat(opt).ToArray();
        message[7] = 1; // ANCOUNT
        message[11] = 1; // ARCOUNT

        var query = Parse(message);

        Assert.Equal(4096, query.UdpPayloadSize);
        Assert.True(query.SectionCountsFitAQuery);
    }

    [Fact]
    public void An_opt_record_in_the_answer_section_is_not_edns()
    {
        var question = Query("reviews.", TypeA);
        var opt = new byte[] { 0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0 };
        var message = question.Concat(opt).ToArray();
        message[7] = 1; // ANCOUNT

        Assert.Equal(0, Parse(message).UdpPayloadSize);
    }

    [Fact]
    public void A_truncated_opt_record_gives_no_size_but_the_question_still_parses()
    {
        var message = Query("reviews.", TypeA, ednsUdpSize: 4096)[..^4];

        var query = Parse(message);

        Assert.Equal("reviews.", query.Name);
        Assert.Equal(0, query.UdpPayloadSize);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(11)]
    public void A_message_shorter_than_a_header_does_not_parse(int length) =>
        Assert.False(DnsQuery.TryParse(new byte[length], out _));

    [Fact]
    public void A_question_cut_short_does_not_parse()
    {
        var message = Query("reviews.default.", TypeA);

        Assert.False(DnsQuery.TryParse(message[..^2], out _)); // no class
        Assert.False(DnsQuery.TryParse(message[..15], out _)); // inside a label
        Assert.False(DnsQuery.TryParse(message[..12], out _)); // QDCOUNT 1, no question
    }

    [Fact]
    public void A_compression_pointer_or_a_label_over_63_bytes_in_the_question_does_not_parse()
    {
        var pointer = Query("reviews.", TypeA);
        pointer[12] = 0xC0;
        pointer[13] = 12;
        Assert.False(DnsQuery.TryParse(pointer, out _));

        var longLabel = Query(new string('a', 64) + ".", TypeA);
        Assert.False(DnsQuery.TryParse(longLabel, out _));
        Assert.True(DnsQuery.TryParse(Query(new string('a', 63) + ".", TypeA), out _));
    }

    [Fact]
    public void A_name_over_255_bytes_on_the_wire_does_not_parse()
    {
        // RFC 1035 2.3.4: 255 octets, length bytes and the root's zero included (miekg/dns maxDomainNameWireOctets).
        var label = new string('a', 63);
        // 3 * 64 + 62 + 1 = 255 bytes: the longest legal name, 254 characters with its dots.
        var longest = Parse(Query($"{label}.{label}.{label}.{new string('b', 61)}.", TypeA));
        Assert.Equal(254, longest.Name!.Length);
        // One more byte: 256.
        Assert.False(DnsQuery.TryParse(Query($"{label}.{label}.{label}.{new string('b', 62)}.", TypeA), out _));
        Assert.False(DnsQuery.TryParse(Query($"{label}.{label}.{label}.{label}.", TypeA), out _));
    }

    [Fact]
    public void A_name_with_a_byte_outside_printable_ascii_or_a_dot_in_a_label_has_no_name()
    {
        // Such a name is in no table: it is forwarded as is.
        var control = Query("revi\u0001ws.", TypeA);
        var space = Query("a b.", TypeA);
        var high = Query("reviews.", TypeA);
        high[13] = 0xE9;
        var dot = Query("reviews.", TypeA);
        dot[15] = (byte)'.';

        foreach (var message in new[] { control, space, high, dot })
        {
            var query = Parse(message);
            Assert.Null(query.Name);
            Assert.Equal(message.Length, query.QuestionEnd);
            Assert.Equal(TypeA, query.Type);
        }
    }

    [Fact]
    public void A_message_without_questions_parses_with_no_name()
    {
        var message = Query("reviews.", TypeA)[..12];
        message[5] = 0; // QDCOUNT

        var query = Parse(message);

        Assert.Equal(0, query.QuestionCount);
        Assert.Null(query.Name);
        Assert.Equal(12, query.QuestionEnd);
    }

    [Fact]
    public void Opcode_and_the_response_bit_are_read_from_the_flags()
    {
        var notify = Parse(Query("example.com.", TypeA, opcode: 4, recursionDesired: false));
        Assert.Equal(4, notify.Opcode);
        Assert.False(notify.IsResponse);

        var response = Query("example.com.", TypeA);
        response[2] |= 0x80;
        Assert.True(Parse(response).IsResponse);
    }

    [Theory]
    [InlineData(2, 0, 0, false)]
    [InlineData(0, 2, 0, false)]
    [InlineData(0, 0, 3, false)]
    [InlineData(1, 1, 2, true)]
    public void Section_counts_beyond_what_miekg_dns_accepts_in_a_query_are_flagged(int answers, int authorities, int additional, bool fits)
    {
        var message = Query("reviews.", TypeA);
        message[7] = (byte)answers;
        message[9] = (byte)authorities;
        message[11] = (byte)additional;

        Assert.Equal(fits, Parse(message).SectionCountsFitAQuery);
    }

    [Fact]
    public void HeaderOf_reads_the_header_alone()
    {
        var query = DnsQuery.HeaderOf(Query("reviews.", TypeA, id: 7));

        Assert.Equal(7, query.Id);
        Assert.Null(query.Name);
        Assert.Equal(DnsQuery.HeaderLength, query.QuestionEnd);
        Assert.Equal(1, query.QuestionCount);
    }
}
