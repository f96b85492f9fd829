package gene

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Gene reader's own suite pairs a text with the text it prints back as
// once read; the notation this package reads is meant to agree with it on
// every such pair. Each row below is one pair: in, read with ParseAll, gives
// values whose canonical texts (Format), joined by newlines, are want. The
// rows are grouped the way the forms are (NOTATION.md sections 2 to 4).
type printCase struct {
	name, in, want string
}

func runPrintCases(t *testing.T, cases []printCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := ParseAll([]byte(tc.in), ReadOptions{})
			require.NoError(t, err, "input %q", tc.in)
			got := ""
			for i, v := range vs {
				if i > 0 {
					got += "\n"
				}
				got += Format(v)
			}
			assert.Equal(t, tc.want, got, "input %q", tc.in)
			// What is printed reads back as the same text.
			again, err := ParseAll([]byte(got), ReadOptions{})
			require.NoError(t, err, "reread %q", got)
			require.Len(t, again, len(vs))
			for i := range vs {
				assert.True(t, Equal(vs[i], again[i]), "reread %q gives %s", got, Format(again[i]))
			}
		})
	}
}

func TestSuiteAtomsAndContainers(t *testing.T) {
	runPrintCases(t, []printCase{
		{"node", "(a b c)", "(a b c)"},
		{"list", "[1 2 3]", "[1 2 3]"},
		{"prop map", `{^name "Alice" ^age 30}`, `{^name "Alice" ^age 30}`},
		{"frozen node", "#(h ^p v b)", "#(h ^p v b)"},
		{"frozen list", "#[1 2 3]", "#[1 2 3]"},
		{"frozen prop map", "#{^a 1}", "#{^a 1}"},
		{"int", "42", "42"},
		{"int past int64", "9223372036854775808", "9223372036854775808"},
		{"hex zero", "0x0", "0"},
		{"hex small", "0x1f", "31"},
		{"hex word", "0x4869", "18537"},
		{"hex mixed case", "0xDEADbeef", "3735928559"},
		{"hex int64 max", "0x7fffffffffffffff", "9223372036854775807"},
		{"hex past int64", "0x10000000000000000", "18446744073709551616"},
		{"hex run glued to symbol bytes", "0x1f-3a", "0x1f-3a"},
		{"hex run glued to a letter", "0x1fg", "0x1fg"},
		{"negative hex", "-0x1f", "-31"},
		{"hex prefix alone", "0x", "0x"},
		{"hex prefix then no digit", "0xg", "0xg"},
		{"float", "3.14", "3.14"},
		{"true", "true", "true"},
		{"false", "false", "false"},
		{"nil", "nil", "nil"},
		{"string", `"hello"`, `"hello"`},
		{"string escapes kept", `"line\n\"slash\\"`, `"line\n\"slash\\"`},
		{"unicode escapes decoded", `"\u00E9\u{1F600}"`, `"é😀"`},
		{"triple quoted with quotes", `"""say "hi" now"""`, `"say \"hi\" now"`},
		{"triple quoted escaped quote at end", `"""hello "Gene\""""`, `"hello \"Gene\""`},
		{"bytes in bits", "#B#01000001", "#B16#41"},
		{"bytes in hex", "#B16#4869", "#B16#4869"},
		{"bytes in base64", "#B64#SGk=", "#B16#4869"},
		{"bits over two lines", "#B#01001000~ 01101001", "#B16#4869"},
		{"hex over two lines", "#B16#48~\n 69", "#B16#4869"},
		{"base64 over two lines", "#B64#SGVs~ bG8=", "#B16#48656c6c6f"},
		{"regex with flags", `#"\d+"im`, `#"\d+"im`},
		{"triple quoted regex", `#"""^\s*(\w+)\s*$"""`, `#"^\s*(\w+)\s*$"`},
		{"general map", `{{"a" : 1 2 : "b"}}`, `{{"a" : 1 2 : "b"}}`},
	})
}

func TestSuiteChars(t *testing.T) {
	runPrintCases(t, []printCase{
		{"ascii", "'a'", "'a'"},
		{"line feed escape", `'\n'`, `'\n'`},
		{"backslash escape", `'\\'`, `'\\'`},
		{"quote escape", `'\''`, `'\''`},
		{"two-byte scalar", "'é'", "'é'"},
		{"four-digit escape", `'\u00E9'`, "'é'"},
		{"braced escape", `'\u{1F600}'`, "'😀'"},
	})
}

func TestSuiteSugars(t *testing.T) {
	runPrintCases(t, []printCase{
		{"pipe stages", "(a; b; c)", "(((a) b) c)"},
		{"pipe slot", "(x; $parse; (or _ default))", "(or ((x) (path gene parse)) default)"},
		{"pipe slot in body", "(x; f _ y)", "(f (x) y)"},
		{"pipe of sends", "(xs ~ filter; ~ map f; ~ take 10)", "(((xs ~ filter) ~ map f) ~ take 10)"},
		{"send kept", "(x ~ f a b)", "(x ~ f a b)"},
		{"send as head", "(~ f a b)", "(~ f a b)"},
		{"spread", "x...", "(... x)"},
		{"flags take no value", "(x ^^ready false @@generated nil)", "(x @@generated ^^ready false nil)"},
		{"flag in prop map", "{^^ready ^value false}", "{^^ready ^value false}"},
		{"bare at as head", "(@ {^line l} (x ^name n))", "(@ {^line l} (x ^name n))"},
		{"meta after head", "(x @line 7)", "(x @line 7)"},
		{"interpolation", `$"hello ${name}"`, `($ "hello " name)`},
		{"triple quoted interpolation", `$"""hello "${name}\""""`, `($ "hello \"" name "\"")`},
		{"interpolation node form", `($ "hello " name)`, `($ "hello " name)`},
		// A hole is read from the string's text with its escapes decoded,
		// so strings, regexes, chars and comments inside it hide brackets.
		{"hole holding an escaped string", `$"$(do \"x)\")"`, `($ (do "x)"))`},
		{"hole holding a regex", `$"$(match #\"[)]\" value)"`, `($ (match #"[)]" value))`},
		{"hole holding a comment", `$"$(do # ignored )\n x)"`, `($ (do x))`},
		{"brace hole holding a prop map", `$"${{^label \"}\"}}"`, `($ {^label "}"})`},
		{"hole holding a char", `$"$(do ')' x)"`, `($ (do ')' x))`},
		{"brace hole holding a general map", `$"${{{\"key\" : \"}\"}}}"`, `($ {{"key" : "}"}})`},
		{"triple quoted hole holding a string", `$"""$(do "x)")"""`, `($ (do "x)"))`},
	})
}

func TestSuitePaths(t *testing.T) {
	runPrintCases(t, []printCase{
		{"absolute", "/user/name", "(select user name)"},
		{"absolute with index", "/users/0/name", "(select users 0 name)"},
		{"relative", "user/name", "(path user name)"},
		{"negative index", "users/-1/name", "(path users -1 name)"},
		{"unquote segment", "user/%field", "(path user (unquote field))"},
		{"root path", "(import $net/http)", "(import (path gene net http))"},
		{"named unquote segment", "xs/%i", "(path xs (unquote i))"},
		{"send segment", "xs/~size", "(path xs ~size)"},
		{"send after unquote", "users/%i/~to_html", "(path users (unquote i) ~to_html)"},
	})
}

func TestSuiteTilde(t *testing.T) {
	runPrintCases(t, []printCase{
		{"glued tilde symbol", "(a ~b)", "(a ~b)"},
		{"tilde segment node", "(path xs ~size)", "(path xs ~size)"},
		{"spaced tilde", "(a ~ b)", "(a ~ b)"},
		{"tilde as head", "(~ name)", "(~ name)"},
		{"tilde before closer", "(a ~)", "(a ~)"},
		{"tilde in list", "[~ 1]", "[~ 1]"},
		// Printing and reading again gives the same text.
		{"path send reprinted", "(path xs ~size)", "(path xs ~size)"},
		{"glued tilde reprinted", "(a ~b)", "(a ~b)"},
		{"unquote send reprinted", "(path users (unquote i) ~to_html)", "(path users (unquote i) ~to_html)"},
		{"spaced tilde reprinted", "(a ~ b)", "(a ~ b)"},
	})
}

func TestSuiteUnquote(t *testing.T) {
	runPrintCases(t, []printCase{
		{"symbol", "%name", "(unquote name)"},
		{"node", "%(label self)", "(unquote (label self))"},
		{"path", "%self/tag", "(unquote (path self tag))"},
		{"interpolation", `%$"a ${x}"`, `(unquote ($ "a " x))`},
		{"interpolation after a dollar", `%$"$${self/price}"`, `(unquote ($ "$" (path self price)))`},
	})
}

func TestSuiteComments(t *testing.T) {
	runPrintCases(t, []printCase{
		{"discarded form", "(a #_ b c)", "(a c)"},
		{"block comment", "#< block ># (a b)", "(a b)"},
		{"shebang line", "#!/usr/bin/env gene\n(a b)", "(a b)"},
		{"line comment", "# comment\n(a b)", "(a b)"},
		{"tab after hash", "#\tcomment\n(a b)", "(a b)"},
		{"hash at the end", "(a b) #", "(a b)"},
		{"hash at a line end", "(a b) #\n", "(a b)"},
		{"bang comment anywhere", "#!anywhere\n(a b)", "(a b)"},
		{"glued discard", "(a #_b c)", "(a c)"},
		{"discard at top", "#_ (a) (b)", "(b)"},
		{"discards stack", "#_ #_ a b c", "c"},
		{"discard last in node", "(a #_ b)", "(a)"},
		{"discard before closer", "(a b #_ c)", "(a b)"},
		{"two forms", "(a b) (c d)", "(a b)\n(c d)"},
		{"comment between forms", "(a b) # comment\n(c d)", "(a b)\n(c d)"},
	})
}

func TestSuiteHashForms(t *testing.T) {
	runPrintCases(t, []printCase{
		{"frozen list", "#[1 2]", "#[1 2]"},
		{"frozen prop map", "#{^a 1}", "#{^a 1}"},
		{"frozen node", "#(h 1)", "#(h 1)"},
		{"regex", `#"\d+"`, `#"\d+"`},
		{"bytes print in hex", "#B64#SGk=", "#B16#4869"},
		{"reference", "#Ref shared [1 2]", "#Ref shared [1 2]"},
		{"dereference", "#Deref shared", "#Deref shared"},
		{"references in a list", "[#Ref shared [1 2] #Deref shared]", "[#Ref shared [1 2] #Deref shared]"},
	})
}

// A list keeps the tokens written in it: a comma is the symbol ',' and a
// '^' or '@' glued to what follows is a symbol of its own.
func TestSuiteListTokens(t *testing.T) {
	runPrintCases(t, []printCase{
		{"typed fields", `[req : Request, ^color : "red"]`, `[req : Request , ^ color : "red"]`},
	})
}
