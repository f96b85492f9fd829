package guest

import (
	"bytes"

	"github.com/genehost/genehost/abi"
)

// Store is the plugin's durable key-value namespace, shared by every
// instance of the plugin and kept across reloads and restarts. Keys are
// ordered bytes. Every method fails with an error matching
// abi.ErrNotGranted unless the operator granted the store.
type Store struct{}

// KV is the plugin's key-value store.
var KV Store

// kvbuf receives values and scan records; reused.
var kvbuf = make([]byte, 1024)

// Get returns a copy of the value stored under key, or an error matching
// abi.ErrNotFound.
func (Store) Get(key []byte) ([]byte, error) {
	for {
		n := callKVGet(key, kvbuf)
		switch {
		case n < 0:
			return nil, hostErr(abi.Status(-n))
		case n <= int64(len(kvbuf)):
			return bytes.Clone(kvbuf[:n]), nil
		}
		kvbuf = make([]byte, n)
	}
}

// Put stores val under key, durably.
func (Store) Put(key, val []byte) error { return hostErr(callKVPut(key, val)) }

// Delete removes key and reports whether it was there.
func (Store) Delete(key []byte) (bool, error) {
	switch st := callKVDelete(key); st {
	case abi.OK:
		return true, nil
	case abi.NotFound:
		return false, nil
	default:
		return false, hostErr(st)
	}
}

// Scan calls fn for each key that starts with prefix and sorts after
// after (nil: from the first), in key order, until fn returns false. k and
// v are only valid during the call to fn.
func (Store) Scan(prefix, after []byte, fn func(k, v []byte) bool) error {
	last := bytes.Clone(after)
	for {
		n := callKVScan(prefix, last, kvbuf)
		if n < 0 {
			if abi.Status(-n) == abi.ShortBuffer {
				kvbuf = make([]byte, 2*len(kvbuf))
				continue
			}
			return hostErr(abi.Status(-n))
		}
		if n == 0 {
			return nil
		}
		rest := kvbuf[:n]
		for len(rest) > 0 {
			k, v, r, err := abi.NextScanRecord(rest)
			if err != nil {
				return err
			}
			if !fn(k, v) {
				return nil
			}
			last = append(last[:0], k...)
			rest = r
		}
	}
}
