// Command lifecycle is a test plugin: it logs opens and closes and answers
// (info) with the link's interface and direction.
package main

import (
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type lifecycle struct{ guest.Base }

func (lifecycle) Open(l guest.Link) error {
	l.Log("info", fmt.Sprintf("open %d", l.ID()))
	return nil
}

func (lifecycle) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		if n := v.Node(); n != nil && n.Head.IsSymbol("info") {
			info := l.Info()
			err := l.Send(gene.NodeValue(&gene.Node{Head: gene.Symbol("link"), HasHead: true, Props: gene.Props{
				{Key: "interface", Value: gene.String(info.Interface)},
				{Key: "direction", Value: gene.String(info.Direction)},
			}}))
			if err != nil {
				return guest.Continue, err
			}
		}
	}
	return guest.Continue, nil
}

func (lifecycle) Close(l guest.Link, reason string) {
	l.Log("info", fmt.Sprintf("close %d %s", l.ID(), reason))
}

func init() { guest.Register(lifecycle{}) }

func main() {}
