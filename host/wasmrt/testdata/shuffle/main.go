// Command shuffle is a test plugin for sending received values back: for
// each batch it sends, on the link it came from, the values in reverse
// order, then the first one again, then a list holding the first one,
// then the first value of the previous batch (kept across callbacks),
// and then, with TrySend, the last value.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type shuffle struct {
	guest.Base
	prev gene.Value
	has  bool
}

func (s *shuffle) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	out := make([]gene.Value, 0, 2*len(vs)+3)
	for i := len(vs) - 1; i >= 0; i-- {
		out = append(out, vs[i])
	}
	out = append(out, vs[0], gene.List(vs[0]))
	if s.has {
		out = append(out, s.prev)
	}
	for _, v := range out {
		if err := l.Send(v); err != nil {
			return guest.Continue, err
		}
	}
	if err := l.TrySend(vs[len(vs)-1]); err != nil {
		return guest.Continue, err
	}
	s.prev, s.has = vs[0], true
	return guest.Continue, nil
}

func init() { guest.Register(&shuffle{}) }

func main() {}
