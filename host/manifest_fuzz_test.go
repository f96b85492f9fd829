package host

import (
	"errors"
	"testing"

	"github.com/genehost/genehost/gene"
)

// FuzzParseManifest reads arbitrary Gene text as a manifest. ParseManifest
// must not panic; every error matches ErrManifest; a manifest it accepts
// serves a document (Value) that parses back to a manifest with the same
// content hash, and checking an incoming value against it never panics.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		kvManifest,
		`{^name "echo" ^direction "send+recv"}`,
		`{^name "x" ^direction "send" ^messages {^m {^from "server" ^schema int ^examples [1 "two"]}}}`,
		`{^name "x" ^direction "recv" ^validate true ^messages {^m {^from "client" ^schema (list int ^max-len 2)}}}`,
		`{^name "x" ^direction "send" ^control {^op {^args (int ^min 0) ^result (map string int)}}}`,
		`{^name "x" ^direction "send" ^flow {^window 10 ^max-window 5}}`,
		`{^name "x" ^direction "send" ^defs {^A (one-of int (ref B)) ^B (list (ref A))}}`,
		`{^name "x" ^direction "send+recv" ^messages {^a {^from "client" ^schema (ref T)}} ^defs {^T (gene ^head t ^props {^v any})}}`,
	} {
		f.Add(s, `(t ^v 1)`)
	}
	f.Fuzz(func(t *testing.T, text, incoming string) {
		v, err := gene.Parse([]byte(text))
		if err != nil {
			return // not Gene text: the reader's own fuzz target covers it
		}
		m, err := ParseManifest(v)
		if err != nil {
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("error does not match ErrManifest: %v", err)
			}
			return
		}
		if m.Hash() == "" {
			t.Fatal("accepted manifest has no hash")
		}
		again, err := ParseManifest(m.Value())
		if err != nil {
			t.Fatalf("the served manifest does not parse: %v\n%s", err, gene.Format(m.Value()))
		}
		if again.Hash() != m.Hash() {
			t.Fatalf("hash changed on a round trip: %s became %s", m.Hash(), again.Hash())
		}
		if in, err := gene.Parse([]byte(incoming)); err == nil {
			_ = m.CheckIncoming(in)
		}
	})
}
