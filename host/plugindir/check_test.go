package plugindir_test

import (
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
	errs := plugindir.Check(t.Context(), dir, runtimes(t))
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

	require.Empty(t, plugindir.Check(t.Context(), t.TempDir(), runtimes(t)))
}
