package schema

import (
	"testing"

	"github.com/genehost/genehost/gene"
)

// benchSchema and benchRequest are a typical request message of a
// key-value interface: about 100 bytes of Gene text.
const (
	benchSchema = `(one-of
		(gene ^head get ^props {^id (int ^min 0) ^key (ref Key) ^timeout (optional (int ^min 0 ^max 60000))
			^headers (mapof (string ^max-len 256))} ^body (tuple))
		(gene ^head put ^props {^id (int ^min 0) ^key (ref Key)} ^body (tuple any)))`
	benchRequest = `(get ^id 42 ^key "users/ada/profile" ^timeout 1500 ^headers {^accept "gene" ^trace "7f3a9c01d2"})`
)

// BenchmarkValidate validates a matching request: the key checked with a
// regex, and without one, to show the checkers' own cost apart from RE2's.
func BenchmarkValidate(b *testing.B) {
	for _, bc := range []struct{ name, key string }{
		{"pattern", `(string ^min-len 1 ^max-len 1024 ^pattern #"^[a-z0-9/_-]+$")`},
		{"plain", `(string ^min-len 1 ^max-len 1024)`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := MustParse(g(b, benchSchema), map[string]gene.Value{"Key": g(b, bc.key)})
			v := g(b, benchRequest)
			if err := s.Validate(v); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(benchRequest)))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Validate(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidateMismatch(b *testing.B) {
	defs := map[string]gene.Value{"Key": g(b, `(string ^min-len 1 ^max-len 1024)`)}
	s := MustParse(g(b, benchSchema), defs)
	v := g(b, `(get ^id 42 ^key "users/ada/profile" ^timeout 90000)`)
	b.ReportAllocs()
	for b.Loop() {
		if s.Validate(v) == nil {
			b.Fatal("matched")
		}
	}
}
