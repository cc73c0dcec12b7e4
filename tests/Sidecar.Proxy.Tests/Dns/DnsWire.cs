using System.Buffers.Binary;
using System.Net;
using System.Text;
using Sidecar.Proxy.Dns;

namespace Sidecar.Proxy.Tests.Dns;

/// <summary>
/// A test-only DNS codec (RFC 1035 4.1), independent of the proxy's: encodes a query as a stub resolver sends it
/// (optionally with an EDNS0 OPT record, RFC 6891 6.1.2) and decodes a reply, following compression pointers.
/// </summary>
internal static class DnsWire
{
    public const ushort TypeA = 1;
    public const ushort TypeNs = 2;
    public const ushort TypeCname = 5;
    public const ushort TypePtr = 12;
    public const ushort TypeMx = 15;
    public const ushort TypeTxt = 16;
    public const ushort TypeAaaa = 28;
    public const ushort TypeSrv = 33;
    public const ushort TypeOpt = 41;

    /// <summary>A query for <paramref name="name"/> (labels written as given, case kept), RD set unless told.</summary>
    public static byte[] Query(string name, ushort type, ushort id = 0xBEEF, bool recursionDesired = true, bool checkingDisabled = false, int opcode = 0, int? ednsUdpSize = null, ushort @class = 1)
    {
        var bytes = new List<byte>();
        var flags = (ushort)((opcode << 11) | (recursionDesired ? 0x0100 : 0) | (checkingDisabled ? 0x0010 : 0));
        AddUInt16(bytes, id);
        AddUInt16(bytes, flags);
        AddUInt16(bytes, 1); // QDCOUNT
        AddUInt16(bytes, 0); // ANCOUNT
        AddUInt16(bytes, 0); // NSCOUNT
        AddUInt16(bytes, (ushort)(ednsUdpSize is null ? 0 : 1)); // ARCOUNT
        bytes.AddRange(EncodeName(name));
        AddUInt16(bytes, type);
        AddUInt16(bytes, @class);
        if (ednsUdpSize is { } size)
        {
            bytes.Add(0); // the root name
            AddUInt16(bytes, TypeOpt);
            AddUInt16(bytes, (ushort)size); // CLASS: the requestor's UDP payload size
            AddUInt16(bytes, 0); // extended RCODE, version
            AddUInt16(bytes, 0x8000); // DO bit, as dig +dnssec sends
            AddUInt16(bytes, 0); // RDLEN
        }

        return [.. bytes];
    }

    /// <summary>A name's wire form: length-prefixed labels and the root's zero.</summary>
    public static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    /// <summary>
    /// What the server does with a query it may answer itself: parse, look up, and write the reply over UDP (the
    /// reply limited to 512 bytes or the EDNS0 size) or TCP. Null when the table does not know the name: the query
    /// would be forwarded to the pod's nameservers.
    /// </summary>
    public static DnsReply? Resolve(DnsLookupTable table, byte[] query, bool tcp = false)
    {
        Assert.True(DnsQuery.TryParse(query, out var parsed), "the query does not parse");
        var result = parsed.Name is { } name ? table.Lookup(parsed.Type, name) : DnsLookupResult.NotFound;
        if (!result.Found)
        {
            return null;
        }

        var buffer = new byte[DnsResponseWriter.MaxMessageSize];
        var length = DnsResponseWriter.WriteAnswer(buffer, query, parsed, result, DnsResponseWriter.MaxReplySize(parsed, tcp));
        return Decode(buffer.AsSpan(0, length).ToArray());
    }

    public static DnsReply Decode(byte[] message)
    {
        Assert.True(message.Length >= 12, $"a reply of {message.Length} bytes has no header");
        var counts = new int[4];
        for (var i = 0; i < 4; i++)
        {
            counts[i] = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(4 + (2 * i)));
        }

        var offset = 12;
        var questions = new List<DnsQuestion>();
        for (var i = 0; i < counts[0]; i++)
        {
            var start = offset;
            var name = ReadName(message, ref offset);
            questions.Add(new DnsQuestion(name, ReadUInt16(message, ref offset), ReadUInt16(message, ref offset), message[start..offset]));
        }

        var sections = new List<DnsRecord>[3];
        for (var s = 0; s < 3; s++)
        {
            sections[s] = [];
            for (var i = 0; i < counts[s + 1]; i++)
            {
                var ownerOffset = offset;
                var owner = ReadName(message, ref offset);
                var type = ReadUInt16(message, ref offset);
                var @class = ReadUInt16(message, ref offset);
                var ttl = BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(offset));
                offset += 4;
                var dataLength = ReadUInt16(message, ref offset);
                Assert.True(offset + dataLength <= message.Length, "a record runs past the end of the message");
                var dataOffset = offset;
                var data = message[offset..(offset + dataLength)];
                offset += dataLength;
                string? target = null;
                if (type == TypeCname)
                {
                    var at = dataOffset;
                    target = ReadName(message, ref at);
                    Assert.Equal(dataOffset + dataLength, at);
                }

                var address = type is TypeA or TypeAaaa ? new IPAddress(data) : null;
                sections[s].Add(new DnsRecord(owner, type, @class, ttl, data, target, address, message[ownerOffset] >= 0xC0));
            }
        }

        Assert.Equal(message.Length, offset); // nothing after the last record
        return new DnsReply(
            message,
            BinaryPrimitives.ReadUInt16BigEndian(message),
            BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(2)),
            questions,
            sections[0],
            sections[1],
            sections[2]);
    }

    /// <summary>Reads a possibly compressed name (RFC 1035 4.1.4), case as written, with its trailing dot.</summary>
    public static string ReadName(byte[] message, ref int offset)
    {
        var text = new StringBuilder();
        var at = offset;
        var jumped = false;
        var jumps = 0;
        while (true)
        {
            Assert.True(at < message.Length, "a name runs past the end of the message");
            int length = message[at];
            if ((length & 0xC0) == 0xC0)
            {
                var pointer = ((length & 0x3F) << 8) | message[at + 1];
                Assert.True(pointer < at, $"a compression pointer at {at} points forward to {pointer}");
                Assert.True(++jumps < 64, "a compression loop");
                if (!jumped)
                {
                    offset = at + 2;
                    jumped = true;
                }

                at = pointer;
                continue;
            }

            Assert.True(length <= 63, $"label length {length} at {at}");
            at++;
            if (length == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(message, at, length)).Append('.');
            at += length;
        }

        if (!jumped)
        {
            offset = at;
        }

        return text.Length == 0 ? "." : text.ToString();
    }

    private static ushort ReadUInt16(byte[] message, ref int offset)
    {
        var value = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset));
        offset += 2;
        return value;
    }

    private static void AddUInt16(List<byte> bytes, ushort value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}

internal sealed record DnsQuestion(string Name, ushort Type, ushort Class, byte[] Wire);

internal sealed record DnsRecord(string Owner, ushort Type, ushort Class, uint Ttl, byte[] Data, string? CnameTarget, IPAddress? Address, bool OwnerCompressed);

internal sealed record DnsReply(byte[] Wire, ushort Id, ushort Flags, IReadOnlyList<DnsQuestion> Questions, IReadOnlyList<DnsRecord> Answers, IReadOnlyList<DnsRecord> Authority, IReadOnlyList<DnsRecord> Additional)
{
    public bool IsResponse => (Flags & 0x8000) != 0;

    public int Opcode => (Flags >> 11) & 0xF;

    public bool Authoritative => (Flags & 0x0400) != 0;

    public bool Truncated => (Flags & 0x0200) != 0;

    public bool RecursionDesired => (Flags & 0x0100) != 0;

    public bool RecursionAvailable => (Flags & 0x0080) != 0;

    public bool CheckingDisabled => (Flags & 0x0010) != 0;

    public int Rcode => Flags & 0xF;

    public IEnumerable<string> Addresses => Answers.Where(a => a.Address is not null).Select(a => a.Address!.ToString());
}
