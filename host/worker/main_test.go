package worker_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/internal/wasmfixture"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/worker/workertest"
)

// TestMain makes this test binary the worker process of its own tests.
func TestMain(m *testing.M) {
	workertest.ServeIfWorker()
	os.Exit(m.Run())
}

// jsFixture loads host/jsrt/testdata/NAME/handler.js.
func jsFixture(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	src := jsFixtureTB(t, name)
	src.Limits, src.Grants = l, g
	return src
}

func jsFixtureTB(t testing.TB, name string) *plugin.Source {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "jsrt", "testdata", name))
	require.NoError(t, err)
	code, err := os.ReadFile(filepath.Join(dir, "handler.js"))
	require.NoError(t, err)
	return &plugin.Source{Name: name, Dir: dir, Entry: "handler.js", Code: code, Hash: name}
}

// jsSource makes a plugin from handler.js text in a temporary folder.
func jsSource(t *testing.T, name, code string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "handler.js"), []byte(code), 0o644))
	return &plugin.Source{Name: name, Dir: dir, Entry: "handler.js", Code: []byte(code), Hash: name, Limits: l, Grants: g}
}

// Wasm fixtures are the Go guests of host/wasmrt/testdata, built and
// cached by host/internal/wasmfixture as host/wasmrt's tests build them.
func wasmFixture(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	return wasmfixture.Source(name, wasmfixture.Wasm(t, name), l, g)
}

func wasmFixtureTB(t testing.TB, name string) *plugin.Source {
	t.Helper()
	return wasmfixture.Source(name, wasmfixture.Wasm(t, name), plugin.Limits{}, plugin.Grants{})
}
