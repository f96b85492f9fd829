package schema

import (
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	defs := map[string]string{
		"Msg":  `{^items (list strng)}`,
		"Port": `(int ^min 1 @examples [80 0])`,
		"A":    `(ref B)`,
		"B":    `(one-of int (ref A))`,
		"Self": `(ref Self)`,
		"Ok":   `(list (ref Ok))`,
	}
	cases := []struct{ name, schema, err string }{
		{"unknown type name", `strng`, `schema: unknown type name strng`},
		{"unknown type name inside", `{^a (list strng)}`, `schema: at ^a/[0]: unknown type name strng`},
		{"unknown type name in definition", `(ref Msg)`, `schema: definition Msg: at ^items/[0]: unknown type name strng`},
		{"definition named bare", `Port`, `schema: unknown type name Port; write (ref Port) to use the definition`},
		{"constructor named bare", `tuple`, `schema: tuple is a constructor, not a type name; write (tuple ...)`},
		{"unknown constructor", `(foo 1)`, `schema: at (head): unknown type name foo`},
		{"node without symbol head", `("x" 1)`, `schema: a node schema must start with a type name or constructor, got ("x" 1)`},
		{"headless node", `()`, `schema: a node schema must start with a type name or constructor, got ()`},
		{"list", `[int]`, `schema: a list is not a schema; write (list T) for a list of T or (tuple A B ...) for fixed positions`},
		{"map", `{{1 : 2}}`, `schema: a general map is not a schema; write (map K V)`},
		{"void", `(list void)`, `schema: at [0]: void is not a schema`},
		{"regex", `#"a+"`, `schema: a regex is not a schema; write (string ^pattern #"a+") to match strings, or (literal #"a+") for the regex itself`},

		{"list arity", `(list int string)`, `schema: (list) takes at most 1 argument, got 2`},
		{"map arity", `(map int)`, `schema: (map) takes 0 or 2 arguments (key and value schemas), got 1`},
		{"map arity 3", `(map int int int)`, `schema: (map) takes at most 2 arguments, got 3`},
		{"mapof arity", `(mapof)`, `schema: (mapof) takes 1 argument, got 0`},
		{"literal arity", `(literal 1 2)`, `schema: (literal) takes 1 argument, got 2`},
		{"one-of arity", `(one-of)`, `schema: (one-of) takes at least 1 argument, got 0`},
		{"enum arity", `(enum)`, `schema: (enum) takes at least 1 argument, got 0`},
		{"int arity", `(int 5)`, `schema: (int) takes no arguments, got 1`},
		{"props arity", `(props int)`, `schema: (props) takes no arguments, got 1`},
		{"gene arity", `(gene x)`, `schema: (gene) takes no arguments, got 1`},
		{"optional arity", `{^a (optional int string)}`, `schema: at ^a: (optional) takes 1 argument, got 2`},
		{"ref arity", `(ref)`, `schema: (ref) takes 1 argument, got 0`},

		{"unknown option", `(int ^max-len 3)`, `schema: at ^max-len: unknown option ^max-len for (int); it takes ^min ^max`},
		{"no options", `(bool ^x 1)`, `schema: at ^x: (bool) takes no options, got ^x`},
		{"gene option", `(gene ^tail x)`, `schema: at ^tail: unknown option ^tail for (gene); it takes ^head ^props ^body`},
		{"optional option", `{^a (optional int ^x 1)}`, `schema: at ^a/^x: (optional) takes no options, got ^x`},
		{"min not a number", `(int ^min "a")`, `schema: at ^min: ^min must be a number, got string "a"`},
		{"int min float", `(int ^min 1.5)`, `schema: at ^min: ^min of (int) must be an integer, got float 1.5`},
		{"min over max", `(int ^min 5 ^max 1)`, `schema: ^min 5 is greater than ^max 1`},
		{"float min over max", `(float ^min 1.5 ^max 1)`, `schema: ^min 1.5 is greater than ^max 1`},
		{"float min nan", `(float ^min nan)`, `schema: at ^min: ^min must not be nan`},
		{"big bound", `(int ^min 99999999999999999999)`, `schema: at ^min: ^min 99999999999999999999 is out of the 64-bit range`},
		{"negative length", `(string ^max-len -1)`, `schema: at ^max-len: ^max-len must be an integer from 0 to 2147483647, got int -1`},
		{"length not int", `(list ^min-len "1")`, `schema: at ^min-len: ^min-len must be an integer from 0 to 2147483647, got string "1"`},
		{"min-len over max-len", `(bytes ^min-len 3 ^max-len 2)`, `schema: ^min-len 3 is greater than ^max-len 2`},
		{"pattern kind", `(string ^pattern 5)`, `schema: at ^pattern: ^pattern must be a regex or a string, got int 5`},
		{"pattern syntax", `(string ^pattern #"(")`, "schema: at ^pattern: bad pattern: error parsing regexp: missing closing ): `(`"},
		{"pattern flag x", `(symbol ^pattern #"a"x)`, `schema: at ^pattern: regex flag x (extended) is not supported`},
		{"bytes pattern", `(bytes ^pattern "a")`, `schema: at ^pattern: unknown option ^pattern for (bytes); it takes ^min-len ^max-len`},

		{"optional outside props", `(list (optional int))`, `schema: at [0]: (optional T) is only allowed as the value of a key in (props ...)`},
		{"duplicate enum", `(enum a b a)`, `schema: at [2]: duplicate enum value a`},
		{"ref not symbol", `(ref "Msg")`, `schema: at [0]: (ref) takes a definition name (a symbol), got string "Msg"`},
		{"unknown definition", `{^a (ref Nope)}`, `schema: at ^a: unknown definition Nope`},
		{"ref cycle", `(ref A)`, `schema: definition A: refers to itself without descending into the value (A -> B -> A); validation would never end`},
		{"ref self", `(list (ref Self))`, `schema: definition Self: refers to itself without descending into the value (Self -> Self); validation would never end`},
		{"tuple element", `(tuple int (list x))`, `schema: at [1]/[0]: unknown type name x`},
		{"gene body", `(gene ^body (list x))`, `schema: at ^body/[0]: unknown type name x`},
		{"one-of alternative", `(one-of int (mapof y))`, `schema: at [1]/[0]: unknown type name y`},

		{"doc not string", `(int @doc 5)`, `schema: at @doc: @doc must be a string, got int 5`},
		{"title not string", `(int @title x)`, `schema: at @title: @title must be a string, got symbol x`},
		{"examples not list", `(int @examples 5)`, `schema: at @examples: @examples must be a list, got int 5`},
		{"deprecated not bool", `(int @deprecated "yes")`, `schema: at @deprecated: @deprecated must be a bool, got string "yes"`},
		{"example mismatch", `(int @example "x")`, `schema: at @example: value does not match: want int, got string "x"`},
		{"examples mismatch in definition", `{^port (ref Port)}`, `schema: definition Port: at @examples/[1]: value does not match: want int >= 1, got int 0`},
		{"default mismatch on optional", `{^t (optional int @default "x")}`, `schema: at ^t/@default: value does not match: want int, got string "x"`},
		{"nested example mismatch", `{^a (list (props ^b int @example {^b "x"}))}`, `schema: at ^a/[0]/@example: value does not match: at ^b: want int, got string "x"`},
	}
	dv := map[string]gene.Value{}
	for k, v := range defs {
		dv[k] = g(t, v)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(g(t, tc.schema), dv)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Equal(t, tc.err, err.Error())
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestParseRecursiveDefinitionIsFine(t *testing.T) {
	s, err := Parse(g(t, `(ref Ok)`), map[string]gene.Value{"Ok": g(t, `(list (ref Ok))`)})
	require.NoError(t, err)
	assert.Equal(t, []string{"Ok"}, s.DefNames())
}

func TestMustParsePanics(t *testing.T) {
	assert.PanicsWithError(t, "schema: unknown type name x", func() { MustParse(gene.Symbol("x"), nil) })
}

func TestParseDefs(t *testing.T) {
	defs := map[string]gene.Value{
		"Name":   g(t, `(string @doc "a name" ^min-len 1)`),
		"Person": g(t, `{^name (ref Name) ^friends (list (ref Person))}`),
		"Unused": g(t, `(enum a b)`),
	}
	all, err := ParseDefs(defs)
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, []string{"Name", "Person"}, all["Person"].DefNames())
	assert.Empty(t, all["Unused"].DefNames())
	assert.True(t, gene.Equal(defs["Unused"], all["Unused"].Value()))
	require.NoError(t, all["Person"].Validate(g(t, `{^name "a" ^friends [{^name "b" ^friends []}]}`)))
	require.EqualError(t, all["Person"].Validate(g(t, `{^name "a" ^friends [{^name "" ^friends []}]}`)),
		"schema: at ^friends/[0]/^name: want string of at least 1 char, got string of 0 chars")

	_, err = ParseDefs(map[string]gene.Value{"Bad": g(t, `(list nope)`), "Good": g(t, `int`)})
	require.EqualError(t, err, "schema: definition Bad: at [0]: unknown type name nope")
}

// TestDocExamples keeps the schemas shown in doc.go honest.
func TestDocExamples(t *testing.T) {
	tree := MustParse(g(t, `(ref Tree)`), map[string]gene.Value{
		"Tree": g(t, `(gene ^head node ^props {^label string} ^body (list (ref Tree)))`),
	})
	require.NoError(t, tree.Validate(g(t, `(node ^label "root" (node ^label "leaf"))`)))

	name := MustParse(g(t, `(string @doc "user name" @title "Name" @example "ada" ^max-len 64)`), nil)
	require.NoError(t, name.Validate(g(t, `"ada"`)))

	req := MustParse(g(t, `(props @doc "a get request" @examples [{^op "get" ^key "a"}]
	  ^op "get"
	  ^key (string @doc "the key to read")
	  ^timeout (optional int @doc "milliseconds" @default 1000))`), nil)
	require.NoError(t, req.Validate(g(t, `{^op "get" ^key "a" ^timeout 5}`)))

	items := MustParse(g(t, `{^items (list {^name string})}`), nil)
	require.EqualError(t, items.Validate(g(t, `{^items [{^name "a"} {^name 3}]}`)),
		"schema: at ^items/[1]/^name: want string, got int 3")

	_, err := Parse(g(t, `(ref Msg)`), map[string]gene.Value{"Msg": g(t, `{^items (list strng)}`)})
	require.EqualError(t, err, "schema: definition Msg: at ^items/[0]: unknown type name strng")
}
