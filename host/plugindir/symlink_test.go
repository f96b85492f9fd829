package plugindir_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugindir"
)

// TestEntriesStayInTheirFolder: a plugin's entry (handler.js, a .wasm
// ^entry), its Go sources and its config must resolve inside its folder
// after symlinks; a symlink to a host file is refused naming the path and
// the target, and nothing of the file is read into the error.
func TestEntriesStayInTheirFolder(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "shadow")
	require.NoError(t, os.WriteFile(outside, []byte("root:SECRET-HASH:19000:0:99999:7:::\n"), 0o600))
	link := func(t *testing.T, dir, name, target string) {
		t.Helper()
		require.NoError(t, os.Symlink(target, filepath.Join(dir, name)))
	}
	cases := []struct {
		name  string
		files map[string]string
		links map[string]string // name -> target (absolute, or relative to the folder)
		path  string            // the ConfigError's Path
		bad   string            // the file named
	}{
		{"handler.js to a host file", map[string]string{"plugin.gene": `{^direction "send+recv"}`},
			map[string]string{"handler.js": outside}, "^entry", "handler.js"},
		{"handler.js through ..", map[string]string{"plugin.gene": `{^direction "send+recv"}`},
			map[string]string{"handler.js": "../shadow"}, "^entry", "handler.js"},
		{"wasm ^entry", map[string]string{"plugin.gene": `{^direction "send+recv" ^entry "mod.wasm"}`},
			map[string]string{"mod.wasm": outside}, "^entry", "mod.wasm"},
		{"the only .wasm", map[string]string{"plugin.gene": `{^direction "send+recv"}`},
			map[string]string{"mod.wasm": outside}, "^entry", "mod.wasm"},
		{"Go source", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "main.go": "package main\n"},
			map[string]string{"secret.go": outside}, "^runtime", "secret.go"},
		{"go.mod", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "main.go": "package main\n"},
			map[string]string{"go.mod": outside}, "^runtime", "go.mod"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "p", tc.files)
			folder := filepath.Join(dir, "p")
			want := outside
			for name, target := range tc.links {
				if !filepath.IsAbs(target) {
					want = filepath.Join(folder, target)
					require.NoError(t, os.WriteFile(want, []byte("SECRET"), 0o600))
				}
				link(t, folder, name, target)
			}
			_, err := plugindir.ReadConfig(folder)
			var ce *plugindir.ConfigError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, plugindir.ErrOutsideFolder)
			require.Equal(t, tc.path, ce.Path)
			require.Contains(t, err.Error(), filepath.Join(folder, tc.bad)+" resolves to "+want+", outside the plugin folder "+folder)
			require.NotContains(t, err.Error(), "SECRET")
		})
	}

	t.Run("the config itself", func(t *testing.T) {
		dir := t.TempDir()
		writePlugin(t, dir, "p", map[string]string{"handler.js": echoJS})
		folder := filepath.Join(dir, "p")
		link(t, folder, "plugin.gene", outside)
		_, err := plugindir.ReadConfig(folder)
		require.ErrorIs(t, err, plugindir.ErrOutsideFolder)
		require.Contains(t, err.Error(), filepath.Join(folder, "plugin.gene")+" resolves to "+outside)
		require.NotContains(t, err.Error(), "SECRET")
	})

	t.Run("a symlink inside the folder is fine", func(t *testing.T) {
		dir := t.TempDir()
		writePlugin(t, dir, "p", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "real.js": echoJS})
		folder := filepath.Join(dir, "p")
		link(t, folder, "handler.js", "real.js")
		c, err := plugindir.ReadConfig(folder)
		require.NoError(t, err)
		require.Equal(t, "handler.js", c.Entry)
		b, err := plugindir.ReadInFolder(folder, "handler.js")
		require.NoError(t, err)
		require.Equal(t, echoJS, string(b))
	})

	t.Run("ReadInFolder refuses what turned into a symlink since", func(t *testing.T) {
		dir := t.TempDir()
		writePlugin(t, dir, "p", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": echoJS})
		folder := filepath.Join(dir, "p")
		_, err := plugindir.ReadConfig(folder)
		require.NoError(t, err)
		require.NoError(t, os.Remove(filepath.Join(folder, "handler.js")))
		link(t, folder, "handler.js", outside)
		_, err = plugindir.ReadInFolder(folder, "handler.js")
		require.True(t, errors.Is(err, plugindir.ErrOutsideFolder), "%v", err)
	})
}
