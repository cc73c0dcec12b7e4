using System.Buffers;
using System.Text;

namespace Sidecar.Proxy.Http;

/// <summary>
/// Latin-1 for writing header values, with ASCII's fast path: nearly every value is ASCII, which one vectorized
/// narrowing copies; a value with obs-text goes through <see cref="Encoding.Latin1"/>. <c>Encoding.Latin1</c> alone
/// counts and checks each value before copying it (about 100 instructions more per header, on every request and
/// response). Every char the proxy holds in a header value is at most 0xFF (<see cref="HeaderValueEncoding"/>), so
/// a value's byte count is its length.
/// </summary>
internal sealed class HeaderLatin1Encoding : Encoding
{
    public static readonly HeaderLatin1Encoding Instance = new();

    private HeaderLatin1Encoding()
        : base(Latin1.CodePage)
    {
    }

    public override bool IsSingleByte => true;

    public override int GetMaxByteCount(int charCount) => charCount;

    public override int GetMaxCharCount(int byteCount) => byteCount;

    public override int GetByteCount(char[] chars, int index, int count) => count;

    public override int GetByteCount(string s) => s.Length;

    public override int GetByteCount(ReadOnlySpan<char> chars) => chars.Length;

    public override int GetBytes(char[] chars, int charIndex, int charCount, byte[] bytes, int byteIndex) =>
        GetBytes(chars.AsSpan(charIndex, charCount), bytes.AsSpan(byteIndex));

    public override int GetBytes(string s, int charIndex, int charCount, byte[] bytes, int byteIndex) =>
        GetBytes(s.AsSpan(charIndex, charCount), bytes.AsSpan(byteIndex));

    public override int GetBytes(ReadOnlySpan<char> chars, Span<byte> bytes) =>
        Ascii.FromUtf16(chars, bytes, out var written) == OperationStatus.Done ? written : Latin1.GetBytes(chars, bytes);

    public override int GetCharCount(byte[] bytes, int index, int count) => count;

    public override int GetCharCount(ReadOnlySpan<byte> bytes) => bytes.Length;

    public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex) =>
        Latin1.GetChars(bytes, byteIndex, byteCount, chars, charIndex);

    public override int GetChars(ReadOnlySpan<byte> bytes, Span<char> chars) => Latin1.GetChars(bytes, chars);

    public override string GetString(byte[] bytes, int index, int count) => Latin1.GetString(bytes, index, count);
}
