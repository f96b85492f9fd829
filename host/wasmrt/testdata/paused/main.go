// Command paused is a test plugin: the first value pauses its link and
// sets a timer whose tick resumes it.
package main

import (
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type paused struct {
	guest.Base
	seen    bool
	waiting guest.Link
}

func (p *paused) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	if p.seen {
		return guest.Continue, nil
	}
	p.seen = true
	if _, err := guest.SetTimer(10 * time.Millisecond); err != nil {
		return guest.Continue, err
	}
	p.waiting = l
	return guest.Pause, nil
}

func (p *paused) Timer(uint64) { p.waiting.Resume() }

func init() { guest.Register(&paused{}) }

func main() {}
