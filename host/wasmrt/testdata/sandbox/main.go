// Command sandbox is a test plugin that probes the WASI sandbox through
// control operations: (read PATH) returns the file's bytes, (env NAME)
// the variable or nil, (now) the wall clock in Unix seconds, (print TEXT)
// writes TEXT to stdout and stderr, and (scan PREFIX) lists the store.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

type sandbox struct{ guest.Base }

func (sandbox) Control(_ guest.Link, op string, arg gene.Value) (gene.Value, error) {
	switch op {
	case "read":
		b, err := os.ReadFile(arg.Str())
		if err != nil {
			return gene.Nil(), err
		}
		return gene.Bytes(b), nil
	case "env":
		v, ok := os.LookupEnv(arg.Str())
		if !ok {
			return gene.Nil(), nil
		}
		return gene.String(v), nil
	case "now":
		return gene.Int(time.Now().Unix()), nil
	case "print":
		fmt.Println(arg.Str())
		fmt.Fprintln(os.Stderr, arg.Str())
		return gene.Nil(), nil
	case "put":
		// [key value] strings
		xs := arg.List()
		return gene.Nil(), guest.KV.Put([]byte(xs[0].Str()), []byte(xs[1].Str()))
	case "scan":
		var out []gene.Value
		err := guest.KV.Scan([]byte(arg.Str()), nil, func(k, v []byte) bool {
			out = append(out, gene.List(gene.String(string(k)), gene.String(string(v))))
			return true
		})
		return gene.List(out...), err
	case "delete":
		found, err := guest.KV.Delete([]byte(arg.Str()))
		return gene.Bool(found), err
	case "trysend":
		// [link value]: try-send, reporting the error text
		xs := arg.List()
		id, _ := xs[0].AsInt()
		if err := linkOf(uint64(id)).TrySend(xs[1]); err != nil {
			return gene.String(err.Error()), nil
		}
		return gene.Symbol("sent"), nil
	}
	return gene.Nil(), fmt.Errorf("unknown op %s", op)
}

var links = map[uint64]guest.Link{}

func (sandbox) Open(l guest.Link) error {
	links[l.ID()] = l
	return nil
}

func linkOf(id uint64) guest.Link { return links[id] }

func init() { guest.Register(sandbox{}) }

func main() {}
