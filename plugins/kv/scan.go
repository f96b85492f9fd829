//go:build wasip1

package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

// optString reads an optional string prop (def when absent).
func (r *request) optString(key, def string) (string, gene.Value, bool) {
	v, ok := r.props.Get(key)
	if !ok {
		return def, gene.Value{}, true
	}
	if v.Kind() != gene.KindString {
		return "", r.fail("bad-request", "^%s must be a string, got %s", key, describe(v)), false
	}
	if len(v.Str()) > maxKeyBytes {
		return "", r.fail("bad-request", "^%s is %d bytes; at most %d", key, len(v.Str()), maxKeyBytes), false
	}
	return v.Str(), gene.Value{}, true
}

// scan answers (scan ^prefix P ^after A ^limit N) with (entries ^prefix P
// ^entries [{^key K ^value V} ...] ^more M ^next K): at most N entries (and
// about scanByteBudget bytes of them) whose keys start with P and sort
// after A. When ^more is true, ^next is the last key returned: send it as
// ^after to read the next page.
func (k *kv) scan(r *request) gene.Value {
	prefix, bad, ok := r.optString("prefix", "")
	if !ok {
		return bad
	}
	after, bad, ok := r.optString("after", "")
	if !ok {
		return bad
	}
	limit := defaultScanLimit
	if v, ok := r.props.Get("limit"); ok {
		n, isInt := v.AsInt()
		if !isInt || n < 1 || n > maxScanLimit {
			return r.fail("bad-request", "^limit must be an integer from 1 to %d, got %s", maxScanLimit, gene.Format(v))
		}
		limit = int(n)
	}
	var afterKey []byte
	if after != "" {
		afterKey = []byte(dataPrefix + after)
	}
	var (
		entries []gene.Value
		size    int
		more    bool
		last    string
		bad2    error
	)
	err := guest.KV.Scan([]byte(dataPrefix+prefix), afterKey, func(kb, vb []byte) bool {
		if len(entries) == limit || size >= scanByteBudget {
			more = true
			return false
		}
		key := string(kb[len(dataPrefix):])
		val, err := decodeStored(vb)
		if err != nil {
			bad2 = err
			last = key
			return false
		}
		entries = append(entries, gene.PropMap(prop("key", gene.String(key)), prop("value", val)))
		size += len(kb) + len(vb)
		last = key
		return true
	})
	if err != nil {
		return r.storeError(err)
	}
	if bad2 != nil {
		return r.fail("store", "key %q: %v", last, bad2)
	}
	props := []gene.Prop{
		prop("prefix", gene.String(prefix)),
		prop("entries", gene.List(entries...)),
		prop("more", gene.Bool(more)),
	}
	if more {
		props = append(props, prop("next", gene.String(last)))
	}
	return r.reply("entries", props...)
}

// count is the control operation count: the number of keys.
func count() (int64, error) {
	var n int64
	err := guest.KV.Scan([]byte(dataPrefix), nil, func(k, v []byte) bool {
		n++
		return true
	})
	return n, err
}

// reset is the control operation reset: it deletes every key, telling
// watchers, and returns how many there were.
func (k *kv) reset() (int64, error) {
	const chunk = 256
	var n int64
	for {
		keys := make([]string, 0, chunk)
		err := guest.KV.Scan([]byte(dataPrefix), nil, func(kb, v []byte) bool {
			keys = append(keys, string(kb))
			return len(keys) < chunk
		})
		if err != nil {
			return n, err
		}
		if len(keys) == 0 {
			return n, nil
		}
		for _, sk := range keys {
			existed, err := guest.KV.Delete([]byte(sk))
			if err != nil {
				return n, err
			}
			if existed {
				n++
			}
		}
	}
}

// Control serves the plugin's control operations: count and reset.
func (k *kv) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	switch op {
	case "count":
		n, err := count()
		return gene.Int(n), err
	case "reset":
		n, err := k.reset()
		return gene.Int(n), err
	}
	return k.Base.Control(l, op, arg)
}
