using System.Buffers.Binary;

namespace Sidecar.Proxy.Dns;

/// <summary>
/// What the DNS proxy reads of a query (RFC 1035 4.1): its id and flags, its first question (clients send one), and
/// the UDP payload size an EDNS0 OPT record offers (RFC 6891). Parsed in place; the rest of the message is only
/// forwarded.
/// </summary>
internal readonly struct DnsQuery
{
    public const int HeaderLength = 12;

    /// <summary>The longest name as text with its trailing dot (255 bytes on the wire, RFC 1035 2.3.4).</summary>
    public const int MaxNameLength = 254;

    private DnsQuery(ReadOnlySpan<byte> header, int nameLength, int questionEnd, ushort type, ushort @class, int udpPayloadSize)
    {
        Id = BinaryPrimitives.ReadUInt16BigEndian(header);
        Flags = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        QuestionCount = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        AnswerCount = BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
        AuthorityCount = BinaryPrimitives.ReadUInt16BigEndian(header[8..]);
        AdditionalCount = BinaryPrimitives.ReadUInt16BigEndian(header[10..]);
        NameLength = nameLength;
        QuestionEnd = questionEnd;
        Type = type;
        Class = @class;
        UdpPayloadSize = udpPayloadSize;
    }

    public ushort Id { get; }

    public ushort Flags { get; }

    public int QuestionCount { get; }

    public int AnswerCount { get; }

    public int AuthorityCount { get; }

    public int AdditionalCount { get; }

    /// <summary>The first question's name, lower-cased, with its trailing dot (<c>reviews.default.svc.cluster.local.</c>),
    /// as text; null where <see cref="NameLength"/> is -1, and from the parse into a caller's buffer.</summary>
    public string? Name { get; private init; }

    /// <summary>How many chars of the caller's buffer hold the name; -1 when a label holds a byte outside printable
    /// ASCII, or a dot (no such name is in the table), or there is no question.</summary>
    public int NameLength { get; }

    /// <summary>Where the first question ends: the reply echoes bytes 12 to here.</summary>
    public int QuestionEnd { get; }

    public ushort Type { get; }

    public ushort Class { get; }

    /// <summary>The EDNS0 UDP payload size, or 0 without an OPT record.</summary>
    public int UdpPayloadSize { get; }

    public bool IsResponse => (Flags & 0x8000) != 0;

    public int Opcode => (Flags >> 11) & 0xF;

    /// <summary>miekg/dns's server takes at most one answer (NOTIFY's SOA), one authority record (IXFR's SOA) and two
    /// additional records (OPT and TSIG) in a query.</summary>
    public bool SectionCountsFitAQuery => AnswerCount <= 1 && AuthorityCount <= 1 && AdditionalCount <= 2;

    /// <summary>The header of a message whose question does not parse (its id, flags and counts only).</summary>
    public static DnsQuery HeaderOf(ReadOnlySpan<byte> message) => new(message, -1, HeaderLength, 0, 0, 0);

    /// <summary>Reads <paramref name="message"/>, its name as a string; false when it is too short or malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out DnsQuery query)
    {
        Span<char> name = stackalloc char[MaxNameLength];
        if (!TryParse(message, name, out query))
        {
            return false;
        }

        query = query with { Name = query.NameLength < 0 ? null : new string(name[..query.NameLength]) };
        return true;
    }

    /// <summary>Reads <paramref name="message"/>, its name into <paramref name="name"/> (at least
    /// <see cref="MaxNameLength"/> chars): nothing allocated. False when it is too short or malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, Span<char> name, out DnsQuery query)
    {
        query = default;
        if (message.Length < HeaderLength)
        {
            return false;
        }

        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (questions == 0)
        {
            query = HeaderOf(message);
            return true;
        }

        if (!TryReadName(message, HeaderLength, name, out var nameLength, out var offset) || offset + 4 > message.Length)
        {
            return false;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
        var questionEnd = offset + 4;
        var udpSize = FindEdnsPayloadSize(message, questionEnd, questions - 1, answers + authorities, additional);
        query = new DnsQuery(message, nameLength, questionEnd, type, @class, udpSize);
        return true;
    }

    /// <summary>Reads an uncompressed name (a question's name is never compressed: nothing precedes it to point at).</summary>
    private static bool TryReadName(ReadOnlySpan<byte> message, int offset, Span<char> text, out int nameLength, out int end)
    {
        nameLength = -1;
        end = offset;
        var length = 0;
        var printable = true;
        while (true)
        {
            if (end >= message.Length)
            {
                return false;
            }

            int labelLength = message[end++];
            if (labelLength == 0)
            {
                break;
            }

            // A name is at most 255 bytes on the wire (RFC 1035 2.3.4), one more than its text with the dots.
            if (labelLength > 63 || end + labelLength > message.Length || length + labelLength + 1 > MaxNameLength)
            {
                return false;
            }

            foreach (var b in message.Slice(end, labelLength))
            {
                printable &= b is > 0x20 and < 0x7F and not (byte)'.';
                text[length++] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b);
            }

            text[length++] = '.';
            end += labelLength;
        }

        if (length == 0)
        {
            text[length++] = '.';
        }

        nameLength = printable ? length : -1;
        return true;
    }

    /// <summary>The OPT record's class (its UDP payload size) among the additional records, or 0.</summary>
    private static int FindEdnsPayloadSize(ReadOnlySpan<byte> message, int offset, int questionsLeft, int recordsBefore, int additional)
    {
        for (var i = 0; i < questionsLeft; i++)
        {
            if (!TrySkipName(message, ref offset) || (offset += 4) > message.Length)
            {
                return 0;
            }
        }

        for (var i = 0; i < recordsBefore + additional; i++)
        {
            if (!TrySkipName(message, ref offset) || offset + 10 > message.Length)
            {
                return 0;
            }

            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            var dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            if (i >= recordsBefore && type == DnsRecordType.Opt)
            {
                return @class;
            }

            offset += 10 + dataLength;
        }

        return 0;
    }

    private static bool TrySkipName(ReadOnlySpan<byte> message, ref int offset)
    {
        while (offset < message.Length)
        {
            int length = message[offset];
            if (length == 0)
            {
                offset++;
                return true;
            }

            if ((length & 0xC0) == 0xC0)
            {
                offset += 2;
                return offset <= message.Length;
            }

            offset += 1 + length;
        }

        return false;
    }
}
