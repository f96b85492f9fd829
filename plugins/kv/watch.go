//go:build wasip1

package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
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
	if err := k.watchStore(); err != nil {
		return r.storeError(err)
	}
	// Changes committed before this request go to the watches there were.
	k.changed()
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

// watchStore opens the instance's one watch of the store (every key
// under dataPrefix) when the first link watches. Its changes come from
// the store, not from this instance: a change made by another instance,
// or on another host sharing the store (serve --nats), is pushed the
// same way as one made here, and a writer's reply always goes first.
func (k *kv) watchStore() error {
	if k.watchID != 0 {
		return nil
	}
	id, err := guest.KV.Watch([]byte(dataPrefix))
	if err != nil {
		return err
	}
	k.watchID = id
	return nil
}

// changed pushes the store's waiting changes to the links watching them.
// When the store dropped changes (this instance fell behind), every watch
// is told with (lagged ^prefix P).
func (k *kv) changed() {
	lost, err := guest.KV.WatchNext(k.watchID, func(c guest.Change) {
		key := strings.TrimPrefix(string(c.Key), dataPrefix)
		if c.Deleted {
			k.push1(key, gene.Nil(), true)
			return
		}
		val, err := decodeStored(c.Value)
		if err != nil {
			guest.Log("warn", fmt.Sprintf("kv: watched key %q: %v", key, err))
			return
		}
		k.push1(key, val, false)
	})
	if err != nil {
		guest.Log("error", "kv: reading the store watch: "+err.Error())
	}
	if lost {
		for _, c := range k.conns {
			for _, p := range c.watches {
				k.lag(c, p)
			}
		}
	}
}

// lag marks c as having lost pushes under prefix p: the retry timer
// sends it (lagged ^prefix P) once its outbox drains.
func (k *kv) lag(c *conn, p string) {
	if !slices.Contains(c.lagged, p) {
		c.lagged = append(c.lagged, p)
	}
	k.retry.arm()
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
