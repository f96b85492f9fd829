package plugindir_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
)

const echoJS = `module.exports = { async values(link, vs) { for (const v of vs) await link.sendAsync(v); } };`

func TestReadConfigDefaults(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "echo", map[string]string{
		"plugin.gene": `{^version "1.2.0" ^direction "send+recv"}`,
		"handler.js":  echoJS,
	})
	c, err := plugindir.ReadConfig(filepath.Join(dir, "echo"))
	require.NoError(t, err)
	require.Equal(t, "echo", c.Name)
	require.Equal(t, "echo", c.Manifest.Name)
	require.Equal(t, "1.2.0", c.Manifest.Version)
	require.Equal(t, "js", c.Runtime)
	require.Equal(t, "handler.js", c.Entry)
	require.Equal(t, plugindir.PerLink, c.Instances)
	require.Equal(t, plugin.Grants{}, c.Grants)
	require.Equal(t, plugin.Limits{}, c.Limits)
}

func TestReadConfigFull(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "kv", map[string]string{
		"plugin.gene": `{^name "kv" ^direction "send+recv" ^runtime "wasm" ^entry "kv.wasm"
		  ^instances "pool" ^pool 3
		  ^grants {^kv true ^timers true ^clock true ^env {^MODE "fast"} ^dirs {^/data "."}}
		  ^limits {^memory-pages 64 ^call-timeout-ms 250 ^max-input-bytes 4096}}`,
		"kv.wasm":  "not read here",
		"old.wasm": "",
	})
	c, err := plugindir.ReadConfig(filepath.Join(dir, "kv"))
	require.NoError(t, err)
	require.Equal(t, "wasm", c.Runtime)
	require.Equal(t, "kv.wasm", c.Entry)
	require.Equal(t, plugindir.Pool, c.Instances)
	require.Equal(t, 3, c.PoolSize)
	require.Equal(t, plugin.Grants{KV: true, Timers: true, Clock: true,
		Env: map[string]string{"MODE": "fast"}, Dirs: map[string]string{"/data": filepath.Join(dir, "kv")}}, c.Grants)
	require.Equal(t, plugin.Limits{MemoryPages: 64, CallTimeout: 250 * time.Millisecond, MaxInputBytes: 4096}, c.Limits)
}

func TestReadConfigInfersRuntime(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "w", map[string]string{"plugin.gene": `{^direction "send"}`, "w.wasm": ""})
	writePlugin(t, dir, "g", map[string]string{"plugin.gene": `{^direction "send" ^instances "pool"}`, "main.go": "package main"})
	c, err := plugindir.ReadConfig(filepath.Join(dir, "w"))
	require.NoError(t, err)
	require.Equal(t, "wasm", c.Runtime)
	require.Equal(t, "w.wasm", c.Entry)
	c, err = plugindir.ReadConfig(filepath.Join(dir, "g"))
	require.NoError(t, err)
	require.Equal(t, "go", c.Runtime)
	require.Equal(t, runtime.GOMAXPROCS(0), c.PoolSize)
}

func TestReadConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string // the error after "DIR/p/"
	}{
		{"missing config", map[string]string{"handler.js": echoJS},
			"plugin.gene: missing: every plugin folder holds a plugin.gene"},
		{"syntax", map[string]string{"plugin.gene": "{^direction \"send\"\n ^version (1 2}", "handler.js": echoJS},
			"plugin.gene:2:"},
		{"not a map", map[string]string{"plugin.gene": `[1 2]`, "handler.js": echoJS},
			"plugin.gene: want one prop map"},
		{"unknown key", map[string]string{"plugin.gene": `{^direction "send" ^instance "pool"}`, "handler.js": echoJS},
			"plugin.gene: ^instance: unknown key"},
		{"name mismatch", map[string]string{"plugin.gene": `{^name "other" ^direction "send"}`, "handler.js": echoJS},
			`plugin.gene: ^name: "other" does not match the folder name "p"`},
		{"manifest", map[string]string{"plugin.gene": `{^direction "sideways"}`, "handler.js": echoJS},
			`plugin.gene: host: invalid manifest "p": at ^direction`},
		{"bad runtime", map[string]string{"plugin.gene": `{^direction "send" ^runtime "lua"}`, "handler.js": echoJS},
			`plugin.gene: ^runtime: "lua": want "js", "wasm" or "go"`},
		{"no code", map[string]string{"plugin.gene": `{^direction "send"}`},
			"plugin.gene: ^runtime: no handler.js, .wasm module or Go source"},
		{"two modules", map[string]string{"plugin.gene": `{^direction "send"}`, "a.wasm": "", "b.wasm": ""},
			"plugin.gene: ^runtime: cannot tell which module to load: a.wasm, b.wasm (set ^entry)"},
		{"entry missing", map[string]string{"plugin.gene": `{^direction "send" ^entry "main.js"}`, "handler.js": echoJS},
			`plugin.gene: ^entry: "main.js": no such file`},
		{"entry outside", map[string]string{"plugin.gene": `{^direction "send" ^entry "../x.js"}`, "handler.js": echoJS},
			`plugin.gene: ^entry: "../x.js": want a file name inside the plugin folder`},
		{"unknown grant", map[string]string{"plugin.gene": `{^direction "send" ^grants {^net true}}`, "handler.js": echoJS},
			"plugin.gene: ^grants: "},
		{"grant type", map[string]string{"plugin.gene": `{^direction "send" ^grants {^kv "yes"}}`, "handler.js": echoJS},
			"plugin.gene: ^grants: "},
		{"relative guest dir", map[string]string{"plugin.gene": `{^direction "send" ^grants {^dirs {^data "."}}}`, "handler.js": echoJS},
			"plugin.gene: ^grants/^dirs/^data: the guest path must be absolute"},
		{"negative limit", map[string]string{"plugin.gene": `{^direction "send" ^limits {^call-timeout-ms -1}}`, "handler.js": echoJS},
			"plugin.gene: ^limits/^call-timeout-ms: want 0 (the default) to 3600000, got -1"},
		{"unknown limit", map[string]string{"plugin.gene": `{^direction "send" ^limits {^cpu 1}}`, "handler.js": echoJS},
			"plugin.gene: ^limits: "},
		{"pool without pool model", map[string]string{"plugin.gene": `{^direction "send" ^pool 2}`, "handler.js": echoJS},
			`plugin.gene: ^pool: is only for ^instances "pool"`},
		{"bad instances", map[string]string{"plugin.gene": `{^direction "send" ^instances "shared"}`, "handler.js": echoJS},
			`plugin.gene: ^instances: "shared": want "per-link" or "pool"`},
		{"stream request not a message", map[string]string{"plugin.gene": `{^direction "send+recv" ^grants {^streams true}
			^messages {^pub {^from "client" ^schema any}} ^streams {^publish "pub" ^broadcast "cast"}}`, "handler.js": echoJS},
			`plugin.gene: ^streams/^broadcast: "cast" is not a message from the client in ^messages`},
		{"stream request twice", map[string]string{"plugin.gene": `{^direction "send+recv" ^grants {^streams true}
			^messages {^pub {^from "client" ^schema any}} ^streams {^publish "pub" ^broadcast "pub"}}`, "handler.js": echoJS},
			`plugin.gene: ^streams/^broadcast: "pub" is already ^publish`},
		{"stream requests without the grant", map[string]string{"plugin.gene": `{^direction "send+recv"
			^messages {^pub {^from "client" ^schema any}} ^streams {^publish "pub"}}`, "handler.js": echoJS},
			`plugin.gene: ^streams: the host answers stream requests only for a plugin granted streams`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "p", c.files)
			_, err := plugindir.ReadConfig(filepath.Join(dir, "p"))
			require.Error(t, err)
			require.ErrorIs(t, err, plugindir.ErrConfig)
			require.Contains(t, err.Error(), filepath.Join(dir, "p")+"/"+c.want)
		})
	}
}

func TestReadConfigSyntaxPosition(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "p", map[string]string{"plugin.gene": "{^direction \"send\"\n  ^version ]}", "handler.js": echoJS})
	_, err := plugindir.ReadConfig(filepath.Join(dir, "p"))
	var ce *plugindir.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 2, ce.Line)
	require.Equal(t, 12, ce.Col)
	require.Equal(t, filepath.Join(dir, "p", "plugin.gene"), ce.File)
}

// TestPoolMemoryBudget: a pool whose instances could together take more
// than plugindir.MaxPoolMemoryMB is refused at ^pool, naming the numbers.
func TestPoolMemoryBudget(t *testing.T) {
	for _, c := range []struct {
		name, config, file string
		refused            bool
	}{
		{"wasm pool of 4096 x 16 MiB", `{^direction "send+recv" ^instances "pool" ^pool 4096}`, "m.wasm", true},
		{"wasm pool of 64 x 16 MiB", `{^direction "send+recv" ^instances "pool" ^pool 64}`, "m.wasm", false},
		{"js in the host, 4096 x 64 MiB", `{^direction "send+recv" ^instances "pool" ^pool 4096 ^isolation "none"}`, "handler.js", true},
		{"js in a worker counts once", `{^direction "send+recv" ^instances "pool" ^pool 4096}`, "handler.js", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "p")
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, plugindir.ConfigFile), []byte(c.config), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, c.file), []byte("x"), 0o644))
			_, err := plugindir.ReadConfig(dir)
			if !c.refused {
				require.NoError(t, err)
				return
			}
			var ce *plugindir.ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, "^pool", ce.Path)
			require.Contains(t, ce.Msg, "lower ^pool or the memory limit")
		})
	}
}
