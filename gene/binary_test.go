package gene

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var binUpdateVectors = flag.Bool("update-binary", false, "rewrite the hex of testdata/binary/vectors.txt and the vector table of BINARY.md from the encoder")

func binBigFromString(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad big " + s)
	}
	return b
}

func binNode(head Value, hasHead bool, props, meta Props, body ...Value) Value {
	return NodeValue(&Node{Head: head, HasHead: hasHead, Props: props, Meta: meta, Body: body})
}

// binRequestMessage is the message of the benchmarks and the worked example.
func binRequestMessage() Value {
	return binNode(Symbol("request"), true, Props{
		{"id", Int(42)},
		{"method", String("get")},
		{"path", String("/users/17")},
		{"headers", PropMap(Prop{"accept", String("application/json")})},
		{"body", List(Int(1), Float(2.5), String("x"))},
	}, nil)
}

// binVectorValues are the values of testdata/binary/vectors.txt by name,
// built with constructors (the text column is for readers).
func binVectorValues() map[string]Value {
	seq := make([]Value, 16)
	for i := range seq {
		seq[i] = Int(int64(i))
	}
	return map[string]Value{
		"nil":              Nil(),
		"void":             Void(),
		"false":            False,
		"true":             True,
		"int-0":            Int(0),
		"int-63":           Int(63),
		"int-64":           Int(64),
		"int-minus-1":      Int(-1),
		"int-minus-32":     Int(-32),
		"int-minus-33":     Int(-33),
		"int-1000":         Int(1000),
		"int-max":          Int(math.MaxInt64),
		"int-min":          Int(math.MinInt64),
		"big-2^63":         BigInt(binBigFromString("9223372036854775808")),
		"big-minus-2^63-1": BigInt(binBigFromString("-9223372036854775809")),
		"big-30-digits":    BigInt(binBigFromString("123456789012345678901234567890")),
		"float-1":          Float(1),
		"float-2.5":        Float(2.5),
		"float-minus-0":    Float(math.Copysign(0, -1)),
		"float-inf":        Float(math.Inf(1)),
		"float-minus-inf":  Float(math.Inf(-1)),
		"float-nan":        Float(math.NaN()),
		"string-empty":     String(""),
		"string-hi":        String("hi"),
		"string-utf8":      String("héllo"),
		"string-32":        String("abcdefghijklmnopqrstuvwxyz012345"),
		"symbol-a":         Symbol("a"),
		"symbol-set!":      Symbol("set!"),
		"symbol-32":        Symbol("abcdefghijklmnopqrstuvwxyz012345"),
		"char-a":           Char('a'),
		"char-emoji":       Char('\U0001F600'),
		"list-empty":       List(),
		"list":             List(Int(1), String("two"), Symbol("three")),
		"list-16":          List(seq...),
		"list-frozen":      List(Int(1), Int(2)).Freeze(),
		"props-empty":      PropMap(),
		"props":            PropMap(Prop{"name", String("Ada")}, Prop{"age", Int(36)}),
		"props-frozen":     PropMap(Prop{"a", Int(1)}).Freeze(),
		"map-empty":        Map(),
		"map":              Map(Entry{String("k"), Int(1)}, Entry{Int(2), List(Symbol("x"))}),
		"node-empty":       binNode(Nil(), false, nil, nil),
		"node-nil-head":    binNode(Nil(), true, nil, nil),
		"node-head":        binNode(Symbol("f"), true, nil, nil),
		"node-no-head":     binNode(Nil(), false, Props{{"a", Int(1)}}, nil),
		"node-full": binNode(Symbol("point"), true, Props{{"x", Int(1)}, {"y", Int(2)}},
			Props{{"doc", String("origin")}}, Symbol("child")),
		"node-frozen":   binNode(Symbol("h"), true, Props{{"p", Int(1)}}, nil, Symbol("x")).Freeze(),
		"bytes":         Bytes([]byte("Hello")),
		"regex":         RegexValue(`[a-z]+\d`, "i"),
		"date":          Date(Temporal{Year: 2026, Month: 11, Day: 24}),
		"time":          Time(Temporal{Hour: 9, Minute: 30}),
		"time-offset":   Time(Temporal{Hour: 9, Minute: 30, Second: 15, Micro: 250000, HasOffset: true, Offset: 60}),
		"datetime-z":    DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, HasOffset: true}),
		"datetime-zone": DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, HasOffset: true, Offset: -300, Zone: "America/New_York"}),
		"request":       binRequestMessage(),
	}
}

type binVector struct {
	name, text, hex string
}

func binReadVectors(t *testing.T) (lines []string, vs []binVector) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "binary", "vectors.txt"))
	require.NoError(t, err)
	lines = strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for _, line := range lines {
		if strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, " | ")
		require.Len(t, parts, 3, "vector line %q", line)
		vs = append(vs, binVector{name: parts[0], text: parts[1], hex: strings.TrimSpace(parts[2])})
	}
	return lines, vs
}

// binSpacedHex writes b as upper-case hex bytes separated by spaces.
func binSpacedHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02X", c)
	}
	return sb.String()
}

func binUnhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err, "hex %q", s)
	return b
}

func TestBinaryVectors(t *testing.T) {
	values := binVectorValues()
	lines, vs := binReadVectors(t)
	if *binUpdateVectors {
		binUpdateVectorFiles(t, lines, vs, values)
		lines, vs = binReadVectors(t)
	}
	seen := map[string]bool{}
	for _, vec := range vs {
		t.Run(vec.name, func(t *testing.T) {
			seen[vec.name] = true
			v, ok := values[vec.name]
			require.True(t, ok, "no Go value for vector %q", vec.name)
			text, err := AppendTextStrict(nil, v)
			require.NoError(t, err)
			assert.Equal(t, vec.text, string(text), "the text column is the value's canonical text")
			parsed, err := Parse([]byte(vec.text))
			require.NoError(t, err)
			if f, ok := v.AsFloat(); ok && math.IsNaN(f) {
				pf, _ := parsed.AsFloat()
				assert.True(t, math.IsNaN(pf), "the text column reads as the value")
			} else {
				binAssertIdentical(t, v, parsed)
			}
			enc := AppendBinary(nil, v)
			assert.Equal(t, vec.hex, binSpacedHex(enc), "encoding of %s", vec.text)
			got, n, err := DecodeBinary(binUnhex(t, vec.hex), BinaryOptions{})
			require.NoError(t, err)
			assert.Equal(t, len(enc), n)
			binAssertIdentical(t, v, got)
		})
	}
	for name := range values {
		assert.True(t, seen[name], "value %q has no line in vectors.txt", name)
	}
}

// TestBinaryDocShowsVectors keeps the table of BINARY.md the same as
// vectors.txt, so the specification cannot drift from the tested bytes.
func TestBinaryDocShowsVectors(t *testing.T) {
	_, vs := binReadVectors(t)
	doc, err := os.ReadFile("BINARY.md")
	require.NoError(t, err)
	section, ok := binVectorSection(string(doc))
	require.True(t, ok, "BINARY.md lacks the vector table markers")
	assert.Equal(t, binRenderVectorTable(vs), section)
	// The worked example shows the request message 16 bytes to a line.
	hexBytes := strings.Fields(binSpacedHex(AppendBinary(nil, binRequestMessage())))
	var block strings.Builder
	for i := 0; i < len(hexBytes); i += 16 {
		block.WriteString("    " + strings.Join(hexBytes[i:min(i+16, len(hexBytes))], " ") + "\n")
	}
	assert.Contains(t, string(doc), "\n\n"+block.String()+"\n", "worked example")
}

const (
	binVectorsBegin = "<!-- vectors: generated from testdata/binary/vectors.txt -->\n"
	binVectorsEnd   = "<!-- end of vectors -->\n"
)

func binVectorSection(doc string) (string, bool) {
	i := strings.Index(doc, binVectorsBegin)
	j := strings.Index(doc, binVectorsEnd)
	if i < 0 || j < i {
		return "", false
	}
	return doc[i+len(binVectorsBegin) : j], true
}

func binRenderVectorTable(vs []binVector) string {
	var sb strings.Builder
	sb.WriteString("| Gene text | bytes (hex) |\n|---|---|\n")
	for _, v := range vs {
		fmt.Fprintf(&sb, "| `%s` | `%s` |\n", strings.ReplaceAll(v.text, "|", `\|`), v.hex)
	}
	return sb.String()
}

func binUpdateVectorFiles(t *testing.T, lines []string, vs []binVector, values map[string]Value) {
	var out []string
	i := 0
	for _, line := range lines {
		if strings.HasPrefix(line, "#") {
			out = append(out, line)
			continue
		}
		v := &vs[i]
		i++
		val, ok := values[v.name]
		require.True(t, ok, "no Go value for vector %q", v.name)
		v.hex = binSpacedHex(AppendBinary(nil, val))
		out = append(out, v.name+" | "+v.text+" | "+v.hex)
	}
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "binary", "vectors.txt"), []byte(strings.Join(out, "\n")+"\n"), 0o644))
	doc, err := os.ReadFile("BINARY.md")
	require.NoError(t, err)
	old, ok := binVectorSection(string(doc))
	require.True(t, ok, "BINARY.md lacks the vector table markers")
	newDoc := strings.Replace(string(doc), binVectorsBegin+old+binVectorsEnd, binVectorsBegin+binRenderVectorTable(vs)+binVectorsEnd, 1)
	require.NoError(t, os.WriteFile("BINARY.md", []byte(newDoc), 0o644))
}

// identical reports whether a and b are the same value in every detail the
// encoding carries: Equal's rules plus float bits (so nan and -0.0 count),
// entry order, and meta.
func binIdentical(a, b Value) bool {
	if a.kind != b.kind || a.frozen != b.frozen {
		return false
	}
	switch a.kind {
	case KindFloat:
		return a.n == b.n
	case KindList:
		return binIdenticalValues(a.List(), b.List())
	case KindProps:
		return binIdenticalProps(a.Props(), b.Props())
	case KindMap:
		ea, eb := a.Entries(), b.Entries()
		if len(ea) != len(eb) {
			return false
		}
		for i := range ea {
			if !binIdentical(ea[i].Key, eb[i].Key) || !binIdentical(ea[i].Value, eb[i].Value) {
				return false
			}
		}
		return true
	case KindNode:
		na, nb := a.Node(), b.Node()
		return na.HasHead == nb.HasHead && binIdentical(na.Head, nb.Head) &&
			binIdenticalProps(na.Props, nb.Props) && binIdenticalProps(na.Meta, nb.Meta) &&
			binIdenticalValues(na.Body, nb.Body)
	}
	return Equal(a, b)
}

func binIdenticalValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !binIdentical(a[i], b[i]) {
			return false
		}
	}
	return true
}

func binIdenticalProps(a, b Props) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !binIdentical(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func binAssertIdentical(t testing.TB, want, got Value) {
	t.Helper()
	if !binIdentical(want, got) {
		t.Errorf("values differ:\nwant %s\n got %s", binDescribe(want), binDescribe(got))
	}
}

// describe renders a value for failure messages without the text writer.
func binDescribe(v Value) string {
	switch v.kind {
	case KindInt:
		return v.BigInt().String()
	case KindFloat:
		return fmt.Sprintf("float(%#x)", v.n)
	case KindString:
		return fmt.Sprintf("%q", v.Str())
	case KindSymbol:
		return v.Str()
	case KindList:
		var parts []string
		for _, e := range v.List() {
			parts = append(parts, binDescribe(e))
		}
		return fmt.Sprintf("list(frozen=%v)[%s]", v.frozen, strings.Join(parts, " "))
	case KindProps:
		return fmt.Sprintf("props(frozen=%v)%s", v.frozen, binDescribeProps(v.Props()))
	case KindNode:
		n := v.Node()
		var parts []string
		for _, e := range n.Body {
			parts = append(parts, binDescribe(e))
		}
		return fmt.Sprintf("binNode(frozen=%v head=%v:%s props=%s meta=%s body=[%s])", v.frozen, n.HasHead,
			binDescribe(n.Head), binDescribeProps(n.Props), binDescribeProps(n.Meta), strings.Join(parts, " "))
	}
	return fmt.Sprintf("%s%+v", v.kind, v)
}

func binDescribeProps(ps Props) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, "^"+p.Key+" "+binDescribe(p.Value))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// binRoundTripValues covers every kind and the edges of each.
func binRoundTripValues() map[string]Value {
	long := strings.Repeat("ü", 300) // past the arena's small-string size
	many := make([]Value, 300)
	manyProps := make(Props, 40)
	manyEntries := make([]Entry, 40)
	for i := range many {
		many[i] = Int(int64(i * i * 1000))
	}
	for i := range manyProps {
		manyProps[i] = Prop{fmt.Sprintf("k%d", i), Int(int64(i))}
		manyEntries[i] = Entry{List(Int(int64(i)), String("x")), Float(float64(i))}
	}
	vals := map[string]Value{
		"big-2^64":          BigInt(binBigFromString("18446744073709551616")),
		"big-minus-2^64":    BigInt(binBigFromString("-18446744073709551616")),
		"big-100-digits":    BigInt(binBigFromString(strings.Repeat("9", 100))),
		"big-minus-max+1":   BigInt(binBigFromString("-9223372036854775810")),
		"int-minus-64":      Int(-64),
		"int-2^32":          Int(1 << 32),
		"nan-payload":       Float(math.Float64frombits(0x7ff8_0000_dead_beef)),
		"negative-nan":      Float(math.Float64frombits(0xfff8_0000_0000_0001)),
		"smallest-denormal": Float(math.SmallestNonzeroFloat64),
		"string-31":         String(strings.Repeat("a", 31)),
		"string-long":       String(long),
		"string-nul":        String("a\x00b"),
		"symbol-utf8":       Symbol("λ→x"),
		"symbol-empty":      Symbol(""),
		"char-nul":          Char(0),
		"char-max":          Char(0x10FFFF),
		"list-15":           List(many[:15]...),
		"list-300":          List(many...),
		"list-frozen-empty": List().Freeze(),
		"list-nested":       List(List(List(List()))),
		"props-16":          PropMap(manyProps[:16]...),
		"props-40":          PropMap(manyProps...),
		"props-frozen-20":   PropMap(manyProps[:20]...).Freeze(),
		"props-void":        PropMap(Prop{"a", Void()}),
		"map-40":            Map(manyEntries...),
		"map-any-keys": Map(Entry{Nil(), Int(1)}, Entry{Float(math.NaN()), Int(2)}, Entry{Float(math.NaN()), Int(3)},
			Entry{PropMap(Prop{"a", Int(1)}), Int(4)}, Entry{Map(), Int(5)}),
		"node-no-head-body": binNode(Nil(), false, Props{{"a", Int(1)}}, nil, Symbol("x")),
		"node-meta-only":    binNode(Nil(), false, nil, Props{{"doc", String("x")}, {"flag", True}}),
		"node-all-parts":    binNode(List(Int(1)), true, manyProps[:20], manyProps[20:], many[:20]...).Freeze(),
		"node-in-head":      binNode(binNode(Symbol("f"), true, nil, Props{{"m", Int(1)}}), true, nil, nil, Int(1)),
		"node-meta-deep":    List(binNode(Symbol("a"), true, nil, Props{{"m", binNode(Symbol("b"), true, nil, Props{{"n", Int(1)}})}})),
		"bytes-empty":       Bytes([]byte{}),
		"bytes-binary":      Bytes([]byte{0, 0xff, 0x80, 0xc0}),
		"regex-flags":       RegexValue(`a"b\`, "imsx"),
		"regex-empty":       RegexValue("", ""),
		"date-leap-day":     Date(Temporal{Year: 2024, Month: 2, Day: 29}),
		"time-max": Time(Temporal{Hour: 23, Minute: 59, Second: 59, Micro: 999999,
			HasOffset: true, Offset: -1439, Zone: "Etc/GMT+12"}),
		"time-zone-no-offset": Time(Temporal{Hour: 1, Zone: "Europe/Paris"}),
		"datetime-micro":      DateTime(Temporal{Year: 1, Month: 1, Day: 1, Micro: 1}),
		"regex-repeated-flag": RegexValue("a", "ii"),
	}
	for name, v := range binVectorValues() {
		vals["vector-"+name] = v
	}
	return vals
}

func TestBinaryRoundTrip(t *testing.T) {
	for name, v := range binRoundTripValues() {
		t.Run(name, func(t *testing.T) {
			enc := AppendBinary(nil, v)
			require.Equal(t, len(enc), BinarySize(v), "BinarySize")
			got, n, err := DecodeBinary(enc, BinaryOptions{})
			require.NoError(t, err)
			require.Equal(t, len(enc), n)
			binAssertIdentical(t, v, got)
			if name != "map-any-keys" && !strings.Contains(name, "nan") {
				assert.True(t, Equal(v, got))
			}
			assert.Equal(t, enc, AppendBinary(nil, got), "re-encoding is byte-identical")

			// Appending after existing bytes and decoding a stream.
			prefix := []byte{0xAA}
			stream := AppendBinary(AppendBinary(prefix, v), Int(7))
			got, n, err = DecodeBinary(stream[1:], BinaryOptions{})
			require.NoError(t, err)
			binAssertIdentical(t, v, got)
			seven, m, err := DecodeBinary(stream[1+n:], BinaryOptions{})
			require.NoError(t, err)
			assert.Equal(t, 1, m)
			assert.True(t, Equal(Int(7), seven))

			doc := AppendBinaryDoc(nil, v)
			got, n, err = DecodeBinaryDoc(doc, BinaryOptions{})
			require.NoError(t, err)
			assert.Equal(t, len(doc), n)
			binAssertIdentical(t, v, got)
		})
	}
}

// TestBinaryCarriesText reads Gene text, sends it through the binary
// encoding and writes it again: the text must come out as the text writer
// writes the value read.
func TestBinaryCarriesText(t *testing.T) {
	docs := []string{
		`(request ^id 42 ^method "get" @trace "t-1" @@sampled ^^cached [1 2.5 "x"] {^a {^b #[c]}})`,
		`{{"k" : 1  2 : [x]  nil : #{^z 0}  (f) : -0.0}}`,
		`[123456789012345678901234567890 -98765432109876543210 0xff -0x1F 9223372036854775807]`,
		`[inf -inf 6.02e23 1e-300 'a' '\n' '\u{1F600}' """He said "hi" """]`,
		`#(h ^p 1 x #[] #{} ())`,
		`[#B16#48656c6c6f #B64#SGVsbG8= #B#01001000 #"[a-z]+\d"i #"""a "quoted" part"""]`,
		`[2026-11-24 09:30 09:30:15.25+01:00 2026-11-24T09:30:00Z 2024-02-29T23:59:59.999999-05:00[America/New_York]]`,
		"(a; b c; d) `x %y z... /user/name user/name $parse",
		`[nil void true false set! + <= a.b ~x]`,
	}
	for _, doc := range docs {
		t.Run(doc, func(t *testing.T) {
			vals, err := ParseAll([]byte(doc), ReadOptions{})
			require.NoError(t, err)
			for _, v := range vals {
				want, err := AppendTextStrict(nil, v)
				require.NoError(t, err)
				got, n, err := DecodeBinary(AppendBinary(nil, v), BinaryOptions{})
				require.NoError(t, err)
				require.Equal(t, BinarySize(v), n)
				text, err := AppendTextStrict(nil, got)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(text))
				binAssertIdentical(t, v, got)
			}
		})
	}
}

// TestBinaryDecodeCopies checks that decoded values share no memory with
// the input, which a stream reader reuses.
func TestBinaryDecodeCopies(t *testing.T) {
	v := List(String("hello"), Symbol("sym"), Bytes([]byte("raw")), PropMap(Prop{"key", String(strings.Repeat("z", 400))}),
		RegexValue("re", "i"), DateTime(Temporal{Year: 2000, Month: 1, Day: 1, HasOffset: true, Zone: "UTC"}))
	enc := AppendBinary(nil, v)
	got, _, err := DecodeBinary(enc, BinaryOptions{})
	require.NoError(t, err)
	for i := range enc {
		enc[i] = 0xEE
	}
	binAssertIdentical(t, v, got)
}

func TestBinaryEncoderRepairs(t *testing.T) {
	tests := []struct {
		name      string
		in, want  Value
		wantBytes string
	}{
		{"bad utf8 string", String("a\xffb"), String("a\uFFFDb"), "45 61 EF BF BD 62"},
		{"bad utf8 symbol", Symbol("\xc3"), Symbol("\uFFFD"), "63 EF BF BD"},
		{"bad utf8 key", PropMap(Prop{"\xff", Int(1)}), PropMap(Prop{"\uFFFD", Int(1)}), "91 03 EF BF BD 01"},
		{"surrogate char", Char(0xD800), Char(0xFFFD), "CA FD FF 03"},
		{"negative char", Char(-1), Char(0xFFFD), "CA FD FF 03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := AppendBinary(nil, tt.in)
			assert.Equal(t, tt.wantBytes, binSpacedHex(enc))
			assert.Equal(t, len(enc), BinarySize(tt.in))
			got, _, err := DecodeBinary(enc, BinaryOptions{})
			require.NoError(t, err)
			binAssertIdentical(t, tt.want, got)
		})
	}
}

// TestBinaryTruncated cuts encodings at every byte: each prefix must be
// reported as incomplete, never as invalid, so a stream reader waits.
func TestBinaryTruncated(t *testing.T) {
	for name, v := range binRoundTripValues() {
		t.Run(name, func(t *testing.T) {
			enc := AppendBinary(nil, v)
			for i := 0; i < len(enc); i++ {
				_, n, err := DecodeBinary(enc[:i], BinaryOptions{})
				require.Error(t, err, "prefix of %d bytes", i)
				require.ErrorIs(t, err, ErrIncomplete, "prefix of %d bytes", i)
				require.ErrorIs(t, err, ErrBinary)
				require.Zero(t, n)
			}
			doc := AppendBinaryDoc(nil, v)
			for i := 0; i < len(doc); i++ {
				_, _, err := DecodeBinaryDoc(doc[:i], BinaryOptions{})
				require.ErrorIs(t, err, ErrIncomplete, "document prefix of %d bytes", i)
			}
		})
	}
}

type binErrClass int

const (
	classInvalid binErrClass = iota
	classIncomplete
	classLimit
)

func binCheckErr(t *testing.T, err error, class binErrClass, msg string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, ErrBinary)
	var be *BinaryError
	require.ErrorAs(t, err, &be)
	assert.Contains(t, err.Error(), msg)
	assert.Equal(t, class == classIncomplete, errors.Is(err, ErrIncomplete), "incomplete: %v", err)
	assert.Equal(t, class == classLimit, errors.Is(err, ErrLimit), "limit: %v", err)
	if class == classLimit {
		var le *LimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "offset "+itoa(be.Offset), le.Where)
	}
}

func TestBinaryMalformed(t *testing.T) {
	tests := []struct {
		name  string
		hex   string
		class binErrClass
		msg   string
	}{
		{"empty", "", classIncomplete, "offset 0: input ends before a value"},
		{"reserved tag a0", "A0", classInvalid, "offset 0: unknown tag 0xa0"},
		{"reserved tag bf", "BF", classInvalid, "unknown tag 0xbf"},
		{"reserved tag d6", "D6", classInvalid, "unknown tag 0xd6"},
		{"reserved tag df", "DF", classInvalid, "unknown tag 0xdf"},
		{"reserved tag in list", "82 01 A5", classInvalid, "offset 2: unknown tag 0xa5"},
		{"bad utf8 string", "42 C3 28", classInvalid, "offset 0: string is not valid UTF-8 (byte 0xc3 at offset 1)"},
		{"bad utf8 symbol", "61 FF", classInvalid, "symbol is not valid UTF-8"},
		{"surrogate in string", "43 ED A0 80", classInvalid, "string is not valid UTF-8"},
		{"bad utf8 prop key", "91 01 FF 01", classInvalid, "prop key is not valid UTF-8"},
		{"bad utf8 regex", "D0 01 FF 00", classInvalid, "regex pattern is not valid UTF-8"},
		{"non-minimal varint", "C4 80 00", classInvalid, "offset 1: varint integer is not minimal"},
		{"non-minimal length", "C8 A0 80 00", classInvalid, "varint string length is not minimal"},
		{"varint past 64 bits", "C4 FF FF FF FF FF FF FF FF FF 02", classInvalid, "overflows 64 bits"},
		{"varint 11 bytes", "C4 FF FF FF FF FF FF FF FF FF FF 01", classInvalid, "overflows 64 bits"},
		{"fixint as c4", "C4 02", classInvalid, "integer 1 written with tag 0xc4"},
		{"neg fixint as c4", "C4 01", classInvalid, "integer -1 written with tag 0xc4"},
		{"short string as c8", "C8 01 61", classInvalid, "1-byte string written with tag 0xc8"},
		{"short symbol as c9", "C9 00", classInvalid, "0-byte symbol written with tag 0xc9"},
		{"short list as cb", "CB 01 00", classInvalid, "list of 1 written with tag 0xcb"},
		{"short props as cc", "CC 00", classInvalid, "prop map of 0 written with tag 0xcc"},
		{"big fits int64", "C5 08 7F FF FF FF FF FF FF FF", classInvalid, "integer fits in 64 bits"},
		{"big -2^63 fits", "C6 08 80 00 00 00 00 00 00 00", classInvalid, "integer fits in 64 bits"},
		{"big short", "C5 01 05", classInvalid, "integer fits in 64 bits"},
		{"big leading zero", "C5 09 00 80 00 00 00 00 00 00 00", classInvalid, "leading zero byte"},
		{"big empty", "C5 00", classInvalid, "leading zero byte"},
		{"char surrogate", "CA 80 B0 03", classInvalid, "char U+D800 is not a Unicode scalar value"},
		{"char too big", "CA 80 80 44", classInvalid, "char U+110000 is not a Unicode scalar value"},
		{"duplicate prop key", "92 01 61 01 01 61 02", classInvalid, "offset 4: duplicate prop key \"a\""},
		{"duplicate node prop", "CE 02 02 01 61 01 01 61 02", classInvalid, "duplicate prop key \"a\""},
		{"duplicate meta", "CE 04 02 01 6D 01 01 6D 02", classInvalid, "duplicate prop key \"m\""},
		{"duplicate map key", "CD 02 01 02 01 03", classInvalid, "offset 4: duplicate map key 1 (key 1; key 0 of the map at offset 0 is the same)"},
		{"duplicate map zero keys", "CD 02 C7 00 00 00 00 00 00 00 00 00 C7 00 00 00 00 00 00 00 80 00", classInvalid, "duplicate map key"},
		{"node reserved flag", "CE 20", classInvalid, "node flags 0x20 set reserved bits"},
		{"node empty props", "CE 02 00", classInvalid, "offset 2: node props flagged present but empty"},
		{"node empty meta", "CE 04 00", classInvalid, "node meta flagged present but empty"},
		{"node empty body", "CE 08 00", classInvalid, "node body flagged present but empty"},
		{"regex bad flag", "D0 01 61 01 67", classInvalid, "regex flags \"g\""},
		{"regex flag not ascii", "D0 01 61 02 C3 A9", classInvalid, "regex flags \"é\""},
		{"month 13", "D1 D4 1F 1A 02", classInvalid, "offset 0: date: month 13 is out of range"},
		{"day 0", "D1 D4 1F 02 00", classInvalid, "date: day 0 is out of range for the month"},
		{"february 30", "D1 D4 1F 04 3C", classInvalid, "date: day 30 is out of range for the month"},
		{"year 10000", "D1 A0 9C 01 02 02", classInvalid, "date: year 10000 is not four digits"},
		{"year past 32 bits", "D1 80 80 80 80 10 02 02", classInvalid, "year 2147483648 out of range"},
		{"hour 24", "D2 00 30 00 00 00", classInvalid, "time: hour 24 is out of range"},
		{"minute 60", "D2 00 00 78 00 00", classInvalid, "time: minute 60 is out of range"},
		{"second 60", "D2 00 00 00 78 00", classInvalid, "time: second 60 is out of range"},
		{"micro 10^6", "D2 00 00 00 00 80 89 7A", classInvalid, "time: microsecond 1000000 is out of range"},
		{"offset 24h", "D2 01 00 00 00 00 C0 16", classInvalid, "time: offset 1440 minutes is out of range"},
		{"zone with space", "D2 02 00 00 00 00 03 61 20 62", classInvalid, "time: zone name \"a b\" holds ' '"},
		{"datetime zone without offset", "D3 D4 1F 16 30 02 00 00 00 00 01 61", classInvalid, "datetime: a date-time zone name needs an offset"},
		{"time reserved flag", "D2 04 00 00 00 00", classInvalid, "time flags 0x04 set reserved bits"},
		{"empty zone", "D2 02 00 00 00 00 00", classInvalid, "zone name flagged present but empty"},
		{"truncated float", "C7 00 00 00", classIncomplete, "input ends inside a float"},
		{"truncated string", "C8 2A 61 62 63 64", classIncomplete, "offset 0: input ends inside a string of 42 bytes (4 present)"},
		{"truncated varint", "C4 80", classIncomplete, "input ends inside the varint integer"},
		{"count past input", "CB 7F 00", classIncomplete, "input ends inside a list of 127 elements"},
		{"props count past input", "CC 40 01", classIncomplete, "input ends inside a prop map of 64 elements"},
		{"map count past input", "CD 05 01 01", classIncomplete, "input ends inside a map of 5 elements"},
		{"node body past input", "CE 08 05 01", classIncomplete, "input ends inside a node body of 5 elements"},
		{"truncated node flags", "CE", classIncomplete, "input ends before the node flags"},
		{"truncated time flags", "D3 D4 1F 16 30", classIncomplete, "input ends before the time flags"},
		{"hostile 4 GB string", "C8 FF FF FF FF 0F", classLimit, "offset 0: string length 4294967295 exceeds MaxStringBytes (16777216)"},
		{"hostile 4 GB bytes", "CF FF FF FF FF 0F", classLimit, "bytes length 4294967295 exceeds MaxStringBytes"},
		{"hostile huge list", "CB FF FF FF FF 0F", classLimit, "list of 4294967295 elements exceeds MaxElements (1048576)"},
		{"hostile huge map", "CD FF FF FF FF FF FF FF FF FF 01", classLimit, "exceeds MaxElements"},
		{"hostile big int", "C5 FF FF FF 7F", classLimit, "integer of 268435455 bytes exceeds MaxIntDigits (4096)"},
		{"hostile zone", "D2 02 00 00 00 00 FF FF FF FF 0F", classLimit, "zone name length 4294967295 exceeds MaxStringBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, n, err := DecodeBinary(binUnhex(t, tt.hex), BinaryOptions{})
			binCheckErr(t, err, tt.class, tt.msg)
			assert.Zero(t, n)
			assert.True(t, v.IsNil())
		})
	}
}

func TestBinaryLimits(t *testing.T) {
	deep := func(n int) Value {
		v := Int(1)
		for i := 0; i < n; i++ {
			v = List(v)
		}
		return v
	}
	deepNode := func(n int) Value {
		v := Int(1)
		for i := 0; i < n; i++ {
			v = Gene(v)
		}
		return v
	}
	tests := []struct {
		name string
		v    Value
		lim  Limits
		ok   bool
		msg  string
	}{
		{"depth at limit", deep(4), Limits{MaxDepth: 4}, true, ""},
		{"depth past limit", deep(5), Limits{MaxDepth: 4}, false, "offset 4: nesting depth 5 exceeds MaxDepth (4)"},
		{"node head depth", deepNode(3), Limits{MaxDepth: 2}, false, "nesting depth 3 exceeds MaxDepth (2)"},
		{"props depth", PropMap(Prop{"a", PropMap(Prop{"b", Int(1)})}), Limits{MaxDepth: 1}, false, "nesting depth 2"},
		{"map depth", Map(Entry{Map(), Int(1)}), Limits{MaxDepth: 1}, false, "nesting depth 2"},
		{"default depth", deep(DefaultMaxDepth + 1), Limits{}, false, "exceeds MaxDepth (256)"},
		{"no depth limit", deep(DefaultMaxDepth + 1), Limits{MaxDepth: -1}, true, ""},
		{"elements at limit", List(Int(1), Int(2), Int(3)), Limits{MaxElements: 3}, true, ""},
		{"elements past limit", List(Int(1), Int(2), Int(3), Int(4)), Limits{MaxElements: 3}, false, "list of 4 elements exceeds MaxElements (3)"},
		{"node parts add up", binNode(Nil(), false, Props{{"a", Int(1)}}, Props{{"m", Int(1)}}, Int(1), Int(2)),
			Limits{MaxElements: 3}, false, "node of 4 elements exceeds MaxElements (3)"},
		{"string at limit", String("abcd"), Limits{MaxStringBytes: 4}, true, ""},
		{"string past limit", String("abcde"), Limits{MaxStringBytes: 4}, false, "string length 5 exceeds MaxStringBytes (4)"},
		{"symbol past limit", Symbol("abcde"), Limits{MaxStringBytes: 4}, false, "symbol length 5"},
		{"key past limit", PropMap(Prop{"abcde", Int(1)}), Limits{MaxStringBytes: 4}, false, "offset 1: prop key length 5"},
		{"bytes past limit", Bytes([]byte("abcde")), Limits{MaxStringBytes: 4}, false, "bytes length 5"},
		{"regex past limit", RegexValue("abcde", ""), Limits{MaxStringBytes: 4}, false, "regex pattern length 5"},
		{"digits at limit", BigInt(binBigFromString(strings.Repeat("9", 30))), Limits{MaxIntDigits: 30}, true, ""},
		{"digits past limit", BigInt(binBigFromString("1" + strings.Repeat("0", 30))), Limits{MaxIntDigits: 30}, false, "exceeds MaxIntDigits (30)"},
		{"negative digits past limit", BigInt(binBigFromString("-1" + strings.Repeat("0", 30))), Limits{MaxIntDigits: 30}, false, "exceeds MaxIntDigits (30)"},
		{"digits far past limit", BigInt(binBigFromString(strings.Repeat("9", 200))), Limits{MaxIntDigits: 30}, false, "exceeds MaxIntDigits (30)"},
		{"value bytes at limit", String("abc"), Limits{MaxValueBytes: 4}, true, ""},
		{"value bytes past limit", String("abcd"), Limits{MaxValueBytes: 4}, false, "value of at least 5 bytes exceeds MaxValueBytes (4)"},
		{"value bytes in list", List(Int(1), Int(2), Int(3), Int(4)), Limits{MaxValueBytes: 4}, false, "exceeds MaxValueBytes (4)"},
		{"composite keys at limit", compositeKeyMap(3, false), Limits{MaxCompositeKeys: 3}, true, ""},
		{"composite keys past limit", Map(Entry{List(), Int(1)}, Entry{Int(2), Int(2)}, Entry{PropMap(), Int(3)}, Entry{Gene(Int(1)), Int(4)}),
			Limits{MaxCompositeKeys: 2}, false, "offset 8: composite key 3 (a node) of the map at offset 0 exceeds MaxCompositeKeys (2)"},
		{"default composite keys", compositeKeyMap(DefaultMaxCompositeKeys+1, false), Limits{}, false, "composite key 4097 (a list) of the map at offset 0 exceeds MaxCompositeKeys (4096)"},
		{"no composite keys limit", compositeKeyMap(DefaultMaxCompositeKeys+1, false), Limits{MaxCompositeKeys: -1}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := AppendBinary(nil, tt.v)
			got, _, err := DecodeBinary(enc, BinaryOptions{Limits: tt.lim})
			if tt.ok {
				require.NoError(t, err)
				binAssertIdentical(t, tt.v, got)
				return
			}
			binCheckErr(t, err, classLimit, tt.msg)
		})
	}
}

// TestBinaryDigitsBoundary walks the exact MaxIntDigits boundary, where
// the bit length alone cannot decide.
func TestBinaryDigitsBoundary(t *testing.T) {
	for _, digits := range []int{19, 20, 21, 39, 40, 100, 617} {
		ten := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
		below := new(big.Int).Sub(ten, big.NewInt(1)) // `digits` nines
		for _, neg := range []bool{false, true} {
			b, a := new(big.Int).Set(below), new(big.Int).Set(ten)
			if neg {
				b.Neg(b)
				a.Neg(a)
			}
			lim := BinaryOptions{Limits: Limits{MaxIntDigits: digits}}
			_, _, err := DecodeBinary(AppendBinary(nil, BigInt(b)), lim)
			if b.IsInt64() {
				require.NoError(t, err)
				continue
			}
			require.NoError(t, err, "%d digits", digits)
			_, _, err = DecodeBinary(AppendBinary(nil, BigInt(a)), lim)
			require.ErrorIs(t, err, ErrLimit, "%d+1 digits", digits)
		}
	}
}

// TestBinaryHostileAllocation decodes inputs that claim huge sizes and
// checks that the decoder fails without allocating for the claim.
func TestBinaryHostileAllocation(t *testing.T) {
	inputs := []struct {
		name, hex string
		allocs    float64 // most allocations: the error, and the containers present
	}{
		{"4 GB string", "C8 FF FF FF FF 0F", 12},
		{"1M-element list", "CB 80 80 40", 12},
		{"1M-entry map", "CD 80 80 40 01", 12},
		{"1M-body node", "CE 08 80 80 40", 12},
		{"16 MB string", "C8 80 80 80 08", 12},
		{"list claiming 1M inside a list", "81 CB 80 80 40", 13},
		{"1000 nested lists", strings.Repeat("81 ", 1000), 256 + 12},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			data := binUnhex(t, in.hex)
			// AllocsPerRun counts every allocation of the process; the
			// least of a few measurements leaves out the odd one the race
			// detector or the runtime makes meanwhile.
			allocs := math.Inf(1)
			for range 5 {
				allocs = min(allocs, testing.AllocsPerRun(10, func() {
					_, _, err := DecodeBinary(data, BinaryOptions{})
					require.Error(t, err)
				}))
			}
			assert.LessOrEqual(t, allocs, in.allocs)
			var before, after binRuntimeMem
			before.read()
			_, _, _ = DecodeBinary(data, BinaryOptions{})
			after.read()
			assert.Less(t, after.total-before.total, uint64(64<<10), "bytes allocated")
		})
	}
}

func TestBinaryDoc(t *testing.T) {
	doc := AppendBinaryDoc(nil, Int(5))
	require.Equal(t, "89 47 4E 42 01 05", binSpacedHex(doc))

	tests := []struct {
		name  string
		hex   string
		class binErrClass
		msg   string
	}{
		{"empty", "", classIncomplete, "offset 0: input ends inside the document header"},
		{"partial magic", "89 47", classIncomplete, "offset 2: input ends inside the document header"},
		{"no version", "89 47 4E 42", classIncomplete, "offset 4: input ends before the version byte"},
		{"no value", "89 47 4E 42 01", classIncomplete, "offset 5: input ends before a value"},
		{"text not binary", "28 61 29", classInvalid, "offset 0: not a Gene binary document: starts with 28, want 89"},
		{"wrong magic", "89 47 4E 58 01 05", classInvalid, "not a Gene binary document: starts with 89 47 4e 58, want 89 47 4e 42"},
		{"version 2", "89 47 4E 42 02 05", classInvalid, "offset 4: unsupported binary encoding version 2 (this decoder reads version 1)"},
		{"version 0", "89 47 4E 42 00 05", classInvalid, "unsupported binary encoding version 0"},
		{"trailing garbage", "89 47 4E 42 01 05 06 07", classInvalid, "offset 6: 2 bytes after the document's value"},
		{"error offsets count the header", "89 47 4E 42 01 A0", classInvalid, "offset 5: unknown tag 0xa0"},
		{"limit past header", "89 47 4E 42 01 C8 FF FF FF FF 0F", classLimit, "offset 5: string length 4294967295 exceeds MaxStringBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := DecodeBinaryDoc(binUnhex(t, tt.hex), BinaryOptions{})
			binCheckErr(t, err, tt.class, tt.msg)
			assert.Zero(t, n)
		})
	}
	t.Run("value bytes exclude header", func(t *testing.T) {
		v, _, err := DecodeBinaryDoc(AppendBinaryDoc(nil, String("abc")), BinaryOptions{Limits: Limits{MaxValueBytes: 4}})
		require.NoError(t, err)
		assert.Equal(t, "abc", v.Str())
	})
}

func TestBinaryErrorText(t *testing.T) {
	// The last element of a 15-element list claims a 4 GB string: the
	// message names that element's offset, the claim and the limit.
	enc := AppendBinary(nil, List(binSeqInts(15)...))
	enc = append(enc[:len(enc)-1], binUnhex(t, "C8 FF FF FF FF 0F")...)
	_, _, err := DecodeBinary(enc, BinaryOptions{})
	require.EqualError(t, err, "gene: binary: offset 15: string length 4294967295 exceeds MaxStringBytes (16777216)")
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, LimitError{Limit: "MaxStringBytes", Max: DefaultMaxStringBytes, Where: "offset 15"}, *le)
}

// binRuntimeMem samples the bytes allocated so far by the process.
type binRuntimeMem struct{ total uint64 }

func (m *binRuntimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}

func binSeqInts(n int) []Value {
	vs := make([]Value, n)
	for i := range vs {
		vs[i] = Int(int64(i))
	}
	return vs
}

// binFuzzLimits are small, so the fuzzer reaches every limit quickly.
var binFuzzLimits = Limits{MaxDepth: 8, MaxElements: 32, MaxStringBytes: 64, MaxIntDigits: 40, MaxValueBytes: 1024}

// FuzzBinary decodes arbitrary bytes. It must never panic; whatever
// decodes must respect the limits, re-encode to exactly the bytes it came
// from (the encoding is canonical) and decode again to the same value,
// also with a BinaryDecoder that decoded another value first; its every
// prefix must be incomplete; and the decoder must not allocate more
// than a small multiple of the input, whatever lengths the input claims.
func FuzzBinary(f *testing.F) {
	// The committed corpus in testdata/fuzz/FuzzBinary holds the vectors
	// and the malformed inputs; a few more are added here.
	f.Add([]byte{})
	f.Add(AppendBinary(nil, binRequestMessage()))
	f.Add(AppendBinaryDoc(nil, List(Int(1), String("x"))))
	opts := BinaryOptions{Limits: binFuzzLimits}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after binRuntimeMem
		before.read()
		v, n, err := DecodeBinary(data, opts)
		after.read()
		if grew := after.total - before.total; grew > uint64(200*len(data)+16<<10) {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(data), grew)
		}
		_, _, docErr := DecodeBinaryDoc(data, opts)
		if docErr != nil {
			binCheckFuzzErr(t, docErr, len(data))
		}
		if err != nil {
			binCheckFuzzErr(t, err, len(data))
			return
		}
		require.Positive(t, n)
		require.LessOrEqual(t, n, min(len(data), binFuzzLimits.MaxValueBytes))
		binCheckWithinLimits(t, v, binFuzzLimits, 0)

		enc := AppendBinary(nil, v)
		require.Equal(t, data[:n], enc, "re-encoding is byte-identical")
		require.Equal(t, len(enc), BinarySize(v))
		again, m, err := DecodeBinary(enc, opts)
		require.NoError(t, err)
		require.Equal(t, n, m)
		require.True(t, binIdentical(v, again), "decoded twice differently")

		// A BinaryDecoder decodes it the same after another value, and
		// leaves that value's shared storage alone.
		dec := BinaryDecoder{Options: opts}
		first := AppendBinary(nil, binRequestMessage())
		fv, _, err := dec.Decode(first)
		require.NoError(t, err)
		shared, m, err := dec.Decode(data)
		require.NoError(t, err)
		require.Equal(t, n, m)
		require.True(t, binIdentical(v, shared), "decoded differently by a BinaryDecoder")
		require.Equal(t, first, AppendBinary(nil, fv), "the first value changed")

		if n <= 256 {
			for i := 0; i < n; i++ {
				_, _, err := DecodeBinary(data[:i], opts)
				require.ErrorIs(t, err, ErrIncomplete, "prefix of %d of %d bytes", i, n)
			}
		}
	})
}

func binCheckFuzzErr(t *testing.T, err error, size int) {
	t.Helper()
	require.ErrorIs(t, err, ErrBinary)
	var be *BinaryError
	require.ErrorAs(t, err, &be)
	require.GreaterOrEqual(t, be.Offset, 0)
	require.LessOrEqual(t, be.Offset, size)
	require.NotEmpty(t, be.Msg)
	require.True(t, utf8.ValidString(err.Error()), "error text is not valid UTF-8: %q", err.Error())
	require.False(t, errors.Is(err, ErrIncomplete) && errors.Is(err, ErrLimit), "incomplete and over a limit: %v", err)
}

// binCheckWithinLimits walks a decoded value and checks every limit held.
func binCheckWithinLimits(t *testing.T, v Value, lim Limits, depth int) {
	t.Helper()
	walk := func(vs ...Value) {
		for _, e := range vs {
			binCheckWithinLimits(t, e, lim, depth+1)
		}
	}
	walkProps := func(ps Props) {
		for _, p := range ps {
			require.LessOrEqual(t, len(p.Key), lim.MaxStringBytes)
			binCheckWithinLimits(t, p.Value, lim, depth+1)
		}
	}
	switch v.kind {
	case KindList, KindProps, KindMap, KindNode:
		require.Less(t, depth, lim.MaxDepth)
	}
	switch v.kind {
	case KindInt:
		if v.IsBig() {
			require.LessOrEqual(t, len(new(big.Int).Abs(v.BigInt()).String()), lim.MaxIntDigits)
		}
	case KindString, KindSymbol, KindBytes:
		require.LessOrEqual(t, v.Len(), lim.MaxStringBytes)
	case KindRegex:
		require.LessOrEqual(t, len(v.Regex().Pattern), lim.MaxStringBytes)
	case KindList:
		require.LessOrEqual(t, v.Len(), lim.MaxElements)
		walk(v.List()...)
	case KindProps:
		require.LessOrEqual(t, v.Len(), lim.MaxElements)
		walkProps(v.Props())
	case KindMap:
		require.LessOrEqual(t, v.Len(), lim.MaxElements)
		for _, e := range v.Entries() {
			walk(e.Key, e.Value)
		}
	case KindNode:
		nd := v.Node()
		require.LessOrEqual(t, len(nd.Props)+len(nd.Meta)+len(nd.Body), lim.MaxElements)
		if nd.HasHead {
			walk(nd.Head)
		}
		walkProps(nd.Props)
		walkProps(nd.Meta)
		walk(nd.Body...)
	}
}

// TestBinaryAllocations pins the allocations of the fast paths: decoding
// the request message costs one slab each for its nodes, prop entries and
// list elements plus one for all its strings, and encoding into a large
// enough buffer costs none.
func TestBinaryAllocations(t *testing.T) {
	msg := binRequestMessage()
	enc := AppendBinary(nil, msg)
	decode := testing.AllocsPerRun(100, func() {
		if _, _, err := DecodeBinary(enc, BinaryOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	// The node slab, the prop slab (node props and headers), the value slab
	// (the body list), the strings.
	assert.Equal(t, 4.0, decode)
	buf := make([]byte, 0, BinarySize(msg))
	encode := testing.AllocsPerRun(100, func() { buf = AppendBinary(buf[:0], msg) })
	assert.Zero(t, encode)
}

func ExampleAppendBinary() {
	v := List(Int(1), String("two"), Symbol("three"))
	buf := AppendBinary(nil, v)
	fmt.Printf("% X\n", buf)
	fmt.Println(len(buf) == BinarySize(v))
	// Output:
	// 83 01 43 74 77 6F 65 74 68 72 65 65
	// true
}

func ExampleDecodeBinary() {
	// Two values arrive in pieces; ErrIncomplete means "wait for more".
	stream := AppendBinary(AppendBinary(nil, String("hello")), Int(1000))
	var buf []byte
	for _, chunk := range [][]byte{stream[:3], stream[3:7], stream[7:]} {
		buf = append(buf, chunk...)
		for len(buf) > 0 {
			v, n, err := DecodeBinary(buf, BinaryOptions{})
			if errors.Is(err, ErrIncomplete) {
				fmt.Println("waiting for more bytes")
				break
			}
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Println(Format(v))
			buf = buf[n:]
		}
	}
	// Output:
	// waiting for more bytes
	// "hello"
	// waiting for more bytes
	// 1000
}

// A value too large to plan stores each repeated prop key and symbol once:
// the records below share the storage of their field names and head. Names
// that collide in the decoder's table of names are stored again, never
// mixed up: every value decodes to exactly what was encoded.
func TestBinarySharesRepeatedNames(t *testing.T) {
	decode := func(v Value) Value {
		t.Helper()
		enc := AppendBinary(nil, v)
		got, n, err := DecodeBinary(enc, BinaryOptions{})
		require.NoError(t, err)
		require.Equal(t, len(enc), n)
		require.True(t, Equal(v, got), "decoded %s", Format(got))
		return got
	}
	records := make([]Value, 600)
	for i := range records {
		records[i] = MustParse(fmt.Sprintf(`(request ^id %d ^method "get" ^path "/u/%d" ^headers {^accept "x"})`, i, i))
	}
	got := decode(List(records...))
	first, last := got.List()[0].Node(), got.List()[599].Node()
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	assert.True(t, same(first.Head.Str(), last.Head.Str()), "head symbol stored once")
	for i := range 4 {
		assert.True(t, same(first.Props[i].Key, last.Props[i].Key), "key %q stored once", first.Props[i].Key)
	}
	assert.True(t, same(first.Props[3].Value.Props()[0].Key, last.Props[3].Value.Props()[0].Key), "nested key stored once")
	// Many more names than the table holds, most colliding.
	for i := range records {
		records[i] = MustParse(fmt.Sprintf(`(r%d ^k%d %d ^id %d s%d)`, i%97, i%89, i, i, i%83))
	}
	decode(List(records...))
}
