package worker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

// discardHost is a plugin.Host that accepts every send and keeps nothing,
// so a benchmark measures the runtime and the pipe, not a recorder.
type discardHost struct{ sent int }

func (h *discardHost) Send(context.Context, plugin.LinkID, gene.Value) error { h.sent++; return nil }
func (h *discardHost) TrySend(plugin.LinkID, gene.Value) error               { h.sent++; return nil }
func (h *discardHost) CloseLink(plugin.LinkID, string) error                 { return nil }
func (h *discardHost) Resume(plugin.LinkID)                                  {}
func (h *discardHost) Log(string, plugin.LinkID, string)                     {}
func (h *discardHost) Store() (plugin.Store, error)                          { return nil, plugin.ErrNotGranted }
func (h *discardHost) SetTimer(time.Duration) (uint64, error)                { return 0, plugin.ErrNotGranted }
func (h *discardHost) CancelTimer(uint64)                                    {}

// Room says every link takes anything, as a client that keeps granting
// credit does.
func (h *discardHost) Room(plugin.LinkID) (plugin.Room, bool) {
	return plugin.Room{Values: 1 << 62, Bytes: 1 << 62, MaxValue: 1 << 62}, true
}

// benchInstance is an echo instance with one open link, in the host
// (inhost) or in a worker.
func benchInstance(b *testing.B, rtName string, isolated bool) (plugin.Instance, *discardHost) {
	b.Helper()
	var rt plugin.Runtime
	var src *plugin.Source
	switch {
	case isolated:
		r, err := worker.New(workertest.Config(b, rtName))
		require.NoError(b, err)
		rt = r
	case rtName == "js":
		rt = jsrt.New()
	default:
		r, err := wasmrt.New(wasmrt.Config{})
		require.NoError(b, err)
		rt = r
	}
	b.Cleanup(func() { rt.Close(context.Background()) })
	if rtName == "js" {
		src = jsFixtureTB(b, "echo")
	} else {
		src = wasmFixtureTB(b, "echo")
	}
	m, err := rt.Compile(b.Context(), src)
	require.NoError(b, err)
	b.Cleanup(func() { m.Close(context.Background()) })
	h := &discardHost{}
	in, err := m.Instantiate(b.Context(), h)
	require.NoError(b, err)
	b.Cleanup(func() { in.Close(context.Background()) })
	require.NoError(b, in.Open(b.Context(), plugin.LinkInfo{ID: 1, Interface: "echo", Direction: proto.DirSendRecv, Peer: "bench"}))
	return in, h
}

var benchValue = gene.MustParse(`(order ^id 12345 ^item "tea" ^qty 2 ^tags ["hot" "green"])`)

// BenchmarkEcho is one Receive of one value that the plugin sends back:
// the round trip of a request through the runtime, in the host and
// through a worker.
func BenchmarkEcho(b *testing.B) {
	for _, rt := range []string{"js", "wasm"} {
		for _, mode := range []string{"inhost", "worker"} {
			b.Run(rt+"/"+mode, func(b *testing.B) {
				in, h := benchInstance(b, rt, mode == "worker")
				vs := []gene.Value{benchValue}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := in.Receive(b.Context(), 1, vs); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				require.Equal(b, b.N, h.sent)
			})
		}
	}
}

// BenchmarkStream delivers values in batches of 64, as the host hands a
// link's queued values to Receive, each sent back; ns/op is per value.
func BenchmarkStream(b *testing.B) {
	const batch = 64
	for _, rt := range []string{"js", "wasm"} {
		for _, mode := range []string{"inhost", "worker"} {
			b.Run(fmt.Sprintf("%s/%s", rt, mode), func(b *testing.B) {
				in, h := benchInstance(b, rt, mode == "worker")
				vs := make([]gene.Value, batch)
				for i := range vs {
					vs[i] = benchValue
				}
				b.ReportAllocs()
				b.ResetTimer()
				for n := 0; n < b.N; n += batch {
					if _, err := in.Receive(b.Context(), 1, vs[:min(batch, b.N-n)]); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				require.Equal(b, b.N, h.sent)
			})
		}
	}
}

// BenchmarkPing is one request the worker answers at once, without a
// runtime: what a round trip through a worker costs at least (two
// processes waking each other over the socketpair).
func BenchmarkPing(b *testing.B) {
	r, err := worker.New(workertest.Config(b, "js"))
	require.NoError(b, err)
	b.Cleanup(func() { r.Close(context.Background()) })
	m, err := r.Compile(b.Context(), jsFixtureTB(b, "echo"))
	require.NoError(b, err)
	b.Cleanup(func() { m.Close(context.Background()) })
	wm := m.(*worker.Module)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := wm.Ping(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
