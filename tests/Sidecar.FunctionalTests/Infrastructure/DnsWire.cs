using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Sidecar.FunctionalTests.Infrastructure;

/// <summary>One resource record of a reply: its owner, type, TTL and data (an address, or a CNAME's target).</summary>
internal sealed record DnsRecord(string Name, ushort Type, uint Ttl, byte[] Data, string? Target)
{
    public IPAddress Address => new(Data);
}

/// <summary>A DNS reply as a client reads it: header flags, the echoed question, the answer section.</summary>
internal sealed record DnsReply(ushort Id, ushort Flags, int QuestionCount, string? QuestionName, ushort QuestionType, IReadOnlyList<DnsRecord> Answers)
{
    public bool IsResponse => (Flags & 0x8000) != 0;

    public bool Authoritative => (Flags & 0x0400) != 0;

    public bool Truncated => (Flags & 0x0200) != 0;

    public bool RecursionAvailable => (Flags & 0x0080) != 0;

    public int Rcode => Flags & 0xF;

    /// <summary>The A and AAAA records' addresses, in order.</summary>
    public IReadOnlyList<IPAddress> Addresses => [.. Answers.Where(a => a.Type is DnsWire.A or DnsWire.Aaaa).Select(a => a.Address)];

    public override string ToString() =>
        $"id={Id} rcode={Rcode} aa={Authoritative} ra={RecursionAvailable} q={QuestionName}/{QuestionType} answers=[{string.Join(", ", Answers.Select(a => $"{a.Name} {a.Type} ttl={a.Ttl} {a.Target ?? a.Address.ToString()}"))}]";
}

/// <summary>A question as a server reads it from a query.</summary>
internal readonly record struct DnsQuestion(ushort Id, ushort Flags, string Name, ushort Type, int QuestionEnd);

/// <summary>
/// A compact RFC 1035 codec for the tests' clients and fake nameservers: queries out, replies (with compressed
/// names) in. Written here, apart from the proxy's own code, so the tests do not read the wire with the code under test.
/// </summary>
internal static class DnsWire
{
    public const ushort A = 1;
    public const ushort Cname = 5;
    public const ushort Txt = 16;
    public const ushort Aaaa = 28;

    public const int NoError = 0;
    public const int ServFail = 2;
    public const int NxDomain = 3;

    private const ushort ClassIn = 1;

    /// <summary>A standard query with RD set for <paramref name="name"/> (a trailing dot or not).</summary>
    public static byte[] Query(ushort id, string name, ushort type = A)
    {
        var message = new List<byte>(64);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1);
        message.AddRange(header.ToArray());
        AppendName(message, name);
        message.Add((byte)(type >> 8));
        message.Add((byte)type);
        message.Add(0);
        message.Add((byte)ClassIn);
        return [.. message];
    }

    public static DnsReply ParseReply(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
        {
            throw new FormatException($"a DNS message of {message.Length} bytes");
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var offset = 12;
        string? questionName = null;
        ushort questionType = 0;
        for (var i = 0; i < questions; i++)
        {
            var name = ReadName(message, ref offset);
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            offset += 4;
            if (i == 0)
            {
                (questionName, questionType) = (name, type);
            }
        }

        var records = new List<DnsRecord>();
        for (var i = 0; i < answers; i++)
        {
            var name = ReadName(message, ref offset);
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            var data = message.Slice(offset, length).ToArray();
            string? target = null;
            if (type == Cname)
            {
                var at = offset;
                target = ReadName(message, ref at);
            }

            records.Add(new DnsRecord(name, type, ttl, data, target));
            offset += length;
        }

        return new DnsReply(id, flags, questions, questionName, questionType, records);
    }

    /// <summary>The first question of a query, for a fake nameserver.</summary>
    public static DnsQuestion ParseQuestion(ReadOnlySpan<byte> message)
    {
        var offset = 12;
        var name = ReadName(message, ref offset);
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        return new DnsQuestion(BinaryPrimitives.ReadUInt16BigEndian(message), BinaryPrimitives.ReadUInt16BigEndian(message[2..]), name, type, offset + 4);
    }

    /// <summary>
    /// A recursive server's reply (RA set, not authoritative, RD copied) to <paramref name="query"/>: the question,
    /// then one record of <paramref name="type"/> per address with <paramref name="ttl"/>.
    /// </summary>
    public static byte[] Reply(ReadOnlySpan<byte> query, DnsQuestion question, int rcode, ushort type, IReadOnlyList<IPAddress> addresses, uint ttl)
    {
        var message = new List<byte>(128);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, question.Id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(0x8000 | (question.Flags & 0x0100) | 0x0080 | rcode));
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)addresses.Count);
        message.AddRange(header.ToArray());
        message.AddRange(query[12..question.QuestionEnd].ToArray());
        Span<byte> record = stackalloc byte[12];
        foreach (var address in addresses)
        {
            var bytes = address.GetAddressBytes();
            BinaryPrimitives.WriteUInt16BigEndian(record, 0xC00C);
            BinaryPrimitives.WriteUInt16BigEndian(record[2..], type);
            BinaryPrimitives.WriteUInt16BigEndian(record[4..], ClassIn);
            BinaryPrimitives.WriteUInt32BigEndian(record[6..], ttl);
            BinaryPrimitives.WriteUInt16BigEndian(record[10..], (ushort)bytes.Length);
            message.AddRange(record.ToArray());
            message.AddRange(bytes);
        }

        return [.. message];
    }

    /// <summary>A name (following compression pointers) as text, in the case it was sent, with its trailing dot.</summary>
    public static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var text = new StringBuilder();
        var at = offset;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            int length = message[at];
            if ((length & 0xC0) == 0xC0)
            {
                if (!jumped)
                {
                    offset = at + 2;
                    jumped = true;
                }

                at = BinaryPrimitives.ReadUInt16BigEndian(message[at..]) & 0x3FFF;
                continue;
            }

            at++;
            if (length == 0)
            {
                if (!jumped)
                {
                    offset = at;
                }

                return text.Length == 0 ? "." : text.ToString();
            }

            text.Append(Encoding.ASCII.GetString(message.Slice(at, length))).Append('.');
            at += length;
        }

        throw new FormatException("a name with a compression loop");
    }

    private static void AppendName(List<byte> message, string name)
    {
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            message.Add((byte)label.Length);
            message.AddRange(Encoding.ASCII.GetBytes(label));
        }

        message.Add(0);
    }
}
