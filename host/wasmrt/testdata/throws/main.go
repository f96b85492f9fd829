// Command throws is a test plugin whose Values fails with "boom".
package main

import (
	"errors"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type throws struct{ guest.Base }

func (throws) Values(guest.Link, []gene.Value) (guest.Flow, error) {
	return guest.Continue, errors.New("boom")
}

func (throws) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	if op == "ping" {
		return gene.Symbol("pong"), nil
	}
	return guest.Base{}.Control(l, op, arg)
}

func init() { guest.Register(throws{}) }

func main() {}
