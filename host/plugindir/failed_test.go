package plugindir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/proto"
)

// inHost keeps the test plugins inside the test process, whatever the
// default isolation of JavaScript.
const inHost = `{^direction "send+recv" ^isolation "none"}`

// brokenJS has a syntax error on line 3.
const brokenJS = "module.exports = {\n  values(link, vs) {\n    const = vs;\n  },\n};\n"

func evProp(v gene.Value, k string) string {
	p, _ := v.Get(k)
	return p.Str()
}

// TestBrokenPluginIsAFailedInterface: a plugin that does not load is
// registered as failed under its folder name: $sys lists it with the load
// error, health says failed, data links are refused with PLUGIN_FAILED
// naming the file (once: the plugin directory is relative here) and the
// line; fixing it loads it under the same name, removing it removes it,
// each with an event on $sys.
func TestBrokenPluginIsAFailedInterface(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	writePlugin(t, "plugins", "broken", map[string]string{"plugin.gene": inHost, "handler.js": brokenJS})
	e, err := openDir(t, "plugins", options{})
	require.Error(t, err)
	abs := filepath.Join(root, "plugins", "broken", "handler.js")
	require.Contains(t, err.Error(), abs+": Line 3:")
	require.NotContains(t, err.Error(), filepath.Join("plugins", "broken", "plugins"), "the folder is named once")
	require.Equal(t, []string{"broken"}, e.srv.Interfaces())

	sys := e.control(t, host.SysInterface)
	list, err := sys.Call(ctxT(t), "interfaces", gene.Void())
	require.NoError(t, err)
	require.Len(t, list.List(), 1)
	item := list.List()[0]
	require.Equal(t, "failed", evProp(item, "health"))
	require.Contains(t, evProp(item, "reason"), abs+": Line 3:")

	ctl := e.control(t, "broken")
	st, why, err := ctl.Health(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "failed", st)
	require.Contains(t, why, abs+": Line 3:")
	m, err := ctl.Manifest(ctxT(t))
	require.NoError(t, err)
	require.Contains(t, evProp(m, "description"), "failed to load")
	stats, err := ctl.Stats(ctxT(t))
	require.NoError(t, err)
	require.Contains(t, evProp(stats, "load-error"), abs+": Line 3:")

	for _, dir := range []proto.Direction{proto.DirSendRecv, proto.DirRecv, proto.DirSend} {
		_, err = e.conn.Open(ctxT(t), "broken", dir, client.LinkOptions{})
		var pe *proto.Error
		require.ErrorAs(t, err, &pe, "direction %s", dir)
		require.Equal(t, proto.CodePluginFailed, pe.Code)
		require.Contains(t, pe.Msg, `interface "broken" is failed: `)
		require.Contains(t, pe.Msg, abs+": Line 3:")
	}
	st0 := e.dir.Plugins()
	require.Len(t, st0, 1)
	require.Equal(t, host.Failed, st0[0].Health)
	require.False(t, st0[0].Serving)

	// Another broken edit: still failed, with the new error.
	writePlugin(t, "plugins", "broken", map[string]string{"plugin.gene": `{^direction "send+recv" ^isolation "none" ^color 1}`})
	require.Error(t, e.dir.Reload(t.Context(), "broken"))
	ev := nextEvent(t, sys, "load-failed")
	require.Equal(t, "broken", evProp(ev, "interface"))
	require.Contains(t, evProp(ev, "error"), "^color: unknown key")
	ev = nextEvent(t, ctl, "load-failed")
	require.Contains(t, evProp(ev, "error"), "^color: unknown key")
	_, why, err = ctl.Health(ctxT(t))
	require.NoError(t, err)
	require.Contains(t, why, filepath.Join(root, "plugins", "broken", "plugin.gene")+": ^color")

	// Fixed: it serves under the same name; the control link opened on
	// the failed interface hears it.
	writePlugin(t, "plugins", "broken", map[string]string{"plugin.gene": inHost, "handler.js": echoJS})
	require.NoError(t, e.dir.Reload(t.Context(), "broken"))
	ev = nextEvent(t, sys, "loaded")
	require.Equal(t, "1", gene.Format(mustGet(t, ev, "generation")))
	nextEvent(t, ctl, "loaded")
	l := e.mustOpen(t, "broken")
	l.send(t, gene.Int(7))
	l.expect(t, "7")
	st, _, err = ctl.Health(ctxT(t))
	require.NoError(t, err)
	require.Equal(t, "serving", st)

	// Broken again while serving: the good version keeps serving.
	writePlugin(t, "plugins", "broken", map[string]string{"handler.js": brokenJS})
	require.Error(t, e.dir.Reload(t.Context(), "broken"))
	ev = nextEvent(t, sys, "reload-failed")
	require.Contains(t, evProp(ev, "error"), abs+": Line 3:")
	l2 := e.mustOpen(t, "broken")
	l2.send(t, gene.Int(8))
	l2.expect(t, "8")

	// Removed: gone, with an event on $sys.
	require.NoError(t, os.RemoveAll(filepath.Join("plugins", "broken")))
	require.NoError(t, e.dir.Reload(t.Context(), "broken"))
	require.Equal(t, "broken", evProp(nextEvent(t, sys, "removed"), "interface"))
	require.Empty(t, e.srv.Interfaces())
	require.Empty(t, e.dir.Plugins())
}

// TestRemovedFailedPlugin: removing the folder of a plugin that never
// loaded unregisters its failed interface.
func TestRemovedFailedPlugin(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "broken", map[string]string{"plugin.gene": inHost, "handler.js": brokenJS})
	e, err := openDir(t, dir, options{})
	require.Error(t, err)
	sys := e.control(t, host.SysInterface)
	require.Equal(t, []string{"broken"}, e.srv.Interfaces())
	require.NoError(t, removeAll(dir, "broken"))
	require.NoError(t, e.dir.Reload(t.Context(), "broken"))
	require.Equal(t, "broken", evProp(nextEvent(t, sys, "removed"), "interface"))
	require.Empty(t, e.srv.Interfaces())
	require.Empty(t, e.dir.Plugins())
	_, err = e.open(t, "broken")
	var pe *proto.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, proto.CodeUnknownInterface, pe.Code)
}

func mustGet(t *testing.T, v gene.Value, k string) gene.Value {
	t.Helper()
	p, ok := v.Get(k)
	require.True(t, ok, "%s has no ^%s", gene.Format(v), k)
	return p
}

// TestCheckOneFolderOrADirectory: Check takes one plugin folder (it holds
// plugin.gene) or a directory of them, and finding none is an error.
func TestCheckOneFolderOrADirectory(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	writePlugin(t, "plugins", "good", map[string]string{"plugin.gene": inHost, "handler.js": echoJS})
	writePlugin(t, "plugins", "broken", map[string]string{"plugin.gene": inHost, "handler.js": brokenJS})
	cache := plugindir.CheckCacheDir(t.TempDir())
	rts := runtimes(t)

	require.True(t, plugindir.IsPluginFolder(filepath.Join("plugins", "broken")))
	require.False(t, plugindir.IsPluginFolder("plugins"))
	errs := plugindir.Check(t.Context(), filepath.Join("plugins", "broken"), rts, cache)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), filepath.Join(root, "plugins", "broken", "handler.js")+": Line 3:")
	require.Empty(t, plugindir.Check(t.Context(), filepath.Join("plugins", "good"), rts, cache))
	require.Empty(t, plugindir.Check(t.Context(), filepath.Join("plugins", "good")+"/", rts, cache))

	errs = plugindir.Check(t.Context(), "plugins", rts, cache)
	require.Len(t, errs, 1)
	require.True(t, strings.Contains(errs[0].Error(), `plugin "broken"`), errs[0].Error())

	require.NoError(t, os.MkdirAll("empty", 0o755))
	errs = plugindir.Check(t.Context(), "empty", rts, cache)
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], plugindir.ErrNoPlugins)
}

// TestEveryKindOfLoadFailureIsListed: a config error, a Wasm module that
// does not follow the ABI and a handler that throws while its first
// instance is made are each a failed interface with its own error.
func TestEveryKindOfLoadFailureIsListed(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "badconfig", map[string]string{"plugin.gene": `{^direction "sideways"}`, "handler.js": echoJS})
	writePlugin(t, dir, "badwasm", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "m.wasm": "\x00asm\x01\x00\x00\x00"})
	writePlugin(t, dir, "throws", map[string]string{"plugin.gene": inHost, "handler.js": "\n\nthrow new Error('at load');\n"})
	e, err := openDir(t, dir, options{})
	require.Error(t, err)
	require.Equal(t, []string{"badconfig", "badwasm", "throws"}, e.srv.Interfaces())
	for name, want := range map[string]string{
		"badconfig": "^direction",
		"badwasm":   `wasmrt: plugin "badwasm" (m.wasm)`,
		"throws":    "at load at handler.js:3:",
	} {
		st, why, err := e.control(t, name).Health(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, "failed", st, name)
		require.Contains(t, why, want, name)
		_, err = e.open(t, name)
		var pe *proto.Error
		require.ErrorAs(t, err, &pe, name)
		require.Equal(t, proto.CodePluginFailed, pe.Code, name)
	}
}
