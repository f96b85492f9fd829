package worker_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// TestStreamsWasm: a Go guest's stream imports (ABI 1.3), called in a
// worker process, are requests the host serves through the same
// forwarding as JavaScript's: it publishes, attaches its link, the host
// pushes the messages to the link under prefetch 1, and the guest's ack
// makes room for the next; reset, trim, info and unsubscribe cross too.
// (The whole suite runs on a guest in the host: host/wasmrt's
// TestStreamsSuite; this keeps to one worker, since each costs seconds
// under -race.)
func TestStreamsWasm(t *testing.T) {
	g := plugin.Grants{Streams: true}
	h := plugintest.NewStreamsHost(t, g)
	in := plugintest.Start(t, newRuntime(t, "wasm"), wasmFixture(t, "streams", plugin.Limits{}, g), h)
	send := func(reqs ...string) {
		t.Helper()
		var vs []gene.Value
		for _, r := range reqs {
			vs = append(vs, gene.MustParse(r))
		}
		_, err := in.Receive(t.Context(), 1, vs)
		require.NoError(t, err)
	}
	send(`(publish-batch ^entries [{^stream "orders" ^value {^n 1}} {^stream "orders" ^value {^n 2}}])`,
		`(attach ^stream "orders" ^group "g" ^prefetch 1)`)
	h.WaitSent(t, 1, `(published 1 2)`, `(attached 0)`, plugintest.StreamMessage("orders", "g", 1, 1))
	send(`(ack ^stream "orders" ^group "g" ^seq 1)`, `(ack ^stream "orders" ^group "g" ^seq 9)`)
	h.WaitSent(t, 1, `(acked 1)`, plugintest.StreamMessage("orders", "g", 2, 1))
	require.True(t, slices.ContainsFunc(h.Sent(1), func(v gene.Value) bool {
		return len(v.Node().Body) > 0 && v.Node().Body[0].Str() == "not-delivered"
	}), "the error kind crosses the pipe: %v", h.Sent(1))

	send(`(reset ^stream "orders" ^group "h" ^seq 99)`, `(trim ^stream "orders" ^through 2)`,
		`(listen ^topic "t")`, `(unlisten ^topic "t")`, `(unlisten ^topic "t")`, `(info)`)
	h.WaitSent(t, 1, `(reset 3)`, `(trimmed 1 1)`, `(listening)`, `(unlistened true)`, `(unlistened false)`,
		`(info [{^stream "orders" ^head 2 ^groups [{^group "g" ^acked 1 ^consumers 1 ^unacked 1} {^group "h" ^acked 2 ^consumers 0 ^unacked 0}]}])`)
}
