// Command wasm-echo is the Go-to-Wasm echo plugin of the benchmark: it
// sends every value back on the link it came from. The host builds it
// (GOOS=wasip1) from this source when the plugin directory loads.
package main

import (
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type echo struct{ guest.Base }

func (echo) Values(l guest.Link, vs []gene.Value) (guest.Flow, error) {
	for _, v := range vs {
		if err := l.Send(v); err != nil {
			return guest.Continue, err
		}
	}
	return guest.Continue, nil
}

func init() { guest.Register(echo{}) }

func main() {}
