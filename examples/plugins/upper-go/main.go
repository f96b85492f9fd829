//go:build wasip1

// Command upper-go is a genehost plugin written in Go and built to
// WebAssembly by the host: it sends every string back in upper case and
// counts, per link, how many it has seen. plugin.gene declares its
// messages and control operations.
//
// The plugin asks for one instance per link (^instances "per-link"), so a
// field of the handler is that link's state: no map, no locks. The host
// runs one more instance for operations that name no link (upper here).
//
// The build tag keeps this file out of native builds (go vet ./... of the
// genehost repository): it is only ever built with GOOS=wasip1.
package main

import (
	"errors"
	"strings"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

// upper is the handler of one instance, and so of one link.
type upper struct {
	guest.Base       // Open, Close and Timer as defaults
	n          int64 // strings seen on this instance's link
}

// Values uppercases each string. The host has checked them against the
// ^text schema (^validate true), so every value is a string.
func (u *upper) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		u.n++
		// Send waits for the client's credit, at most until the callback's
		// deadline; only this link's instance waits.
		if err := l.Send(gene.String(strings.ToUpper(v.Str()))); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

// Control serves the operations plugin.gene declares; the host has checked
// the argument against its schema.
func (u *upper) Control(l guest.Link, op string, arg gene.Value) (gene.Value, error) {
	switch op {
	case "count":
		if l.ID() == 0 {
			return gene.Nil(), errors.New("count is per link: name a data link with ^link")
		}
		return gene.Int(u.n), nil
	case "upper":
		return gene.String(strings.ToUpper(arg.Str())), nil
	}
	return u.Base.Control(l, op, arg)
}

func init() { guest.Register(&upper{}) }

func main() {} // required by the toolchain, never called: the host calls the handler
