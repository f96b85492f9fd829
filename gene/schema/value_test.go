package schema

import (
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullText renders v in full, meta included.
func fullText(v gene.Value) string { return gene.Format(v) }

func TestValueCanonical(t *testing.T) {
	defs := map[string]gene.Value{"X": g(t, `int`)}
	cases := []struct{ schema, want string }{
		{`int`, `int`},
		{`(int)`, `int`},
		{`(int ^max 5 ^min 0)`, `(int ^min 0 ^max 5)`},
		{`(float ^min 0.5)`, `(float ^min 0.5)`},
		{`(string ^pattern #"a"i ^max-len 3)`, `(string ^max-len 3 ^pattern #"a"i)`},
		{`(bytes ^min-len 1)`, `(bytes ^min-len 1)`},
		{`any`, `any`},
		{`(bool)`, `bool`},
		{`nil`, `nil`},
		{`"get"`, `"get"`},
		{`(literal "get")`, `"get"`},
		{`(literal get)`, `(literal get)`},
		{`(literal [1 2])`, `(literal [1 2])`},
		{`2026-11-24`, `2026-11-24`},
		{`(list)`, `list`},
		{`(list int ^max-len 3)`, `(list ^max-len 3 int)`},
		{`(tuple int ^rest string)`, `(tuple ^rest string int)`},
		{`(tuple)`, `(tuple)`},
		{`{^a int ^b (optional string)}`, `(props ^a int ^b (optional string))`},
		{`(props ^a int ^^open)`, `(props ^a int ^^open)`},
		{`(props ^open (literal true))`, `(props ^open (literal true))`},
		{`(props ^open false ^x int)`, `(props ^x int)`},
		{`(props)`, `(props)`},
		{`props`, `props`},
		{`(mapof int ^max-len 2)`, `(mapof ^max-len 2 int)`},
		{`(map)`, `map`},
		{`(map string (list int))`, `(map string (list int))`},
		{`(gene)`, `(gene)`},
		{`(gene ^head get ^props {^k string} ^body (tuple int))`, `(gene ^head get ^props (props ^k string) ^body (tuple int))`},
		{`(gene ^head (symbol))`, `(gene ^head (symbol))`},
		{`(gene ^head (enum get put))`, `(gene ^head (enum get put))`},
		{`(one-of int (ref X))`, `(one-of int (ref X))`},
		{`(enum a "b" 3)`, `(enum a "b" 3)`},
	}
	for _, tc := range cases {
		t.Run(tc.schema, func(t *testing.T) {
			s, err := Parse(g(t, tc.schema), defs)
			require.NoError(t, err)
			v := s.Value()
			assert.Equal(t, tc.want, fullText(v))
			assert.True(t, gene.Equal(g(t, tc.want), v))
			// The canonical form is a fixed point.
			again, err := Parse(v, defs)
			require.NoError(t, err)
			assert.Equal(t, tc.want, fullText(again.Value()))
		})
	}
}

func TestValueKeepsMeta(t *testing.T) {
	s := MustParse(g(t, `(props @doc "a request" ^port (int @doc "the port" ^min 1)
		^mode (literal "x" @title "Mode") ^t (optional int @doc "timeout") ^u (int @x-unit "ms"))`), nil)
	assert.Equal(t, `(props @doc "a request" ^port (int @doc "the port" ^min 1) ^mode (literal @title "Mode" "x") `+
		`^t (optional @doc "timeout" int) ^u (int @x-unit "ms"))`, fullText(s.Value()))
	// A bare type name with meta comes back as a node.
	assert.Equal(t, `(int @doc "n")`, fullText(MustParse(g(t, `(int @doc "n")`), nil).Value()))
}

func TestString(t *testing.T) {
	s := MustParse(g(t, `{^a int ^b (list string)}`), nil)
	assert.Equal(t, `(props ^a int ^b (list string))`, s.String())
	withMeta := MustParse(g(t, `(props @doc "meta is left out" ^a (int @doc "here too"))`), nil)
	assert.Equal(t, `(props ^a int)`, withMeta.String())
	long := MustParse(g(t, `{^aaaaaaaaaa int ^bbbbbbbbbb int ^cccccccccc int ^dddddddddd int ^eeeeeeeeee int}`), nil)
	assert.Equal(t, `(props ^aaaaaaaaaa int ^bbbbbbbbbb int ^cccccccccc int ^dddd...`, long.String())
}
