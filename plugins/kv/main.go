//go:build wasip1

// Command kv is the genehost key-value plugin: a durable store of Gene
// values under string keys, with prefix scans and watches that push
// changes to the clients that asked for them. It is built to WebAssembly
// by the host (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) and serves
// every link from one instance (^instances "pool" ^pool 1 in plugin.gene),
// so a change made on one link reaches the watchers on all the others.
//
// Requests and replies are described in plugin.gene and in
// plugins/README.md ("kv"). Every request gets exactly one reply, in
// request order, carrying the request's ^id when it had one; a request
// that cannot be served is answered with (error ^code C ^message M).
//
// # State
//
// Keys and values live in the host's key-value store (the kv grant), one
// store key "d/" + key per entry, the value in the binary Gene document
// encoding, so data survives restarts and reloads. Only the links, their
// watches and their outboxes live in guest memory; they are lost with the
// instance if it crashes, and their links are then closed by the host.
//
// # Backpressure
//
// Replies and pushes are sent with TrySend. When a client has not granted
// room, what could not be sent waits in that link's outbox, the link is
// paused (no more requests are read from it, so its outbox holds at most
// one batch of replies), and a retry timer flushes the outboxes until they
// are empty and resumes the link. Watch pushes to a link whose outbox is
// full are dropped; the watcher is told once with (lagged ^prefix P) and
// should re-read with scan.
package main

import (
	"errors"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

// Limits.
const (
	maxKeyBytes      = 1024      // a key, in bytes
	defaultScanLimit = 100       // entries per scan reply when ^limit is absent
	maxScanLimit     = 1000      // entries per scan reply at most
	scanByteBudget   = 256 << 10 // encoded bytes of values per scan reply, roughly
	maxWatches       = 64        // watches per link
)

// dataPrefix starts every store key that holds a client's entry.
const dataPrefix = "d/"

// kv is the plugin's one instance.
type kv struct {
	guest.Base
	conns   map[uint64]*conn // open links by id
	watchID uint64           // the store watch of every key, 0 until a link watches
	retry   retryTimer
}

func newKV() *kv { return &kv{conns: map[uint64]*conn{}} }

func init() { guest.Register(newKV()) }

func main() {}

// Open registers the link.
func (k *kv) Open(l guest.Link) error {
	k.conns[l.ID()] = &conn{link: l}
	return nil
}

// Close forgets the link, its watches and its outbox.
func (k *kv) Close(l guest.Link, reason string) { delete(k.conns, l.ID()) }

// conn returns the state of l, creating it for a link opened before this
// instance existed (the host replaced a crashed instance).
func (k *kv) conn(l guest.Link) *conn {
	c, ok := k.conns[l.ID()]
	if !ok {
		c = &conn{link: l}
		k.conns[l.ID()] = c
	}
	return c
}

// Values serves a batch of requests, in order.
func (k *kv) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	k.flushAll()
	c := k.conn(l)
	for _, v := range vs {
		k.serve(c, v)
	}
	if !c.waiting() {
		return guest.Continue, nil
	}
	if k.retry.arm() {
		c.paused = true
		return guest.Pause, nil
	}
	// No timer to resume the link later: wait for credit now.
	return guest.Continue, c.flushWait()
}

// request is a decoded request node.
type request struct {
	op    string
	props gene.Props
	id    gene.Value
	hasID bool
}

// reply builds (head ^props... ^id ID).
func (r *request) reply(head string, props ...gene.Prop) gene.Value {
	if r.hasID {
		props = append(props, gene.Prop{Key: "id", Value: r.id})
	}
	return gene.NodeValue(&gene.Node{Head: gene.Symbol(head), HasHead: true, Props: props})
}

// fail builds (error ^code CODE ^message MSG ^id ID), the SDK's standard
// error reply.
func (r *request) fail(code, format string, args ...any) gene.Value {
	id := gene.Void()
	if r.hasID {
		id = r.id
	}
	return guest.Error(code, fmt.Sprintf(format, args...), id)
}

func prop(k string, v gene.Value) gene.Prop { return gene.Prop{Key: k, Value: v} }

// str reads the string prop key; ok is false when it is missing or not a
// string.
func (r *request) str(key string) (string, bool) {
	v, ok := r.props.Get(key)
	if !ok || v.Kind() != gene.KindString {
		return "", false
	}
	return v.Str(), true
}

func (k *kv) serve(c *conn, v gene.Value) {
	n := v.Node()
	if n == nil || !n.HasHead || n.Head.Kind() != gene.KindSymbol {
		r := &request{}
		if n != nil {
			r.id, r.hasID = n.Props.Get("id")
		}
		k.reply(c, r, r.fail("bad-request", "want a request node such as (get ^key \"k\"), got %s", describe(v)))
		return
	}
	r := &request{op: n.Head.Str(), props: n.Props}
	r.id, r.hasID = n.Props.Get("id")
	var out gene.Value
	switch r.op {
	case "set":
		out = k.set(r)
	case "get":
		out = k.get(r)
	case "del":
		out = k.del(r)
	case "scan":
		out = k.scan(r)
	case "watch":
		out = k.watch(c, r)
	case "unwatch":
		out = k.unwatch(c, r)
	case "incr":
		out = k.incr(r)
	case "cas":
		out = k.cas(r)
	default:
		out = r.fail("bad-request", "unknown request %q (want set, get, del, incr, cas, scan, watch or unwatch)", r.op)
	}
	k.reply(c, r, out)
}

// key reads and checks ^key.
func (r *request) key() (string, gene.Value, bool) {
	key, ok := r.str("key")
	switch {
	case !ok:
		return "", r.fail("bad-request", "(%s ...) needs ^key, a string", r.op), false
	case key == "":
		return "", r.fail("bad-request", "^key is empty"), false
	case len(key) > maxKeyBytes:
		return "", r.fail("bad-request", "^key is %d bytes; at most %d", len(key), maxKeyBytes), false
	}
	return key, gene.Value{}, true
}

// storeError turns a failed store call into an error reply.
func (r *request) storeError(err error) gene.Value {
	if errors.Is(err, guest.ErrNotGranted) {
		return r.fail("not-granted", "the key-value store is not granted to this plugin (grant kv in plugin.gene): %v", err)
	}
	return r.fail("store", "%v", err)
}

func (k *kv) set(r *request) gene.Value {
	key, bad, ok := r.key()
	if !ok {
		return bad
	}
	val, ok := r.props.Get("value")
	if !ok {
		return r.fail("bad-request", "(set ...) needs ^value")
	}
	if err := guest.KV.Put([]byte(dataPrefix+key), gene.AppendBinaryDoc(nil, val)); err != nil {
		return r.storeError(err)
	}
	return r.reply("ok", prop("key", gene.String(key)))
}

func (k *kv) get(r *request) gene.Value {
	key, bad, ok := r.key()
	if !ok {
		return bad
	}
	b, err := guest.KV.Get([]byte(dataPrefix + key))
	if errors.Is(err, guest.ErrNotFound) {
		return r.reply("not-found", prop("key", gene.String(key)))
	}
	if err != nil {
		return r.storeError(err)
	}
	val, err := decodeStored(b)
	if err != nil {
		return r.fail("store", "key %q: %v", key, err)
	}
	return r.reply("value", prop("key", gene.String(key)), prop("value", val))
}

func (k *kv) del(r *request) gene.Value {
	key, bad, ok := r.key()
	if !ok {
		return bad
	}
	existed, err := guest.KV.Delete([]byte(dataPrefix + key))
	if err != nil {
		return r.storeError(err)
	}
	return r.reply("ok", prop("key", gene.String(key)), prop("existed", gene.Bool(existed)))
}

func decodeStored(b []byte) (gene.Value, error) {
	v, _, err := gene.DecodeBinaryDoc(b, gene.BinaryOptions{})
	if err != nil {
		return gene.Value{}, fmt.Errorf("stored value is not a binary Gene document: %w", err)
	}
	return v, nil
}

// describe names a value's kind, or a node's head, for error messages.
func describe(v gene.Value) string {
	if n := v.Node(); n != nil {
		if n.HasHead && n.Head.Kind() == gene.KindSymbol {
			return "a node (" + n.Head.Str() + " ...)"
		}
		return "a node without a symbol head"
	}
	return "a " + v.Kind().String()
}
