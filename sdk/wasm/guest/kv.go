package guest

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
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
func (Store) Delete(key []byte) (bool, error) { return found(callKVDelete(key)) }

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

// CompareAndSwap sets key to next if it holds exactly the bytes expect,
// atomically with respect to every other instance and version of the
// plugin. A nil expect means "the key is absent"; a nil next deletes the
// key (an empty, non-nil slice is an empty value). It reports whether it
// applied; when it did not, current is a copy of what the key holds (nil
// when absent), to build the next attempt from.
//
// Values are compared byte for byte: a plugin that stores Gene values
// (as gene.AppendBinaryDoc does) must pass the expected value in the same
// encoding, most simply the bytes it read with Get.
func (Store) CompareAndSwap(key, expect, next []byte) (swapped bool, current []byte, err error) {
	for {
		n := callKVCAS(key, expect, next, kvbuf)
		switch {
		case n == 0:
			return true, nil, nil
		case n == -int64(abi.NotFound):
			return false, nil, nil
		case n < 0:
			return false, nil, hostErr(abi.Status(-n))
		case n-1 <= int64(len(kvbuf)):
			return false, bytes.Clone(kvbuf[:n-1]), nil
		}
		// The current value did not fit: nothing was changed, so try again
		// with room for it (the value may have changed meanwhile, which is
		// a new attempt like any other).
		kvbuf = make([]byte, n-1)
	}
}

// Incr adds by to the integer stored under key (absent counts as 0) and
// returns the new value, atomically with respect to every other instance
// and version of the plugin: concurrent increments are never lost.
//
// The stored form is a binary Gene document holding an integer (what
// gene.AppendBinaryDoc(nil, gene.Int(n)) writes, and what the JavaScript
// runtime's genehost.kv stores), so Int, a JavaScript plugin's
// genehost.kv.get and a Gene client all read it back as a number. A key
// holding anything else, or a sum past the int64 range, fails with an
// error matching abi.ErrBadValue and leaves the key as it was.
func (Store) Incr(key []byte, by int64) (int64, error) {
	n, st := callKVIncr(key, by)
	if st != abi.OK {
		return 0, hostErr(st)
	}
	return n, nil
}

// Int reads the integer stored under key by Incr or PutInt: a binary
// Gene document holding an integer. It fails with an error matching
// abi.ErrNotFound when the key is absent, and with ErrNotInteger when it
// holds something else.
func (s Store) Int(key []byte) (int64, error) {
	b, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	v, _, err := gene.DecodeBinaryDoc(b, gene.BinaryOptions{})
	if err != nil {
		return 0, fmt.Errorf("%w: key %q: %w", ErrNotInteger, key, err)
	}
	n, ok := v.AsInt()
	if !ok {
		return 0, fmt.Errorf("%w: key %q holds a %v", ErrNotInteger, key, v.Kind())
	}
	return n, nil
}

// PutInt stores n under key in the form Incr reads and writes.
func (Store) PutInt(key []byte, n int64) error {
	return hostErr(callKVPut(key, gene.AppendBinaryDoc(nil, gene.Int(n))))
}

// ErrNotInteger is returned by Store.Int for a key that does not hold a
// binary Gene document of an integer.
var ErrNotInteger = errors.New("guest: the stored value is not an integer")

// Change is one change of a watched key: a put of Value under Key, or its
// deletion.
type Change struct {
	Key, Value []byte
	Deleted    bool
}

// Watch opens a watch of the keys that start with prefix: every change
// committed from now on, by any instance of the plugin and, when the host
// keeps state in NATS (serve --nats), by any host, is reported. When
// changes are waiting the host calls Handler.Timer with the returned id
// (ids are shared with timers); read them there with WatchNext. The
// watch dies with the instance. Needs the kv grant (ABI 1.2).
func (Store) Watch(prefix []byte) (uint64, error) {
	id := callKVWatch(prefix)
	if id < 0 {
		return 0, hostErr(abi.Status(-id))
	}
	return uint64(id), nil
}

// WatchNext calls fn for each waiting change of watch id, oldest first,
// until none is left. lost is true when the host dropped changes because
// the watcher fell behind (re-read what it watches). Key and Value are
// only valid during the call to fn.
func (Store) WatchNext(id uint64, fn func(c Change)) (lost bool, err error) {
	for {
		n := callKVWatchNext(id, kvbuf)
		if n < 0 {
			if abi.Status(-n) == abi.ShortBuffer {
				kvbuf = make([]byte, 2*len(kvbuf))
				continue
			}
			return lost, hostErr(abi.Status(-n))
		}
		if n == 0 {
			return lost, nil
		}
		rest := kvbuf[:n]
		for len(rest) > 0 {
			k, v, del, l, r, err := abi.NextWatchRecord(rest)
			if err != nil {
				return lost, err
			}
			rest = r
			if l {
				lost = true
				continue
			}
			fn(Change{Key: k, Value: v, Deleted: del})
		}
	}
}

// Unwatch closes watch id.
func (Store) Unwatch(id uint64) { callKVUnwatch(id) }
