package guest

import (
	"errors"
	"slices"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

// ReceivedHandler is implemented by a Handler that takes the values it is
// delivered undecoded: the SDK then calls Received instead of Values, with
// the batch as the host wrote it. A handler that passes values on (an
// echo, a router, a filter that looks at few of them) saves decoding each
// value into a gene.Value and encoding it again to send it, which is most
// of what such a handler costs in a Go guest.
type ReceivedHandler interface {
	// Received delivers one or more values received on l, in order. r is
	// valid only until Received returns.
	Received(l Link, r *Received) (Flow, error)
}

// Received is a batch of values as the host delivered it: each value's
// encoding (Gene binary, gene/BINARY.md) and, decoded on first use, its
// gene.Value. It is valid only during the callback it was passed to: the
// SDK reuses it, and the bytes are the exchange buffer's, which the host
// overwrites with the next callback's input (copy what you keep).
//
// A value of the batch goes back to the host as the bytes it arrived in,
// whether sent with SendEncoded(r.Bytes(i)) or Send(v) of a v from
// r.Value(i), and the host passes such bytes on without decoding them
// again: an echo of r.Bytes(i) costs two copies and no decode on either
// side.
type Received struct {
	data []byte
	ends []int        // value i spans data[ends[i-1]:ends[i]] (from 0)
	vals []gene.Value // vals[i] is decoded when have[i]
	have []bool
	next int // where bytesOf looks first: handlers mostly send in order
}

// decodeOptions are the options of every decode of the host's input.
var decodeOptions gene.BinaryOptions

// received is the batch of the Values or Received call in progress.
var received Received

// errNotEncoded is the error of a delivered batch that skipValue cannot
// split: the host wrote something that is not count Gene binary values.
var errNotEncoded = errors.New("guest: the delivered batch is not Gene binary values")

// Len returns the number of values in the batch.
func (r *Received) Len() int { return len(r.ends) }

// Bytes returns the encoding of value i, a slice of the exchange buffer:
// read it, or send it with SendEncoded, during the callback only.
func (r *Received) Bytes(i int) []byte {
	start := 0
	if i > 0 {
		start = r.ends[i-1]
	}
	return r.data[start:r.ends[i]:r.ends[i]]
}

// Value returns value i decoded. It is decoded once, on the first call;
// the value itself, unlike r, may be kept after the callback.
func (r *Received) Value(i int) (gene.Value, error) {
	if r.have[i] {
		return r.vals[i], nil
	}
	b := r.Bytes(i)
	v, n, err := gene.DecodeBinary(b, decodeOptions)
	if err == nil && n != len(b) {
		err = errNotEncoded
	}
	if err != nil {
		return gene.Value{}, err
	}
	r.vals[i], r.have[i] = v, true
	return v, nil
}

// SendEncoded sends the value b encodes (Gene binary, gene/BINARY.md)
// toward the client, waiting for credit as Send does. b is typically
// r.Bytes(i) of the Received being handled, which the host passes on
// without decoding; other bytes are decoded and checked by the host,
// which refuses anything but exactly one value with an error matching
// abi.ErrBadValue.
func (l Link) SendEncoded(b []byte) error { return hostErr(callSend(l.id, b, false)) }

// TrySendEncoded is SendEncoded without waiting, as TrySend.
func (l Link) TrySendEncoded(b []byte) error { return hostErr(callSend(l.id, b, true)) }

// handleValues runs the handler on a delivered batch of count values,
// data being the exchange buffer's bytes: Received for a
// ReceivedHandler, with the batch split by skipValue, else Values with
// every value decoded.
func handleValues(l Link, count int, data []byte) (Flow, error) {
	r := &received
	defer r.reset()
	if rh, ok := handler.(ReceivedHandler); ok {
		if err := r.split(data, count); err != nil {
			return Continue, err
		}
		return rh.Received(l, r)
	}
	vs, ends, err := abi.DecodeBatchEnds(r.vals[:0], r.ends[:0], data, count, decodeOptions)
	r.vals, r.ends, r.data = vs, ends, data
	if err != nil {
		return Continue, err
	}
	r.have = r.have[:0]
	for range vs {
		r.have = append(r.have, true)
	}
	return handler.Values(l, vs)
}

// split finds where each of count values ends in data. A batch of one
// value needs no scan: the host wrote exactly one value, which Value
// checks if it is ever decoded. That matters in a guest run with
// termination checks (the host's default), where every loop iteration and
// most Go function calls leave the guest for the host.
func (r *Received) split(data []byte, count int) error {
	r.data = data
	if count == 1 && len(data) > 0 {
		r.ends = append(r.ends, len(data))
		r.vals = slices.Grow(r.vals[:0], 1)[:1]
		r.have = slices.Grow(r.have[:0], 1)[:1]
		return nil
	}
	pos := 0
	for range count {
		if pos = skipValue(data, pos, 1); pos < 0 {
			return errNotEncoded
		}
		r.ends = append(r.ends, pos)
	}
	if pos != len(data) {
		return errNotEncoded
	}
	r.vals = slices.Grow(r.vals[:0], count)[:count]
	r.have = slices.Grow(r.have[:0], count)[:count]
	return nil
}

// reset empties r after a callback, keeping its slices' room and dropping
// the references to values so that they can be collected.
func (r *Received) reset() {
	clear(r.vals)
	clear(r.have)
	r.vals, r.have, r.ends = r.vals[:0], r.have[:0], r.ends[:0]
	r.data, r.next = nil, 0
}

// receivedScanMax bounds the search beyond the next expected value, so a
// handler that sends new values while handling a large batch does not pay
// for a search of the whole batch on every send.
const receivedScanMax = 64

// bytesOf returns the bytes v arrived in during the current callback, or
// nil when v is not a decoded value of that batch (or is beyond the
// search). Values are immutable (package gene), so a gene.Value identical
// to a received one (same kind, payload and storage) is that value, and
// its bytes encode it exactly. The exchange buffer stays untouched until
// the callback returns: the host writes it only between callbacks.
func (r *Received) bytesOf(v gene.Value) []byte {
	n := len(r.vals)
	if n == 0 {
		return nil
	}
	i := r.next
	if i >= n || !r.have[i] || r.vals[i] != v {
		i = -1
		for j := range min(n, receivedScanMax) {
			if r.have[j] && r.vals[j] == v {
				i = j
				break
			}
		}
		if i < 0 {
			return nil
		}
	}
	r.next = i + 1
	return r.Bytes(i)
}
