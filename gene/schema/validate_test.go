package schema

import (
	"errors"
	"strings"
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// check is one value checked against one schema; err "" means it matches.
type check struct {
	value string
	err   string
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		schema string
		checks []check
	}{
		{"any", `any`, []check{{`1`, ``}, {`"x"`, ``}, {`nil`, ``}, {`[1 {^a b}]`, ``}, {`(f x)`, ``}}},
		{"nil", `nil`, []check{{`nil`, ``}, {`0`, `schema: want nil, got int 0`}}},
		{"bool", `bool`, []check{{`true`, ``}, {`false`, ``}, {`"true"`, `schema: want bool, got string "true"`}}},
		{"int", `int`, []check{
			{`5`, ``}, {`-17`, ``}, {`123456789012345678901234567890`, ``},
			{`5.0`, `schema: want int, got float 5.0`},
		}},
		{"int range", `(int ^min 0 ^max 65535)`, []check{
			{`0`, ``}, {`65535`, ``},
			{`-1`, `schema: want int in 0..65535, got int -1`},
			{`70000`, `schema: want int in 0..65535, got int 70000`},
			{`123456789012345678901234567890`, `schema: want int in 0..65535, got int 123456789012345678901234567890`},
		}},
		{"int min", `(int ^min 0)`, []check{
			{`123456789012345678901234567890`, ``},
			{`-123456789012345678901234567890`, `schema: want int >= 0, got int -123456789012345678901234567890`},
		}},
		{"int max", `(int ^max 10)`, []check{{`-5`, ``}, {`11`, `schema: want int <= 10, got int 11`}}},
		{"float", `float`, []check{{`1.5`, ``}, {`inf`, ``}, {`1`, `schema: want float, got int 1`}}},
		{"float range", `(float ^min 0 ^max 1)`, []check{
			{`0.5`, ``}, {`1.0`, ``},
			{`nan`, `schema: want float in 0..1, got float nan`},
			{`1.5`, `schema: want float in 0..1, got float 1.5`},
		}},
		{"number", `number`, []check{{`1`, ``}, {`1.5`, ``}, {`"1"`, `schema: want number, got string "1"`}}},
		{"number min", `(number ^min 0.5)`, []check{
			{`1`, ``}, {`0.5`, ``},
			{`0`, `schema: want number >= 0.5, got int 0`},
			{`123456789012345678901234567890`, ``},
		}},
		{"string", `string`, []check{{`"a"`, ``}, {`a`, `schema: want string, got symbol a`}}},
		{"string length", `(string ^min-len 1 ^max-len 3)`, []check{
			{`"héé"`, ``}, // 3 code points, 5 bytes
			{`""`, `schema: want string of 1..3 chars, got string of 0 chars`},
			{`"abcd"`, `schema: want string of 1..3 chars, got string of 4 chars`},
		}},
		{"string length counts code points", `(string ^min-len 2 ^max-len 4)`, []check{
			{`"éé"`, ``}, {`"😀😀😀😀"`, ``}, // 4 and 16 bytes
			{`"é"`, `schema: want string of 2..4 chars, got string of 1 char`},
			{`"😀😀😀😀😀"`, `schema: want string of 2..4 chars, got string of 5 chars`},
		}},
		{"string exact length", `(string ^min-len 2 ^max-len 2)`, []check{
			{`"a"`, `schema: want string of 2 chars, got string of 1 char`},
		}},
		{"string pattern", `(string ^pattern #"^[a-z]+$")`, []check{
			{`"abc"`, ``},
			{`"ABC"`, `schema: want string matching #"^[a-z]+$", got string "ABC"`},
		}},
		{"string pattern flags", `(string ^pattern #"^[a-z]+$"i)`, []check{{`"ABC"`, ``}}},
		{"string pattern as string", `(string ^pattern "^a")`, []check{
			{`"abc"`, ``}, {`"ba"`, `schema: want string matching "^a", got string "ba"`},
		}},
		{"long string shortened", `(string ^max-len 1)`, []check{
			{`"` + strings.Repeat("x", 100) + `"`, `schema: want string of at most 1 char, got string of 100 chars`},
		}},
		{"symbol", `symbol`, []check{{`foo`, ``}, {`"foo"`, `schema: want symbol, got string "foo"`}}},
		{"symbol length", `(symbol ^max-len 2)`, []check{
			{`ab`, ``}, {`abc`, `schema: want symbol of at most 2 chars, got symbol of 3 chars`},
		}},
		{"char", `char`, []check{{`'a'`, ``}, {`"a"`, `schema: want char, got string "a"`}}},
		{"bytes", `bytes`, []check{{`#B16#0102`, ``}, {`"01"`, `schema: want bytes, got string "01"`}}},
		{"bytes length", `(bytes ^max-len 1)`, []check{
			{`#B16#01`, ``}, {`#B16#0102`, `schema: want bytes of at most 1 byte, got bytes of 2 bytes`},
		}},
		{"date", `date`, []check{{`2026-11-24`, ``}, {`"2026-11-24"`, `schema: want date, got string "2026-11-24"`}}},
		{"time", `time`, []check{{`09:30`, ``}, {`2026-11-24`, `schema: want time, got date 2026-11-24`}}},
		{"datetime", `datetime`, []check{
			{`2026-11-24T09:30:00Z`, ``},
			{`09:30`, `schema: want datetime, got time 09:30`},
		}},
		{"regex", `regex`, []check{{`#"a+"`, ``}, {`"a+"`, `schema: want regex, got string "a+"`}}},
		{"list", `list`, []check{{`[]`, ``}, {`[1 "a"]`, ``}, {`{}`, `schema: want list, got props of 0 keys`}}},
		{"list of", `(list int)`, []check{
			{`[]`, ``}, {`[1 2]`, ``},
			{`[1 "a"]`, `schema: at [1]: want int, got string "a"`},
			{`(1 2)`, `schema: want list, got node (1 ...)`},
		}},
		{"list length", `(list int ^min-len 1 ^max-len 2)`, []check{
			{`[]`, `schema: want list of 1..2 elements, got list of 0 elements`},
			{`[1 2 3]`, `schema: want list of 1..2 elements, got list of 3 elements`},
		}},
		{"list max only", `(list ^max-len 1)`, []check{
			{`["x"]`, ``}, {`[1 2]`, `schema: want list of at most 1 element, got list of 2 elements`},
		}},
		{"tuple", `(tuple symbol int)`, []check{
			{`[a 1]`, ``},
			{`[a]`, `schema: want list of 2 elements, got list of 1 element`},
			{`[a 1 2]`, `schema: want list of 2 elements, got list of 3 elements`},
			{`[a b]`, `schema: at [1]: want int, got symbol b`},
			{`"x"`, `schema: want list, got string "x"`},
		}},
		{"tuple rest", `(tuple symbol ^rest int)`, []check{
			{`[a]`, ``}, {`[a 1 2]`, ``},
			{`[]`, `schema: want list of at least 1 element, got list of 0 elements`},
			{`[a 1 x]`, `schema: at [2]: want int, got symbol x`},
		}},
		{"props any", `props`, []check{{`{}`, ``}, {`{^a 1}`, ``}, {`[1]`, `schema: want props, got list of 1 element`}}},
		{"props shorthand", `{^name string ^age (optional int)}`, []check{
			{`{^name "a"}`, ``}, {`{^age 3 ^name "a"}`, ``},
			{`{}`, `schema: at ^name: want string, got missing key`},
			{`{^name "a" ^age "x"}`, `schema: at ^age: want int, got string "x"`},
			{`{^name "a" ^x 1}`, `schema: at ^x: want no key ^x, got int 1`},
			{`(p ^name "a")`, `schema: want props, got node (p ...)`},
		}},
		{"props open", `(props ^name string ^^open)`, []check{
			{`{^name "a" ^x 1}`, ``}, {`{^x 1}`, `schema: at ^name: want string, got missing key`},
		}},
		{"props empty", `(props)`, []check{{`{}`, ``}, {`{^a 1}`, `schema: at ^a: want no key ^a, got int 1`}}},
		{"props many keys", `{^a int ^b int ^c int ^d int ^e int ^f int ^g int ^h int ^i int ^j (optional int)}`, []check{
			{`{^a 1 ^b 2 ^c 3 ^d 4 ^e 5 ^f 6 ^g 7 ^h 8 ^i 9}`, ``},
			{`{^a 1 ^b 2 ^c 3 ^d 4 ^e 5 ^f 6 ^g 7 ^h 8 ^i 9 ^j 10}`, ``},
			{`{^a 1 ^b 2 ^c 3 ^d 4 ^e 5 ^f 6 ^g 7 ^h 8 ^i 9 ^k 10}`, `schema: at ^k: want no key ^k, got int 10`},
			{`{^a 1 ^b 2 ^c 3 ^d 4 ^e 5 ^f 6 ^g 7 ^h 8}`, `schema: at ^i: want int, got missing key`},
		}},
		{"mapof", `(mapof int)`, []check{
			{`{}`, ``}, {`{^a 1 ^b 2}`, ``},
			{`{^a 1 ^b "x"}`, `schema: at ^b: want int, got string "x"`},
			{`{{"a" : 1}}`, `schema: want props, got map of 1 entry`},
		}},
		{"mapof length", `(mapof int ^max-len 1)`, []check{
			{`{^a 1 ^b 2}`, `schema: want props of at most 1 key, got props of 2 keys`},
		}},
		{"map", `map`, []check{{`{{1 : 2}}`, ``}, {`{^a 1}`, `schema: want map, got props of 1 key`}}},
		{"map of", `(map string int)`, []check{
			{`{{"a" : 1  "b" : 2}}`, ``},
			{`{{"a" : "x"}}`, `schema: at {"a"}: want int, got string "x"`},
			{`{{1 : 1}}`, `schema: at {1}/(key): want string, got int 1`},
		}},
		{"map length", `(map ^min-len 1)`, []check{{`{{}}`, `schema: want map of at least 1 entry, got map of 0 entries`}}},
		{"node", `node`, []check{{`(a)`, ``}, {`()`, ``}, {`[]`, `schema: want node, got list of 0 elements`}}},
		{"gene", `(gene ^head get ^props {^key string} ^body (tuple int))`, []check{
			{`(get ^key "a" 1)`, ``},
			{`(put ^key "a" 1)`, `schema: at (head): want symbol get, got symbol put`},
			{`()`, `schema: at (head): want symbol get, got no head`},
			{`(get ^key 1 1)`, `schema: at ^key: want string, got int 1`},
			{`(get 1)`, `schema: at ^key: want string, got missing key`},
			{`(get ^key "a")`, `schema: at (body): want list of 1 element, got list of 0 elements`},
			{`(get ^key "a" "x")`, `schema: at [0]: want int, got string "x"`},
			{`[get]`, `schema: want node, got list of 1 element`},
		}},
		{"gene head schema", `(gene ^head (symbol))`, []check{
			{`(a)`, ``}, {`(1)`, `schema: at (head): want symbol, got int 1`},
		}},
		{"gene props as a whole", `(gene ^props (mapof int ^max-len 1))`, []check{
			{`(a ^x 1)`, ``},
			{`(a ^x 1 ^y 2)`, `schema: at (props): want props of at most 1 key, got props of 2 keys`},
		}},
		{"one-of", `(one-of int string)`, []check{
			{`1`, ``}, {`"a"`, ``},
			{`1.5`, `schema: want one of int, string, got float 1.5`},
		}},
		{"one-of constraint", `(one-of (int ^max 9) string)`, []check{{`10`, `schema: want int <= 9, got int 10`}}},
		{"one-of discriminated props", `(one-of {^op "get" ^key string} {^op "put" ^key string ^value any})`, []check{
			{`{^op "get" ^key "a"}`, ``}, {`{^op "put" ^key "a" ^value 1}`, ``},
			{`{^op "put" ^key "a"}`, `schema: at ^value: want any, got missing key`},
			{`{^op "get" ^key 1}`, `schema: at ^key: want string, got int 1`},
			{`{^op "del"}`, `schema: want one of (props ^op "get" ...), (props ^op "put" ...), got props of 1 key`},
			{`{^key "a"}`, `schema: want one of (props ^op "get" ...), (props ^op "put" ...), got props of 1 key`},
		}},
		{"one-of discriminated nodes", `(one-of (gene ^head get ^body (tuple string)) (gene ^head put ^body (tuple string any)))`, []check{
			{`(get "k")`, ``}, {`(put "k" 1)`, ``},
			{`(put "k")`, `schema: at (body): want list of 2 elements, got list of 1 element`},
			{`(get 1)`, `schema: at [0]: want string, got int 1`},
			{`(del "k")`, `schema: want one of (get ...), (put ...), got node (del ...)`},
			{`[get]`, `schema: want one of (get ...), (put ...), got list of 1 element`},
		}},
		{"nested one-of", `(list (one-of int (list (one-of int string))))`, []check{
			{`[1 [2 "a"]]`, ``},
			{`[1 [2 x]]`, `schema: at [1]/[1]: want one of int, string, got symbol x`},
		}},
		{"string literal", `"get"`, []check{
			{`"get"`, ``},
			{`"put"`, `schema: want string "get", got string "put"`},
			{`get`, `schema: want string "get", got symbol get`},
		}},
		{"int literal", `42`, []check{{`42`, ``}, {`42.0`, `schema: want int 42, got float 42.0`}}},
		{"bool literal", `true`, []check{{`true`, ``}, {`false`, `schema: want bool true, got bool false`}}},
		{"symbol literal", `(literal get)`, []check{{`get`, ``}, {`"get"`, `schema: want symbol get, got string "get"`}}},
		{"list literal", `(literal [1 2])`, []check{{`[1 2]`, ``}, {`[1]`, `schema: want [1 2], got list of 1 element`}}},
		{"enum", `(enum get put)`, []check{{`put`, ``}, {`del`, `schema: want one of get, put, got symbol del`}}},
		{"enum mixed", `(enum 1 "a" nil)`, []check{{`"a"`, ``}, {`nil`, ``}, {`2`, `schema: want one of 1, "a", nil, got int 2`}}},
		{"meta ignored", `(int @doc "a port" ^min 1)`, []check{{`1`, ``}, {`0`, `schema: want int >= 1, got int 0`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(g(t, tc.schema), nil)
			require.NoError(t, err)
			for _, c := range tc.checks {
				err := s.Validate(g(t, c.value))
				if c.err == "" {
					assert.NoError(t, err, "value %s", c.value)
					continue
				}
				if assert.Error(t, err, "value %s", c.value) {
					assert.Equal(t, c.err, err.Error(), "value %s", c.value)
					assert.ErrorIs(t, err, ErrMismatch)
				}
			}
		})
	}
}

func TestValidationErrorFields(t *testing.T) {
	s := MustParse(g(t, `{^items (list {^name string})}`), nil)
	err := s.Validate(g(t, `{^items [{^name "a"} {^name 3}]}`))
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, ValidationError{Path: "^items/[1]/^name", Want: "string", Got: "int 3"}, *ve)
	assert.Equal(t, "schema: at ^items/[1]/^name: want string, got int 3", err.Error())
}

func TestValidateRefs(t *testing.T) {
	defs := map[string]gene.Value{
		"Name": g(t, `(string ^min-len 1)`),
		"Tree": g(t, `(gene ^head node ^props {^label (ref Name)} ^body (list (ref Tree)))`),
		"Expr": g(t, `(one-of int (ref Sum))`),
		"Sum":  g(t, `(gene ^head + ^body (list (ref Expr) ^min-len 2))`),
	}
	cases := []struct {
		name, schema, value, err string
	}{
		{"simple", `(ref Name)`, `"a"`, ``},
		{"simple bad", `(ref Name)`, `""`, `schema: want string of at least 1 char, got string of 0 chars`},
		{"tree", `(ref Tree)`, `(node ^label "a" (node ^label "b") (node ^label "c" (node ^label "d")))`, ``},
		{"tree bad leaf", `(ref Tree)`, `(node ^label "a" (node ^label "b") (node ^label "c" (node ^label 4)))`,
			`schema: at [1]/[0]/^label: want string, got int 4`},
		{"tree bad head", `(ref Tree)`, `(node ^label "a" (leaf ^label "b"))`,
			`schema: at [0]/(head): want symbol node, got symbol leaf`},
		{"mutual", `(ref Expr)`, `(+ 1 (+ 2 3))`, ``},
		{"mutual bad", `(ref Expr)`, `(+ 1 (+ 2 x))`, `schema: at [1]/[1]: want one of int, (ref Sum), got symbol x`},
		{"mutual too short", `(ref Expr)`, `(+ 1 (+ 2))`, `schema: at [1]/(body): want list of at least 2 elements, got list of 1 element`},
		{"ref in props", `{^tree (ref Tree) ^n (optional (ref Expr))}`, `{^tree (node ^label "x") ^n 5}`, ``},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(g(t, tc.schema), defs)
			require.NoError(t, err)
			err = s.Validate(g(t, tc.value))
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.err)
		})
	}
}

func TestValidateRefDepthGuard(t *testing.T) {
	s := MustParse(g(t, `(ref L)`), map[string]gene.Value{"L": g(t, `(list (ref L))`)})
	deep := func(n int) gene.Value {
		v := gene.List()
		for range n {
			v = gene.List(v)
		}
		return v
	}
	require.NoError(t, s.Validate(deep(maxRefDepth-2)))
	err := s.Validate(deep(maxRefDepth + 10))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "a value nested less than 1024 references deep", ve.Want)
	assert.Equal(t, "list of 1 element", ve.Got)
	assert.Equal(t, strings.Repeat("[0]/", maxRefDepth-1)+"[0]", ve.Path)
}

// TestValidateDoesNotAllocate covers every checker on a matching value.
func TestValidateDoesNotAllocate(t *testing.T) {
	defs := map[string]gene.Value{"Tree": g(t, `(gene ^head node ^body (list (ref Tree)))`)}
	s := MustParse(g(t, `{
		^a (int ^min 0) ^b (float ^max 2) ^c (number ^min 0) ^d (string ^max-len 9 ^pattern #"^[a-z]+$")
		^e (list symbol ^max-len 3) ^f (tuple int ^rest string) ^g (mapof bool) ^h (map string int)
		^i (one-of int (gene ^head x ^props {^p int} ^body (list int))) ^j "lit" ^k (enum a b)
		^l (ref Tree) ^m (optional any) ^n (bytes ^max-len 2) ^o date ^p props ^q node ^r nil
	}`), defs)
	v := g(t, `{
		^a 1 ^b 1.5 ^c 3 ^d "abc" ^e [x y] ^f [1 "a" "b"] ^g {^t true} ^h {{"k" : 1}}
		^i (x ^p 1 2 3) ^j "lit" ^k b ^l (node (node) (node (node))) ^m [1] ^n #B16#0102
		^o 2026-01-02 ^p {^z 1} ^q (f) ^r nil
	}`)
	require.NoError(t, s.Validate(v))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = s.Validate(v) }))
}
