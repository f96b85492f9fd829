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

// Pieces of expected JSON Schema shared by several cases.
const (
	closed   = `"type":"object","additionalProperties":false`
	nodeOpen = `"type":"object","additionalProperties":false,"properties":{`
	nodeRest = `"$meta":{"type":"object"},"$headless":{"const":true},"$frozen":{"const":true}`
)

func TestToJSONSchema(t *testing.T) {
	defs := map[string]gene.Value{
		"X":    g(t, `int`),
		"Tree": g(t, `(gene ^head node ^body (list (ref Tree)))`),
	}
	cases := []struct{ schema, want string }{
		{`any`, `{}`},
		{`nil`, `{"type":"null"}`},
		{`bool`, `{"type":"boolean"}`},
		{`int`, `{"type":"integer"}`},
		{`(int ^min 0 ^max 65535)`, `{"type":"integer","minimum":0,"maximum":65535}`},
		{`(int ^min -123456789)`, `{"type":"integer","minimum":-123456789}`},
		{`float`, `{"type":"number","x-gene-kind":"float"}`},
		{`(float ^max 1)`, `{"type":"number","x-gene-kind":"float","maximum":1}`},
		{`(number ^min 0.5)`, `{"type":"number","minimum":0.5}`},
		{`string`, `{"type":"string"}`},
		{`(string ^min-len 1 ^max-len 3 ^pattern #"^[a-z]+$")`, `{"type":"string","minLength":1,"maxLength":3,"pattern":"^[a-z]+$"}`},
		{`(string ^pattern #"abc"i)`, `{"type":"string","pattern":"abc","x-gene-pattern-flags":"i"}`},
		{`symbol`, `{` + closed + `,"required":["$sym"],"properties":{"$sym":{"type":"string"}}}`},
		{`(symbol ^pattern "^a" ^max-len 9)`, `{` + closed + `,"required":["$sym"],"properties":{"$sym":{"type":"string","pattern":"^a","maxLength":9}}}`},
		{`char`, `{` + closed + `,"required":["$char"],"properties":{"$char":{"type":"string","minLength":1,"maxLength":1}}}`},
		{`bytes`, `{` + closed + `,"required":["$bytes"],"properties":{"$bytes":{"type":"string","contentEncoding":"base64"}}}`},
		{`(bytes ^min-len 1 ^max-len 4)`, `{` + closed + `,"required":["$bytes"],"properties":{"$bytes":
			{"type":"string","contentEncoding":"base64","minLength":4,"maxLength":8}}}`},
		{`date`, `{` + closed + `,"required":["$date"],"properties":{"$date":{"type":"string","format":"date"}}}`},
		{`time`, `{` + closed + `,"required":["$time"],"properties":{"$time":{"type":"string","format":"time"}}}`},
		{`datetime`, `{` + closed + `,"required":["$datetime"],"properties":{"$datetime":{"type":"string","format":"date-time"}}}`},
		{`regex`, `{` + closed + `,"required":["$regex"],"properties":{"$regex":{"type":"string","format":"regex"},
			"$flags":{"type":"string","pattern":"^[imsx]*$"}}}`},
		{`list`, `{"type":"array"}`},
		{`(list int ^min-len 1 ^max-len 3)`, `{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}`},
		{`(tuple string int)`, `{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"minItems":2,"maxItems":2}`},
		{`(tuple int ^rest string)`, `{"type":"array","prefixItems":[{"type":"integer"}],"minItems":1,"items":{"type":"string"}}`},
		{`(tuple)`, `{"type":"array","minItems":0,"maxItems":0}`},
		{`props`, `{"type":"object"}`},
		{`(props)`, `{` + closed + `}`},
		{`{^name string ^age (optional int @doc "years")}`,
			`{` + closed + `,"properties":{"name":{"type":"string"},"age":{"type":"integer","description":"years"}},"required":["name"]}`},
		{`(props ^a (optional int) ^^open)`, `{"type":"object","properties":{"a":{"type":"integer"}}}`},
		{`{^$ref string}`, `{` + closed + `,"properties":{"$$ref":{"type":"string"}},"required":["$$ref"]}`},
		{`(mapof int ^min-len 1 ^max-len 9)`, `{"type":"object","additionalProperties":{"type":"integer"},"minProperties":1,"maxProperties":9}`},
		{`map`, `{` + closed + `,"required":["$map"],"properties":{"$map":
			{"type":"array","items":{"type":"array","minItems":2,"maxItems":2}}}}`},
		{`(map string int ^max-len 5)`, `{` + closed + `,"required":["$map"],"properties":{"$map":{"type":"array","maxItems":5,
			"items":{"type":"array","minItems":2,"maxItems":2,"prefixItems":[{"type":"string"},{"type":"integer"}]}}}}`},
		{`node`, `{` + nodeOpen + `"$node":{},"$props":{"type":"object"},"$body":{"type":"array"},` + nodeRest + `},"required":["$node"]}`},
		{`(gene ^head get ^props {^k string} ^body (tuple int))`, `{` + nodeOpen + `
			"$node":{"const":{"$sym":"get"}},
			"$props":{` + closed + `,"properties":{"k":{"type":"string"}},"required":["k"]},
			"$body":{"type":"array","prefixItems":[{"type":"integer"}],"minItems":1,"maxItems":1},` + nodeRest + `},
			"required":["$node","$props","$body"]}`},
		{`(gene ^head (enum get put) ^props {^k (optional int)} ^body (list int))`, `{` + nodeOpen + `
			"$node":{"enum":[{"$sym":"get"},{"$sym":"put"}]},
			"$props":{` + closed + `,"properties":{"k":{"type":"integer"}}},
			"$body":{"type":"array","items":{"type":"integer"}},` + nodeRest + `},
			"required":["$node"]}`},
		{`(one-of int string)`, `{"anyOf":[{"type":"integer"},{"type":"string"}]}`},
		{`"get"`, `{"const":"get"}`},
		{`(literal get)`, `{"const":{"$sym":"get"}}`},
		{`1.5`, `{"const":1.5}`},
		{`(literal [1 a {^k 'c'}])`, `{"const":[1,{"$sym":"a"},{"k":{"$char":"c"}}]}`},
		{`(literal (f ^x 1 y))`, `{"const":{"$node":{"$sym":"f"},"$props":{"x":1},"$body":[{"$sym":"y"}]}}`},
		{`(enum get put)`, `{"enum":[{"$sym":"get"},{"$sym":"put"}]}`},
		{`(enum 1 "a" nil)`, `{"enum":[1,"a",null]}`},
		{`(ref X)`, `{"$ref":"#/$defs/X","$defs":{"X":{"type":"integer"}}}`},
		{`{^a (ref X) ^b (ref X)}`, `{` + closed + `,"properties":{"a":{"$ref":"#/$defs/X"},"b":{"$ref":"#/$defs/X"}},
			"required":["a","b"],"$defs":{"X":{"type":"integer"}}}`},
		{`(ref Tree)`, `{"$ref":"#/$defs/Tree","$defs":{"Tree":{` + nodeOpen + `
			"$node":{"const":{"$sym":"node"}},"$props":{"type":"object"},
			"$body":{"type":"array","items":{"$ref":"#/$defs/Tree"}},` + nodeRest + `},"required":["$node"]}}}`},
		{`(int @doc "d" @title "T" @example 5 @examples [6 7] @default 1 @deprecated true @x-unit "ms" @other 1)`,
			`{"type":"integer","description":"d","title":"T","examples":[5,6,7],"default":1,"deprecated":true,"x-unit":"ms"}`},
		{`(symbol @example get)`, `{` + closed + `,"required":["$sym"],"properties":{"$sym":{"type":"string"}},"examples":[{"$sym":"get"}]}`},
		{`(float @examples [1.0 2.5])`, `{"type":"number","x-gene-kind":"float","examples":[1.0,2.5]}`},
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

func TestJSONSchemaKeepsNumberSpelling(t *testing.T) {
	s := MustParse(g(t, `(number @examples [1.0 123456789012345678901234567890] ^min 0.5)`), nil)
	assert.Equal(t, `{"examples":[1.0,123456789012345678901234567890],"minimum":0.5,"type":"number"}`, mustJSON(t, s.ToJSONSchema()))
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
