// Command loops is a test plugin whose Values never returns.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type loops struct{ guest.Base }

var spins uint64

func (loops) Values(guest.Link, []gene.Value) (guest.Flow, error) {
	for {
		spins++
	}
}

func (loops) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	if op == "ping" {
		return gene.Symbol("pong"), nil
	}
	return guest.Base{}.Control(l, op, arg)
}

func init() { guest.Register(loops{}) }

func main() {}
