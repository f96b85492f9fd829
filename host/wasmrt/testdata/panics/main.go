// Command panics is a test plugin whose Values panics.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type panics struct{ guest.Base }

func (panics) Values(guest.Link, []gene.Value) (guest.Flow, error) {
	panic("kaboom")
}

func (panics) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	if op == "ping" {
		return gene.Symbol("pong"), nil
	}
	return guest.Base{}.Control(l, op, arg)
}

func init() { guest.Register(panics{}) }

func main() {}
