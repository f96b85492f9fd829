package jsrt

import (
	"strconv"
	"testing"

	"github.com/genehost/genehost/gene"
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
			in, _ := openBench(b, "echo")
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
