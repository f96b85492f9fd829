// Command control is a test plugin: control op add with [a b] returns a+b.
package main

import (
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type control struct{ guest.Base }

func (control) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	if op != "add" {
		return gene.Nil(), fmt.Errorf("unknown op %s", op)
	}
	xs := arg.List()
	if len(xs) != 2 {
		return gene.Nil(), fmt.Errorf("add: want [a b], got a %v", arg.Kind())
	}
	a, ok1 := xs[0].AsInt()
	b, ok2 := xs[1].AsInt()
	if !ok1 || !ok2 {
		return gene.Nil(), fmt.Errorf("add: want two integers")
	}
	return gene.Int(a + b), nil
}

func init() { guest.Register(control{}) }

func main() {}
