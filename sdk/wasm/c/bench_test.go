package c_test

import (
	"context"
	"testing"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/proto"
)

// nopHost accepts every send and counts it, so the benchmarks measure the
// runtime and the guest rather than a recording Host.
type nopHost struct{ sent int }

func (h *nopHost) Send(_ context.Context, _ plugin.LinkID, _ gene.Value) error { h.sent++; return nil }
func (h *nopHost) TrySend(plugin.LinkID, gene.Value) error                     { h.sent++; return nil }
func (h *nopHost) CloseLink(plugin.LinkID, string) error                       { return nil }
func (h *nopHost) Resume(plugin.LinkID)                                        {}
func (h *nopHost) Log(string, plugin.LinkID, string)                           {}
func (h *nopHost) Store() (plugin.Store, error)                                { return nil, plugin.ErrNotGranted }
func (h *nopHost) SetTimer(time.Duration) (uint64, error)                      { return 0, plugin.ErrNotGranted }
func (h *nopHost) CancelTimer(uint64)                                          {}

// benchGuest delivers values to the named C guest, which sends each back.
func benchGuest(b *testing.B, name string, values []gene.Value) {
	requireToolchain(b)
	rt := newRuntime(b)
	m, err := rt.Compile(context.Background(), source(b, name, plugin.Limits{}, plugin.Grants{}))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())
	h := &nopHost{}
	in, err := m.Instantiate(context.Background(), h)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close(context.Background())
	ctx := context.Background()
	if err := in.Open(ctx, plugin.LinkInfo{ID: 1, Interface: "bench", Direction: proto.DirSendRecv}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := in.Receive(ctx, 1, values); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if h.sent != b.N*len(values) {
		b.Fatalf("sent %d values, want %d", h.sent, b.N*len(values))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(values)), "ns/value")
}

// BenchmarkCEcho is host/wasmrt's BenchmarkWasmEcho with the C echo
// example: one value, passed back as its bytes without decoding.
func BenchmarkCEcho(b *testing.B) {
	benchGuest(b, "echo", []gene.Value{gene.MustParse(`(msg ^id 1 42)`)})
}

// BenchmarkCEchoBatch delivers 64 values per Receive call.
func BenchmarkCEchoBatch(b *testing.B) {
	batch := make([]gene.Value, 64)
	for i := range batch {
		batch[i] = gene.MustParse(`(msg ^id 1 "hello, world")`)
	}
	benchGuest(b, "echo", batch)
}

// BenchmarkCRewrite decodes every value with the header's typed readers
// and encodes it again before sending: the cost of genehost.h's reader and
// writer on a request-sized value.
func BenchmarkCRewrite(b *testing.B) {
	v := gene.MustParse(`(request ^id 42 ^method "get" ^path "/users/17" ^headers {^accept "application/json"} ^body [1 2.5 "x"])`)
	benchGuest(b, "rewrite", []gene.Value{v})
}
