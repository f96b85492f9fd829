package plugindir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugindir"
)

func TestCheckReportsEveryBrokenPlugin(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "good", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": echoJS})
	writePlugin(t, dir, "nameless", map[string]string{"plugin.gene": `{^name "other" ^direction "send+recv"}`, "handler.js": echoJS})
	writePlugin(t, dir, "throws", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": "throw new Error('at load')"})
	writePlugin(t, dir, "badwasm", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "m.wasm": "\x00asm\x01\x00\x00\x00"})
	cache := t.TempDir()
	errs := plugindir.Check(t.Context(), dir, runtimes(t), plugindir.CheckCacheDir(cache),
		func(o *plugindir.Options) { o.Isolated = isolated(t) })
	require.Len(t, errs, 3)
	var all []string
	for _, err := range errs {
		all = append(all, err.Error())
	}
	text := strings.Join(all, "\n")
	require.Contains(t, text, `nameless/plugin.gene: ^name: "other" does not match the folder name "nameless"`)
	require.Contains(t, text, "at load")
	require.Contains(t, text, `wasmrt: plugin "badwasm" (m.wasm)`)
	require.NotContains(t, text, "good")

	errs = plugindir.Check(t.Context(), t.TempDir(), runtimes(t), plugindir.CheckCacheDir(cache))
	require.Len(t, errs, 1, "no plugin at all is an error")
	require.ErrorIs(t, errs[0], plugindir.ErrNoPlugins)
}

// TestCheckBuildsIntoTheGivenCache: Go plugins are built into the cache
// CheckCacheDir names (here the genehost sources a module of its own is
// built against land there before its build fails), not the default one.
func TestCheckBuildsIntoTheGivenCache(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go plugin")
	}
	t.Setenv("GOPROXY", "off")
	dir := t.TempDir()
	userPlugin(t, dir, "v1", true)
	writePlugin(t, dir, "tagger", map[string]string{"main.go": "package main\n\nfunc main() { undefinedThing() }\n"})
	cache := filepath.Join(t.TempDir(), "cache")
	errs := plugindir.Check(t.Context(), dir, runtimes(t), plugindir.CheckCacheDir(cache))
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], plugindir.ErrBuild)
	require.ErrorContains(t, errs[0], "main.go:3:")
	srcs, err := os.ReadDir(filepath.Join(cache, "src"))
	require.NoError(t, err, "the build used the given cache")
	require.NotEmpty(t, srcs)
}
