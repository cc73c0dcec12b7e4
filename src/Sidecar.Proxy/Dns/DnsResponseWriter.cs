using System.Buffers.Binary;

namespace Sidecar.Proxy.Dns;

/// <summary>
/// Writes the DNS proxy's own replies as pilot-agent's (miekg/dns <c>SetReply</c>): the query's id, opcode and RD and
/// CD bits, its first question as sent, then the answers: authoritative, TTL 30 s, names compressed against the
/// question, the address records in random order. A reply larger than the client can take is cut to the records that fit, with TC set, so the client asks
/// again over TCP (miekg/dns <c>Truncate</c>).
/// </summary>
internal static class DnsResponseWriter
{
    /// <summary>The largest UDP reply without EDNS0 (RFC 1035 4.2.1).</summary>
    public const int MinUdpSize = 512;

    public const int MaxMessageSize = 65535;

    private const ushort Response = 0x8000;
    private const ushort Authoritative = 0x0400;
    private const ushort Truncated = 0x0200;
    private const ushort RecursionDesired = 0x0100;
    private const ushort CheckingDisabled = 0x0010;
    private const ushort QuestionPointer = 0xC000 | DnsQuery.HeaderLength;

    /// <summary>How large a reply the client takes: 64 KiB over TCP, else its EDNS0 size, at least 512 bytes.</summary>
    public static int MaxReplySize(in DnsQuery query, bool tcp) => tcp ? MaxMessageSize : Math.Max(MinUdpSize, query.UdpPayloadSize);

    /// <summary>An authoritative answer from the lookup table; returns the reply's length.</summary>
    public static int WriteAnswer(Span<byte> destination, ReadOnlySpan<byte> message, in DnsQuery query, in DnsLookupResult result, int maxSize)
    {
        var limit = Math.Min(destination.Length, maxSize);
        var length = WriteHeaderAndQuestion(destination, message, query, Authoritative, 0);
        var answers = 0;
        var truncated = false;
        var ownerPointer = QuestionPointer;
        if (result.CnameTarget is { } target)
        {
            var recordLength = 2 + 10 + NameLength(target);
            if (length + recordLength > limit)
            {
                truncated = true;
            }
            else
            {
                length += WriteRecordHeader(destination[length..], QuestionPointer, DnsRecordType.Cname, (ushort)NameLength(target));
                ownerPointer = (ushort)(0xC000 | length);
                length += WriteName(destination[length..], target);
                answers++;
            }
        }

        var addresses = result.Addresses;
        var type = addresses.Length > 0 && addresses[0].Length == 16 ? DnsRecordType.Aaaa : DnsRecordType.A;
        // Shuffled, as pilot-agent (and kube-dns) answer, so clients of a headless service spread over its pods.
        Span<int> order = addresses.Length <= 128 ? stackalloc int[addresses.Length] : new int[addresses.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Random.Shared.Shuffle(order);
        foreach (var index in truncated ? [] : order)
        {
            var address = addresses[index];
            if (length + 12 + address.Length > limit)
            {
                truncated = true;
                break;
            }

            length += WriteRecordHeader(destination[length..], ownerPointer, type, (ushort)address.Length);
            address.CopyTo(destination[length..]);
            length += address.Length;
            answers++;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], (ushort)answers);
        if (truncated)
        {
            destination[2] |= Truncated >> 8;
        }

        return length;
    }

    /// <summary>A reply with no records and <paramref name="rcode"/>: SERVFAIL when no upstream answered (with the
    /// question), FORMERR or NOTIMP for a query that cannot be served (the header alone, as miekg/dns rejects it).</summary>
    public static int WriteError(Span<byte> destination, ReadOnlySpan<byte> message, in DnsQuery query, int rcode, bool withQuestion) =>
        withQuestion
            ? WriteHeaderAndQuestion(destination, message, query, 0, rcode)
            : WriteHeader(destination, query, 0, rcode, questions: 0);

    private static int WriteHeaderAndQuestion(Span<byte> destination, ReadOnlySpan<byte> message, in DnsQuery query, ushort flags, int rcode)
    {
        var length = WriteHeader(destination, query, flags, rcode, questions: 1);
        var question = message[DnsQuery.HeaderLength..query.QuestionEnd];
        question.CopyTo(destination[length..]);
        return length + question.Length;
    }

    private static int WriteHeader(Span<byte> destination, in DnsQuery query, ushort flags, int rcode, int questions)
    {
        // RD and CD are copied for a standard query only, as miekg/dns's SetReply copies them.
        var copied = query.Opcode == 0 ? (ushort)(query.Flags & (RecursionDesired | CheckingDisabled)) : (ushort)0;
        BinaryPrimitives.WriteUInt16BigEndian(destination, query.Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(Response | (query.Opcode << 11) | flags | copied | rcode));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)questions);
        destination[6..DnsQuery.HeaderLength].Clear();
        return DnsQuery.HeaderLength;
    }

    private static int WriteRecordHeader(Span<byte> destination, ushort ownerPointer, ushort type, ushort dataLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, ownerPointer);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], DnsRecordType.ClassInternet);
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], DnsLookupTable.TtlSeconds);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], dataLength);
        return 12;
    }

    /// <summary>The wire length of a name with a trailing dot: one length byte per label, and the root's zero.</summary>
    private static int NameLength(string name) => name.Length + 1;

    private static int WriteName(Span<byte> destination, string name)
    {
        var length = 0;
        foreach (var label in name.AsSpan().TrimEnd('.').Split('.'))
        {
            var text = name.AsSpan()[label];
            destination[length++] = (byte)text.Length;
            foreach (var c in text)
            {
                destination[length++] = (byte)c;
            }
        }

        destination[length++] = 0;
        return length;
    }
}
