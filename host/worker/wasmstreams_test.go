package worker_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/proto"
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
	m, err := newRuntime(t, "wasm").Compile(t.Context(), wasmFixture(t, "streams", plugin.Limits{}, g))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(t.Context()) })
	h := plugintest.NewStreamsHost(t, g)
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(t.Context()) })
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "streams", Direction: proto.DirSendRecv}))
	send := func(reqs ...string) {
		t.Helper()
		var vs []gene.Value
		for _, r := range reqs {
			vs = append(vs, gene.MustParse(r))
		}
		_, err := in.Receive(t.Context(), 1, vs)
		require.NoError(t, err)
	}
	sent := func(want ...string) {
		t.Helper()
		require.Eventually(t, func() bool {
			got := h.Sent(1)
			return !slices.ContainsFunc(want, func(w string) bool {
				return !slices.ContainsFunc(got, func(v gene.Value) bool { return gene.Format(v) == w })
			})
		}, 10*time.Second, time.Millisecond, "want %v, got %v", want, h.Sent(1))
	}
	send(`(publish-batch ^entries [{^stream "orders" ^value {^n 1}} {^stream "orders" ^value {^n 2}}])`,
		`(attach ^stream "orders" ^group "g" ^prefetch 1)`)
	sent(`(published 1 2)`, `(attached 0)`, plugintest.StreamMessage("orders", "g", 1, 1))
	send(`(ack ^stream "orders" ^group "g" ^seq 1)`, `(ack ^stream "orders" ^group "g" ^seq 9)`)
	sent(`(acked 1)`, plugintest.StreamMessage("orders", "g", 2, 1))
	require.True(t, slices.ContainsFunc(h.Sent(1), func(v gene.Value) bool {
		return len(v.Node().Body) > 0 && v.Node().Body[0].Str() == "not-delivered"
	}), "the error kind crosses the pipe: %v", h.Sent(1))

	send(`(reset ^stream "orders" ^group "h" ^seq 99)`, `(trim ^stream "orders" ^through 2)`,
		`(listen ^topic "t")`, `(unlisten ^topic "t")`, `(unlisten ^topic "t")`, `(info)`)
	sent(`(reset 3)`, `(trimmed 1 1)`, `(listening)`, `(unlistened true)`, `(unlistened false)`,
		`(info [{^stream "orders" ^head 2 ^groups [{^group "g" ^acked 1 ^consumers 1 ^unacked 1} {^group "h" ^acked 2 ^consumers 0 ^unacked 0}]}])`)
}
