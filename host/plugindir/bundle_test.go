package plugindir_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/proto"
)

const tsManifest = `{^direction "send+recv" ^isolation "none" ^messages {^any {^from "client" ^schema any}}}`

// TestTypeScriptPlugin loads a handler.ts that imports a module of its
// folder and a package of its node_modules, serves it, and checks that an
// exception names the .ts line through the source map, in the process
// and in the host alike.
func TestTypeScriptPlugin(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"plugin.gene": tsManifest,
		"handler.ts": `import { shout } from "./lib";
import pad from "leftpad";

interface Counter { n: number }
const c: Counter = { n: 0 };

export default {
  values(link: any, values: unknown[]) {
    for (const v of values) {
      c.n++;
      if (v === "boom") {
        throw new Error("boom at " + c.n);
      }
      link.send([shout(String(v)), pad(String(c.n), 3)]);
    }
  },
};
`,
		"lib.ts":                            "export const shout = (s: string): string => s.toUpperCase() + \"!\";\n",
		"node_modules/leftpad/package.json": `{"name": "leftpad", "main": "index.js"}`,
		"node_modules/leftpad/index.js":     "module.exports = function (s, n) { while (s.length < n) s = '0' + s; return s; };\n",
	}
	for _, iso := range []string{"none", "process"} {
		t.Run(iso, func(t *testing.T) {
			files["plugin.gene"] = `{^direction "send+recv" ^isolation "` + iso + `" ^messages {^any {^from "client" ^schema any}}}`
			writePluginTree(t, dir, "ts"+iso, files)
			e, err := openDir(t, dir, options{})
			require.NoError(t, err)
			l := e.mustOpen(t, "ts"+iso)
			l.send(t, gene.String("hi"))
			l.expect(t, `["HI!" "001"]`)
			l.send(t, gene.String("boom"))
			pe := l.recvErr(t)
			assert.Equal(t, proto.CodeHandlerError, pe.Code)
			assert.Contains(t, pe.Msg, "Error: boom at 2 at handler.ts:12:", "the HANDLER_ERROR names the .ts line")
		})
	}
}

func writePluginTree(t *testing.T, dir, name string, files map[string]string) {
	t.Helper()
	for f, content := range files {
		p := filepath.Join(dir, name, filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// TestBundleErrors: a type-stripping syntax error, a missing import and a
// host module are load errors naming file:line; an import that resolves
// outside the plugin folder is refused.
func TestBundleErrors(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secret.js"), []byte("module.exports = 'secret';\n"), 0o644))
	for _, c := range []struct{ name, code, want string }{
		{"syntax", "const x: number = ;\nexport default {};\n", "handler.ts:1:19: Unexpected \";\""},
		{"missing", "\nimport { y } from './nope';\nexport default { values() { y; } };\n", "handler.ts:2:19: Could not resolve \"./nope\""},
		{"hostmod", "import * as fs from 'fs';\nexport default { values() { fs; } };\n", "handler.ts:1:21: Could not resolve \"fs\""},
		{"outside", "import s from '../../secret.js';\nexport default { values() { s; } };\n", "outside the plugin folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			writePluginTree(t, filepath.Join(dir, "plugins"), c.name, map[string]string{"plugin.gene": tsManifest, "handler.ts": c.code})
			_, err := plugindir.Bundle(filepath.Join(dir, "plugins", c.name), "handler.ts")
			require.ErrorIs(t, err, plugindir.ErrBundle)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestNeedsBundle(t *testing.T) {
	assert.True(t, plugindir.NeedsBundle("handler.ts", nil))
	assert.True(t, plugindir.NeedsBundle("h.mjs", nil))
	assert.True(t, plugindir.NeedsBundle("handler.js", []byte("// x\nimport { a } from './a.js';\n")))
	assert.True(t, plugindir.NeedsBundle("handler.js", []byte("export default {};\n")))
	assert.False(t, plugindir.NeedsBundle("handler.js", []byte("module.exports = { values() {} }; // export default\n")))
}

// TestTypeScriptReload: editing an imported module reloads the plugin.
func TestTypeScriptReload(t *testing.T) {
	dir := t.TempDir()
	writePluginTree(t, dir, "r", map[string]string{
		"plugin.gene": tsManifest,
		"handler.ts":  "import { word } from './word';\nexport function values(link: any, vs: unknown[]) { for (const v of vs) link.send(word); }\n",
		"word.ts":     "export const word = 'one';\n",
	})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	go e.dir.Run(t.Context())
	l := e.mustOpen(t, "r")
	l.send(t, gene.Int(1))
	l.expect(t, `"one"`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "r", "word.ts"), []byte("export const word = 'two';\n"), 0o644))
	require.Eventually(t, func() bool {
		for _, st := range e.dir.Plugins() {
			if st.Name == "r" && st.Generation == 2 {
				return true
			}
		}
		return false
	}, 20*time.Second, 10*time.Millisecond)
	l2 := e.mustOpen(t, "r")
	l2.send(t, gene.Int(1))
	l2.expect(t, `"two"`)
}

func TestManualClock(t *testing.T) {
	var c plugindir.ManualClock
	var got []int
	c.AfterFunc(20*time.Millisecond, func() { got = append(got, 2) })
	c.AfterFunc(10*time.Millisecond, func() {
		got = append(got, 1)
		c.AfterFunc(5*time.Millisecond, func() { got = append(got, 15) })
	})
	stop := c.AfterFunc(12*time.Millisecond, func() { got = append(got, 99) })
	assert.True(t, stop.Stop())
	assert.False(t, stop.Stop())
	assert.Equal(t, 0, c.Advance(5*time.Millisecond))
	assert.Equal(t, 2, c.Advance(10*time.Millisecond))
	assert.Equal(t, []int{1, 15}, got)
	assert.Equal(t, 1, c.Pending())
	assert.Equal(t, 1, c.Advance(time.Second))
	assert.Equal(t, []int{1, 15, 2}, got)
}
