package jsrt

import (
	"strconv"
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// BenchmarkJSEchoCompositeKeys echoes a general map whose keys are all
// lists ({{[0] : 0 [1] : 1 ...}}) through the echo fixture: the map is
// made a JavaScript Map and read back to Gene, which checks its keys for
// duplicates (BENCHMARKS.md, Codec):
//
//	go test ./host/jsrt -run '^$' -bench CompositeKeys -benchmem -count 6
func BenchmarkJSEchoCompositeKeys(b *testing.B) {
	for _, n := range []int{1024, 4096} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
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
			if err := in.Open(b.Context(), plugin.LinkInfo{ID: 1}); err != nil {
				b.Fatal(err)
			}
			vs := []gene.Value{compositeKeyMap(n)}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := in.Receive(b.Context(), 1, vs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// compositeKeyMap returns {{[0] : 0 [1] : 1 ...}} with n entries.
func compositeKeyMap(n int) gene.Value {
	es := make([]gene.Entry, n)
	for i := range es {
		es[i] = gene.Entry{Key: gene.List(gene.Int(int64(i))), Value: gene.Int(int64(i))}
	}
	return gene.Map(es...)
}
