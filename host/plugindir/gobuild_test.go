package plugindir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/proto"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestGoPluginInRepo builds a Go plugin inside this module and serves it.
func TestGoPluginInRepo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go plugin")
	}
	e, err := openDir(t, filepath.Join("testdata", "goplugins"), options{})
	require.NoError(t, err)
	st := e.dir.Plugins()
	require.Len(t, st, 1)
	require.Equal(t, "go", st[0].Runtime)
	l := e.mustOpen(t, "gotag")
	l.send(t, gene.Int(1), gene.MustParse("(x ^y 2)"))
	l.expect(t, "(go 1)")
	l.expect(t, "(go (x ^y 2))")
	// A Go panic traps the guest: the link is reset naming plugin,
	// callback and link, with the panic message.
	l.send(t, gene.Symbol("panic"))
	pe := l.recvErr(t)
	require.Equal(t, proto.CodePluginFailed, pe.Code)
	require.Contains(t, pe.Msg, `plugin "gotag" (generation 1) Receive link `)
	require.Contains(t, pe.Msg, "asked to panic")
	l2 := e.mustOpen(t, "gotag")
	l2.send(t, gene.Int(3))
	l2.expect(t, "(go 3)")
}

// userPlugin writes a Go plugin in a module of its own (as `genehost new
// go` would) under a temporary directory, outside this repository.
func userPlugin(t *testing.T, dir, tag string, withGoMod bool) {
	t.Helper()
	src := readFile(t, filepath.Join("testdata", "goplugins", "gotag", "main.go"))
	src = strings.Replace(src, `gene.Symbol("go")`, `gene.Symbol("`+tag+`")`, 1)
	files := map[string]string{
		"plugin.gene": `{^direction "send+recv" ^runtime "go"}`,
		"main.go":     src,
	}
	if withGoMod {
		files["go.mod"] = "module example.com/tagger\n\ngo 1.24\n\nrequire github.com/genehost/genehost v0.0.0\n"
	}
	writePlugin(t, dir, "tagger", files)
}

// TestGoPluginOutsideRepoBuildsOffline builds a user's Go plugin, with
// and without its own go.mod, with the module proxy switched off: the
// genehost sources come from the binary.
func TestGoPluginOutsideRepoBuildsOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go plugins")
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-mod=readonly")
	for _, withGoMod := range []bool{true, false} {
		name := "bare folder"
		if withGoMod {
			name = "own go.mod"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			userPlugin(t, dir, "v1", withGoMod)
			out := filepath.Join(t.TempDir(), "tagger.wasm")
			require.NoError(t, plugindir.Build(t.Context(), filepath.Join(dir, "tagger"), out))
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			require.Equal(t, []byte("\x00asm"), b[:4])

			// Served from a plugin directory, and rebuilt when the source
			// changes.
			cache := t.TempDir()
			e, err := openDir(t, dir, options{cacheDir: cache})
			require.NoError(t, err)
			l := e.mustOpen(t, "tagger")
			l.send(t, gene.Int(1))
			l.expect(t, "(v1 1)")
			userPlugin(t, dir, "v2", withGoMod)
			require.NoError(t, e.dir.Reload(t.Context(), "tagger"))
			l2 := e.mustOpen(t, "tagger")
			l2.send(t, gene.Int(1))
			l2.expect(t, "(v2 1)")
			// Back to v1: the build comes from the cache.
			builds, err := filepath.Glob(filepath.Join(cache, "go", "*.wasm"))
			require.NoError(t, err)
			require.Len(t, builds, 2)
			userPlugin(t, dir, "v1", withGoMod)
			require.NoError(t, e.dir.Reload(t.Context(), "tagger"))
			again, err := filepath.Glob(filepath.Join(cache, "go", "*.wasm"))
			require.NoError(t, err)
			require.Equal(t, builds, again)
			l3 := e.mustOpen(t, "tagger")
			l3.send(t, gene.Int(1))
			l3.expect(t, "(v1 1)")
			require.Equal(t, uint64(3), e.dir.Plugins()[0].Generation)
		})
	}
}

// TestGoPluginBuildErrorNamesTheFile: a Go plugin that does not compile
// is reported with the compiler's file:line, and the last good version
// keeps serving.
func TestGoPluginBuildErrorNamesTheFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go plugins")
	}
	dir := t.TempDir()
	userPlugin(t, dir, "v1", true)
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	writePlugin(t, dir, "tagger", map[string]string{"main.go": "package main\n\nfunc main() { undefinedThing() }\n"})
	err = e.dir.Reload(t.Context(), "tagger")
	require.ErrorIs(t, err, plugindir.ErrBuild)
	require.Contains(t, err.Error(), filepath.Join(dir, "tagger", "main.go")+":3:", "the file is named in the plugin folder, not ./main.go")
	require.Contains(t, err.Error(), "undefined: undefinedThing")
	l := e.mustOpen(t, "tagger")
	l.send(t, gene.Int(1))
	l.expect(t, "(v1 1)")
}
