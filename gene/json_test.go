package gene

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppendJSONMapping checks every row of the table in JSON.md.
func TestAppendJSONMapping(t *testing.T) {
	cases := []struct {
		name string
		v    Value
		want string
	}{
		{"nil", Nil(), `null`},
		{"void", Void(), `{"$void":true}`},
		{"true", True, `true`},
		{"false", False, `false`},
		{"integer", Int(-17), `-17`},
		{"big integer", bigInt(t, "123456789012345678901234567890"), `123456789012345678901234567890`},
		{"float", Float(2.5), `2.5`},
		{"float integral", Float(1), `1.0`},
		{"float negative zero", Float(math.Copysign(0, -1)), `-0.0`},
		{"float exponent", Float(1e20), `1e+20`},
		{"float small", Float(1e-7), `0.0000001`},
		{"float inf", Float(math.Inf(1)), `{"$float":"inf"}`},
		{"float -inf", Float(math.Inf(-1)), `{"$float":"-inf"}`},
		{"float nan", Float(math.NaN()), `{"$float":"nan"}`},
		{"string", String("a\tb"), `"a\tb"`},
		{"string escapes", String("q\"b\\n\nr\rbs\bff\fnul\x00del\x7f"), `"q\"b\\n\nr\rbs\bff\fnul\u0000del` + "\x7f" + `"`},
		{"string js separators", String("a\u2028b\u2029c"), `"a\u2028b\u2029c"`},
		{"string unicode", String("é😀"), `"é😀"`},
		{"string invalid utf8", String("a\xffb"), `"a\ufffdb"`},
		{"char", Char('é'), `{"$char":"é"}`},
		{"char newline", Char('\n'), `{"$char":"\n"}`},
		{"char invalid", Char(-1), `{"$char":"` + "\uFFFD" + `"}`},
		{"symbol", Symbol("get"), `{"$sym":"get"}`},
		{"list", List(Int(1), String("two"), Symbol("three")), `[1,"two",{"$sym":"three"}]`},
		{"empty list", List(), `[]`},
		{"immutable list", List(Int(1), Int(2)).Freeze(), `{"$list":[1,2],"$frozen":true}`},
		{"prop map", PropMap(Prop{"name", String("Ada")}, Prop{"admin", True}), `{"name":"Ada","admin":true}`},
		{"empty prop map", PropMap(), `{}`},
		{"prop map dollar key", PropMap(Prop{"$x", Int(1)}, Prop{"$", Int(2)}, Prop{"a$", Int(3)}), `{"$$x":1,"$$":2,"a$":3}`},
		{"prop map escaped key", PropMap(Prop{"a\"b", Int(1)}), `{"a\"b":1}`},
		{"immutable prop map", PropMap(Prop{"a", Int(1)}).Freeze(), `{"$props":{"a":1},"$frozen":true}`},
		{"general map", Map(Entry{String("k"), Int(1)}, Entry{Int(2), List(Symbol("x"))}), `{"$map":[["k",1],[2,[{"$sym":"x"}]]]}`},
		{"empty general map", Map(), `{"$map":[]}`},
		{"node", node(Symbol("point"), Props{{"doc", String("origin")}}, Props{{"x", Int(1)}, {"y", Int(2)}}, Symbol("c1")),
			`{"$node":{"$sym":"point"},"$meta":{"doc":"origin"},"$props":{"x":1,"y":2},"$body":[{"$sym":"c1"}]}`},
		{"node parts empty", Gene(Symbol("f")), `{"$node":{"$sym":"f"}}`},
		{"node head nil", Gene(Nil(), Int(1)), `{"$node":null,"$body":[1]}`},
		{"node without head", NodeValue(&Node{}), `{"$node":null,"$headless":true}`},
		{"node without head props", NodeValue(&Node{Props: Props{{"a", Int(1)}}}), `{"$node":null,"$headless":true,"$props":{"a":1}}`},
		{"immutable node", node(Symbol("h"), nil, Props{{"p", Int(1)}}, Symbol("x")).Freeze(),
			`{"$node":{"$sym":"h"},"$frozen":true,"$props":{"p":1},"$body":[{"$sym":"x"}]}`},
		{"ref", Gene(Symbol("#Ref"), Symbol("name"), Int(1)), `{"$node":{"$sym":"#Ref"},"$body":[{"$sym":"name"},1]}`},
		{"bytes", Bytes([]byte("Hello")), `{"$bytes":"SGVsbG8="}`},
		{"empty bytes", Bytes(nil), `{"$bytes":""}`},
		{"regex", RegexValue(`[a-z]+\d`, "i"), `{"$regex":"[a-z]+\\d","$flags":"i"}`},
		{"regex no flags", RegexValue(`a"b`, ""), `{"$regex":"a\"b"}`},
		{"date", Date(Temporal{Year: 2026, Month: 11, Day: 24}), `{"$date":"2026-11-24"}`},
		{"time", Time(Temporal{Hour: 9, Minute: 30, Second: 15, Micro: 250000, HasOffset: true, Offset: 60}), `{"$time":"09:30:15.25+01:00"}`},
		{"datetime", DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, HasOffset: true}), `{"$datetime":"2026-11-24T09:30:00Z"}`},
		{"datetime zone", DateTime(Temporal{Year: 2026, Month: 11, Day: 24, Hour: 9, Minute: 30, HasOffset: true, Zone: "Europe/London"}), `{"$datetime":"2026-11-24T09:30:00+00:00[Europe/London]"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := AppendJSON(nil, c.v)
			assert.Equal(t, c.want, string(got))
			assert.True(t, json.Valid(got), "valid JSON: %s", got)
		})
	}
}

func TestAppendJSONDecodesAsDocumented(t *testing.T) {
	v := PropMap(
		Prop{"id", Int(42)},
		Prop{"ratio", Float(0.25)},
		Prop{"tags", List(String("a"), Symbol("b"))},
		Prop{"$meta", Bytes([]byte{0xff})},
	)
	var got map[string]any
	require.NoError(t, json.Unmarshal(AppendJSON(nil, v), &got))
	assert.Equal(t, map[string]any{
		"id":     42.0,
		"ratio":  0.25,
		"tags":   []any{"a", map[string]any{"$sym": "b"}},
		"$$meta": map[string]any{"$bytes": "/w=="},
	}, got)
}

func TestAppendJSONAppends(t *testing.T) {
	dst := AppendJSON([]byte("x="), List(Int(1)))
	assert.Equal(t, "x=[1]", string(dst))
}

func ExampleAppendJSON() {
	v := NodeValue(&Node{
		Head: Symbol("request"), HasHead: true,
		Props: Props{{Key: "id", Value: Int(42)}, {Key: "path", Value: String("/users/17")}},
		Body:  []Value{List(Int(1), Float(2.5), Symbol("x"))},
	})
	fmt.Println(string(AppendJSON(nil, v)))
	// Output: {"$node":{"$sym":"request"},"$props":{"id":42,"path":"/users/17"},"$body":[[1,2.5,{"$sym":"x"}]]}
}
