// Command hog is a test plugin whose Values allocates without bound.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type hog struct{ guest.Base }

var kept [][]byte

func (hog) Values(guest.Link, []gene.Value) (guest.Flow, error) {
	for {
		b := make([]byte, 1<<20)
		b[0] = 1
		kept = append(kept, b)
	}
}

func (hog) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	if op == "ping" {
		return gene.Symbol("pong"), nil
	}
	return guest.Base{}.Control(l, op, arg)
}

func init() { guest.Register(hog{}) }

func main() {}
