package gene

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bigInt(t *testing.T, s string) Value {
	t.Helper()
	b, ok := new(big.Int).SetString(s, 10)
	require.True(t, ok, s)
	return BigInt(b)
}

func node(head Value, meta, props Props, body ...Value) Value {
	return NodeValue(&Node{Head: head, HasHead: true, Meta: meta, Props: props, Body: body})
}

func TestAppendTextScalars(t *testing.T) {
	cases := []struct {
		name string
		v    Value
		want string
	}{
		{"nil", Nil(), "nil"},
		{"void", Void(), "void"},
		{"true", True, "true"},
		{"false", False, "false"},
		{"zero", Int(0), "0"},
		{"negative int", Int(-17), "-17"},
		{"min int64", Int(math.MinInt64), "-9223372036854775808"},
		{"big int", bigInt(t, "123456789012345678901234567890"), "123456789012345678901234567890"},
		{"negative big int", bigInt(t, "-9223372036854775809"), "-9223372036854775809"},
		{"string", String("hello"), `"hello"`},
		{"empty string", String(""), `""`},
		{"string escapes", String("a\"b\\c\nd\te\rf"), `"a\"b\\c\nd\te\rf"`},
		{"string raw controls", String("nul\x00bell\x07esc\x1bdel\x7f"), "\"nul\x00bell\x07esc\x1bdel\x7f\""},
		{"string unicode raw", String("é😀\u2028"), "\"é😀\u2028\""},
		{"string quote char", String("it's"), `"it's"`},
		{"string invalid utf8", String("a\xffb\xc3"), "\"a\uFFFDb\uFFFD\""},
		{"string surrogate bytes", String("\xed\xa0\x80"), "\"\uFFFD\uFFFD\uFFFD\""},
		{"char", Char('a'), "'a'"},
		{"char newline", Char('\n'), `'\n'`},
		{"char cr", Char('\r'), `'\r'`},
		{"char tab", Char('\t'), `'\t'`},
		{"char nul", Char(0), `'\0'`},
		{"char backslash", Char('\\'), `'\\'`},
		{"char quote", Char('\''), `'\''`},
		{"char double quote", Char('"'), `'"'`},
		{"char escape control", Char(0x1b), `'\u001B'`},
		{"char del", Char(0x7f), `'\u007F'`},
		{"char unicode", Char('é'), "'é'"},
		{"char astral", Char(0x1F600), "'😀'"},
		{"char invalid", Char(0xD800), "'\uFFFD'"},
		{"symbol", Symbol("abc"), "abc"},
		{"symbol punct", Symbol("set!"), "set!"},
		{"symbol slash", Symbol("/"), "/"},
		{"symbol tilde", Symbol("~x"), "~x"},
		{"symbol dollar", Symbol("$"), "$"},
		{"symbol spread", Symbol("..."), "..."},
		{"bytes", Bytes([]byte("Hello")), "#B16#48656c6c6f"},
		{"bytes high", Bytes([]byte{0x00, 0xAB, 0xFF}), "#B16#00abff"},
		{"regex", RegexValue(`[a-z]+\d`, "i"), `#"[a-z]+\d"i`},
		{"regex escaped quote", RegexValue(`a\"b`, ""), `#"a\"b"`},
		{"regex bare quote", RegexValue(`a "quoted" part`, "ms"), `#"""a "quoted" part"""ms`},
		{"regex trailing backslash pair", RegexValue(`a\\`, ""), `#"a\\"`},
		{"date", Date(Temporal{Year: 2026, Month: 11, Day: 24}), "2026-11-24"},
		{"date padded", Date(Temporal{Year: 7, Month: 1, Day: 2}), "0007-01-02"},
		{"time", Time(Temporal{Hour: 9, Minute: 30}), "09:30"},
		{"time seconds", Time(Temporal{Hour: 9, Minute: 30, Second: 5}), "09:30:05"},
		{"time fraction", Time(Temporal{Hour: 9, Minute: 30, Second: 15, Micro: 250000}), "09:30:15.25"},
		{"time micro", Time(Temporal{Hour: 0, Minute: 0, Micro: 1}), "00:00:00.000001"},
		{"time offset", Time(Temporal{Hour: 9, Minute: 30, Second: 15, Micro: 250000, HasOffset: true, Offset: 60}), "09:30:15.25+01:00"},
		{"time zulu", Time(Temporal{Hour: 9, Minute: 30, HasOffset: true}), "09:30:00Z"},
		{"time negative offset", Time(Temporal{Hour: 23, Minute: 59, Second: 59, HasOffset: true, Offset: -330}), "23:59:59-05:30"},
		{"time zone only", Time(Temporal{Hour: 9, Minute: 30, Zone: "Europe/Paris"}), "09:30:00[Europe/Paris]"},
		{"time offset zone", Time(Temporal{Hour: 9, Minute: 30, HasOffset: true, Offset: 60, Zone: "Europe/Paris"}), "09:30:00+01:00[Europe/Paris]"},
		{"time zero offset zone", Time(Temporal{Hour: 9, Minute: 30, HasOffset: true, Zone: "Europe/London"}), "09:30:00+00:00[Europe/London]"},
		{"datetime", DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, HasOffset: true}), "2026-11-24T09:30:00Z"},
		{"datetime local", DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30}), "2026-11-24T09:30"},
		{"datetime full", DateTime(Temporal{Year: 2024, Month: 2, Day: 29, Hour: 23, Minute: 1, Second: 2, Micro: 123400, HasOffset: true, Offset: 5*60 + 45, Zone: "Asia/Kathmandu"}), "2024-02-29T23:01:02.1234+05:45[Asia/Kathmandu]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, string(AppendText(nil, c.v)))
			assert.Equal(t, c.want, Format(c.v))
			assert.Equal(t, c.want, c.v.String())
		})
	}
}

func TestAppendTextFloats(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{-1, "-1.0"},
		{3.25, "3.25"},
		{-0.5, "-0.5"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{123456.789, "123456.789"},
		{6.02e23, "6.02e+23"},
		{1e16, "10000000000000000.0"},
		{12345678901234567, "12345678901234568.0"},
		{1.5e16, "15000000000000000.0"},
		{1e17, "1e+17"},
		{1.5e17, "1.5e+17"},
		{1e18, "1e+18"},
		{1e20, "1e+20"},
		{1e-6, "0.000001"},
		{1e-7, "0.0000001"},
		{1.5e-7, "0.00000015"},
		{1e-8, "1e-8"},
		{2.5e-10, "2.5e-10"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			got := Format(Float(c.f))
			require.Equal(t, c.want, got)
			if math.IsNaN(c.f) || math.IsInf(c.f, 0) {
				return
			}
			back, err := strconv.ParseFloat(got, 64)
			require.NoError(t, err)
			require.Equal(t, math.Float64bits(c.f), math.Float64bits(back), "reads back to the same bits")
		})
	}
}

func TestAppendTextFloatsRoundTripBits(t *testing.T) {
	// A deterministic spread over exponents and mantissas: every output
	// parses back to the same bits and carries a '.' or an exponent.
	x := uint64(0x9E3779B97F4A7C15)
	for i := 0; i < 20000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		f := math.Float64frombits(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := Format(Float(f))
		back, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err, s)
		require.Equal(t, x, math.Float64bits(back), s)
		require.Regexp(t, `^-?[0-9]+(\.[0-9]+|(\.[0-9]+)?e[-+][0-9]+)$`, s)
	}
}

func TestAppendFloatFastPathMatchesLayout(t *testing.T) {
	// The fixed-notation fast path must agree with the general layout on
	// and around its range edges.
	x := uint64(0x243F6A8885A308D3)
	for i := 0; i < 50000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		// Mantissa from x, exponent from 1e-8 to 1e18.
		f := (1 + float64(x>>12)/float64(1<<52)) * math.Pow(10, float64(int(x%27)-8))
		if x&1 == 1 {
			f = -f
		}
		require.Equal(t, string(appendFloatLayout(nil, f)), string(appendFloat(nil, f)), "%v", f)
	}
	for _, f := range []float64{1e-6, math.Nextafter(1e-6, 0), 1e16, math.Nextafter(1e16, 0), 9999999999999998, 0.1, 1} {
		require.Equal(t, string(appendFloatLayout(nil, f)), string(appendFloat(nil, f)), "%v", f)
	}
}

func TestAppendTextContainers(t *testing.T) {
	cases := []struct {
		name string
		v    Value
		want string
	}{
		{"empty list", List(), "[]"},
		{"list", List(Int(1), String("two"), Symbol("three")), `[1 "two" three]`},
		{"nested list", List(List(), List(Int(1), List(Int(2)))), "[[] [1 [2]]]"},
		{"list with void", List(Void(), Nil()), "[void nil]"},
		{"frozen list", List(Int(1), Int(2)).Freeze(), "#[1 2]"},
		{"empty props", PropMap(), "{}"},
		{"props", PropMap(Prop{"name", String("Ada")}, Prop{"age", Int(36)}, Prop{"admin", True}), `{^name "Ada" ^age 36 ^^admin}`},
		{"props false stays", PropMap(Prop{"on", False}), "{^on false}"},
		{"frozen props", PropMap(Prop{"a", Int(1)}).Freeze(), "#{^a 1}"},
		{"empty map", Map(), "{{}}"},
		{"map", Map(Entry{String("k"), Int(1)}, Entry{Int(2), List(Symbol("x"))}), `{{"k" : 1 2 : [x]}}`},
		{"map true value", Map(Entry{Symbol("a"), True}), "{{a : true}}"},
		{"map colon symbols", Map(Entry{Symbol(":"), Symbol(":")}), "{{: : :}}"},
		{"map sigil symbols", Map(Entry{Symbol("^^"), Symbol("@@")}), "{{^^ : @@}}"},
		{"props odd keys", PropMap(Prop{"1", Int(1)}, Prop{"nil", Nil()}, Prop{"a/b", True}, Prop{"$x", Int(2)}, Prop{"x...", Int(3)}, Prop{"!", Int(4)}, Prop{"a@b", Int(5)}), "{^1 1 ^nil nil ^^a/b ^$x 2 ^x... 3 ^! 4 ^a@b 5}"},
		{"node sigil symbols", Gene(Symbol("^^"), Symbol("^"), Symbol("@@"), Symbol("%")), "(^^ ^ @@ %)"},
		{"prop value lone sigils", PropMap(Prop{"a", Symbol("^")}, Prop{"b", Symbol("@")}), "{^a ^ ^b @}"},
		{"empty node", NodeValue(&Node{}), "()"},
		{"node head only", Gene(Symbol("f")), "(f)"},
		{"node nil head", Gene(Nil()), "(nil)"},
		{"node", Gene(Symbol("f"), Int(1), Int(2)), "(f 1 2)"},
		{"node full", node(Symbol("point"), Props{{"doc", String("origin")}, {"gen", True}}, Props{{"x", Int(1)}, {"y", Int(2)}, {"z", True}}, Symbol("c1"), Symbol("c2")),
			`(point @doc "origin" @@gen ^x 1 ^y 2 ^^z c1 c2)`},
		{"node meta only", node(Symbol("f"), Props{{"m", Int(1)}}, nil), "(f @m 1)"},
		{"node props no head", NodeValue(&Node{Props: Props{{"a", Int(1)}}}), "(^a 1)"},
		{"node meta and props no head", NodeValue(&Node{Meta: Props{{"m", True}}, Props: Props{{"a", Int(1)}}}), "(@@m ^a 1)"},
		{"node list head", Gene(List(Int(1)), Int(2)), "([1] 2)"},
		{"frozen node", node(Symbol("h"), nil, Props{{"p", Int(1)}}, Symbol("x")).Freeze(), "#(h ^p 1 x)"},
		{"ref", Gene(Symbol("#Ref"), Symbol("name"), List(Int(1))), "#Ref name [1]"},
		{"ref any operands", Gene(Symbol("#Ref"), String("n"), Int(1)), `#Ref "n" 1`},
		{"deref", Gene(Symbol("#Deref"), Symbol("name")), "#Deref name"},
		{"ref inside", Gene(Symbol("f"), Gene(Symbol("#Deref"), Symbol("a")), Int(1)), "(f #Deref a 1)"},
		{"path stays a node", Gene(Symbol("path"), Symbol("a"), Symbol("b")), "(path a b)"},
		{"path with keyword segment", Gene(Symbol("path"), Symbol("a"), Symbol("nil"), Int(-1)), "a/nil/-1"},
		{"select with number segment", Gene(Symbol("select"), Symbol("x"), Symbol("1.5"), Gene(Symbol("unquote"), Symbol("true"))), "/x/1.5/%true"},
		{"quasiquote stays a node", Gene(Symbol("quasiquote"), Symbol("x")), "(quasiquote x)"},
		{"spread stays a node", Gene(Symbol("..."), Symbol("x")), "(... x)"},
		{"tilde send stays plain", Gene(Symbol("x"), Symbol("~"), Symbol("f"), Symbol("a")), "(x ~ f a)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := AppendTextStrict(nil, c.v)
			require.NoError(t, err)
			assert.Equal(t, c.want, string(got))
			assert.Equal(t, c.want, Format(c.v))
		})
	}
}

func TestAppendTextAppends(t *testing.T) {
	dst := []byte("prefix ")
	dst = AppendText(dst, List(Int(1)))
	require.Equal(t, "prefix [1]", string(dst))
	dst, err := AppendTextStrict(dst, Symbol("a b"))
	require.Error(t, err)
	require.Equal(t, "prefix [1]", string(dst), "a refused value leaves dst as it was")
}

func TestAppendTextStrictRefuses(t *testing.T) {
	cases := []struct {
		name    string
		v       Value
		path    string
		kind    Kind
		reason  string
		lenient string // what AppendText writes instead
	}{
		{"empty symbol", Symbol(""), "", KindSymbol, "is empty", ""},
		{"symbol with space", Symbol("a b"), "", KindSymbol, `contains ' '`, "a b"},
		{"symbol with paren", Symbol("f("), "", KindSymbol, `contains '('`, "f("},
		{"symbol with hash", Symbol("a#b"), "", KindSymbol, `contains '#'`, "a#b"},
		{"symbol keyword", Symbol("nil"), "", KindSymbol, "keyword nil", "nil"},
		{"symbol true", Symbol("true"), "", KindSymbol, "keyword true", "true"},
		{"symbol number", Symbol("42"), "", KindSymbol, "reads as the int 42", "42"},
		{"symbol big number", Symbol("123456789012345678901234567890"), "", KindSymbol, "reads as the int", "123456789012345678901234567890"},
		{"symbol hex number", Symbol("0xff"), "", KindSymbol, "reads as the int 255", "0xff"},
		{"symbol negative number", Symbol("-1.5"), "", KindSymbol, "reads as the float -1.5", "-1.5"},
		{"symbol exponent", Symbol("1e5"), "", KindSymbol, "reads as the float 100000.0", "1e5"},
		{"symbol inf", Symbol("inf"), "", KindSymbol, "reads as the float inf", "inf"},
		{"symbol -inf", Symbol("-inf"), "", KindSymbol, "reads as the float -inf", "-inf"},
		{"symbol nan", Symbol("nan"), "", KindSymbol, "reads as the float nan", "nan"},
		{"symbol date", Symbol("2026-11-24"), "", KindSymbol, "reads as the date 2026-11-24", "2026-11-24"},
		{"symbol time", Symbol("09:30"), "", KindSymbol, "reads as the time 09:30", "09:30"},
		{"symbol bad date", Symbol("2026-13-01"), "", KindSymbol, "does not read as a symbol", "2026-13-01"},
		{"symbol float overflow", Symbol("1e999"), "", KindSymbol, "does not read as a symbol", "1e999"},
		{"symbol control", Symbol("ab"), "", KindSymbol, "control character U+0001", "ab"},
		{"symbol comma", Symbol("a,b"), "", KindSymbol, "contains ','", "a,b"},
		{"symbol caret sigil pair", Symbol("^^x"), "", KindSymbol, "prop or meta", "^^x"},
		{"symbol prop", Symbol("^a"), "", KindSymbol, "prop", "^a"},
		{"symbol unquote", Symbol("%x"), "", KindSymbol, "unquote", "%x"},
		{"symbol path", Symbol("a/b"), "", KindSymbol, "path", "a/b"},
		{"symbol stdlib", Symbol("$parse"), "", KindSymbol, "standard-library", "$parse"},
		{"symbol spread", Symbol("x..."), "", KindSymbol, "(... x)", "x..."},
		{"symbol dots", Symbol("...."), "", KindSymbol, "(... x)", "...."},
		{"symbol invalid utf8", Symbol("a\xff"), "", KindSymbol, "UTF-8", "a\xff"},
		{"symbol in list", List(Int(1), List(Symbol("ok"), Symbol("no pe"))), "[1][1]", KindSymbol, "contains", "[1 [ok no pe]]"},
		{"prop key", PropMap(Prop{"a b", Int(1)}), "^a b", KindSymbol, `key "a b"`, "{^a b 1}"},
		{"void prop", PropMap(Prop{"a", Void()}), "^a", KindVoid, "dropped", "{^a void}"},
		{"void meta", node(Symbol("f"), Props{{"m", Void()}}, nil), "@m", KindVoid, "dropped", "(f @m void)"},
		{"void map value", Map(Entry{Int(1), Void()}), "{{0}}", KindVoid, "dropped", "{{1 : void}}"},
		{"key bang", PropMap(Prop{"!a", Int(1)}), "^!a", KindSymbol, "'!'", "{^!a 1}"},
		{"key nested", PropMap(Prop{"a^b", Int(1)}), "^a^b", KindSymbol, "contains '^'", "{^a^b 1}"},
		{"meta key nested", node(Symbol("f"), Props{{"a@b", Int(1)}}, nil), "@a@b", KindSymbol, "contains '@'", "(f @a@b 1)"},
		{"key empty", PropMap(Prop{"", Int(1)}), "^", KindSymbol, "empty", "{^ 1}"},
		{"key control", PropMap(Prop{"a\nb", Int(1)}), "^a\nb", KindSymbol, "control", "{^a\nb 1}"},
		{"prop value caret pair", PropMap(Prop{"a", Symbol("^^")}), "^a", KindSymbol, "next entry", "{^a ^^}"},
		{"meta value at pair", node(Symbol("f"), Props{{"m", Symbol("@@")}}, nil), "@m", KindSymbol, "next entry", "(f @m @@)"},
		{"node head", Gene(Symbol("a b"), Int(1)), "(head)", KindSymbol, "contains", "(a b 1)"},
		{"node prop value", node(Symbol("f"), nil, Props{{"p", List(Symbol(""))}}), "^p[0]", KindSymbol, "empty", "(f ^p [])"},
		{"headless with body", NodeValue(&Node{Body: []Value{Int(1)}}), "", KindNode, "without head", "(1)"},
		{"bad char", Char(0x110000), "", KindChar, "scalar", "'\uFFFD'"},
		{"regex flag", RegexValue("a", "g"), "", KindRegex, `"g"`, `#"a"g`},
		{"regex repeated flag", RegexValue("a", "ii"), "", KindRegex, "repeated", `#"a"ii`},
		{"regex ends in quote", RegexValue(`a"`, ""), "", KindRegex, "pattern", `#"a\""`},
		{"regex unquotable", RegexValue(`say """hi"""`, ""), "", KindRegex, "pattern", `#"say \"\"\"hi\"\"\""`},
		{"regex dangling backslash", RegexValue(`a\`, ""), "", KindRegex, "pattern", `#"a\"`},
		{"month", Date(Temporal{Year: 2026, Month: 13, Day: 1}), "", KindDate, "month 13", "2026-13-01"},
		{"day", Date(Temporal{Year: 2025, Month: 2, Day: 29}), "", KindDate, "day 29", "2025-02-29"},
		{"year", Date(Temporal{Year: 10000, Month: 1, Day: 1}), "", KindDate, "year", "10000-01-01"},
		{"hour", Time(Temporal{Hour: 24}), "", KindTime, "hour", "24:00"},
		{"second", Time(Temporal{Hour: 1, Second: 60}), "", KindTime, "second", "01:00:60"},
		{"micro", Time(Temporal{Micro: 1000000}), "", KindTime, "microsecond", "00:00:00.1000000"},
		{"offset", Time(Temporal{HasOffset: true, Offset: 24 * 60}), "", KindTime, "offset", "00:00:00+24:00"},
		{"zone name", Time(Temporal{Zone: "a]b"}), "", KindTime, "zone", "00:00:00[a]b]"},
		{"datetime zone without offset", DateTime(Temporal{Year: 2026, Month: 1, Day: 1, Zone: "UTC"}), "", KindDateTime, "needs an offset", "2026-01-01T00:00:00[UTC]"},
		{"ref name", Gene(Symbol("#Ref"), Symbol("1"), Int(2)), "[0]", KindSymbol, "reads as the int 1", "#Ref 1 2"},
		{"ref misshapen", Gene(Symbol("#Ref"), Int(1)), "(head)", KindSymbol, `'#'`, "(#Ref 1)"},
		{"path segment no slash form", Gene(Symbol("path"), Symbol("a"), Symbol("b c")), "[1]", KindSymbol, "contains ' '", "(path a b c)"},
		{"path single odd segment", Gene(Symbol("path"), Symbol("nil")), "[0]", KindSymbol, "keyword", "(path nil)"},
		{"ref with props", node(Symbol("#Deref"), nil, Props{{"p", Int(1)}}, Symbol("a")), "(head)", KindSymbol, `'#'`, "(#Deref ^p 1 a)"},
		{"ref frozen", Gene(Symbol("#Deref"), Symbol("a")).Freeze(), "(head)", KindSymbol, `'#'`, "#(#Deref a)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := AppendTextStrict(nil, c.v)
			require.Error(t, err)
			require.ErrorIs(t, err, ErrUnwritable)
			var we *WriteError
			require.True(t, errors.As(err, &we))
			assert.Equal(t, c.path, we.Path)
			assert.Equal(t, c.kind, we.Kind)
			assert.Contains(t, we.Reason, c.reason)
			assert.Contains(t, err.Error(), "gene: cannot write "+c.kind.String())
			assert.Equal(t, c.lenient, Format(c.v), "AppendText writes the printer's spelling")
		})
	}
}

func TestSymbolsThatStayWritable(t *testing.T) {
	for _, s := range []string{
		"a", "set!", "+", "-", "<=", "/", "a.b", "~x", "~", "_", "$", "...", ".", "-x", "+x",
		"é", "名前", "a:b", ":", "a@b", "a^b", "a%b", "a$b", "x.", "infinity", "nano", "Inf",
		"^", "^^", "@", "@@", "%", "//", "///", "+1", ".5", "12ab", "1.", "0x1g", "12:3", "-", "-x1",
		"+inf", "-nan", "NaN", "a b", "x..", "..", "-1a", "2026-1-1",
	} {
		t.Run(s, func(t *testing.T) {
			got, err := AppendTextStrict(nil, Symbol(s))
			require.NoError(t, err)
			require.Equal(t, s, string(got))
		})
	}
}

func TestWriteErrorPathInsideProps(t *testing.T) {
	v := PropMap(Prop{"outer", Map(Entry{String("k"), List(Int(0), PropMap(Prop{"in", Void()}))})})
	_, err := AppendTextStrict(nil, v)
	var we *WriteError
	require.ErrorAs(t, err, &we)
	require.Equal(t, "^outer{{0}}[1]^in", we.Path)
	require.Equal(t, `gene: cannot write void at ^outer{{0}}[1]^in: a void entry is dropped by the reader`, err.Error())
}

func TestSymbolFastPathMatchesSlowPath(t *testing.T) {
	const alphabet = "abnilvoidtruefsx09+-._/$%^@~:!?*<>=#( é\xff"
	x := uint64(0x13198A2E03707344)
	for i := 0; i < 100000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		n := int(x % 7)
		b := make([]byte, n)
		y := x
		for j := range b {
			b[j] = alphabet[y%uint64(len(alphabet))]
			y /= uint64(len(alphabet))
		}
		s := string(b)
		require.Equal(t, symbolProblemSlow(s) == "", symbolProblem(s) == "", "%q", s)
	}
}

func ExampleFormat() {
	v := NodeValue(&Node{
		Head: Symbol("point"), HasHead: true,
		Meta:  Props{{Key: "doc", Value: String("origin")}},
		Props: Props{{Key: "x", Value: Int(1)}, {Key: "y", Value: Float(2)}, {Key: "fixed", Value: True}},
		Body:  []Value{String("a\tb"), Char('é'), Bytes([]byte("Hi"))},
	})
	fmt.Println(Format(v))
	// Output: (point @doc "origin" ^x 1 ^y 2.0 ^^fixed "a\tb" 'é' #B16#4869)
}

func ExampleAppendTextStrict() {
	_, err := AppendTextStrict(nil, List(Int(1), Symbol("two words")))
	fmt.Println(err)
	// Output: gene: cannot write symbol at [1]: symbol "two words" contains ' '
}

// TestHeadlessNodeWithBody: a node with no head but a body has no text
// form, since the first element of a body written after '(' reads as the
// head; only a node with neither head nor body ((), (^a 1)) is written
// headless. Every strict writer refuses it with ErrUnwritable (compact,
// pretty, inside a form too long for one line, and the Encoder, which then
// writes nothing); the binary encoding carries it unchanged.
func TestHeadlessNodeWithBody(t *testing.T) {
	long := strings.Repeat("x", 90)
	for _, tc := range []struct {
		name string
		v    Value
		path string
	}{
		{"body", NodeValue(&Node{Body: []Value{Int(1)}}), ""},
		{"props and body", NodeValue(&Node{Props: Props{{"a", Int(1)}}, Body: []Value{Symbol("h")}}), ""},
		{"meta and body", NodeValue(&Node{Meta: Props{{"m", Int(1)}}, Body: []Value{Symbol("h")}}), ""},
		{"frozen", NodeValue(&Node{Body: []Value{Int(1)}}).Freeze(), ""},
		{"nested", List(Int(0), PropMap(Prop{"p", NodeValue(&Node{Body: []Value{String(long)}})})), "[1]^p"},
		{"nil body", NodeValue(&Node{Body: []Value{Nil()}}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, write := range []func(Value) error{
				func(v Value) error { _, err := AppendTextStrict(nil, v); return err },
				func(v Value) error { _, err := appendPrettyStrict(nil, v, "  "); return err },
			} {
				err := write(tc.v)
				require.ErrorIs(t, err, ErrUnwritable)
				var we *WriteError
				require.ErrorAs(t, err, &we)
				require.Equal(t, KindNode, we.Kind)
				require.Equal(t, tc.path, we.Path)
				require.Contains(t, we.Reason, "without head cannot have a body")
			}
			for _, pretty := range []bool{false, true} {
				var out bytes.Buffer
				err := NewEncoder(&out, WriteOptions{Pretty: pretty}).Encode(tc.v)
				require.ErrorIs(t, err, ErrUnwritable)
				require.Zero(t, out.Len(), "nothing is written for a refused value")
			}

			back, n, err := DecodeBinary(AppendBinary(nil, tc.v), BinaryOptions{})
			require.NoError(t, err)
			require.Equal(t, BinarySize(tc.v), n)
			require.True(t, sameValue(tc.v, back), "through binary: %s", Format(back))
		})
	}

	// What the lenient writer prints for logs reads as a different node.
	v := NodeValue(&Node{Body: []Value{Int(1)}})
	require.Equal(t, []byte{0xCE, 0x08, 0x01, 0x01}, AppendBinary(nil, v), "BINARY.md section 3")
	require.Equal(t, "(1)", Format(v))
	back := MustParse(Format(v))
	require.True(t, back.Node().HasHead)
	require.False(t, Equal(v, back))

	// Without a body a headless node is written and reads back.
	for _, v := range []Value{NodeValue(&Node{}), NodeValue(&Node{Props: Props{{"a", Int(1)}}}), NodeValue(&Node{Meta: Props{{"m", True}}}).Freeze()} {
		roundTrip(t, v)
	}
}
