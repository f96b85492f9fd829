package wasmrt_test

import (
	"context"
	"testing"
	"time"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/proto"
)

// nopHost accepts every send and counts it, so benchmarks measure the
// runtime rather than a recording Host.
type nopHost struct{ sent int }

func (h *nopHost) Send(_ context.Context, _ plugin.LinkID, _ gene.Value) error { h.sent++; return nil }
func (h *nopHost) TrySend(plugin.LinkID, gene.Value) error                     { h.sent++; return nil }
func (h *nopHost) CloseLink(plugin.LinkID, string) error                       { return nil }
func (h *nopHost) Resume(plugin.LinkID)                                        {}
func (h *nopHost) Log(string, plugin.LinkID, string)                           {}
func (h *nopHost) Store() (plugin.Store, error)                                { return nil, plugin.ErrNotGranted }
func (h *nopHost) SetTimer(time.Duration) (uint64, error)                      { return 0, plugin.ErrNotGranted }
func (h *nopHost) CancelTimer(uint64)                                          {}

func benchEcho(b *testing.B, values []gene.Value, ctx context.Context) {
	benchEchoConfig(b, values, ctx, wasmrt.Config{CacheDir: sharedCacheDir(b)})
}

func benchEchoConfig(b *testing.B, values []gene.Value, ctx context.Context, cfg wasmrt.Config) {
	rt, err := wasmrt.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(context.Background())
	m, err := rt.Compile(context.Background(), source("echo", fixtureWasm(b, "echo"), plugin.Limits{}, plugin.Grants{}))
	if err != nil {
		b.Fatal(err)
	}
	h := &nopHost{}
	in, err := m.Instantiate(context.Background(), h)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close(context.Background())
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

// BenchmarkWasmEcho delivers one value and the guest sends it back: one
// Receive call, one gh_send host call and one decode on each side.
func BenchmarkWasmEcho(b *testing.B) {
	v := gene.MustParse(`(msg ^id 1 42)`)
	b.Run("background", func(b *testing.B) { benchEcho(b, []gene.Value{v}, context.Background()) })
	b.Run("cancellable", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		benchEcho(b, []gene.Value{v}, ctx)
	})
	// As a worker process runs guests: compiled without wazero's
	// termination checks (Config.KilledOnOverrun).
	b.Run("killed-on-overrun", func(b *testing.B) {
		benchEchoConfig(b, []gene.Value{v}, context.Background(), wasmrt.Config{CacheDir: sharedCacheDir(b), KilledOnOverrun: true})
	})
}

// BenchmarkWasmEchoBatch delivers 64 values per Receive call.
func BenchmarkWasmEchoBatch(b *testing.B) {
	batch := make([]gene.Value, 64)
	for i := range batch {
		batch[i] = gene.MustParse(`(msg ^id 1 "hello, world")`)
	}
	b.Run("in-host", func(b *testing.B) { benchEcho(b, batch, context.Background()) })
	b.Run("killed-on-overrun", func(b *testing.B) {
		benchEchoConfig(b, batch, context.Background(), wasmrt.Config{CacheDir: sharedCacheDir(b), KilledOnOverrun: true})
	})
}

// BenchmarkWasmInstantiate measures Module.Instantiate of a Go guest
// (the compiled module is reused; _initialize runs the Go runtime's
// start-up).
func BenchmarkWasmInstantiate(b *testing.B) {
	rt, err := wasmrt.New(wasmrt.Config{CacheDir: sharedCacheDir(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(context.Background())
	m, err := rt.Compile(context.Background(), source("echo", fixtureWasm(b, "echo"), plugin.Limits{}, plugin.Grants{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		in, err := m.Instantiate(context.Background(), &nopHost{})
		if err != nil {
			b.Fatal(err)
		}
		in.Close(context.Background())
	}
}

// BenchmarkWasmCallOverhead delivers one value to a hand-written guest
// whose gh_on_values returns at once: what the runtime itself costs per
// callback (encode, copy into guest memory, the call and its deadline).
func BenchmarkWasmCallOverhead(b *testing.B) {
	rt, err := wasmrt.New(wasmrt.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(context.Background())
	mod := validModule(1, 0).with(wfunc{export: "gh_buffer", params: []abi.ValueType{abi.I32}, results: []abi.ValueType{abi.I32}, body: i32Const(1024)})
	m, err := rt.Compile(context.Background(), source("raw", mod.bytes(), plugin.Limits{}, plugin.Grants{}))
	if err != nil {
		b.Fatal(err)
	}
	in, err := m.Instantiate(context.Background(), &nopHost{})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close(context.Background())
	values := []gene.Value{gene.MustParse(`(msg ^id 1 42)`)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Receive(ctx, 1, values); err != nil {
			b.Fatal(err)
		}
	}
}
