//go:build wasip1

package main

import (
	"bytes"
	"errors"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

// incr serves (incr ^key K ^by N): N (default 1) is added to the integer
// under K in one atomic store call, so increments from every client, and
// from the old and new plugin during a reload, are never lost. An absent
// key counts as 0.
func (k *kv) incr(r *request) gene.Value {
	key, bad, ok := r.key()
	if !ok {
		return bad
	}
	by := int64(1)
	if v, ok := r.props.Get("by"); ok {
		n, isInt := v.AsInt()
		if !isInt {
			return r.fail("bad-request", "^by must be an integer within the 64-bit range, got %s", describe(v))
		}
		by = n
	}
	skey := []byte(dataPrefix + key)
	n, err := guest.KV.Incr(skey, by)
	if errors.Is(err, abi.ErrBadValue) {
		return k.incrRefused(r, key, by)
	}
	if err != nil {
		return r.storeError(err)
	}
	return r.reply("value", prop("key", gene.String(key)), prop("value", gene.Int(n)))
}

// incrRefused explains why the store refused an increment: the key holds
// something other than an integer, or the sum overflows.
func (k *kv) incrRefused(r *request, key string, by int64) gene.Value {
	b, err := guest.KV.Get([]byte(dataPrefix + key))
	if err != nil {
		return r.storeError(err)
	}
	v, err := decodeStored(b)
	if err != nil {
		return r.fail("store", "key %q: %v", key, err)
	}
	if n, ok := v.AsInt(); ok {
		return r.fail("overflow", "key %q holds %d: adding %d leaves the 64-bit range", key, n, by)
	}
	return r.fail("not-integer", "key %q holds %s, not an integer", key, describe(v))
}

// cas serves (cas ^key K ^expect E ^value W): if K holds E (absent ^expect:
// if K is absent), set it to W (absent ^value: delete K), atomically.
// Answered with (ok ^key K) or (conflict ^key K ^value CURRENT), ^value
// absent when K is.
//
// Values match when they are equal as Gene values (gene.Equal: prop order
// and meta do not matter) or encode to the same bytes (so a stored nan
// can be replaced too). The swap itself is a compare-and-swap of the exact
// bytes that were read and compared, so a change by anyone in between
// makes it fail; the plugin then compares again with what the key holds
// now.
func (k *kv) cas(r *request) gene.Value {
	key, bad, ok := r.key()
	if !ok {
		return bad
	}
	expect, hasExpect := r.props.Get("expect")
	next, hasNext := r.props.Get("value")
	var expectDoc, nextDoc []byte
	if hasExpect {
		expectDoc = gene.AppendBinaryDoc(nil, expect)
	}
	if hasNext {
		nextDoc = gene.AppendBinaryDoc(nil, next)
	}
	skey := []byte(dataPrefix + key)
	cur, err := guest.KV.Get(skey)
	if errors.Is(err, guest.ErrNotFound) {
		cur, err = nil, nil
	}
	if err != nil {
		return r.storeError(err)
	}
	for {
		var curVal gene.Value
		if cur != nil {
			if curVal, err = decodeStored(cur); err != nil {
				return r.fail("store", "key %q: %v", key, err)
			}
		}
		switch {
		case cur == nil && hasExpect:
			return r.reply("conflict", prop("key", gene.String(key)))
		case cur != nil && (!hasExpect || !(bytes.Equal(cur, expectDoc) || gene.Equal(curVal, expect))):
			return r.reply("conflict", prop("key", gene.String(key)), prop("value", curVal))
		}
		swapped, now, err := guest.KV.CompareAndSwap(skey, cur, nextDoc)
		if err != nil {
			return r.storeError(err)
		}
		if swapped {
			return r.reply("ok", prop("key", gene.String(key)))
		}
		cur = now // changed since it was read: compare again
	}
}
