package schema

import (
	"testing"

	"github.com/genehost/genehost/gene"
)

// g reads one Gene value from src with the gene text reader, failing the
// test on error.
func g(t testing.TB, src string) gene.Value {
	t.Helper()
	v, err := gene.Parse([]byte(src))
	if err != nil {
		t.Fatalf("reading %q: %v", src, err)
	}
	return v
}
