package wasmrt_test

import (
	"testing"

	"github.com/genehost/genehost/host/internal/wasmfixture"
	"github.com/genehost/genehost/host/plugin"
)

// Fixture plugins are Go guests under testdata/<name>, built and cached
// by host/internal/wasmfixture.

// fixtureWasm returns the bytes of the named fixture.
func fixtureWasm(t testing.TB, name string) []byte {
	t.Helper()
	return wasmfixture.Wasm(t, name)
}

// source wraps wasm bytes as a plugin.Source.
func source(name string, code []byte, l plugin.Limits, g plugin.Grants) *plugin.Source {
	return wasmfixture.Source(name, code, l, g)
}

func fixture(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	return source(name, fixtureWasm(t, name), l, g)
}
