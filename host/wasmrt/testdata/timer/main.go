// Command timer is a test plugin: every value sets a 10ms timer, and each
// tick is sent as (tick ID) on the last link a value arrived on.
package main

import (
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type timer struct {
	guest.Base
	last guest.Link
}

func (t *timer) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	t.last = l
	for range vs {
		if _, err := guest.SetTimer(10 * time.Millisecond); err != nil {
			if err := l.Send(gene.Gene(gene.Symbol("error"), gene.String(err.Error()))); err != nil {
				return guest.Continue, err
			}
		}
	}
	return guest.Continue, nil
}

func (t *timer) Timer(id uint64) {
	if err := t.last.Send(gene.Gene(gene.Symbol("tick"), gene.Int(int64(id)))); err != nil {
		guest.Log("error", err.Error())
	}
}

func init() { guest.Register(&timer{}) }

func main() {}
