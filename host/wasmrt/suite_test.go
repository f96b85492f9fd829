package wasmrt_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/wasmrt"
)

func newRuntime(t testing.TB, cfg wasmrt.Config) *wasmrt.Runtime {
	t.Helper()
	rt, err := wasmrt.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// sharedCacheDir is a compilation cache kept across test runs, so tests
// that do not measure the cache skip recompiling the fixtures.
func sharedCacheDir(t testing.TB) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return t.TempDir()
	}
	return filepath.Join(dir, "genehost", "wasmrt-test-compilecache")
}

func TestSuite(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	plugintest.RunSuite(t, rt, fixture)
}
