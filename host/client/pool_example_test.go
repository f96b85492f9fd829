package client_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
)

// namedEcho answers every value with (reply ^from name ^to value).
func namedEcho(name string) host.Handler {
	return host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
		for _, v := range vs {
			id, _ := v.Get("id")
			r := gene.MustParse(fmt.Sprintf(`(reply ^from %q)`, name))
			r.Node().Props.Set("id", id)
			if err := l.Send(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}}
}

func exampleServer(dir, name string) *host.Server {
	s := host.New(host.Config{Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard})})
	m, err := host.ParseManifest(gene.MustParse(`{^name "greet" ^direction "send+recv"}`))
	if err != nil {
		panic(err)
	}
	if err := s.Register(m, namedEcho(name)); err != nil {
		panic(err)
	}
	if _, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(dir, name+".sock")}); err != nil {
		panic(err)
	}
	return s
}

// A pick-first pool over two hosts: the second answers once the first is
// gone.
func ExampleNewPool() {
	dir, _ := os.MkdirTemp("", "pool")
	defer os.RemoveAll(dir)
	primary, backup := exampleServer(dir, "primary"), exampleServer(dir, "backup")
	defer backup.Close()

	ctx := context.Background()
	p, err := client.NewPool(ctx, []string{
		"unix://" + filepath.Join(dir, "primary.sock"),
		"unix://" + filepath.Join(dir, "backup.sock"),
	}, client.PoolConfig{Policy: client.PickFirst, Interface: "greet"})
	if err != nil {
		panic(err)
	}
	defer p.Close()

	ask := func() {
		r, err := p.Request(ctx, "greet", gene.MustParse(`(hello)`))
		if err != nil {
			panic(err)
		}
		from, _ := r.Get("from")
		fmt.Println("answered by", from.Str())
	}
	ask()
	primary.Close()
	ask()
	// Output:
	// answered by primary
	// answered by backup
}
