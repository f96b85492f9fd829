package wasmrt

import (
	"bytes"

	"github.com/genehost/genehost/gene"
)

// A guest that sends back a value it was delivered (an echo, a filter, a
// router) hands gh_send the very bytes the host wrote for it: the Go SDK
// sends a received value as the bytes it arrived in. While gh_on_values
// runs, the instance remembers the values of its batch and where each
// lies in the encoding it delivered, and gh_send given bytes equal to one
// of them passes the delivered gene.Value on instead of decoding the
// bytes again. The codec is lossless and canonical (gene/BINARY.md), so
// decoding those bytes would give that value; values are immutable, so
// handing the same one on is safe.
//
// The decode that is skipped also enforces Config.ValueLimits, which may
// be stricter than the limits the delivered value came through. Values
// are reused only up to reuseMax bytes, a size at which no value can
// exceed any limit (see reuseMax), so a value the guest sends is refused
// exactly when it was before.

// reuseScanMax bounds the search beyond the next expected value, so a
// guest that sends new values while handling a large batch does not pay
// for a search of the whole batch on each send.
const reuseScanMax = 64

// deliveredBatch is the batch of the gh_on_values call in progress.
type deliveredBatch struct {
	vals []gene.Value // nil outside gh_on_values
	ends []int        // vals[i] is enc[ends[i-1]:ends[i]] of the instance
	next int          // where to look first: guests mostly send in order
}

// reuseMax returns the longest encoding whose value cannot exceed l: a
// value of n bytes nests fewer than n deep, holds fewer than n elements
// in any container and strings shorter than n bytes, and its integers
// have fewer than 3n decimal digits (an m-byte magnitude has at most
// 2.41m+1).
func reuseMax(l gene.Limits) int {
	l = l.WithDefaults()
	return min(l.MaxDepth, l.MaxElements, l.MaxStringBytes, l.MaxIntDigits/3, l.MaxValueBytes)
}

// deliveredValue returns the value of the current batch whose delivered
// encoding is b, if there is one within reach.
func (in *instance) deliveredValue(b []byte) (gene.Value, bool) {
	d := &in.batch
	n := len(d.vals)
	if n == 0 || len(b) > in.m.rt.reuseMax {
		return gene.Value{}, false
	}
	span := func(i int) []byte {
		start := 0
		if i > 0 {
			start = d.ends[i-1]
		}
		return in.enc[start:d.ends[i]]
	}
	i := d.next
	if i >= n || !bytes.Equal(span(i), b) {
		i = -1
		for j := range min(n, reuseScanMax) {
			if bytes.Equal(span(j), b) {
				i = j
				break
			}
		}
		if i < 0 {
			return gene.Value{}, false
		}
	}
	d.next = i + 1
	return d.vals[i], true
}
