// Command kv is a test plugin: (set ^key K ^value V) stores V under K and
// replies (ok); (get ^key K) replies (value V) or (missing).
package main

import (
	"errors"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type kv struct{ guest.Base }

func reply(head string, body ...gene.Value) gene.Value { return gene.Gene(gene.Symbol(head), body...) }

func (kv) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		n := v.Node()
		if n == nil {
			return guest.Continue, fmt.Errorf("want (set ...) or (get ...), got a %v", v.Kind())
		}
		key, _ := n.Props.Get("key")
		k := []byte(key.Str())
		var out gene.Value
		switch {
		case n.Head.IsSymbol("set"):
			val, _ := n.Props.Get("value")
			if err := guest.KV.Put(k, gene.AppendBinary(nil, val)); err != nil {
				return guest.Continue, err
			}
			out = reply("ok")
		case n.Head.IsSymbol("get"):
			b, err := guest.KV.Get(k)
			switch {
			case errors.Is(err, guest.ErrNotFound):
				out = reply("missing")
			case err != nil:
				return guest.Continue, err
			default:
				val, _, err := gene.DecodeBinary(b, gene.BinaryOptions{})
				if err != nil {
					return guest.Continue, err
				}
				out = reply("value", val)
			}
		default:
			return guest.Continue, fmt.Errorf("unknown request %v", n.Head.Str())
		}
		if err := l.Send(out); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func init() { guest.Register(kv{}) }

func main() {}
