package c_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// TestWatch: a C guest watches the store through genehost.h (ABI 1.2):
// the host wakes it with gh_on_timer(id), gh_kv_watch_next gives the puts
// and deletes under the prefix, oldest first, through a buffer grown on
// GH_SHORT_BUFFER, and gh_scan_next tells a delete apart.
func TestWatch(t *testing.T) {
	requireToolchain(t)
	g := plugin.Grants{KV: true}
	h := plugintest.New(t, g)
	in := plugintest.Start(t, newRuntime(t), source(t, "watch", plugin.Limits{}, g), h)

	var reqs []gene.Value
	for _, s := range []string{
		`(watch ^prefix "p/")`,
		`(put ^key "p/a" ^value "a value longer than the first buffer of sixteen bytes")`,
		`(put ^key "q/b" ^value "not watched")`,
		`(del ^key "p/a")`,
		`(put ^key "p/c" ^value "c")`,
	} {
		reqs = append(reqs, gene.MustParse(s))
	}
	_, err := in.Receive(t.Context(), 1, reqs)
	require.NoError(t, err)
	require.Equal(t, "(watching) (ok) (ok) (ok) (ok)", texts(h.Sent(1)))

	// The changes may wake the guest more than once: take wakes until
	// all three arrived.
	want := `(put "p/a" "a value longer than the first buffer of sixteen bytes") (del "p/a") (put "p/c" "c")`
	deadline := time.After(10 * time.Second)
	for got := ""; got != want; got = strings.TrimSpace(strings.TrimPrefix(texts(h.Sent(1)), "(watching) (ok) (ok) (ok) (ok)")) {
		require.True(t, strings.HasPrefix(want, got), "changes sent: %s", got)
		select {
		case id := <-h.Timers:
			in.Timer(t.Context(), id)
		case <-deadline:
			t.Fatalf("the watch did not deliver every change; sent: %s", got)
		}
	}
}
