// Command echo is a test plugin: it sends every value back on its link,
// undecoded (guest.ReceivedHandler): each value goes back as the bytes it
// arrived in.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type echo struct{ guest.Base }

func (echo) Received(l guest.Link, r *guest.Received) (guest.Flow, error) {
	for i := range r.Len() {
		if err := l.SendEncoded(r.Bytes(i)); err != nil {
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
