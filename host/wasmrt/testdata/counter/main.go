// Command counter is a test plugin: after each value it sends (count N),
// N being the values this instance has seen.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type counter struct {
	guest.Base
	n int64
}

func (c *counter) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for range vs {
		c.n++
		if err := l.Send(gene.Gene(gene.Symbol("count"), gene.Int(c.n))); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func init() { guest.Register(&counter{}) }

func main() {}
