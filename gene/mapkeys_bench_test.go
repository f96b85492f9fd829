package gene

import (
	"strconv"
	"testing"
)

// BenchmarkCompositeKeys measures a general map whose keys are all lists
// ({{[0] : 0 [1] : 1 ...}}): reading it as text and binary, and comparing
// it with Equal against the same map with its entries reversed. Each is
// O(n log n) at worst in the number of keys (BENCHMARKS.md, Codec):
//
//	go test ./gene -run '^$' -bench CompositeKeys -benchmem -count 6
func BenchmarkCompositeKeys(b *testing.B) {
	for _, n := range []int{4096, 40000} {
		v := compositeKeyMap(n, false)
		rev := compositeKeyMap(n, true)
		text := AppendText(nil, v)
		bin := AppendBinary(nil, v)
		// 40,000 composite keys are past the default MaxCompositeKeys:
		// measure the cost the limit no longer has to stand in for.
		o := ReadOptions{Limits: Limits{MaxCompositeKeys: -1}}
		b.Run("parse/"+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := ParseWith(text, o); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("binary/"+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(bin)))
			for b.Loop() {
				if _, _, err := DecodeBinary(bin, BinaryOptions{Limits: o.Limits}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("equal/"+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if !Equal(v, rev) {
					b.Fatal("not equal")
				}
			}
		})
	}
}

// compositeKeyMap returns {{[0] : 0 [1] : 1 ...}} with n entries, in
// reverse order when reversed is set.
func compositeKeyMap(n int, reversed bool) Value {
	es := make([]Entry, n)
	for i := range es {
		j := i
		if reversed {
			j = n - 1 - i
		}
		es[i] = Entry{Key: List(Int(int64(j))), Value: Int(int64(j))}
	}
	return Map(es...)
}
