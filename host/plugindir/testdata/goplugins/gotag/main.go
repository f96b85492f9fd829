// Command gotag is a test plugin in Go: it answers every value v with
// (go v); the value 'panic makes it panic.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type tagger struct{ guest.Base }

func (tagger) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		if v.IsSymbol("panic") {
			panic("asked to panic")
		}
		if err := l.Send(gene.Gene(gene.Symbol("go"), v)); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func init() { guest.Register(tagger{}) }

func main() {}
