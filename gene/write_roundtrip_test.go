package gene

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameValue reports a faithful round trip: a and b are Equal (with nan
// matching nan, as Compare has it) and also agree on what Equal ignores —
// meta, entry order, -0.0 — which the lossless JSON view shows.
func sameValue(a, b Value) bool {
	return Compare(a, b) == 0 && bytes.Equal(AppendJSON(nil, a), AppendJSON(nil, b))
}

// roundTrip checks the canonical-text property of NOTATION.md section 5
// on a value: reading what was written gives the same value, and writing
// that again gives the same bytes (so meta, which Equal ignores, survives
// too). It returns the first write.
func roundTrip(t *testing.T, v Value) []byte {
	t.Helper()
	first, err := AppendTextStrict(nil, v)
	require.NoError(t, err)
	back, err := Parse(first)
	require.NoError(t, err, "reading %q", first)
	require.True(t, sameValue(v, back), "%q read back as %q", first, Format(back))
	second, err := AppendTextStrict(nil, back)
	require.NoError(t, err)
	require.Equal(t, string(first), string(second), "second write")

	pretty, err := appendPrettyStrict(nil, v, "  ")
	require.NoError(t, err)
	pback, err := Parse(pretty)
	require.NoError(t, err, "reading pretty %q", pretty)
	require.Equal(t, string(first), string(AppendText(nil, pback)), "pretty form reads back as the same value")
	return first
}

// roundTripTexts are inputs covering every literal form; each must read,
// write, read back equal and write the same bytes again.
var roundTripTexts = []string{
	`nil`, `void`, `true`, `false`,
	`0`, `-17`, `0xff`, `-0x1F`, `9223372036854775807`, `-9223372036854775808`,
	`9223372036854775808`, `-123456789012345678901234567890`, `0x123456789abcdef0123456789`,
	`0.0`, `-0.0`, `3.25`, `-0.5`, `6.02e23`, `1E5`, `1e-8`, `2.5e-10`, `1e16`, `1e17`,
	`123456789012345678.0`, `0.1`, `5e-324`, `1.7976931348623157e308`, `inf`, `-inf`, `nan`,
	`"plain"`, `""`, `"a\tb\nc\rd\\e\"f"`, `"\0\u0007\u{1F600}\u00e9\'"`, `"""He said "hi" """`,
	"\"raw\x01control\x7fbytes\"", `"é😀 \u2028"`, `"\u{10FFFF}"`,
	`'a'`, `'\n'`, `'\r'`, `'\t'`, `'\0'`, `'\\'`, `'\''`, `'"'`, `'\u001b'`, `'\u007F'`, `'é'`, `'\u{1F600}'`, `' '`,
	`abc`, `set!`, `+`, `-`, `<=`, `/`, `//`, `a.b`, `~x`, `~`, `_`, `$`, `...`, `.`, `%`, `^`, `^^`, `@`, `@@`,
	`+1`, `.5`, `12ab`, `1.`, `0x1g`, `12:3`, `2026-1-1`, `名前`, `a:b`, `:`, `-x`,
	`[]`, `[1 "two" three]`, `[1, 2 ,3]`, `#[1 2]`, `{}`, `{^name "Ada" ^age 36 ^^admin}`, `#{^a 1}`,
	`{^a void ^b 1}`, `{^a 1 ^b void}`, `{^1 1 ^nil nil ^a/b c ^$x y ^x... z ^! w}`,
	`{{}}`, `{{"k" : 1  2 : [x]}}`, `{{: : :}}`, `{{^^ : @@}}`, `{{[1 2] : {^a 1}}}`, `{{k : void}}`,
	`()`, `(f)`, `(nil)`, `(f 1 2)`, `(^a 1)`, `(@m 1 ^a 2)`, `(point ^x 1 ^y 2 @doc "origin" child1 child2)`,
	`(f @@m ^^p)`, `#(h ^p 1 x)`, `((f) x)`, `(^^ ^ @@ %)`, `(f ^a ^)`,
	"`x", `%x`, `x...`, `(f xs...)`, `$"sum ${n} of $(f x)"`, `(a; b c; d)`, `/user/name`,
	`user/name`, `users/-1/%i/~size`, `$parse`, `$net/http`, `(x; f _ y)`, `(x ~ f a)`,
	`a/nil`, `/x/1.5/%nil`, `$a/true`, `$$00`, `a/^x`, `a/2026-11-24`, `(f a/$b c)`, `a/%inf/-1`,
	`#Ref name value`, `#Deref name`, `(f #Ref a [1 2] #Deref b)`, `#Ref 1 "two"`,
	`#B16#48656c6c6f`, `#B16#`, `#B64#SGVsbG8=`, `#B64#SGVsbG8`, `#B#01001000`, "#B16#4865~\n  6c6c6f",
	`#"[a-z]+\d"i`, `#""`, `#"a\"b"ms`, `#"""a "quoted" part"""x`, `#"a\\"`, `#"""\""""`,
	`2026-11-24`, `0001-01-01`, `09:30`, `09:30:15`, `09:30:15.25+01:00`, `09:30:00.000001Z`,
	`23:59:59-05:30`, `09:30[Europe/Paris]`, `09:30+01:00[Europe/Paris]`, `09:30+00:00[Europe/London]`,
	`2026-11-24T09:30:00Z`, `2026-11-24T09:30`, `2024-02-29T23:01:02.1234+05:45[Asia/Kathmandu]`,
	`2026-11-24T09:30:00.5-00:00`,
}

func TestRoundTripTexts(t *testing.T) {
	for _, text := range roundTripTexts {
		t.Run(text, func(t *testing.T) {
			v, err := Parse([]byte(text))
			require.NoError(t, err)
			roundTrip(t, v)
		})
	}
}

// TestRoundTripCanonicalTextIsFixedPoint checks that canonical text of the
// corpus, read and written, is byte-for-byte itself.
func TestRoundTripCanonicalTextIsFixedPoint(t *testing.T) {
	for _, text := range roundTripTexts {
		v := MustParse(text)
		canon := Format(v)
		assert.Equal(t, canon, Format(MustParse(canon)), "from %q", text)
	}
}

// valueGen builds random values of every kind, deterministically, leaning
// on the corners: odd symbols and keys, every escape, special floats, big
// integers, quotes in regexes, dates at the edges.
type valueGen struct{ r *rand.Rand }

var (
	genSymbols = []string{"a", "set!", "+", "/", "//", "~x", "$", "...", "^", "^^", "@", "@@", "%", ":", "_",
		"+1", ".5", "12ab", "1.", "名前", "a:b", "x..", "-", "-x", "a b", "", "nil", "42", "x...", "a/b", "%x",
		"$x", "^x", "2026-11-24", "inf", "a\x00", "a\xff", "#Ref", "#Deref", "quasiquote", "..."}
	genKeys    = []string{"a", "b", "name", "1", "nil", "a/b", "$x", "x...", "!", "a@b", "a^b", "!x", "", "a b", "é", "true"}
	genStrings = []string{"", "plain", "a\"b", `back\slash`, "nl\ncr\rtab\t", "\x00\x01\x1f\x7f", "é😀", "\u2028", `"""`, "'"}
	genRunes   = []rune{'a', '\n', '\r', '\t', 0, '\\', '\'', '"', 0x1b, 0x7f, 'é', 0x1F600, ' ', 0xD800, 0x110000}
	genRegexes = []string{"", "a", `[a-z]+\d`, `a\"b`, `a "q" b`, `a"`, `"a`, `a\`, `a\\`, `say """hi"""`, `\"""`, `""`, "a\nb"}
	genFlags   = []string{"", "i", "ms", "imsx", "g", "ii"}
	genFloats  = []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e16, 1e17, 1e-6, 1e-7, 1e-8, 6.02e23, 5e-324,
		math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN(), 123456.789}
)

func (g valueGen) pick(n int) int { return g.r.IntN(n) }

func (g valueGen) temporal() Temporal {
	t := Temporal{
		Year: []int{0, 1, 2024, 2025, 9999, 10000}[g.pick(6)], Month: 1 + g.pick(13), Day: 1 + g.pick(31),
		Hour: g.pick(25), Minute: []int{0, 30, 59, 60}[g.pick(4)], Second: []int{0, 5, 59, 60}[g.pick(4)],
		Micro: []int{0, 1, 250000, 999999, 1000000}[g.pick(5)],
	}
	if g.pick(2) == 0 {
		t.HasOffset = true
		t.Offset = []int{0, 60, -330, 23*60 + 59, 24 * 60}[g.pick(5)]
	}
	if g.pick(3) == 0 {
		t.Zone = []string{"Europe/Paris", "UTC", "Etc/GMT+5", "bad zone"}[g.pick(4)]
	}
	return t
}

func (g valueGen) props(depth int) Props {
	var ps Props
	for range g.pick(4) {
		ps.Set(genKeys[g.pick(len(genKeys))], g.value(depth+1))
	}
	return ps
}

func (g valueGen) value(depth int) Value {
	max := 20
	if depth > 3 {
		max = 13
	}
	switch g.pick(max) {
	case 0:
		return Nil()
	case 1:
		return []Value{Void(), True, False}[g.pick(3)]
	case 2:
		return Int(g.r.Int64() >> g.pick(64))
	case 3:
		b := new(big.Int).Lsh(big.NewInt(g.r.Int64()|1), uint(64+g.pick(100)))
		if g.pick(2) == 0 {
			b.Neg(b)
		}
		return BigInt(b)
	case 4:
		if g.pick(2) == 0 {
			return Float(genFloats[g.pick(len(genFloats))])
		}
		return Float(math.Float64frombits(g.r.Uint64()))
	case 5:
		return String(genStrings[g.pick(len(genStrings))] + genStrings[g.pick(len(genStrings))])
	case 6:
		return Char(genRunes[g.pick(len(genRunes))])
	case 7, 8:
		return Symbol(genSymbols[g.pick(len(genSymbols))])
	case 9:
		b := make([]byte, g.pick(6))
		for i := range b {
			b[i] = byte(g.r.Uint32())
		}
		return Bytes(b)
	case 10:
		return RegexValue(genRegexes[g.pick(len(genRegexes))], genFlags[g.pick(len(genFlags))])
	case 11:
		t := g.temporal()
		return []func(Temporal) Value{Date, Time, DateTime}[g.pick(3)](t)
	case 12:
		return Symbol(genSymbols[g.pick(8)])
	case 13, 14:
		vs := make([]Value, g.pick(4))
		for i := range vs {
			vs[i] = g.value(depth + 1)
		}
		v := List(vs...)
		if g.pick(4) == 0 {
			v = v.Freeze()
		}
		return v
	case 15:
		v := PropMap(g.props(depth)...)
		if g.pick(4) == 0 {
			v = v.Freeze()
		}
		return v
	case 16:
		var es []Entry
		for range g.pick(3) {
			k := g.value(depth + 1)
			if _, dup := Map(es...).Lookup(k); !dup && Equal(k, k) {
				es = append(es, Entry{k, g.value(depth + 1)})
			}
		}
		return Map(es...)
	default:
		n := &Node{HasHead: g.pick(6) != 0, Props: g.props(depth), Meta: g.props(depth)}
		if n.HasHead {
			n.Head = g.value(depth + 1)
		}
		if n.HasHead || g.pick(4) == 0 {
			for range g.pick(4) {
				n.Body = append(n.Body, g.value(depth+1))
			}
		}
		v := NodeValue(n)
		if g.pick(5) == 0 {
			v = v.Freeze()
		}
		return v
	}
}

// TestRoundTripRandomValues writes random values strictly. A value the
// writer accepts must round-trip; a value it refuses must be one whose
// lenient spelling really does not read back as the same value, so the
// refusals are never stricter than the reader.
func TestRoundTripRandomValues(t *testing.T) {
	g := valueGen{rand.New(rand.NewPCG(1, 2))}
	written, refused := 0, 0
	for i := 0; i < 20000; i++ {
		v := g.value(0)
		text, err := AppendTextStrict(nil, v)
		if err != nil {
			refused++
			require.ErrorIs(t, err, ErrUnwritable)
			lenient := AppendText(nil, v)
			back, perr := Parse(lenient)
			if perr == nil && sameValue(v, back) {
				t.Fatalf("refused %q (%v) but it reads back as the same value", lenient, err)
			}
			continue
		}
		written++
		back, err := Parse(text)
		require.NoError(t, err, "reading %q", text)
		require.True(t, sameValue(v, back), "%q read back as %q", text, Format(back))
		require.Equal(t, string(text), string(AppendText(nil, back)))
	}
	t.Logf("%d written, %d refused", written, refused)
	require.Greater(t, written, 5000)
	require.Greater(t, refused, 1000)
}

// TestEveryReadValueIsWritable reads texts built from random values'
// lenient spellings; whatever the reader accepts, the strict writer must
// write and read back.
func TestEveryReadValueIsWritable(t *testing.T) {
	g := valueGen{rand.New(rand.NewPCG(3, 4))}
	for i := 0; i < 20000; i++ {
		text := AppendText(nil, g.value(0))
		v, err := Parse(text)
		if err != nil {
			continue
		}
		out, err := AppendTextStrict(nil, v)
		require.NoError(t, err, "%q read as a value the writer refuses", text)
		back, err := Parse(out)
		require.NoError(t, err)
		require.True(t, sameValue(v, back))
	}
}

// TestGolden reads each testdata/write/NAME.gene, writes every top-level
// value canonically one per line, and compares with NAME.canon (not .out,
// which .gitignore drops); with NAME.pretty present, also the pretty form.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "write", "*.gene"))
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".gene")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			require.NoError(t, err)
			vs, err := ParseAll(src, ReadOptions{Source: in})
			require.NoError(t, err)
			for _, form := range []struct {
				ext    string
				pretty bool
			}{{".canon", false}, {".pretty", true}} {
				want, err := os.ReadFile(strings.TrimSuffix(in, ".gene") + form.ext)
				if errors.Is(err, os.ErrNotExist) && form.pretty {
					continue
				}
				require.NoError(t, err)
				var got bytes.Buffer
				e := NewEncoder(&got, WriteOptions{Pretty: form.pretty})
				for _, v := range vs {
					require.NoError(t, e.Encode(v))
				}
				require.Equal(t, string(want), got.String(), form.ext)
				// The expected output is itself canonical.
				again, err := ParseAll(want, ReadOptions{})
				require.NoError(t, err)
				require.Len(t, again, len(vs))
				for i := range vs {
					require.True(t, sameValue(vs[i], again[i]), "value %d", i)
				}
			}
		})
	}
}

// FuzzWriteRoundTrip: every value the reader accepts is written by the
// strict writer, reads back the same, and writes the same bytes again.
func FuzzWriteRoundTrip(f *testing.F) {
	for _, text := range roundTripTexts {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		v, err := Parse(text)
		if err != nil {
			return
		}
		out, err := AppendTextStrict(nil, v)
		if err != nil {
			t.Fatalf("%q read as a value the writer refuses: %v", text, err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("%q written as %q, which does not read: %v", text, out, err)
		}
		if !sameValue(v, back) {
			t.Fatalf("%q written as %q reads back as %q", text, out, Format(back))
		}
		if again := AppendText(nil, back); !bytes.Equal(out, again) {
			t.Fatalf("%q written as %q, then as %q", text, out, again)
		}
		pretty, err := appendPrettyStrict(nil, v, "  ")
		if err != nil {
			t.Fatalf("pretty refuses %q: %v", out, err)
		}
		if pback, err := Parse(pretty); err != nil || !sameValue(v, pback) {
			t.Fatalf("pretty %q of %q does not read back: %v", pretty, out, err)
		}
		if !json.Valid(AppendJSON(nil, v)) {
			t.Fatalf("JSON view of %q is not valid JSON", out)
		}
	})
}

// FuzzWriteSymbol: the writer accepts a symbol exactly when its text reads
// back as that symbol, in every position a symbol can take.
func FuzzWriteSymbol(f *testing.F) {
	for _, s := range genSymbols {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		reads := func(text string, want Value) bool {
			v, err := Parse([]byte(text))
			return err == nil && sameValue(v, want)
		}
		sym := Symbol(s)
		for _, ctx := range []Value{
			sym,
			List(sym, Int(1)),
			Gene(sym, sym),
			Map(Entry{sym, sym}),
			PropMap(Prop{"k", sym}),
			Gene(Symbol("#Ref"), sym, sym),
		} {
			out, err := AppendTextStrict(nil, ctx)
			lenient := Format(ctx)
			if err != nil && !utf8.ValidString(err.Error()) {
				t.Fatalf("error text is not valid UTF-8: %q", err.Error())
			}
			switch {
			case err == nil && !reads(string(out), ctx):
				t.Fatalf("wrote %q for %q, which does not read back", out, lenient)
			case err != nil && reads(lenient, ctx):
				t.Fatalf("refused %q, which reads back: %v", lenient, err)
			}
		}
		// And as a key of a prop and of a meta entry.
		for _, ctx := range []Value{PropMap(Prop{s, Int(1)}), PropMap(Prop{s, True}), node(Symbol("f"), Props{{s, Int(1)}}, nil)} {
			out, err := AppendTextStrict(nil, ctx)
			lenient := Format(ctx)
			if err != nil && !utf8.ValidString(err.Error()) {
				t.Fatalf("error text is not valid UTF-8: %q", err.Error())
			}
			switch {
			case err == nil && !reads(string(out), ctx):
				t.Fatalf("wrote %q, which does not read back", out)
			case err != nil && reads(lenient, ctx):
				t.Fatalf("refused %q, which reads back: %v", lenient, err)
			}
		}
	})
}
