// Command echo is a test plugin: it sends every value back on its link.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type echo struct{ guest.Base }

func (echo) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		if err := l.Send(v); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func (echo) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	if op == "ping" {
		return gene.Symbol("pong"), nil
	}
	return guest.Base{}.Control(l, op, arg)
}

func init() { guest.Register(echo{}) }

func main() {}
