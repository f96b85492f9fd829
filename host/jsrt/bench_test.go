package jsrt

import (
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// BenchmarkJSEcho measures one value in and one out through the echo
// fixture: the callback hand-off to the event loop, both conversions and
// the host send.
func BenchmarkJSEcho(b *testing.B) {
	for _, c := range []struct{ name, value string }{
		{"symbol", "ping"},
		{"request", `(set ^key "user/42" ^value {^name "Ada" ^age 36 ^tags [admin ops]})`},
	} {
		b.Run(c.name, func(b *testing.B) {
			src := loadFixture(b, "echo", plugin.Limits{}, plugin.Grants{})
			m, err := New().Compile(b.Context(), src)
			if err != nil {
				b.Fatal(err)
			}
			h := plugintest.New(b, plugin.Grants{})
			in, err := m.Instantiate(b.Context(), h)
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close(b.Context())
			if err := in.OnOpen(b.Context(), plugin.LinkInfo{ID: 1}); err != nil {
				b.Fatal(err)
			}
			vs := []gene.Value{gene.MustParse(c.value)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := in.OnValues(b.Context(), 1, vs); err != nil {
					b.Fatal(err)
				}
			}
			if got := len(h.Sent(1)); got < b.N {
				b.Fatalf("sent %d values for %d", got, b.N)
			}
		})
	}
}
