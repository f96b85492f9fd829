//go:build wasip1

package main

import (
	"slices"
	"strings"

	"github.com/genehost/genehost/gene"
)

// watch answers (watch ^prefix P) with (watching ^prefix P); from then on
// every change to a key starting with P is pushed on the link as
// (changed ^key K ^value V ^prefix P) or (deleted ^key K ^prefix P). The
// prefix "" (or none) watches every key. Watching a prefix twice is the
// same as once.
func (k *kv) watch(c *conn, r *request) gene.Value {
	prefix, bad, ok := r.optString("prefix", "")
	if !ok {
		return bad
	}
	if !slices.Contains(c.watches, prefix) {
		if len(c.watches) >= maxWatches {
			return r.fail("limit", "this link already watches %d prefixes, the most a link may", maxWatches)
		}
		c.watches = append(c.watches, prefix)
	}
	return r.reply("watching", prop("prefix", gene.String(prefix)))
}

// unwatch answers (unwatch ^prefix P) with (unwatched ^prefix P ^existed B).
func (k *kv) unwatch(c *conn, r *request) gene.Value {
	prefix, bad, ok := r.optString("prefix", "")
	if !ok {
		return bad
	}
	i := slices.Index(c.watches, prefix)
	if i >= 0 {
		c.watches = slices.Delete(c.watches, i, i+1)
	}
	return r.reply("unwatched", prop("prefix", gene.String(prefix)), prop("existed", gene.Bool(i >= 0)))
}

// change is a change of a key, waiting to be pushed to its watchers.
type change struct {
	key     string
	val     gene.Value
	deleted bool
}

// notify records a change of key, pushed to watchers by publish once the
// request that made it has been answered (so a writer watching its own
// keys gets the reply first).
func (k *kv) notify(key string, val gene.Value, deleted bool) {
	k.changes = append(k.changes, change{key, val, deleted})
}

// publish pushes the recorded changes.
func (k *kv) publish() {
	for i, ch := range k.changes {
		k.push1(ch.key, ch.val, ch.deleted)
		k.changes[i] = change{}
	}
	k.changes = k.changes[:0]
}

// push1 pushes a change of key to every link watching a prefix of it,
// once per link (naming the first of its watches that matched).
func (k *kv) push1(key string, val gene.Value, deleted bool) {
	for _, c := range k.conns {
		for _, p := range c.watches {
			if !strings.HasPrefix(key, p) {
				continue
			}
			var v gene.Value
			if deleted {
				v = node("deleted", prop("key", gene.String(key)), prop("prefix", gene.String(p)))
			} else {
				v = node("changed", prop("key", gene.String(key)), prop("value", val), prop("prefix", gene.String(p)))
			}
			k.push(c, v, p)
			break
		}
	}
}

func node(head string, props ...gene.Prop) gene.Value {
	return gene.NodeValue(&gene.Node{Head: gene.Symbol(head), HasHead: true, Props: props})
}
