package schema

import (
	"encoding/json"
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestToJSONSchema(t *testing.T) {
	defs := map[string]gene.Value{
		"X":    g(t, `int`),
		"Tree": g(t, `(gene ^head node ^body (list (ref Tree)))`),
	}
	node := `"type":"object","x-gene-kind":"node","required":["head","props","body"],"additionalProperties":false`
	cases := []struct{ schema, want string }{
		{`any`, `{}`},
		{`nil`, `{"type":"null"}`},
		{`bool`, `{"type":"boolean"}`},
		{`int`, `{"type":"integer"}`},
		{`(int ^min 0 ^max 65535)`, `{"type":"integer","minimum":0,"maximum":65535}`},
		{`float`, `{"type":"number","x-gene-kind":"float"}`},
		{`(float ^max 1)`, `{"type":"number","x-gene-kind":"float","maximum":1}`},
		{`(number ^min 0.5)`, `{"type":"number","minimum":0.5}`},
		{`string`, `{"type":"string"}`},
		{`(string ^min-len 1 ^max-len 3 ^pattern #"^[a-z]+$")`, `{"type":"string","minLength":1,"maxLength":3,"pattern":"^[a-z]+$"}`},
		{`(string ^pattern #"abc"i)`, `{"type":"string","pattern":"abc","x-gene-pattern-flags":"i"}`},
		{`(symbol ^pattern "^a")`, `{"type":"string","x-gene-kind":"symbol","pattern":"^a"}`},
		{`char`, `{"type":"string","minLength":1,"maxLength":1,"x-gene-kind":"char"}`},
		{`bytes`, `{"type":"string","contentEncoding":"base64","x-gene-kind":"bytes"}`},
		{`(bytes ^min-len 1 ^max-len 4)`, `{"type":"string","contentEncoding":"base64","x-gene-kind":"bytes","minLength":4,"maxLength":8}`},
		{`date`, `{"type":"string","format":"date","x-gene-kind":"date"}`},
		{`time`, `{"type":"string","format":"time","x-gene-kind":"time"}`},
		{`datetime`, `{"type":"string","format":"date-time","x-gene-kind":"datetime"}`},
		{`regex`, `{"type":"string","format":"regex","x-gene-kind":"regex"}`},
		{`list`, `{"type":"array"}`},
		{`(list int ^min-len 1 ^max-len 3)`, `{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}`},
		{`(tuple symbol int)`, `{"type":"array","prefixItems":[{"type":"string","x-gene-kind":"symbol"},{"type":"integer"}],"minItems":2,"maxItems":2}`},
		{`(tuple int ^rest string)`, `{"type":"array","prefixItems":[{"type":"integer"}],"minItems":1,"items":{"type":"string"}}`},
		{`(tuple)`, `{"type":"array","minItems":0,"maxItems":0}`},
		{`props`, `{"type":"object"}`},
		{`(props)`, `{"type":"object","additionalProperties":false}`},
		{`{^name string ^age (optional int @doc "years")}`,
			`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","description":"years"}},"required":["name"],"additionalProperties":false}`},
		{`(props ^a (optional int) ^^open)`, `{"type":"object","properties":{"a":{"type":"integer"}}}`},
		{`(mapof int ^min-len 1 ^max-len 9)`, `{"type":"object","additionalProperties":{"type":"integer"},"minProperties":1,"maxProperties":9}`},
		{`map`, `{"type":"array","x-gene-kind":"map","items":{"type":"array","minItems":2,"maxItems":2}}`},
		{`(map string int ^max-len 5)`,
			`{"type":"array","x-gene-kind":"map","maxItems":5,"items":{"type":"array","minItems":2,"maxItems":2,"prefixItems":[{"type":"string"},{"type":"integer"}]}}`},
		{`node`, `{` + node + `,"properties":{"props":{"type":"object"},"body":{"type":"array"}}}`},
		{`(gene ^head get ^props {^k string} ^body (tuple int))`, `{` + node + `,"properties":{
			"head":{"const":"get","x-gene-kind":"symbol"},
			"props":{"type":"object","properties":{"k":{"type":"string"}},"required":["k"],"additionalProperties":false},
			"body":{"type":"array","prefixItems":[{"type":"integer"}],"minItems":1,"maxItems":1}}}`},
		{`(one-of int string)`, `{"anyOf":[{"type":"integer"},{"type":"string"}]}`},
		{`"get"`, `{"const":"get"}`},
		{`(literal get)`, `{"const":"get","x-gene-kind":"symbol"}`},
		{`1.5`, `{"const":1.5,"x-gene-kind":"float"}`},
		{`(literal [1 a {^k 'c'}])`, `{"const":[1,"a",{"k":"c"}]}`},
		{`(enum get put)`, `{"enum":["get","put"],"x-gene-kind":"symbol"}`},
		{`(enum 1 "a")`, `{"enum":[1,"a"]}`},
		{`(ref X)`, `{"$ref":"#/$defs/X","$defs":{"X":{"type":"integer"}}}`},
		{`{^a (ref X) ^b (ref X)}`, `{"type":"object","properties":{"a":{"$ref":"#/$defs/X"},"b":{"$ref":"#/$defs/X"}},
			"required":["a","b"],"additionalProperties":false,"$defs":{"X":{"type":"integer"}}}`},
		{`(ref Tree)`, `{"$ref":"#/$defs/Tree","$defs":{"Tree":{` + node + `,"properties":{
			"head":{"const":"node","x-gene-kind":"symbol"},"props":{"type":"object"},
			"body":{"type":"array","items":{"$ref":"#/$defs/Tree"}}}}}}`},
		{`(int @doc "d" @title "T" @example 5 @examples [6 7] @default 1 @deprecated true @x-unit "ms" @other 1)`,
			`{"type":"integer","description":"d","title":"T","examples":[5,6,7],"default":1,"deprecated":true,"x-unit":"ms"}`},
		{`(ref X @doc "an x")`, `{"$ref":"#/$defs/X","description":"an x","$defs":{"X":{"type":"integer"}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.schema, func(t *testing.T) {
			s, err := Parse(g(t, tc.schema), defs)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, mustJSON(t, s.ToJSONSchema()))
		})
	}
}

func TestExportJSONSchema(t *testing.T) {
	defs := map[string]gene.Value{
		"Key": g(t, `(string ^max-len 256)`),
		"Get": g(t, `{^op "get" ^key (ref Key)}`),
	}
	s := MustParse(g(t, `(one-of (ref Get) {^op "list"})`), defs)
	root, out := s.ExportJSONSchema("#/components/schemas/")
	assert.JSONEq(t, `{"anyOf":[{"$ref":"#/components/schemas/Get"},
		{"type":"object","properties":{"op":{"const":"list"}},"required":["op"],"additionalProperties":false}]}`, mustJSON(t, root))
	assert.JSONEq(t, `{
		"Key":{"type":"string","maxLength":256},
		"Get":{"type":"object","properties":{"op":{"const":"get"},"key":{"$ref":"#/components/schemas/Key"}},
			"required":["op","key"],"additionalProperties":false}}`, mustJSON(t, out))
}

func TestJSONValue(t *testing.T) {
	cases := []struct{ value, want string }{
		{`nil`, `null`},
		{`true`, `true`},
		{`-17`, `-17`},
		{`123456789012345678901234567890`, `123456789012345678901234567890`},
		{`2.5`, `2.5`},
		{`nan`, `"nan"`},
		{`inf`, `"inf"`},
		{`-inf`, `"-inf"`},
		{`"a\"b"`, `"a\"b"`},
		{`sym`, `"sym"`},
		{`'é'`, `"é"`},
		{`#B16#48656c6c6f`, `"SGVsbG8="`},
		{`#"[a-z]+"i`, `"[a-z]+"`},
		{`2026-11-24`, `"2026-11-24"`},
		{`09:30`, `"09:30:00"`},
		{`2026-11-24T09:30:00Z`, `"2026-11-24T09:30:00Z"`},
		{`[1 [2]]`, `[1,[2]]`},
		{`{^a 1 ^b [x]}`, `{"a":1,"b":["x"]}`},
		{`{{1 : "one"  "k" : v}}`, `[[1,"one"],["k","v"]]`},
		{`(get ^key "a" 1 2)`, `{"head":"get","props":{"key":"a"},"body":[1,2]}`},
		{`()`, `{"head":null,"props":{},"body":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			assert.JSONEq(t, tc.want, mustJSON(t, JSONValue(g(t, tc.value))))
		})
	}
	assert.Nil(t, JSONValue(gene.Void()))
	tm := gene.DateTime(gene.Temporal{Year: 2026, Month: 1, Day: 2, Hour: 3, Minute: 4, Second: 5, Micro: 250000,
		HasOffset: true, Offset: -90, Zone: "America/St_Johns"})
	assert.Equal(t, "2026-01-02T03:04:05.25-01:30[America/St_Johns]", JSONValue(tm))
}
