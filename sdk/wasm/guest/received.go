package guest

import "github.com/genehost/genehost/gene"

// received remembers, while Handler.Values runs, the values of the batch
// being handled and where each lies in the exchange buffer, so that
// sending one of them back unmodified copies the bytes it arrived in
// instead of encoding it again. Values are immutable (package gene), so a
// gene.Value identical to a received one (same kind, payload and
// storage) is that value, and its bytes encode it exactly. The exchange
// buffer stays untouched until the callback returns: the host writes it
// only between callbacks.
var received receivedBatch

type receivedBatch struct {
	vals []gene.Value
	ends []int  // vals[i] spans data[ends[i-1]:ends[i]]
	data []byte // the batch as the host wrote it
	next int    // where to look first: handlers mostly send in order
}

// receivedScanMax bounds the search beyond the next expected value, so a
// handler that sends new values while handling a large batch does not pay
// for a search of the whole batch on every send.
const receivedScanMax = 64

func (r *receivedBatch) set(vals []gene.Value, ends []int, data []byte) {
	r.vals, r.ends, r.data, r.next = vals, ends, data, 0
}

func (r *receivedBatch) reset() { *r = receivedBatch{} }

// bytesOf returns the bytes v arrived in during the current Values call,
// or nil when v is not a value of that batch (or is beyond the search).
func (r *receivedBatch) bytesOf(v gene.Value) []byte {
	n := len(r.vals)
	if n == 0 {
		return nil
	}
	i := r.next
	if i >= n || r.vals[i] != v {
		i = -1
		for j := range min(n, receivedScanMax) {
			if r.vals[j] == v {
				i = j
				break
			}
		}
		if i < 0 {
			return nil
		}
	}
	r.next = i + 1
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.data[start:r.ends[i]]
}
