// Command kvatomic is a test plugin for the atomic store operations
// (plugintest suite, "kvatomic"):
//
//	(put ^key K ^value V)               -> (ok)
//	(get ^key K)                        -> (value V) or (missing)
//	(cas ^key K [^expect E] [^value W]) -> (cas true|false); an absent prop is "absent"
//	(incr ^key K [^by N])               -> (n NEW)
//	(cas-add ^key K)                    -> (n NEW): read, add 1, cas, until it applies
//
// Values are stored as binary Gene documents, as the JavaScript runtime
// stores them. A failed store call is answered with (error MESSAGE).
package main

import (
	"errors"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type kvatomic struct{ guest.Base }

func reply(head string, body ...gene.Value) gene.Value { return gene.Gene(gene.Symbol(head), body...) }

// doc returns the stored form of the prop key, or nil when it is absent.
func doc(ps gene.Props, key string) []byte {
	v, ok := ps.Get(key)
	if !ok {
		return nil
	}
	return gene.AppendBinaryDoc(nil, v)
}

func serve(n *gene.Node) (gene.Value, error) {
	key, _ := n.Props.Get("key")
	k := []byte(key.Str())
	switch n.Head.Str() {
	case "put":
		if err := guest.KV.Put(k, doc(n.Props, "value")); err != nil {
			return gene.Value{}, err
		}
		return reply("ok"), nil
	case "get":
		b, err := guest.KV.Get(k)
		if errors.Is(err, guest.ErrNotFound) {
			return reply("missing"), nil
		}
		if err != nil {
			return gene.Value{}, err
		}
		v, _, err := gene.DecodeBinaryDoc(b, gene.BinaryOptions{})
		if err != nil {
			return gene.Value{}, err
		}
		return reply("value", v), nil
	case "cas":
		ok, _, err := guest.KV.CompareAndSwap(k, doc(n.Props, "expect"), doc(n.Props, "value"))
		if err != nil {
			return gene.Value{}, err
		}
		return reply("cas", gene.Bool(ok)), nil
	case "incr":
		by := int64(1)
		if v, ok := n.Props.Get("by"); ok {
			by, _ = v.AsInt()
		}
		v, err := guest.KV.Incr(k, by)
		if err != nil {
			return gene.Value{}, err
		}
		return reply("n", gene.Int(v)), nil
	case "cas-add":
		cur, err := guest.KV.Get(k)
		if errors.Is(err, guest.ErrNotFound) {
			cur, err = nil, nil
		}
		if err != nil {
			return gene.Value{}, err
		}
		for {
			var n int64
			if cur != nil {
				v, _, err := gene.DecodeBinaryDoc(cur, gene.BinaryOptions{})
				if err != nil {
					return gene.Value{}, err
				}
				n, _ = v.AsInt()
			}
			next := gene.AppendBinaryDoc(nil, gene.Int(n+1))
			ok, now, err := guest.KV.CompareAndSwap(k, cur, next)
			if err != nil {
				return gene.Value{}, err
			}
			if ok {
				return reply("n", gene.Int(n+1)), nil
			}
			cur = now // the conflict says what the key holds: no second read
		}
	}
	return gene.Value{}, fmt.Errorf("kvatomic: unknown request %s", n.Head.Str())
}

func (kvatomic) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		n := v.Node()
		if n == nil {
			return guest.Continue, fmt.Errorf("want a request node, got a %v", v.Kind())
		}
		out, err := serve(n)
		var he *guest.HostError
		if errors.As(err, &he) {
			out, err = reply("error", gene.String(he.Error())), nil
		}
		if err != nil {
			return guest.Continue, err
		}
		if err := l.Send(out); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func init() { guest.Register(kvatomic{}) }

func main() {}
