using System.Globalization;
using System.Text;

namespace Sidecar.Model;

/// <summary>
/// Translates RE2 syntax (what Istio validates with Go's regexp and Envoy runs as safe_regex) into a .NET pattern
/// with the same meaning under <see cref="ProxyConfigValidator.Re2Options"/>, or says why it cannot. RE2 rejects some
/// constructs .NET accepts (<c>\Z</c>, <c>a{1001}</c>, <c>a++</c>), spells some differently (<c>(?P&lt;n&gt;…)</c>,
/// <c>\Q…\E</c>, <c>\x{…}</c>, <c>[[:alpha:]]</c>) and means others differently (<c>\d</c>, <c>\w</c>, <c>\s</c> are
/// ASCII and <c>$</c> is end of text in RE2). Syntax: https://github.com/google/re2/wiki/Syntax.
/// </summary>
/// <remarks>
/// .NET matches UTF-16 code units where RE2 matches code points, so classes only hold characters up to U+FFFF;
/// <c>\b</c> stays .NET's Unicode word boundary (RE2's is ASCII), as the non-backtracking engine has no lookaround
/// to spell the ASCII one.
/// </remarks>
public static class Re2Syntax
{
    /// <summary>
    /// The .NET pattern for the RE2 <paramref name="pattern"/>, or null with <paramref name="error"/> naming the
    /// construct RE2 rejects or this proxy cannot express. <paramref name="ignoreCase"/> says whether the regex will be
    /// compiled case-insensitively, which changes how negated classes inside brackets are spelled.
    /// </summary>
    public static string? ToDotNet(string pattern, out string? error, bool ignoreCase = false)
    {
        try
        {
            error = null;
            return new Translator(pattern, ignoreCase).Run();
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>The .NET pattern for an RE2 pattern already known to be valid (it passed validation).</summary>
    /// <exception cref="ArgumentException">The pattern is not valid RE2 or cannot be expressed.</exception>
    public static string ToDotNetOrThrow(string pattern, bool ignoreCase = false) =>
        ToDotNet(pattern, out var error, ignoreCase) ?? throw new ArgumentException($"invalid regular expression '{pattern}': {error}", nameof(pattern));

    /// <summary>An inclusive range of UTF-16 characters.</summary>
    private readonly record struct Range(int Lo, int Hi);

    /// <summary>RE2's repeat counts stop at 1000 (Go: "invalid repeat count").</summary>
    private const int MaxRepeat = 1000;

    private const int MaxBmp = 0xFFFF;

    // RE2's Perl classes are ASCII-only: \d = [0-9], \s = [\t\n\f\r ], \w = [0-9A-Za-z_].
    private static readonly Dictionary<char, Range[]> PerlClasses = new()
    {
        ['d'] = [new('0', '9')],
        ['s'] = [new('\t', '\n'), new('\f', '\r'), new(' ', ' ')],
        ['w'] = [new('0', '9'), new('A', 'Z'), new('_', '_'), new('a', 'z')],
    };

    // RE2's POSIX classes (only inside brackets, as [[:name:]] or [[:^name:]]) are ASCII-only.
    private static readonly Dictionary<string, Range[]> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = [new('0', '9'), new('A', 'Z'), new('a', 'z')],
        ["alpha"] = [new('A', 'Z'), new('a', 'z')],
        ["ascii"] = [new(0x00, 0x7F)],
        ["blank"] = [new('\t', '\t'), new(' ', ' ')],
        ["cntrl"] = [new(0x00, 0x1F), new(0x7F, 0x7F)],
        ["digit"] = [new('0', '9')],
        ["graph"] = [new('!', '~')],
        ["lower"] = [new('a', 'z')],
        ["print"] = [new(' ', '~')],
        ["punct"] = [new('!', '/'), new(':', '@'), new('[', '`'), new('{', '~')],
        ["space"] = [new('\t', '\r'), new(' ', ' ')],
        ["upper"] = [new('A', 'Z')],
        ["word"] = [new('0', '9'), new('A', 'Z'), new('_', '_'), new('a', 'z')],
        ["xdigit"] = [new('0', '9'), new('A', 'F'), new('a', 'f')],
    };

    // RE2's Unicode general categories; .NET knows them by the same names (RE2's C is handled apart: see AppendC).
    private static readonly HashSet<string> Categories = new(StringComparer.Ordinal)
    {
        "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No",
        "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs",
    };

    // RE2's Unicode scripts have no .NET name (.NET has blocks, which also hold other scripts' characters), so the
    // common ones are spelled out as their ranges from Unicode's Scripts.txt, below U+10000.
    private static readonly Dictionary<string, Range[]> Scripts = new(StringComparer.Ordinal)
    {
        ["Arabic"] = ParseRanges("0600-0604 0606-060B 060D-061A 061C-061E 0620-063F 0641-064A 0656-066F 0671-06DC 06DE-06FF 0750-077F 0870-088E 0890-0891 0898-08E1 08E3-08FF FB50-FBC2 FBD3-FD3D FD40-FD8F FD92-FDC7 FDCF FDF0-FDFF FE70-FE74 FE76-FEFC"),
        ["Cyrillic"] = ParseRanges("0400-0484 0487-052F 1C80-1C88 1D2B 1D78 2DE0-2DFF A640-A69F FE2E-FE2F"),
        ["Devanagari"] = ParseRanges("0900-0950 0955-0963 0966-097F A8E0-A8FF"),
        ["Greek"] = ParseRanges("0370-0373 0375-0377 037A-037D 037F 0384 0386 0388-038A 038C 038E-03A1 03A3-03E1 03F0-03FF 1D26-1D2A 1D5D-1D61 1D66-1D6A 1DBF 1F00-1F15 1F18-1F1D 1F20-1F45 1F48-1F4D 1F50-1F57 1F59 1F5B 1F5D 1F5F-1F7D 1F80-1FB4 1FB6-1FC4 1FC6-1FD3 1FD6-1FDB 1FDD-1FEF 1FF2-1FF4 1FF6-1FFE 2126 AB65"),
        ["Han"] = ParseRanges("2E80-2E99 2E9B-2EF3 2F00-2FD5 3005 3007 3021-3029 3038-303B 3400-4DBF 4E00-9FFF F900-FA6D FA70-FAD9"),
        ["Hangul"] = ParseRanges("1100-11FF 302E-302F 3131-318E 3200-321E 3260-327E A960-A97C AC00-D7A3 D7B0-D7C6 D7CB-D7FB FFA0-FFBE FFC2-FFC7 FFCA-FFCF FFD2-FFD7 FFDA-FFDC"),
        ["Hebrew"] = ParseRanges("0591-05C7 05D0-05EA 05EF-05F4 FB1D-FB36 FB38-FB3C FB3E FB40-FB41 FB43-FB44 FB46-FB4F"),
        ["Hiragana"] = ParseRanges("3041-3096 309D-309F"),
        ["Katakana"] = ParseRanges("30A1-30FA 30FD-30FF 31F0-31FF 32D0-32FE 3300-3357 FF66-FF6F FF71-FF9D"),
        ["Latin"] = ParseRanges("0041-005A 0061-007A 00AA 00BA 00C0-00D6 00D8-00F6 00F8-02B8 02E0-02E4 1D00-1D25 1D2C-1D5C 1D62-1D65 1D6B-1D77 1D79-1DBE 1E00-1EFF 2071 207F 2090-209C 212A-212B 2132 214E 2160-2188 2C60-2C7F A722-A787 A78B-A7CA A7D0-A7D1 A7D3 A7D5-A7D9 A7F2-A7FF AB30-AB5A AB5C-AB64 AB66-AB69 FB00-FB06 FF21-FF3A FF41-FF5A"),
        ["Thai"] = ParseRanges("0E01-0E3A 0E40-0E5B"),
    };

    private static Range[] ParseRanges(string text) =>
        text.Split(' ').Select(r => r.Split('-') is [var lo, var hi]
            ? new Range(int.Parse(lo, NumberStyles.HexNumber, CultureInfo.InvariantCulture), int.Parse(hi, NumberStyles.HexNumber, CultureInfo.InvariantCulture))
            : new Range(int.Parse(r, NumberStyles.HexNumber, CultureInfo.InvariantCulture), int.Parse(r, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray();

    private static FormatException Invalid(string what, string text) => new($"{what}: {text}");

    private static FormatException NotSupported(string what) => new($"{what} is not supported by this proxy");

    /// <summary>One walk over an RE2 pattern, writing its .NET spelling.</summary>
    private sealed class Translator(string pattern, bool ignoreCase)
    {
        private readonly StringBuilder _out = new(pattern.Length + 16);
        private readonly Stack<(bool FoldCase, bool MultiLine)> _scopes = new();
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        private readonly List<(int Start, int Length)> _namedOpeners = [];
        private bool _foldCase = ignoreCase;
        private bool _multiLine;
        private bool _unnamedAfterNamed;
        private int _lastRepeat = -1;
        private int _i;

        public string Run()
        {
            while (_i < pattern.Length)
            {
                var repeatBefore = _lastRepeat;
                Step();
                if (_lastRepeat == repeatBefore)
                {
                    _lastRepeat = -1;
                }
            }

            if (_scopes.Count > 0)
            {
                throw Invalid("missing closing )", pattern);
            }

            if (_unnamedAfterNamed)
            {
                DropGroupNames();
            }

            return _out.ToString();
        }

        private void Step()
        {
            switch (pattern[_i])
            {
                case '\\':
                    Escape();
                    break;
                case '[':
                    Class();
                    break;
                case '(':
                    OpenGroup();
                    break;
                case ')':
                    CloseGroup();
                    break;
                case '*' or '+' or '?':
                    Repeat(1);
                    break;
                case '{' when CountedRepeatLength() is var length and > 0:
                    Repeat(length);
                    break;
                case '{':
                    // RE2: a brace that does not start a valid repeat ({01}, {a}, {1) is a literal.
                    _out.Append(@"\{");
                    _i++;
                    break;
                case '^' or '.' or '|':
                    // RE2: ^ is the start of the text (of a line with (?m)), . any character but \n (any with (?s)),
                    // | alternation: .NET means the same.
                    _out.Append(pattern[_i]);
                    _i++;
                    break;
                case '$':
                    // RE2: $ is the end of the text (.NET's \z) unless (?m); .NET's $ also matches before a final \n.
                    _out.Append(_multiLine ? "$" : @"\z");
                    _i++;
                    break;
                default:
                    AppendLiteral(ReadChar(), inClass: false);
                    break;
            }
        }

        // RE2: a repetition operator (*, +, ?, {n,m}) optionally made non-greedy by ?. Stacking them (a**, a++, the
        // possessive a++ of Perl, a{2}{3}) is "invalid nested repetition operator".
        private void Repeat(int length)
        {
            var end = _i + length;
            if (end < pattern.Length && pattern[end] == '?')
            {
                end++;
            }

            if (_lastRepeat >= 0)
            {
                throw Invalid("invalid nested repetition operator", pattern[_lastRepeat..end]);
            }

            _out.Append(pattern, _i, end - _i);
            _lastRepeat = _i;
            _i = end;
        }

        // RE2: {n}, {n,} and {n,m} are repeats (no leading zeros); a count above 1000 or m < n is "invalid repeat count".
        private int CountedRepeatLength()
        {
            var j = _i + 1;
            if (!TryReadCount(ref j, out var min))
            {
                return 0;
            }

            var max = min;
            if (j < pattern.Length && pattern[j] == ',')
            {
                j++;
                max = -1;
                if (j < pattern.Length && pattern[j] != '}' && !TryReadCount(ref j, out max))
                {
                    return 0;
                }
            }

            if (j >= pattern.Length || pattern[j] != '}')
            {
                return 0;
            }

            var length = j + 1 - _i;
            if (min > MaxRepeat || max > MaxRepeat || (max >= 0 && min > max))
            {
                throw Invalid("invalid repeat count", pattern.Substring(_i, length));
            }

            return length;
        }

        private bool TryReadCount(ref int j, out int value)
        {
            var start = j;
            while (j < pattern.Length && char.IsAsciiDigit(pattern[j]))
            {
                j++;
            }

            value = j - start > 7 ? int.MaxValue : j > start ? int.Parse(pattern.AsSpan(start, j - start), CultureInfo.InvariantCulture) : 0;
            return j > start && !(j - start > 1 && pattern[start] == '0');
        }

        private void Escape()
        {
            if (_i + 1 >= pattern.Length)
            {
                throw new FormatException("trailing backslash at end of expression");
            }

            var c = pattern[_i + 1];
            switch (c)
            {
                // RE2: \A and \z are the text's start and end, \b and \B word boundaries; .NET spells them alike.
                case 'A' or 'z' or 'b' or 'B':
                    _out.Append('\\').Append(c);
                    _i += 2;
                    break;
                case 'Q':
                    Quoted();
                    break;
                case 'd' or 'D' or 's' or 'S' or 'w' or 'W' or 'p' or 'P':
                    ClassEscape(inClass: false);
                    break;
                default:
                    AppendLiteral(ReadEscapedChar(), inClass: false);
                    break;
            }
        }

        // RE2: \Q...\E is literal text (to the end of the pattern when \E is missing). Not inside brackets.
        private void Quoted()
        {
            _i += 2;
            var end = pattern.IndexOf(@"\E", _i, StringComparison.Ordinal);
            var stop = end < 0 ? pattern.Length : end;
            while (_i < stop)
            {
                AppendLiteral(ReadChar(), inClass: false);
            }

            _i = end < 0 ? stop : end + 2;
        }

        // RE2's class escapes: \d \D \s \S \w \W (ASCII) and \pX, \p{Name}, \p{^Name}, \PX, \P{Name} (Unicode).
        private void ClassEscape(bool inClass)
        {
            var c = pattern[_i + 1];
            if (c is 'p' or 'P')
            {
                UnicodeClass(inClass);
                return;
            }

            _i += 2;
            AppendSet(PerlClasses[char.ToLowerInvariant(c)], negated: char.IsAsciiLetterUpper(c), inClass);
        }

        private void UnicodeClass(bool inClass)
        {
            var start = _i;
            var negated = pattern[_i + 1] == 'P';
            _i += 2;
            string name;
            if (_i < pattern.Length && pattern[_i] == '{')
            {
                var close = pattern.IndexOf('}', _i);
                if (close < 0)
                {
                    throw Invalid("invalid character class range", pattern[start..]);
                }

                name = pattern[(_i + 1)..close];
                _i = close + 1;
            }
            else if (_i < pattern.Length)
            {
                name = pattern[_i].ToString();
                _i++;
            }
            else
            {
                throw Invalid("invalid escape sequence", pattern[start..]);
            }

            // RE2: \p{^Name} is the complement, so \P{^Name} is Name again.
            if (name.StartsWith('^'))
            {
                negated = !negated;
                name = name[1..];
            }

            var text = pattern[start.._i];
            if (name == "Any")
            {
                AppendSet([new(0, MaxBmp)], negated, inClass);
            }
            else if (name == "C")
            {
                AppendC(negated, inClass);
            }
            else if (Categories.Contains(name))
            {
                _out.Append(negated ? @"\P{" : @"\p{").Append(name).Append('}');
            }
            else if (Scripts.TryGetValue(name, out var ranges))
            {
                AppendSet(ranges, negated, inClass);
            }
            else
            {
                throw new FormatException(
                    $"unsupported Unicode class: {text} (this proxy supports the general categories, Any and the scripts {string.Join(", ", Scripts.Keys)})");
            }
        }

        // RE2's C is Cc, Cf, Co and Cs; .NET's also holds the unassigned code points (Cn).
        private void AppendC(bool negated, bool inClass)
        {
            const string Other = @"\p{Cc}\p{Cf}\p{Co}\p{Cs}";
            _out.Append((negated, inClass) switch
            {
                (false, true) => Other,
                (false, false) => $"[{Other}]",
                (true, true) => @"\P{C}\p{Cn}",
                (true, false) => $"[^{Other}]",
            });
        }

        // Outside brackets a set is its own class ([0-9], [^0-9]). Inside, a negated set joins a union, so it is
        // spelled as its complement's ranges; .NET adds the case variants of a caseless class's members afterwards,
        // so the complement is taken of the case-folded set, as RE2 does (it would otherwise regain those letters).
        private void AppendSet(IReadOnlyList<Range> set, bool negated, bool inClass)
        {
            if (!inClass)
            {
                _out.Append(negated ? "[^" : "[");
                AppendRanges(set);
                _out.Append(']');
                return;
            }

            AppendRanges(negated ? Complement(_foldCase ? FoldAscii(set) : set) : set);
        }

        private void AppendRanges(IEnumerable<Range> ranges)
        {
            foreach (var range in ranges)
            {
                AppendClassRange(range.Lo, range.Hi);
            }
        }

        private void AppendClassRange(int lo, int hi)
        {
            if (hi > MaxBmp)
            {
                throw NotSupported($"a character above U+FFFF inside a character class ({Describe(hi)})");
            }

            AppendLiteral(lo, inClass: true);
            if (hi != lo)
            {
                _out.Append('-');
                AppendLiteral(hi, inClass: true);
            }
        }

        // RE2 bracket class: [...] or [^...]; a ']' first is literal; items are characters, ranges, [:posix:] classes
        // and class escapes. Every item is re-spelled, so .NET's own class syntax ([a-z-[aeiou]]) cannot arise.
        private void Class()
        {
            var start = _i;
            _i++;
            var negated = _i < pattern.Length && pattern[_i] == '^';
            if (negated)
            {
                _i++;
            }

            var open = _out.Length;
            _out.Append(negated ? "[^" : "[");
            var contents = _out.Length;
            for (var first = true; ; first = false)
            {
                if (_i >= pattern.Length)
                {
                    throw Invalid("missing closing ]", pattern[start..]);
                }

                if (pattern[_i] == ']' && !first)
                {
                    break;
                }

                if (pattern[_i] == '[' && PosixClass())
                {
                    continue;
                }

                if (pattern[_i] == '\\' && _i + 1 < pattern.Length && pattern[_i + 1] is 'd' or 'D' or 's' or 'S' or 'w' or 'W' or 'p' or 'P')
                {
                    ClassEscape(inClass: true);
                    continue;
                }

                var rangeStart = _i;
                var lo = ReadClassChar();
                var hi = lo;
                if (_i + 1 < pattern.Length && pattern[_i] == '-' && pattern[_i + 1] != ']')
                {
                    _i++;
                    hi = ReadClassChar();
                    if (hi < lo)
                    {
                        throw Invalid("invalid character class range", pattern[rangeStart.._i]);
                    }
                }

                AppendClassRange(lo, hi);
            }

            _i++;
            if (_out.Length == contents)
            {
                // Only empty sets (\P{Any}) were named: .NET has no empty brackets, so say "nothing" or "anything".
                _out.Length = open;
                _out.Append(negated ? @"[\u0000-\uFFFF]" : @"[^\u0000-\uFFFF]");
                return;
            }

            _out.Append(']');
        }

        // RE2: [:name:] and [:^name:] inside brackets; an unknown name is "invalid character class range". Without
        // its closing ":]" the '[' is a literal. (.NET would read "[:alpha:]" as the characters ':', 'a', 'l', ...)
        private bool PosixClass()
        {
            if (_i + 1 >= pattern.Length || pattern[_i + 1] != ':')
            {
                return false;
            }

            var close = pattern.IndexOf(":]", _i + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            var text = pattern[_i..(close + 2)];
            var name = pattern[(_i + 2)..close];
            var negated = name.StartsWith('^');
            if (!PosixClasses.TryGetValue(negated ? name[1..] : name, out var set))
            {
                throw Invalid("invalid character class range", text);
            }

            AppendSet(set, negated, inClass: true);
            _i = close + 2;
            return true;
        }

        private int ReadClassChar() => pattern[_i] == '\\' ? ReadEscapedChar() : ReadChar();

        // RE2's single-character escapes: octal (\0, \12, \123; a lone \1-\7 is a backreference and refused), \xHH,
        // \x{H...} up to U+10FFFF, \a \f \n \r \t \v, and any ASCII punctuation. Every other escape (\Z, \G, \C, \e,
        // \cX, \uXXXX, \k<n>, \1, a non-ASCII character) is "invalid escape sequence".
        private int ReadEscapedChar()
        {
            var start = _i;
            if (_i + 1 >= pattern.Length)
            {
                throw new FormatException("trailing backslash at end of expression");
            }

            _i++;
            var c = pattern[_i++];
            if (c == '0' || (c is >= '1' and <= '7' && _i < pattern.Length && IsOctal(pattern[_i])))
            {
                var value = c - '0';
                for (var k = 0; k < 2 && _i < pattern.Length && IsOctal(pattern[_i]); k++)
                {
                    value = (value * 8) + (pattern[_i++] - '0');
                }

                return value;
            }

            switch (c)
            {
                case 'x':
                    return ReadHex(start);
                case 'a':
                    return '\a';
                case 'f':
                    return '\f';
                case 'n':
                    return '\n';
                case 'r':
                    return '\r';
                case 't':
                    return '\t';
                case 'v':
                    return '\v';
            }

            if (char.IsAscii(c) && !char.IsAsciiLetterOrDigit(c))
            {
                return c;
            }

            if (char.IsHighSurrogate(c) && _i < pattern.Length)
            {
                _i++;
            }

            throw Invalid("invalid escape sequence", pattern[start.._i]);
        }

        private int ReadHex(int start)
        {
            if (_i < pattern.Length && pattern[_i] == '{')
            {
                var close = pattern.IndexOf('}', _i);
                var digits = close < 0 ? "" : pattern[(_i + 1)..close];
                if (digits.Length is 0 or > 8 || !digits.All(char.IsAsciiHexDigit)
                    || long.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture) is var value && value > 0x10FFFF)
                {
                    throw Invalid("invalid escape sequence", close < 0 ? pattern[start..] : pattern[start..(close + 1)]);
                }

                _i = close + 1;
                return (int)value;
            }

            if (_i + 1 < pattern.Length && char.IsAsciiHexDigit(pattern[_i]) && char.IsAsciiHexDigit(pattern[_i + 1]))
            {
                _i += 2;
                return int.Parse(pattern.AsSpan(_i - 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }

            throw Invalid("invalid escape sequence", pattern[start..Math.Min(pattern.Length, _i + 2)]);
        }

        private static bool IsOctal(char c) => c is >= '0' and <= '7';

        /// <summary>The code point at the cursor (a surrogate pair counts as one, as RE2 reads code points).</summary>
        private int ReadChar()
        {
            var c = pattern[_i++];
            if (char.IsHighSurrogate(c) && _i < pattern.Length && char.IsLowSurrogate(pattern[_i]))
            {
                return char.ConvertToUtf32(c, pattern[_i++]);
            }

            return c;
        }

        // A literal character, spelled so .NET reads it as exactly that character (inside brackets, non-ASCII ones as
        // \uXXXX, so generated ranges stay readable). One above U+FFFF is two UTF-16 units, grouped so a following
        // repeat applies to both; inside brackets it cannot be a single member.
        private void AppendLiteral(int c, bool inClass)
        {
            if (c > MaxBmp)
            {
                if (inClass)
                {
                    throw NotSupported($"a character above U+FFFF inside a character class ({Describe(c)})");
                }

                _out.Append("(?:").Append(char.ConvertFromUtf32(c)).Append(')');
                return;
            }

            var ch = (char)c;
            if (char.IsControl(ch) || char.IsWhiteSpace(ch) || char.IsSurrogate(ch) || (inClass && !char.IsAscii(ch)))
            {
                _out.Append(CultureInfo.InvariantCulture, $@"\u{c:X4}");
            }
            else if (inClass ? ch is '\\' or ']' or '[' or '^' or '-' : ch is '\\' or '*' or '+' or '?' or '|' or '{' or '}' or '[' or ']' or '(' or ')' or '^' or '$' or '.' or '#')
            {
                _out.Append('\\').Append(ch);
            }
            else
            {
                _out.Append(ch);
            }
        }

        private static string Describe(int c) => $"U+{c:X4}";

        private void OpenGroup()
        {
            if (_i + 1 >= pattern.Length || pattern[_i + 1] != '?')
            {
                _unnamedAfterNamed |= _namedOpeners.Count > 0;
                _scopes.Push((_foldCase, _multiLine));
                _out.Append('(');
                _i++;
                return;
            }

            var rest = pattern.AsSpan(_i + 2);
            if (rest.StartsWith("P<", StringComparison.Ordinal) || (rest.StartsWith("<", StringComparison.Ordinal) && !rest.StartsWith("<=", StringComparison.Ordinal) && !rest.StartsWith("<!", StringComparison.Ordinal)))
            {
                NamedGroup();
            }
            else if (!rest.IsEmpty && rest[0] is 'i' or 'm' or 's' or 'U' or '-' or ':' or ')')
            {
                FlagGroup();
            }
            else
            {
                // Lookaround (?= (?! (?<= (?<!, atomic (?>, comments (?#, conditionals (?(, (?'name') and the .NET
                // flags n and x: none is RE2.
                throw Invalid("invalid or unsupported Perl syntax", pattern.Substring(_i, Math.Min(pattern.Length - _i, rest.StartsWith("<", StringComparison.Ordinal) ? 4 : 3)));
            }
        }

        // RE2: (?P<name>re) and (?<name>re), the name being ASCII letters, digits and '_', used once.
        private void NamedGroup()
        {
            var nameStart = _i + (pattern[_i + 2] == 'P' ? 4 : 3);
            var close = pattern.IndexOf('>', nameStart);
            if (close < 0)
            {
                throw Invalid("invalid named capture", pattern[_i..]);
            }

            var name = pattern[nameStart..close];
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw Invalid("invalid named capture", pattern[_i..(close + 1)]);
            }

            if (!_names.Add(name))
            {
                throw Invalid("duplicate capture group name", name);
            }

            if (char.IsAsciiDigit(name[0]))
            {
                // .NET reads a leading digit as a group number.
                throw NotSupported($"a capture group name starting with a digit ({name})");
            }

            _namedOpeners.Add((_out.Length, name.Length + 4));
            _out.Append("(?<").Append(name).Append('>');
            _scopes.Push((_foldCase, _multiLine));
            _i = close + 1;
        }

        // RE2 flags: (?flags) for the rest of the group, (?flags:re) for re; flags are i, m, s and U, with one '-'
        // before those cleared. i, m and s mean the same in .NET; U (ungreedy) has no .NET equivalent.
        private void FlagGroup()
        {
            var start = _i;
            var set = new StringBuilder();
            var cleared = new StringBuilder();
            var foldCase = _foldCase;
            var multiLine = _multiLine;
            var clearing = false;
            var sawFlag = false;
            for (var j = _i + 2; j < pattern.Length; j++)
            {
                var c = pattern[j];
                switch (c)
                {
                    case 'U' when !clearing:
                        throw NotSupported("the ungreedy flag (?U)");
                    case 'U':
                        // Clearing U, which is never set, changes nothing.
                        sawFlag = true;
                        continue;
                    case 'i' or 'm' or 's':
                        (clearing ? cleared : set).Append(c);
                        foldCase = c == 'i' ? !clearing : foldCase;
                        multiLine = c == 'm' ? !clearing : multiLine;
                        sawFlag = true;
                        continue;
                    case '-' when !clearing:
                        clearing = true;
                        sawFlag = false;
                        continue;
                    case ':' or ')' when !clearing || sawFlag:
                        var flags = cleared.Length > 0 ? $"{set}-{cleared}" : set.ToString();
                        if (c == ':')
                        {
                            _scopes.Push((_foldCase, _multiLine));
                            _out.Append("(?").Append(flags).Append(':');
                        }
                        else if (flags.Length > 0)
                        {
                            _out.Append("(?").Append(flags).Append(')');
                        }

                        (_foldCase, _multiLine) = (foldCase, multiLine);
                        _i = j + 1;
                        return;
                    default:
                        throw Invalid("invalid or unsupported Perl syntax", pattern[start..(j + 1)]);
                }
            }

            throw Invalid("missing closing )", pattern[start..]);
        }

        private void CloseGroup()
        {
            if (!_scopes.TryPop(out var outer))
            {
                throw Invalid("unexpected )", pattern);
            }

            (_foldCase, _multiLine) = outer;
            _out.Append(')');
            _i++;
        }

        // RE2 numbers named and unnamed groups left to right; .NET numbers named groups after all unnamed ones. Route
        // rewrites refer to groups by number (\1), so when a named group precedes an unnamed one the names go.
        private void DropGroupNames()
        {
            for (var k = _namedOpeners.Count - 1; k >= 0; k--)
            {
                var (start, length) = _namedOpeners[k];
                _out.Remove(start, length).Insert(start, '(');
            }
        }

        // The set with each ASCII letter's other case added, and the non-ASCII letters RE2 folds to k and s (the
        // Kelvin sign and the long s).
        private static Range[] FoldAscii(IReadOnlyList<Range> set)
        {
            var folded = new List<Range>(set);
            for (var c = 'a'; c <= 'z'; c++)
            {
                var upper = char.ToUpperInvariant(c);
                if (Contains(set, c) || Contains(set, upper))
                {
                    folded.Add(new(c, c));
                    folded.Add(new(upper, upper));
                    if (c == 'k')
                    {
                        folded.Add(new(0x212A, 0x212A));
                    }
                    else if (c == 's')
                    {
                        folded.Add(new(0x017F, 0x017F));
                    }
                }
            }

            return [.. folded];
        }

        private static bool Contains(IReadOnlyList<Range> set, int c) => set.Any(r => r.Lo <= c && c <= r.Hi);

        /// <summary>The characters up to U+FFFF not in <paramref name="set"/>, as sorted ranges.</summary>
        private static List<Range> Complement(IReadOnlyList<Range> set)
        {
            var complement = new List<Range>();
            var next = 0;
            foreach (var range in set.OrderBy(r => r.Lo))
            {
                if (range.Lo > next)
                {
                    complement.Add(new(next, range.Lo - 1));
                }

                next = Math.Max(next, range.Hi + 1);
            }

            if (next <= MaxBmp)
            {
                complement.Add(new(next, MaxBmp));
            }

            return complement;
        }
    }
}
