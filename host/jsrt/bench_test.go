package jsrt

import (
	"context"
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

func benchEcho(b *testing.B, fixture string) {
	for _, c := range []struct{ name, value string }{
		{"symbol", "ping"},
		{"request", `(set ^key "user/42" ^value {^name "Ada" ^age 36 ^tags [admin ops]})`},
		// tests/bench's payload (scenario 1).
		{"order", `(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2) (item ^sku "B-2002" ^qty 1)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`},
	} {
		b.Run(c.name, func(b *testing.B) {
			in, h := openBench(b, fixture)
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
	src := loadFixture(b, fixture, plugin.Limits{}, plugin.Grants{})
	m, err := New().Compile(b.Context(), src)
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
