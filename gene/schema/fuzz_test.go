package schema

import (
	"encoding/json"
	"testing"

	"github.com/genehost/genehost/gene"
)

// FuzzParse feeds arbitrary schema and value texts through Parse, Validate,
// Value and ToJSONSchema: none may panic, a schema's canonical form must
// parse back to the same canonical form that accepts and rejects the same
// value, and the JSON Schema must encode.
func FuzzParse(f *testing.F) {
	for _, seed := range [][2]string{
		{`{^name string ^age (optional (int ^min 0))}`, `{^name "a" ^age 3}`},
		{`(one-of (gene ^head get ^body (tuple string)) (gene ^head put ^body (tuple string any)))`, `(put "k")`},
		{`(list (tuple symbol ^rest number) ^max-len 3)`, `[[a 1 2.5] [b]]`},
		{`(map string (enum a b))`, `{{"x" : a  "y" : c}}`},
		{`(mapof (string ^pattern #"^[a-z]+$"i))`, `{^a "abc" ^b "ABC"}`},
		{`(ref T)`, `(node (node) (node (leaf)))`},
		{`(props ^^open ^x (literal [1 2]) @doc "d" @example {^x [1 2]})`, `{^x [1 2] ^y 3}`},
		{`(bytes ^max-len 2)`, `#B16#010203`},
	} {
		f.Add(seed[0], seed[1])
	}
	defs := map[string]gene.Value{"T": gene.MustParse(`(gene ^head node ^body (list (ref T)))`)}
	f.Fuzz(func(t *testing.T, schemaText, valueText string) {
		sv, err := gene.Parse([]byte(schemaText))
		if err != nil {
			return
		}
		s, err := Parse(sv, defs)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("Parse error %T is not a *ParseError: %v", err, err)
			}
			return
		}
		canon := s.Value()
		again, err := Parse(canon, defs)
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", gene.Format(canon), err)
		}
		if a, b := gene.Format(canon), gene.Format(again.Value()); a != b {
			t.Fatalf("canonical form is not a fixed point: %s then %s", a, b)
		}
		if _, err := json.Marshal(s.ToJSONSchema()); err != nil {
			t.Fatalf("JSON Schema does not encode: %v", err)
		}
		v, err := gene.Parse([]byte(valueText))
		if err != nil {
			return
		}
		e1, e2 := s.Validate(v), again.Validate(v)
		if (e1 == nil) != (e2 == nil) || (e1 != nil && e1.Error() != e2.Error()) {
			t.Fatalf("schema and its canonical form disagree on %s: %v / %v", gene.Format(v), e1, e2)
		}
		if e1 != nil {
			if _, ok := e1.(*ValidationError); !ok {
				t.Fatalf("Validate error %T is not a *ValidationError", e1)
			}
		}
	})
}
