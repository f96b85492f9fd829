package gene

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readCase is one text and what it reads as, rendered by show.
type readCase struct {
	name, in, want string
}

func runReadCases(t *testing.T, o ReadOptions, cases []readCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseWith([]byte(tc.in), o)
			require.NoError(t, err, "input %q", tc.in)
			assert.Equal(t, tc.want, show(v), "input %q", tc.in)
		})
	}
}

func TestReadScalars(t *testing.T) {
	runReadCases(t, ReadOptions{}, []readCase{
		{"nil", "nil", "nil"},
		{"void", "void", "void"},
		{"true", "true", "true"},
		{"false", " false ", "false"},
		{"zero", "0", "0"},
		{"negative", "-17", "-17"},
		{"leading zeros", "007", "7"},
		{"int64 max", "9223372036854775807", "9223372036854775807"},
		{"int64 min", "-9223372036854775808", "-9223372036854775808"},
		{"past int64", "9223372036854775808", "9223372036854775808"},
		{"big", "123456789012345678901234567890", "123456789012345678901234567890"},
		{"big negative", "-123456789012345678901234567890", "-123456789012345678901234567890"},
		{"hex", "0xff", "255"},
		{"hex negative upper", "-0x1F", "-31"},
		{"hex big", "0x123456789abcdef0123", "5373003642731685151011"},
		{"digits then letters", "12ab", "12ab"},
		{"bad hex", "0x1g", "0x1g"},
		{"bare 0x", "0x", "0x"},
		{"plus sign is a symbol", "+5", "+5"},
		{"float", "3.25", "3.25"},
		{"negative float", "-0.5", "-0.5"},
		{"exponent", "6.02e23", "6.02e+23"},
		{"exponent no fraction", "1e3", "1000.0"},
		{"negative exponent", "2.5E-3", "0.0025"},
		{"float keeps point", "1.0", "1.0"},
		{"trailing point is a symbol", "1.", "1."},
		{"exponent without digits", "1e", "1e"},
		{"inf", "inf", "inf"},
		{"-inf", "-inf", "-inf"},
		{"nan", "nan", "nan"},
		{"string", `"hello"`, `"hello"`},
		{"empty string", `""`, `""`},
		{"escapes", `"a\tb\nc\rd\0e\\f\"g\'h"`, `"a\tb\nc\rd\x00e\\f\"g'h"`},
		{"unicode 4", `"\u00e9\u00E9"`, `"éé"`},
		{"unicode braces", `"\u{1F600}\u{41}"`, `"😀A"`},
		{"surrogate pair", `"\uD83D\uDE00"`, `"😀"`},
		{"raw utf8", `"héllo ☃"`, `"héllo ☃"`},
		{"raw newline", "\"a\nb\"", `"a\nb"`},
		{"triple", `"""He said "hi" """`, `"He said \"hi\" "`},
		{"triple empty", `""""""`, `""`},
		{"triple escapes", `"""a\tb"""`, `"a\tb"`},
		{"char", "'a'", "'a'"},
		{"char escape", `'\n'`, `'\n'`},
		{"char quote", `'\''`, `'\''`},
		{"char backslash", `'\\'`, `'\\'`},
		{"char unicode", `'\u{1F600}'`, `'😀'`},
		{"char u4", `'\u00e9'`, `'é'`},
		{"char utf8", "'é'", "'é'"},
		{"char double quote", `'"'`, `'"'`},
		{"symbol", "abc", "abc"},
		{"symbol bang", "set!", "set!"},
		{"plus", "+", "+"},
		{"le", "<=", "<="},
		{"slash", "/", "/"},
		{"double slash", "//", "//"},
		{"dotted", "a.b", "a.b"},
		{"tilde", "~x", "~x"},
		{"spaced tilde", "~", "~"},
		{"colon", ":", ":"},
		{"minus", "-", "-"},
		{"underscore", "_", "_"},
		{"ellipsis alone", "...", "..."},
		{"caret alone", "^", "^"},
		{"at alone", "@", "@"},
		{"dollar alone", "$", "$"},
		{"percent alone", "%", "%"},
		{"unicode symbol", "naïve", "naïve"},
		{"bytes hex", "#B16#48656c6C6f", "#B16#48656c6c6f"},
		{"bytes base64", "#B64#SGVsbG8=", "#B16#48656c6c6f"},
		{"bytes base64 unpadded", "#B64#SGVsbG8", "#B16#48656c6c6f"},
		{"bytes bits", "#B#0100100001101001", "#B16#4869"},
		{"bytes split", "#B16#4865~\n    6c~ 6c6f", "#B16#48656c6c6f"},
		{"bytes empty", "#B16#", "#B16#"},
		{"regex", `#"[a-z]+\d"i`, `#"[a-z]+\d"i`},
		{"regex escaped quote", `#"a\"b"`, `#"a\"b"`},
		{"regex flags", `#"x"imsx`, `#"x"imsx`},
		{"regex triple", `#"""a "quoted" part"""`, `#"a "quoted" part"`},
		{"date", "2026-11-24", "date(2026,11,24)"},
		{"leap day", "2024-02-29", "date(2024,2,29)"},
		{"time", "09:30", "time(9,30,0,0)"},
		{"time seconds", "23:59:59", "time(23,59,59,0)"},
		{"time fraction", "09:30:15.25+01:00", "time(9,30,15,250000 60)"},
		{"time micro", "00:00:00.000001Z", "time(0,0,0,1 0)"},
		{"time negative offset", "09:30-05:30", "time(9,30,0,0 -330)"},
		{"time zone", "09:30[Europe/Paris]", "time(9,30,0,0 [Europe/Paris])"},
		{"time offset zone", "09:30+01:00[Europe/Paris]", "time(9,30,0,0 60 [Europe/Paris])"},
		{"datetime", "2026-11-24T09:30:00Z", "datetime(2026,11,24,9,30,0,0 0)"},
		{"datetime local", "2026-11-24T09:30", "datetime(2026,11,24,9,30,0,0)"},
		{"datetime zone", "2026-11-24T09:30:00+01:00[Europe/Paris]", "datetime(2026,11,24,9,30,0,0 60 [Europe/Paris])"},
		{"not a time", "12:3", "12:3"},
		{"not a date", "2026-1-1", "2026-1-1"},
		{"date then junk is a symbol", "2026-11-24x", "2026-11-24x"},
	})
}

func TestReadContainers(t *testing.T) {
	runReadCases(t, ReadOptions{}, []readCase{
		{"list", `[1 "two" three]`, `[1 "two" three]`},
		{"empty list", "[]", "[]"},
		{"list commas are symbols", "[1, 2 ,3,]", "[1 , 2 , 3 ,]"},
		{"node commas are space", "(f 1, 2 ,3,)", "(f 1 2 3)"},
		{"prop map commas are space", "{^a 1, ^b 2,}", "{^a 1 ^b 2}"},
		{"list sigils stand apart", "[^a ^^b @c @@d ^ ^^ ^^^e]", "[^ a ^^ b @ c @@ d ^ ^^ ^^ ^ e]"},
		{"list sigil before a form", `[^(a) @"s" ^[1]]`, `[^ (a) @ "s" ^ [1]]`},
		{"list inside node keeps tokens", "(f [a, ^b] ^c 1)", "(f ^c 1 [a , ^ b])"},
		{"nested", "[[1] [[2]] []]", "[[1] [[2]] []]"},
		{"void stays in a list", "[void nil]", "[void nil]"},
		{"props", `{^name "Ada" ^age 36}`, `{^name "Ada" ^age 36}`},
		{"flag", "{^^admin}", "{^admin true}"},
		{"empty props", "{}", "{}"},
		{"void dropped", "{^a void ^b 1}", "{^b 1}"},
		{"void alone", "{^a void}", "{}"},
		{"prop values any form", "{^a [1] ^b {^c (d)}}", "{^a [1] ^b {^c (d)}}"},
		{"prop key with slash", "{^a/b 1}", "{^a/b 1}"},
		{"general map", `{{"k" : 1  2 : [x]}}`, `{{"k" : 1 2 : [x]}}`},
		{"general map empty", "{{}}", "{{}}"},
		{"general map commas", "{{a : 1, b : 2}}", "{{a : 1 b : 2}}"},
		{"general map void", "{{1 : void 2 : b}}", "{{2 : b}}"},
		{"general map nested close", "{{k : {^a 1}}}", "{{k : {^a 1}}}"},
		{"general map colon key", "{{: : 1}}", "{{: : 1}}"},
		{"general map structural keys", "{{[1 2] : x {^a 1} : y}}", "{{[1 2] : x {^a 1} : y}}"},
		{"int and float keys differ", "{{1 : a 1.0 : b}}", "{{1 : a 1.0 : b}}"},
		{"node", "(point ^x 1 ^y 2 @doc \"origin\" child1 child2)", "(point @doc \"origin\" ^x 1 ^y 2 child1 child2)"},
		{"node flags", "(f ^^p @@m)", "(f @m true ^p true)"},
		{"empty node", "()", "(|)"},
		{"headless props", "(^a 1)", "(| ^a 1)"},
		{"props before head", "(^a 1 h x)", "(h ^a 1 x)"},
		{"node void prop", "(f ^a void ^b 2)", "(f ^b 2)"},
		{"node head any value", "([1] 2)", "([1] 2)"},
		{"node nil head", "(nil)", "(nil)"},
		{"node bare sigils", "(@ {^line l} (x ^name n))", "(@ {^line l} (x ^name n))"},
		{"node caret symbols", "(^ ^^ @@)", "(^ ^^ @@)"},
		{"message send", "(x ~ f a)", "(x ~ f a)"},
		{"immutable list", "#[1 2]", "#[1 2]"},
		{"immutable props", "#{^a 1}", "#{^a 1}"},
		{"immutable node", "#(h ^p 1 x)", "#(h ^p 1 x)"},
		{"immutable inside", "[#[] #{}]", "[#[] #{}]"},
		{"deep", strings.Repeat("[", 100) + strings.Repeat("]", 100), strings.Repeat("[", 100) + strings.Repeat("]", 100)},
	})
}

func TestReadComments(t *testing.T) {
	runReadCases(t, ReadOptions{}, []readCase{
		{"line", "# hello\n42", "42"},
		{"line tab", "#\thello\n42", "42"},
		{"shebang", "#!/usr/bin/env gene\n(a b)", "(a b)"},
		{"empty comment line", "#\n1", "1"},
		{"trailing comment at end", "1 #", "1"},
		{"block", "#< block ># (a b)", "(a b)"},
		{"nested block", "#< a #< b ># c ># 1", "1"},
		{"block inside", "[1 #< two ># 3]", "[1 3]"},
		{"discard", "(a #_ b c)", "(a c)"},
		{"discard last", "(a b #_ c)", "(a b)"},
		{"discard stacked", "[#_ #_ a b c]", "[c]"},
		{"discard container", "[#_ (x [y]) 1]", "[1]"},
		{"discard before top value", "#_ (a) (b)", "(b)"},
		{"discard prop value position", "(f ^a #_ 1 2)", "(f ^a 2)"},
		{"comment in map", "{^a # c\n 1}", "{^a 1}"},
		{"hash in string is text", `"# not a comment"`, `"# not a comment"`},
	})
}

func TestReadShorthands(t *testing.T) {
	runReadCases(t, ReadOptions{}, []readCase{
		{"quasiquote", "`x", "(quasiquote x)"},
		{"quasiquote node", "`(div %name)", "(quasiquote (div (unquote name)))"},
		{"unquote", "%x", "(unquote x)"},
		{"unquote form", "%(label self)", "(unquote (label self))"},
		{"unquote path", "%self/tag", "(unquote (path self tag))"},
		{"unquote interpolation", `%$"a ${x}"`, `(unquote ($ "a " x))`},
		{"unquote spread", "%xs...", "(unquote (... xs))"},
		{"spread", "x...", "(... x)"},
		{"spread path", "a/b...", "(... (path a b))"},
		{"spread node", "(f x)...", "(... (f x))"},
		{"spread list", "[1]...", "(... [1])"},
		{"spread string", `"s"...`, `(... "s")`},
		{"unquote node spread", "`(div %(children)...)", "(quasiquote (div (unquote (... (children)))))"},
		{"dots are not spread", "[(a)..]", "[(a) ..]"},
		{"interpolation", `$"sum ${n} of $(f x)"`, `($ "sum " n " of " (f x))`},
		{"interpolation only form", `$"${n}"`, "($ n)"},
		{"interpolation plain", `$"plain"`, `($ "plain")`},
		{"interpolation empty", `$""`, "($)"},
		{"interpolation literal dollar", `$"$${self/price}"`, `($ "$" (path self price))`},
		{"interpolation nested string", `$"a ${(f \"}\")} b"`, `($ "a " (f "}") " b")`},
		{"interpolation nested string triple", `$"""a ${(f "}")} b"""`, `($ "a " (f "}") " b")`},
		{"interpolation escapes", `$"a\t${x}\n"`, `($ "a\t" x "\n")`},
		{"interpolation triple", `$"""say "${x}" """`, `($ "say \"" x "\" ")`},
		{"interpolation spaced form", `$"${ x }"`, "($ x)"},
		{"pipe", "(a; b c; d)", "(((a) b c) d)"},
		{"pipe two", "(a; b)", "((a) b)"},
		{"pipe first segment kept", "(xs filter p; map f)", "((xs filter p) map f)"},
		{"pipe sends", "(xs ~ filter; ~ map f; ~ take 10)", "(((xs ~ filter) ~ map f) ~ take 10)"},
		{"pipe slot", "(x; f _ y)", "(f (x) y)"},
		{"pipe slot head", "(x; _ y)", "((x) y)"},
		{"pipe slot node", "(x; parse; (or _ default))", "(or ((x) parse) default)"},
		{"pipe slot prop", "(x; f ^in _)", "(f ^in (x))"},
		{"pipe props", "(a; b ^k 1)", "((a) ^k 1 b)"},
		{"pipe nested slot untouched", "(x; f [_])", "((x) f [_])"},
		{"pipe immutable", "#(a; b)", "#((a) b)"},
		{"select", "/user/name", "(select user name)"},
		{"select index", "/users/0/name", "(select users 0 name)"},
		{"select unquote", "/user/%field", "(select user (unquote field))"},
		{"path", "user/name", "(path user name)"},
		{"path segments", "users/-1/%i/~size", "(path users -1 (unquote i) ~size)"},
		{"path collapse", "a//b", "(path a b)"},
		{"path in node", "(import net/http)", "(import (path net http))"},
		{"root", "$parse", "(path gene parse)"},
		{"root path", "$net/http", "(path gene net http)"},
		{"ref", "#Ref name 42", "(#Ref name 42)"},
		{"deref", "#Deref name", "(#Deref name)"},
		{"ref in list", "[#Ref a (x) #Deref a]", "[(#Ref a (x)) (#Deref a)]"},
	})
}

func TestReadLenient(t *testing.T) {
	runReadCases(t, ReadOptions{Lenient: true}, []readCase{
		{"hash symbol", "#a", "#a"},
		{"hash comment", "## old comment\n1", "1"},
		{"nested keys", "{^a^b 1}", "{^a {^b 1}}"},
		{"nested keys deep", "(f ^a^b^c 1)", "(f ^a {^b {^c 1}})"},
		{"bang false", "{^!k}", "{^k false}"},
		{"slash regex", "#/a\\/b/i", `#"a\/b"i`},
		{"map without colons", "{{a 1 b 2}}", "{{a : 1 b : 2}}"},
		{"map with colons", "{{a : 1}}", "{{a : 1}}"},
		{"prop colon", "{^a : 1}", "{^a 1}"},
		{"strict forms still read", "(a ^b 1 [c])", "(a ^b 1 [c])"},
	})
}

func TestReadValuesDirectly(t *testing.T) {
	// Checks the value model directly where show could hide a difference.
	v := MustParse("123456789012345678901234567890")
	require.True(t, v.IsBig())
	want, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	require.Zero(t, want.Cmp(v.BigInt()))

	f, ok := MustParse("-0.0").AsFloat()
	require.True(t, ok)
	require.True(t, math.Signbit(f))

	n := MustParse("()").Node()
	require.False(t, n.HasHead)
	require.Equal(t, KindNil, n.Head.Kind())
	n = MustParse("(nil)").Node()
	require.True(t, n.HasHead)

	l := MustParse("[1 2 3]").List()
	require.Equal(t, len(l), cap(l), "carved slices must copy on append")

	r, _ := MustParse(`'\u{10FFFF}'`).AsChar()
	require.Equal(t, rune(0x10FFFF), r)

	tm, ok := MustParse("2026-11-24T09:30:15.5-08:00").Temporal()
	require.True(t, ok)
	require.Equal(t, Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, Second: 15, Micro: 500000, HasOffset: true, Offset: -480}, tm)
}

func TestParseAll(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"only space", " \n\t, ", nil},
		{"only comments", "# a\n#< b >#", nil},
		{"discard only", "#_ (a)", nil},
		{"three", "1 2 3", []string{"1", "2", "3"}},
		{"two forms", "(a b) (c d)", []string{"(a b)", "(c d)"}},
		{"comments between", "(a b) # comment\n(c d)", []string{"(a b)", "(c d)"}},
		{"glued", `(a)[b]"c"`, []string{"(a)", "[b]", `"c"`}},
		{"stacked discard", "#_ #_ a b c", []string{"c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := ParseAll([]byte(tt.in), ReadOptions{})
			require.NoError(t, err)
			var got []string
			for _, v := range vs {
				got = append(got, show(v))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseExactlyOne(t *testing.T) {
	_, err := Parse([]byte("1 2"))
	require.ErrorIs(t, err, ErrSyntax)
	require.NotErrorIs(t, err, ErrIncomplete)
	require.Contains(t, err.Error(), "exactly one value")

	_, err = Parse([]byte("  # nothing\n"))
	require.ErrorIs(t, err, ErrIncomplete)

	require.Panics(t, func() { MustParse("(") })
}

// errCase is a text that must fail to read: the whole message, its
// position, and whether more input could have completed it.
type errCase struct {
	name       string
	in         string
	msg        string // the full Error() text with Source "t"
	incomplete bool
}

func TestReadErrors(t *testing.T) {
	tests := []errCase{
		// Delimiters.
		{"unclosed node", "(a b", "t:1:5: unexpected end of input while reading '(' opened at 1:1; expected ')'", true},
		{"unclosed list", "[1 2", "t:1:5: unexpected end of input while reading '[' opened at 1:1; expected ']'", true},
		{"unclosed props", "{^a 1", "t:1:6: unexpected end of input while reading '{' opened at 1:1; expected '}'", true},
		{"unclosed map", "{{1 : 2", "t:1:8: unexpected end of input while reading '{{' opened at 1:1; expected '}}'", true},
		{"mismatch", "(a\n [b\n  c)", "t:3:4: unexpected ')' while reading '[' opened at 2:2; expected ']'", false},
		{"mismatch brace", "[1}", "t:1:3: unexpected '}' while reading '[' opened at 1:1; expected ']'", false},
		{"stray paren", ")", "t:1:1: unexpected ')'", false},
		{"stray bracket", "1 ]", "t:1:3: unexpected ']'", false},
		{"stray brace", "}", "t:1:1: unexpected '}'", false},
		{"map single close", "{{1 : 2}", "t:1:8: unexpected '}' while reading '{{' opened at 1:1; expected '}}'", false},
		{"columns count characters", "[\"é☃\" )", "t:1:7: unexpected ')' while reading '[' opened at 1:1; expected ']'", false},
		{"semicolon outside node", "[a; b]", "t:1:3: unexpected ';': pipes are only allowed inside a node", false},
		{"semicolon top", ";", "t:1:1: unexpected ';': pipes are only allowed inside a node", false},
		{"control character", "\x01", "t:1:1: unexpected U+0001", false},
		// Reserved '#'.
		{"reserved letter", "#a", "t:1:1: reserved '#a': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'", false},
		{"reserved digit", "[#1]", "t:1:2: reserved '#1': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'", false},
		{"reserved hash hash", "##", "t:1:1: reserved '##': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'", false},
		{"reserved equals", "#=", "t:1:1: reserved '#=': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'", false},
		{"reserved in symbol", "a#b", "t:1:2: reserved '#b': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'", false},
		{"reserved bytes prefix", "#B32#00", "t:1:1: reserved '#B': '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'", false},
		// Duplicate keys.
		{"duplicate prop", "{^a 1 ^b 2 ^a 3}", "t:1:12: duplicate key '^a': a key may appear once in a prop map or node props", false},
		{"duplicate prop after void", "{^a void ^a 1}", "t:1:10: duplicate key '^a': a key may appear once in a prop map or node props", false},
		{"duplicate prop void", "{^a 1 ^b 2 ^a void}", "t:1:12: duplicate key '^a': a key may appear once in a prop map or node props", false},
		{"duplicate flag", "{^^a ^a 1}", "t:1:6: duplicate key '^a': a key may appear once in a prop map or node props", false},
		{"duplicate node prop", "(x ^a 1\n ^a 2)", "t:2:2: duplicate key '^a': a key may appear once in a prop map or node props", false},
		{"duplicate node meta", "(x @m 1 @m 2)", "t:1:9: duplicate key '@m': a key may appear once in a node meta", false},
		{"duplicate map key", "{{1 : a 2 : b 1 : c}}", "t:1:15: duplicate key 1 in the general map opened at 1:1: a key may appear once", false},
		{"duplicate map void", "{{1 : void 1 : c}}", "t:1:12: duplicate key 1 in the general map opened at 1:1: a key may appear once", false},
		{"duplicate composite key", "{{[1 {^a 2 ^b 3}] : a [1 {^b 3 ^a 2}] : c}}", "t:1:23: duplicate key [1 {^b 3 ^a 2}] in the general map opened at 1:1: a key may appear once", false},
		{"duplicate zero float", "{{0.0 : a -0.0 : c}}", "t:1:11: duplicate key -0.0 in the general map opened at 1:1: a key may appear once", false},
		{"immutable general map", "#{{1 : 2}}", "t:1:1: '#{{' is not supported: general maps have no immutable form", false},
		// Comments.
		{"unterminated block", "#< open", "t:1:8: unexpected end of input in block comment opened at 1:1; expected '>#'", true},
		{"discard at end", "#_", "t:1:3: '#_' at 1:1 has no form to discard", true},
		{"discard before closer", "(a #_)", "t:1:6: '#_' at 1:4 has no form to discard before ')'", false},
		// Strings and chars.
		{"unterminated string", `"abc`, `t:1:5: unexpected end of input in string opened at 1:1; expected '"'`, true},
		{"unterminated triple", `"""abc"`, `t:1:8: unexpected end of input in string opened at 1:1; expected '"""'`, true},
		{"bad escape", `"\q"`, `t:1:2: escape '\q' is not a valid escape; use \n \r \t \0 \\ \" \' \uXXXX or \u{X..X}`, false},
		{"lone high surrogate", `"\uD800"`, `t:1:2: escape '\uD800' is a lone surrogate`, false},
		{"lone low surrogate", `"a\uDC00"`, `t:1:3: escape '\uDC00' is a lone surrogate`, false},
		{"past max rune", `"\u{110000}"`, `t:1:2: escape '\u{110000}' is past U+10FFFF`, false},
		{"too many digits", `"\u{1234567}"`, `t:1:2: escape '\u{1234567' needs 1 to 6 hex digits in braces`, false},
		{"empty braces", `"\u{}"`, `t:1:2: escape '\u{}' needs 1 to 6 hex digits in braces`, false},
		{"short u", `"\u12"`, `t:1:2: escape '\u12' needs exactly 4 hex digits (or \u{X..X})`, false},
		{"upper U escape", `"\U0001F600"`, `t:1:2: escape '\U' is not a valid escape; use \n \r \t \0 \\ \" \' \uXXXX or \u{X..X}`, false},
		{"invalid utf8", "\"a\xffb\"", "t:1:3: invalid UTF-8 in text", false},
		{"char two", "'ab'", "t:1:3: char literal opened at 1:1 holds more than one character; use a string for text", false},
		{"char combining", "'e\u0301'", "t:1:3: char literal opened at 1:1 holds more than one character; use a string for text", false},
		{"char empty", "''", "t:1:1: empty char literal; a char holds exactly one character", false},
		{"char unterminated", "'a", `t:1:3: unexpected end of input in char literal opened at 1:1; expected "'"`, true},
		{"char open", "'", `t:1:2: unexpected end of input in char literal opened at 1:1; expected "'"`, true},
		{"char surrogate", `'\uD800'`, `t:1:2: escape '\uD800' is a lone surrogate`, false},
		{"char newline", "'\n'", "t:1:2: line break in char literal opened at 1:1; write '\\n' or '\\r'", false},
		// Props and maps.
		{"prop without value", "{^a}", "t:1:4: '^a' at 1:2 has no value; found '}' (write '^^a' for true)", false},
		{"prop followed by prop", "(f ^a ^b 1)", "t:1:7: '^a' at 1:4 has no value; found '^b' (write '^^a' for true)", false},
		{"prop at end", "(f ^a", "t:1:6: unexpected end of input; '^a' at 1:4 has no value", true},
		{"prop outside node", "{{^a : 1}}", "t:1:3: unexpected '^a': props ('^') and meta ('@') belong inside a node or prop map", false},
		{"prop at top level", "^a", "t:1:1: unexpected '^a': props ('^') and meta ('@') belong inside a node or prop map", false},
		{"meta in props", "{@a 1}", "t:1:2: unexpected '@' in prop map opened at 1:1; expected '^key' or '}'", false},
		{"value in props", "{1 2}", "t:1:2: unexpected '1' in prop map opened at 1:1; expected '^key' or '}'", false},
		{"missing key", "{^ 1}", "t:1:3: missing key after '^'; found ' '", false},
		{"nested keys strict", "{^a^b 1}", "t:1:2: key 'a^b' contains '^'; nested keys ('^a^b 1') are an older dialect, read leniently", false},
		{"bang strict", "{^!a}", "t:1:2: key '!a' starts with '!'; '^!k' is the older dialect for '^k false', read leniently", false},
		{"map missing colon", "{{1 2}}", "t:1:5: unexpected '2' after the key at 1:3 of a general map entry; expected ':'", false},
		{"map missing value", "{{1 :}}", "t:1:6: unexpected '}' after 'key :' at 1:3; expected a form", false},
		// Numbers, dates and times.
		{"float overflow", "1e400", "t:1:1: float '1e400' is out of range", false},
		{"month", "2026-13-01", "t:1:1: month out of range in date '2026-13-01'", false},
		{"day", "2026-02-29", "t:1:1: day out of range in date '2026-02-29'", false},
		{"hour", "24:00", "t:1:1: hour out of range in time '24:00'", false},
		{"minute", "[12:60]", "t:1:2: minute out of range in time '12:60'", false},
		{"second", "12:00:60", "t:1:1: second out of range in time '12:00:60'", false},
		{"offset", "12:00+24:30", "t:1:1: UTC offset out of range in time '12:00+24:30'", false},
		{"fraction", "12:00:00.1234567", "t:1:1: fraction of a second in '12:00:00.1234567' has more than 6 digits (microseconds)", false},
		{"zone unterminated", "09:30[Europe/Paris", "t:1:19: unexpected end of input in zone name opened at 1:6; expected ']'", true},
		{"zone bad", "09:30[a b]", "t:1:8: unexpected ' ' in zone name opened at 1:6; zone names look like [Europe/Paris]", false},
		{"datetime zone without offset", "2026-11-24T09:30[Europe/Paris]", "t:1:17: a date-time needs a UTC offset (Z or +hh:mm) before its zone name", false},
		// Regex and bytes.
		{"regex flag", `#"a"q`, "t:1:5: unknown regex flag 'q'; flags are i, m, s and x", false},
		{"regex repeated flag", `#"a"ii`, "t:1:6: regex flag 'i' is repeated", false},
		{"regex junk", `#"a"i2`, "t:1:6: unexpected '2' after regex", false},
		{"regex unterminated", `#"abc`, "t:1:6: unexpected end of input in regex opened at 1:1", true},
		{"hex odd", "#B16#abc", "t:1:1: odd number of hex digits in bytes literal", false},
		{"hex bad digit", "#B16#ag", "t:1:7: invalid digit 'g' in #B16# bytes literal", false},
		{"bits length", "#B#0101", "t:1:1: bits literal length is not a multiple of 8", false},
		{"base64 bad padding", "#B64#S=GV", "t:1:1: misplaced '=' padding in base64 bytes literal", false},
		{"tilde without space", "#B16#ab~cd", "t:1:8: '~' in a bytes literal must be followed by whitespace", false},
		// Shorthands.
		{"trailing slash", "a/", "t:1:1: path 'a/' ends with '/'", false},
		{"empty pipe stage", "(a;)", "t:1:4: empty pipe stage before ')'", false},
		{"empty first stage", "(; a)", "t:1:2: empty pipe stage before ';'", false},
		{"two slots", "(x; f _ _)", "t:1:10: pipe stage ending at 1:10 has more than one '_' slot", false},
		{"quasiquote nothing", "(`)", "t:1:3: unexpected ')' after '`' at 1:2; expected a form", false},
		{"quasiquote at end", "`", "t:1:2: unexpected end of input after '`' at 1:1; expected a form", true},
		{"interpolation unterminated", `$"hello ${name"`, `t:1:15: the interpolated string opened at 1:1 ends while reading '${' opened at 1:9; expected '}' (a '"' inside a hole of $"..." is written \")`, false},
		{"interpolation raw quote in hole", `$"${"a"}"`, `t:1:5: the interpolated string opened at 1:1 ends while reading '${' opened at 1:3; expected '}' (a '"' inside a hole of $"..." is written \")`, false},
		{"interpolation escaped hole error", "$\"x\\t$(f \\\"a\\\" ])\"", `t:1:16: unexpected ']' while reading '$(' opened at 1:6; expected ')'`, false},
		{"interpolation two forms", `$"${a b}"`, `t:1:7: unexpected 'b' in '${' opened at 1:3; it holds exactly one form, expected '}'`, false},
		{"interpolation empty", `$"${}"`, `t:1:5: empty '${}' at 1:3; expected a form`, false},
		{"interpolation open", `$"a ${x`, `t:1:8: unexpected end of input in string opened at 1:1; expected '"'`, true},
		{"ref missing value", "(#Ref a)", "t:1:8: unexpected ')' after '#Ref' at 1:2; expected a form", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWith([]byte(tt.in), ReadOptions{Source: "t"})
			require.Error(t, err, "input %q", tt.in)
			var se *SyntaxError
			require.True(t, errors.As(err, &se), "want a SyntaxError, got %T %v", err, err)
			assert.Equal(t, tt.msg, err.Error())
			assert.ErrorIs(t, err, ErrSyntax)
			assert.Equal(t, tt.incomplete, se.Incomplete)
			assert.Equal(t, tt.incomplete, errors.Is(err, ErrIncomplete))
			assert.Equal(t, "t", se.Source)
		})
	}
}

func TestSyntaxErrorFields(t *testing.T) {
	in := "(a\n  [b {^c 1}\n  c)"
	_, err := ParseWith([]byte(in), ReadOptions{Source: "f.gene"})
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "f.gene", se.Source)
	assert.Equal(t, int64(len(in)-1), se.Offset)
	assert.Equal(t, 3, se.Line)
	assert.Equal(t, 4, se.Col)
	assert.Equal(t, "')'", se.Found)
	assert.Equal(t, "']'", se.Expected)
	assert.Equal(t, []OpenForm{{"(", 1, 1}, {"[", 2, 3}}, se.Open)
	assert.Equal(t, "  c)", se.Excerpt)
	assert.False(t, se.Incomplete)

	// Unnamed sources still say where.
	_, err = Parse([]byte("[)"))
	require.EqualError(t, err, "gene: 1:2: unexpected ')' while reading '[' opened at 1:1; expected ']'")
}

func TestReadLimits(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		lim   Limits
		limit string
		where string
	}{
		{"depth", "[[[1]]]", Limits{MaxDepth: 2}, "MaxDepth", "1:3"},
		{"depth node", "(a (b (c)))", Limits{MaxDepth: 2}, "MaxDepth", "1:7"},
		{"depth prefix chain", "````x", Limits{MaxDepth: 3}, "MaxDepth", "1:4"},
		{"depth discards", "[#_ #_ #_ 1 2 3 4]", Limits{MaxDepth: 3}, "MaxDepth", "1:8"},
		{"elements list", "[1 2 3 4]", Limits{MaxElements: 3}, "MaxElements", "1:8"},
		{"elements props", "{^a 1 ^b 2}", Limits{MaxElements: 1}, "MaxElements", "1:7"},
		{"elements node", "(f ^a 1 @m 2 x y)", Limits{MaxElements: 3}, "MaxElements", "1:16"},
		{"elements map", "{{1 : 2 3 : 4}}", Limits{MaxElements: 1}, "MaxElements", "1:9"},
		{"elements path", "a/b/c/d", Limits{MaxElements: 3}, "MaxElements", "1:1"},
		{"string", `"abcdef"`, Limits{MaxStringBytes: 5}, "MaxStringBytes", "1:2"},
		{"escaped string", `"\u{1F600}\u{1F600}"`, Limits{MaxStringBytes: 7}, "MaxStringBytes", "1:2"},
		{"symbol", "abcdef", Limits{MaxStringBytes: 5}, "MaxStringBytes", "1:1"},
		{"bytes", "#B16#010203", Limits{MaxStringBytes: 2}, "MaxStringBytes", "1:1"},
		{"regex", `#"abcdef"`, Limits{MaxStringBytes: 5}, "MaxStringBytes", "1:3"},
		{"int digits", "12345678901234567890123", Limits{MaxIntDigits: 20}, "MaxIntDigits", "1:1"},
		{"hex digits", "0x1234567890abcdef1234", Limits{MaxIntDigits: 20}, "MaxIntDigits", "1:1"},
		{"value bytes", "[1 2 3 4 5]", Limits{MaxValueBytes: 5}, "MaxValueBytes", "1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWith([]byte(tt.in), ReadOptions{Limits: tt.lim})
			var le *LimitError
			require.ErrorAs(t, err, &le, "input %q", tt.in)
			assert.ErrorIs(t, err, ErrLimit)
			assert.Equal(t, tt.limit, le.Limit)
			assert.Equal(t, tt.where, le.Where)
		})
	}
	// Within the limits the same inputs read.
	_, err := ParseWith([]byte(`"\u{1F600}"`), ReadOptions{Limits: Limits{MaxStringBytes: 4}})
	require.NoError(t, err)
	_, err = ParseWith([]byte("[[1]]"), ReadOptions{Limits: Limits{MaxDepth: 2}})
	require.NoError(t, err)
	_, err = ParseWith([]byte("00000000000000000000000000001"), ReadOptions{Limits: Limits{MaxIntDigits: 3}})
	require.NoError(t, err, "leading zeros are not significant digits")
	_, err = ParseWith([]byte(strings.Repeat("[", 300)+strings.Repeat("]", 300)), ReadOptions{Limits: Limits{MaxDepth: -1}})
	require.NoError(t, err, "a negative limit means none")
}

func TestReadLargeContainersRefuseDuplicates(t *testing.T) {
	// Past the linear-scan threshold duplicates are found through an index.
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		b.WriteString("^k" + itoa(i) + " " + itoa(i) + " ")
	}
	v := MustParse(b.String() + "^k100 void ^k101 1}")
	require.Equal(t, 101, v.Len(), "void removes its entry")
	_, err := Parse([]byte(b.String() + "^k100 void ^k100 1}"))
	require.ErrorIs(t, err, ErrSyntax)
	require.ErrorContains(t, err, "gene: 1:"+itoa(b.Len()+12)+": duplicate key '^k100'")
	_, err = Parse([]byte(b.String() + "^k7 70}"))
	require.ErrorContains(t, err, "gene: 1:"+itoa(b.Len()+1)+": duplicate key '^k7'")

	b.Reset()
	b.WriteString("{{")
	for i := range 50 {
		b.WriteString("[" + itoa(i) + "] : x ")
	}
	v = MustParse(b.String() + "[50] : void 4 : y}}")
	require.Equal(t, 51, v.Len())
	x, _ := v.Lookup(Int(4))
	require.True(t, x.IsSymbol("y"))
	_, err = Parse([]byte(b.String() + "[50] : void [3] : y}}"))
	require.ErrorIs(t, err, ErrSyntax)
	require.ErrorContains(t, err, "duplicate key [3] in the general map opened at 1:1")
}
