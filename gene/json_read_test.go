package gene

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonRoundTrip are values of every kind of JSON.md's table that its view
// carries exactly (strings here are valid UTF-8).
func jsonRoundTrip(t *testing.T) []Value {
	vs := []Value{
		Nil(), Void(), True, False, Int(-17), bigInt(t, "-123456789012345678901234567890"),
		Float(2.5), Float(1), Float(math.Copysign(0, -1)), Float(1e20), Float(1e-7),
		Float(math.Inf(1)), Float(math.Inf(-1)), Float(math.NaN()),
		String("a\tb \"q\" é😀 \u2028"), Char('é'), Char('\n'), Symbol("get"),
		List(), List(Int(1), String("two"), Symbol("three")).Freeze(),
		PropMap(), PropMap(Prop{"$x", Int(1)}, Prop{"$", Int(2)}, Prop{"a$", Int(3)}, Prop{"$$y", Nil()}),
		PropMap(Prop{"a", Int(1)}).Freeze(),
		Map(), Map(Entry{String("k"), Int(1)}, Entry{Int(2), List(Symbol("x"))}, Entry{PropMap(Prop{"a", Int(1)}), Nil()}),
		node(Symbol("point"), Props{{"doc", String("origin")}}, Props{{"x", Int(1)}, {"$y", Int(2)}}, Symbol("c1")),
		Gene(Symbol("f")), Gene(Nil(), Int(1)), NodeValue(&Node{}), NodeValue(&Node{Props: Props{{"a", Int(1)}}}),
		node(Symbol("h"), nil, Props{{"p", Int(1)}}, Symbol("x")).Freeze(),
		Gene(Gene(Symbol("nested")), PropMap(Prop{"$sym", String("not a tag")})),
		Bytes([]byte("Hello")), Bytes(nil), RegexValue(`[a-z]+\d`, "i"), RegexValue(`a"b`, ""),
	}
	for _, text := range []string{"2026-11-24", "09:30:15.25+01:00", "2026-11-24T09:30:00Z", "2026-11-24T09:30:00+00:00[Europe/London]"} {
		vs = append(vs, MustParse(text))
	}
	return vs
}

// TestParseJSONReadsTheView: every kind AppendJSON writes reads back as
// the same value, alone and as the documents of one stream.
func TestParseJSONReadsTheView(t *testing.T) {
	vs := jsonRoundTrip(t)
	var stream []byte
	for _, v := range vs {
		doc := AppendJSON(nil, v)
		got, err := ParseJSON(doc, ReadOptions{})
		require.NoError(t, err, "%s", doc)
		assert.Equal(t, string(doc), string(AppendJSON(nil, got)), "%s", doc)
		assert.Equal(t, v.Frozen(), got.Frozen(), "%s", doc)
		stream = append(append(stream, doc...), '\n')
	}
	all, err := ParseAllJSON(stream, ReadOptions{})
	require.NoError(t, err)
	require.Len(t, all, len(vs))
	for i := range vs {
		assert.Equal(t, string(AppendJSON(nil, vs[i])), string(AppendJSON(nil, all[i])))
	}
	none, err := ParseAllJSON([]byte(" \n"), ReadOptions{})
	require.NoError(t, err)
	assert.Empty(t, none)
}

// TestParseJSONPlain: plain JSON reads as the values a newcomer expects.
func TestParseJSONPlain(t *testing.T) {
	v, err := ParseJSON([]byte(`{"name": "Ada", "born": 1815, "ratio": 0.5, "tags": ["a", null, true], "big": 1e400}`), ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, `{^name "Ada" ^born 1815 ^ratio 0.5 ^tags ["a" nil true] ^big inf}`, Format(v))
}

func TestParseJSONErrors(t *testing.T) {
	cases := []struct {
		in, want   string
		incomplete bool
	}{
		{`{"a": 1,`, "j:1:9: unexpected end of input inside the JSON document", true},
		{"[1,\n 2", "j:2:3: unexpected end of input", true},
		{"", "j:1:1: unexpected end of input", true},
		{"[1,\n x]", "j:2:2: unexpected character 'x' looking for beginning of value", false},
		{`{"a" 1}`, "j:1:6: unexpected character '1' after object key", false},
		{`1 2`, "j:1:", false},
		{`]`, "j:1:1: unexpected character ']'", false},
		{`{"$ref": "x"}`, `unknown tag "$ref"`, false},
		{`{"a": 1, "$b": 2}`, `key "$b": a key starting with $ is written with one more $ ("$$b")`, false},
		{`{"a": 1, "a": 2}`, `duplicate key "a"`, false},
		{`{"$sym": 1}`, "$sym: want a string, got int", false},
		{`{"$char": "ab"}`, `$char: want exactly one character, got "ab"`, false},
		{`{"$float": "huge"}`, `$float: want "inf", "-inf" or "nan"`, false},
		{`{"$date": "2026-13-01"}`, `$date: "2026-13-01" is not a date`, false},
		{`{"$node": null, "$headless": false}`, "$node: $headless must be true", false},
		{`{"$node": {"$sym":"f"}, "$colour": 1}`, `$node: unexpected key "$colour"`, false},
		{`{"$map": [[1, 2], [1, 3]]}`, "$map: entries 2 and 1 have the same key", false},
		{`{"$map": [[1]]}`, "$map: entry 1 is not a [key, value] pair", false},
		{`{"$list": [1], "$frozen": false}`, "$list: $frozen must be true", false},
		{`{"$bytes": "!!"}`, "$bytes: not standard base64", false},
		{strings.Repeat("[", 300) + strings.Repeat("]", 300), "nested deeper than 256", false},
	}
	for _, c := range cases {
		_, err := ParseJSON([]byte(c.in), ReadOptions{Source: "j"})
		require.Error(t, err, c.in)
		assert.Contains(t, err.Error(), c.want, c.in)
		assert.True(t, errors.Is(err, ErrSyntax), c.in)
		assert.Equal(t, c.incomplete, errors.Is(err, ErrIncomplete), c.in)
	}
	_, err := ParseAllJSON([]byte("1\n2\n]"), ReadOptions{Source: "j"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "j:3:1:")
}

// FuzzParseJSON: whatever ParseJSON accepts, AppendJSON writes a document
// it reads back as the same value, and it never panics.
func FuzzParseJSON(f *testing.F) {
	for _, v := range jsonRoundTrip(&testing.T{}) {
		f.Add(AppendJSON(nil, v))
	}
	for _, s := range []string{`{"a":[1,{"b":null}],"c":"d"}`, `[1e400, -0, 0.0]`, `{"$$x":{"$void":true}}`, `"\ud800"`, `{"$node":null,"$headless":true,"$meta":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data, ReadOptions{})
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not match ErrSyntax", err)
			}
			return
		}
		doc := AppendJSON(nil, v)
		again, err := ParseJSON(doc, ReadOptions{})
		if err != nil {
			t.Fatalf("AppendJSON wrote %s, which does not read back: %v", doc, err)
		}
		if got := AppendJSON(nil, again); string(got) != string(doc) {
			t.Fatalf("%s read back as %s", doc, got)
		}
	})
}
