using System.Text.RegularExpressions;
using Sidecar.Model;

namespace Sidecar.Model.Tests;

/// <summary>
/// RE2 patterns (https://github.com/google/re2/wiki/Syntax, as Go's regexp/syntax parses them for Istio) keep their
/// RE2 meaning once translated for .NET, and what Go rejects is refused with the construct named.
/// </summary>
public sealed class Re2SyntaxTests
{
    private static Regex Compile(string re2, RegexOptions extra = RegexOptions.None)
    {
        var translated = Re2Syntax.ToDotNet(re2, out var error, ignoreCase: extra.HasFlag(RegexOptions.IgnoreCase));
        Assert.True(translated is not null, $"'{re2}' was refused: {error}");
        return new Regex($"^(?:{translated})$", ProxyConfigValidator.Re2Options | extra);
    }

    private static string Refusal(string re2)
    {
        Assert.Null(Re2Syntax.ToDotNet(re2, out var error));
        return error!;
    }

    // RE2: "[[:alpha:]] alphabetic (== [A-Za-z])" and the other ASCII POSIX classes, inside brackets only.
    [Theory]
    [InlineData("[[:alpha:]]+", "abcXYZ", "a1")]
    [InlineData("[[:digit:]]+", "0123", "a")]
    [InlineData("[[:alnum:]]+", "a1Z9", "a-")]
    [InlineData("[[:upper:]]+", "ABC", "aBC")]
    [InlineData("[[:lower:]]+", "abc", "abC")]
    [InlineData("[[:space:]]+", " \t\n\v\f\r", "\u00a0")]
    [InlineData("[[:punct:]]+", "!/:@[`{~", "a")]
    [InlineData("[[:xdigit:]]+", "09afAF", "g")]
    [InlineData("[[:word:]]+", "a_1", "-")]
    [InlineData("[[:blank:]]+", " \t", "\n")]
    [InlineData("[[:cntrl:]]+", "\u0001\u007f", " ")]
    [InlineData("[[:print:]]+", " a~", "\u0001")]
    [InlineData("[[:graph:]]+", "a~!", " ")]
    [InlineData("[[:ascii:]]+", "\u0000a\u007f", "é")]
    [InlineData("[x[:digit:]]+", "x1x", "y")]
    [InlineData("[^[:alpha:]]+", "12-", "1a")]
    public void Posix_classes_match_their_ascii_sets(string pattern, string matching, string notMatching)
    {
        var regex = Compile(pattern);
        Assert.Matches(regex, matching);
        Assert.DoesNotMatch(regex, notMatching);
    }

    // RE2: "[[:^alpha:]] not alphabetic", which joins a union with the other members of its brackets.
    [Fact]
    public void A_negated_posix_class_matches_everything_outside_its_set_and_joins_a_union()
    {
        var regex = Compile("[[:^alpha:]x]+");
        Assert.Matches(regex, "1-x é");
        Assert.DoesNotMatch(regex, "a");
        Assert.DoesNotMatch(regex, "y");
        Assert.DoesNotMatch(Compile("[^[:^digit:]]"), "a");
        Assert.Matches(Compile("[^[:^digit:]]"), "7");
    }

    // RE2 folds a class before negating it, so (?i)[[:^upper:]] excludes the lower case letters too.
    [Fact]
    public void A_negated_posix_class_excludes_every_case_of_its_letters_when_caseless()
    {
        var regex = Compile("(?i)[[:^upper:]]");
        Assert.DoesNotMatch(regex, "a");
        Assert.DoesNotMatch(regex, "A");
        Assert.Matches(regex, "1");
        Assert.DoesNotMatch(Compile("[[:^alpha:]]", RegexOptions.IgnoreCase), "k");
        Assert.DoesNotMatch(Compile("[\\W]", RegexOptions.IgnoreCase), "\u212a");
    }

    [Fact]
    public void An_unknown_posix_class_is_refused_and_a_bracket_without_its_colon_is_a_literal()
    {
        Assert.Contains("[:alfa:]", Refusal("[[:alfa:]]"), StringComparison.Ordinal);
        Assert.Matches(Compile("[[:a]+"), "[:a");
    }

    // RE2: "\d digits (== [0-9])", "\s whitespace (== [\t\n\f\r ])", "\w word characters (== [0-9A-Za-z_])".
    [Theory]
    [InlineData(@"\d", "7", "\u0663")]
    [InlineData(@"\w", "_", "é")]
    [InlineData(@"\s", "\f", "\u00a0")]
    [InlineData(@"\s", " ", "\v")]
    [InlineData(@"[\d]", "7", "\u0663")]
    [InlineData(@"[a\w]", "Z", "é")]
    [InlineData(@"\D", "\u0663", "7")]
    [InlineData(@"\W", "é", "a")]
    [InlineData(@"\S", "\u00a0", " ")]
    [InlineData(@"[x\D]", "\u0663", "7")]
    [InlineData(@"[\W]", "é", "_")]
    [InlineData(@"[^\S]", "\t", "\u00a0")]
    public void Perl_classes_are_ascii_only(string pattern, string matching, string notMatching)
    {
        var regex = Compile(pattern);
        Assert.Matches(regex, matching);
        Assert.DoesNotMatch(regex, notMatching);
    }

    // RE2: "(?P<name>re) named & numbered capturing group (submatch)", and "(?<name>re)" likewise.
    [Fact]
    public void A_python_style_named_group_compiles_and_captures_by_name()
    {
        var match = Compile("/api/(?P<v>v[0-9]+)/.*").Match("/api/v12/users");
        Assert.True(match.Success);
        Assert.Equal("v12", match.Groups["v"].Value);
        Assert.Equal("v12", Compile("(?<v>v[0-9]+)").Match("v12").Groups["v"].Value);
    }

    // RE2 numbers groups left to right whether named or not; rewrites refer to them by number.
    [Fact]
    public void Groups_keep_their_re2_numbers_when_a_named_group_precedes_an_unnamed_one()
    {
        var match = Compile("(?P<a>x)(y)").Match("xy");
        Assert.Equal("x", match.Groups[1].Value);
        Assert.Equal("y", match.Groups[2].Value);
    }

    [Theory]
    [InlineData("(?P<a>x)(?P<a>y)", "duplicate capture group name: a")]
    [InlineData("(?P<>x)", "invalid named capture: (?P<>")]
    [InlineData("(?P<a-b>x)", "invalid named capture: (?P<a-b>")]
    public void Bad_group_names_are_refused(string pattern, string error) => Assert.Equal(error, Refusal(pattern));

    // RE2: "\pN Unicode character class (one-letter name)", "\p{Greek} Unicode character class", "\PN", "\p{^Greek}".
    [Theory]
    [InlineData(@"\pL", "é", "1")]
    [InlineData(@"\PL", "1", "é")]
    [InlineData(@"\pN", "\u0663", "a")]
    [InlineData(@"\p{Lu}", "É", "é")]
    [InlineData(@"\p{Greek}+", "αβγ", "a")]
    [InlineData(@"\p{^Greek}", "a", "α")]
    [InlineData(@"\P{Greek}", "a", "α")]
    [InlineData(@"[\p{Greek}\d]+", "α1", "a")]
    [InlineData(@"[^\p{Greek}]", "a", "α")]
    [InlineData(@"[x\P{Greek}]", "a", "α")]
    [InlineData(@"\p{Han}+", "中文", "a")]
    [InlineData(@"\p{Latin}+", "aéZ", "1")]
    [InlineData(@"\p{Cyrillic}+", "привет", "a")]
    [InlineData(@"\p{Hiragana}", "あ", "ア")]
    [InlineData(@"\p{Katakana}", "ア", "あ")]
    [InlineData(@"\p{Hangul}", "한", "a")]
    [InlineData(@"\pC", "\u0001", "a")]
    [InlineData(@"\p{Any}", "é", "ab")]
    public void Unicode_classes_and_scripts_match_their_characters(string pattern, string matching, string notMatching)
    {
        var regex = Compile(pattern);
        Assert.Matches(regex, matching);
        Assert.DoesNotMatch(regex, notMatching);
    }

    // RE2's C is Cc|Cf|Co|Cs: an unassigned code point is not in it.
    [Fact]
    public void Re2s_other_category_leaves_out_unassigned_code_points()
    {
        Assert.DoesNotMatch(Compile(@"\pC"), "\u0378");
        Assert.Matches(Compile(@"\PC"), "\u0378");
        Assert.Matches(Compile(@"[x\PC]"), "\u0378");
    }

    [Fact]
    public void A_script_this_proxy_does_not_know_is_refused_by_name()
    {
        Assert.StartsWith(@"unsupported Unicode class: \p{Thaana}", Refusal(@"\p{Thaana}"), StringComparison.Ordinal);
        Assert.StartsWith(@"unsupported Unicode class: \p{IsGreek}", Refusal(@"\p{IsGreek}"), StringComparison.Ordinal);
    }

    // RE2: "\Q...\E literal text ... even if ... has punctuation".
    [Fact]
    public void Quoted_text_is_literal()
    {
        var regex = Compile(@"\Q/a.b\E");
        Assert.Matches(regex, "/a.b");
        Assert.DoesNotMatch(regex, "/axb");
        Assert.Matches(Compile(@"\Q(a+)[b]"), "(a+)[b]");
        Assert.Matches(Compile(@"\Qab\E+"), "abbb");
    }

    // RE2: "\x{10FFFF} hex character code", "\x7F hex character code", "\123 octal character code".
    [Fact]
    public void Hex_and_octal_escapes_are_characters()
    {
        Assert.Matches(Compile(@"\x{4e00}"), "一");
        Assert.Matches(Compile(@"\x41\x{42}"), "AB");
        Assert.Matches(Compile(@"[\x{4e00}-\x{9fff}]+"), "一中");
        Assert.Matches(Compile(@"\x{1F600}+"), "😀😀");
        Assert.Matches(Compile(@"\101\0"), "A\0");
        Assert.Contains("U+1F600", Refusal(@"[\x{1F600}]"), StringComparison.Ordinal);
    }

    // RE2: "$ at end of text (like \z not \Z) or line (flag m=true)".
    [Fact]
    public void A_dollar_is_the_end_of_the_text_unless_multiline()
    {
        Assert.DoesNotMatch(new Regex(Re2Syntax.ToDotNet("a$", out _)!, ProxyConfigValidator.Re2Options), "a\n");
        Assert.Matches(new Regex(Re2Syntax.ToDotNet("(?m)a$", out _)!, ProxyConfigValidator.Re2Options), "a\nb");
        Assert.DoesNotMatch(new Regex(Re2Syntax.ToDotNet("(?m:x)a$", out _)!, ProxyConfigValidator.Re2Options), "xa\nb");
    }

    // RE2: flags i, m, s, and (?flags:re); "(?U)" ungreedy has no .NET equivalent.
    [Fact]
    public void Case_and_line_flags_pass_through()
    {
        Assert.Matches(Compile("(?i)abc"), "ABC");
        Assert.Matches(Compile("(?i:a)b"), "Ab");
        Assert.DoesNotMatch(Compile("(?i:a)b"), "AB");
        Assert.Matches(Compile("(?s)a.b"), "a\nb");
        Assert.Matches(Compile("(?i-s)a.b"), "AxB");
        Assert.Equal("(?i)abc", Re2Syntax.ToDotNet("(?i)abc", out _));
    }

    // Go's regexp.Compile rejects these (Istio's validation with it), though .NET would accept most of them.
    [Theory]
    [InlineData(@"a\Z", @"invalid escape sequence: \Z")]
    [InlineData(@"\Ga", @"invalid escape sequence: \G")]
    [InlineData(@"a\C", @"invalid escape sequence: \C")]
    [InlineData(@"\e", @"invalid escape sequence: \e")]
    [InlineData(@"\cA", @"invalid escape sequence: \c")]
    [InlineData(@"\u0041", @"invalid escape sequence: \u")]
    [InlineData(@"(a)\1", @"invalid escape sequence: \1")]
    [InlineData(@"[\b]", @"invalid escape sequence: \b")]
    [InlineData(@"\é", @"invalid escape sequence: \é")]
    [InlineData("a{1001}", "invalid repeat count: {1001}")]
    [InlineData("a{2,1001}", "invalid repeat count: {2,1001}")]
    [InlineData("a{3,2}", "invalid repeat count: {3,2}")]
    [InlineData("a++", "invalid nested repetition operator: ++")]
    [InlineData("a**", "invalid nested repetition operator: **")]
    [InlineData("a{2}{3}", "invalid nested repetition operator: {2}{3}")]
    [InlineData("(?>a)", "invalid or unsupported Perl syntax: (?>")]
    [InlineData("(?#note)a", "invalid or unsupported Perl syntax: (?#")]
    [InlineData("(?(a)b|c)", "invalid or unsupported Perl syntax: (?(")]
    [InlineData("(?=a)", "invalid or unsupported Perl syntax: (?=")]
    [InlineData("(?<!a)b", "invalid or unsupported Perl syntax: (?<!")]
    [InlineData("(?x)a", "invalid or unsupported Perl syntax: (?x")]
    [InlineData("[z-a]", "invalid character class range: z-a")]
    [InlineData("[a", "missing closing ]: [a")]
    [InlineData("(?U)a", "the ungreedy flag (?U) is not supported by this proxy")]
    public void Constructs_go_rejects_are_refused_by_name(string pattern, string error) => Assert.Equal(error, Refusal(pattern));

    // RE2: "x{n,m}" needs n (no leading zeros) and "x{" otherwise is literal text.
    [Fact]
    public void Braces_that_are_not_a_repeat_are_literal()
    {
        Assert.Matches(Compile("a{01}"), "a{01}");
        Assert.Matches(Compile("a{,2}"), "a{,2}");
        Assert.Matches(Compile("a{2}b{1,}c{0,1000}?"), "aabbc");
    }

    [Fact]
    public void Lazy_repeats_and_escaped_punctuation_stay_valid()
    {
        Assert.Matches(Compile(@"a*?b+?c??\.\/\-"), "aabc./-");
        Assert.Matches(Compile(@"[]a]+"), "]a");
        Assert.Matches(Compile(@"[a-]+"), "a-");
        Assert.Matches(Compile(@"[a-c-e]+"), "b-e");
        Assert.Matches(Compile(@"a#b c"), "a#b c");
    }

    [Fact]
    public void The_validator_reports_translation_errors_with_the_pattern()
    {
        Assert.Equal(@"invalid regular expression 'a\Z': invalid escape sequence: \Z", ProxyConfigValidator.CheckRegex(@"a\Z"));
        Assert.Null(ProxyConfigValidator.CheckRegex(@"^/api/(?P<v>v\d+)/[[:alpha:]]+$"));
    }
}
