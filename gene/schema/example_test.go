package schema_test

import (
	"encoding/json"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/gene/schema"
)

func Example() {
	// Shared shapes a manifest names once.
	defs := map[string]gene.Value{
		"Key": gene.MustParse(`(string @doc "a slash-separated key" ^min-len 1 ^max-len 1024)`),
	}
	// The requests of a key-value interface: (get ^key K) or (put ^key K value).
	s, err := schema.Parse(gene.MustParse(`(one-of
		(gene ^head get ^props {^key (ref Key)} ^body (tuple))
		(gene ^head put ^props {^key (ref Key) ^ttl (optional (int ^min 1))} ^body (tuple any)))`), defs)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, msg := range []string{
		`(get ^key "users/ada")`,
		`(put ^key "users/ada" ^ttl 0 {^name "Ada"})`,
		`(put ^key "users/ada")`,
		`(del ^key "users/ada")`,
	} {
		fmt.Println(msg, "=>", s.Validate(gene.MustParse(msg)))
	}
	// The definition as JSON Schema, for the AsyncAPI export.
	_, jsonDefs := s.ExportJSONSchema("#/components/schemas/")
	out, _ := json.Marshal(jsonDefs["Key"])
	fmt.Println(string(out))
	// Output:
	// (get ^key "users/ada") => <nil>
	// (put ^key "users/ada" ^ttl 0 {^name "Ada"}) => schema: at ^ttl: want int >= 1, got int 0
	// (put ^key "users/ada") => schema: at (body): want list of 1 element, got list of 0 elements
	// (del ^key "users/ada") => schema: want one of (get ...), (put ...), got node (del ...)
	// {"description":"a slash-separated key","maxLength":1024,"minLength":1,"type":"string"}
}
