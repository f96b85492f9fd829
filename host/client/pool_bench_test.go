package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// BenchmarkRequest compares a request/response round trip on a link the
// caller holds with the same through a Pool (endpoint pick and the shared
// Request link), over a Unix socket, sequential and parallel.
func BenchmarkRequest(b *testing.B) {
	path := sockPath(b, "bench")
	start(b, path, &backend{})
	ctx := context.Background()
	v := gene.MustParse(`(get ^key "k")`)

	b.Run("link", func(b *testing.B) {
		c, err := client.Dial(ctx, "unix://"+path, client.Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("serial", func(b *testing.B) {
			for b.Loop() {
				if _, err := l.Request(ctx, v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := l.Request(ctx, v); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	})
	b.Run("pool", func(b *testing.B) {
		p, err := client.NewPool(ctx, []string{"unix://" + path}, client.PoolConfig{Interface: "echo", HealthInterval: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		if _, err := p.Request(ctx, "echo", v); err != nil {
			b.Fatal(err)
		}
		b.Run("serial", func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Request(ctx, "echo", v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := p.Request(ctx, "echo", v); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	})
}
