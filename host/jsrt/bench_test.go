package jsrt

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// BenchmarkJSEcho measures one value in and one out through the echo
// fixture: the callback hand-off to the event loop, both conversions and
// the host send.
func BenchmarkJSEcho(b *testing.B) {
	benchEcho(b, "echo")
}

// BenchmarkJSEchoAsync is BenchmarkJSEcho with a handler that awaits
// link.sendAsync for every value.
func BenchmarkJSEchoAsync(b *testing.B) {
	benchEcho(b, "echoasync")
}

// BenchmarkJSEchoPlugin is BenchmarkJSEcho through the shipped echo
// plugin (plugins/echo), the handler tests/bench's JS rows run: one value
// per callback (scenario 1's round trip), and batches of 64 as a stream
// delivers them (scenario 3), reported per value.
func BenchmarkJSEchoPlugin(b *testing.B) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "plugins", "echo"))
	if err != nil {
		b.Fatal(err)
	}
	code, err := os.ReadFile(filepath.Join(dir, "handler.js"))
	if err != nil {
		b.Fatal(err)
	}
	src := &plugin.Source{Name: "echo", Dir: dir, Entry: "handler.js", Code: code, Hash: "plugins/echo"}
	benchEchoSource(b, New(), src)
	b.Run("order-batch64", func(b *testing.B) {
		in, h := openSource(b, New(), src)
		vs := make([]gene.Value, 64)
		for i := range vs {
			vs[i] = gene.MustParse(benchOrder)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := in.Receive(b.Context(), 1, vs); err != nil {
				b.Fatal(err)
			}
		}
		if got := len(h.Sent(1)); got < b.N*len(vs) {
			b.Fatalf("sent %d values for %d", got, b.N*len(vs))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vs)), "ns/value")
	})
	// As a worker process runs callbacks: on the caller's goroutine
	// (Config.KilledOnOverrun).
	b.Run("killed-on-overrun", func(b *testing.B) {
		benchEchoSource(b, NewWith(Config{KilledOnOverrun: true}), src)
	})
}

// benchOrder is tests/bench's payload (scenario 1).
const benchOrder = `(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2) (item ^sku "B-2002" ^qty 1)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`

func benchEcho(b *testing.B, fixture string) {
	benchEchoSource(b, New(), loadFixture(b, fixture, plugin.Limits{}, plugin.Grants{}))
}

func benchEchoSource(b *testing.B, rt *Runtime, src *plugin.Source) {
	for _, c := range []struct{ name, value string }{
		{"symbol", "ping"},
		{"request", `(set ^key "user/42" ^value {^name "Ada" ^age 36 ^tags [admin ops]})`},
		{"order", benchOrder},
	} {
		b.Run(c.name, func(b *testing.B) {
			in, h := openSource(b, rt, src)
			vs := []gene.Value{gene.MustParse(c.value)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := in.Receive(b.Context(), 1, vs); err != nil {
					b.Fatal(err)
				}
			}
			if got := len(h.Sent(1)); got < b.N {
				b.Fatalf("sent %d values for %d", got, b.N)
			}
		})
	}
}

// openBench compiles a fixture, instantiates it on a fresh test host and
// opens link 1; the instance is closed when b ends.
func openBench(b *testing.B, fixture string) (plugin.Instance, *plugintest.Host) {
	b.Helper()
	return openSource(b, New(), loadFixture(b, fixture, plugin.Limits{}, plugin.Grants{}))
}

// openSource is openBench for any plugin source and runtime.
func openSource(b *testing.B, rt *Runtime, src *plugin.Source) (plugin.Instance, *plugintest.Host) {
	b.Helper()
	m, err := rt.Compile(b.Context(), src)
	if err != nil {
		b.Fatal(err)
	}
	h := plugintest.New(b, plugin.Grants{})
	in, err := m.Instantiate(b.Context(), h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(context.Background()) })
	if err := in.Open(b.Context(), plugin.LinkInfo{ID: 1}); err != nil {
		b.Fatal(err)
	}
	return in, h
}
