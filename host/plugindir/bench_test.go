package plugindir_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/proto"
)

// BenchmarkPluginStream streams values through a plugin served by a real
// host.Server over a Unix socket: the client sends b.N small values on
// one link while reading the plugin's answers. It measures the whole
// path (client, wire, host, adapter, runtime) per value.
func BenchmarkPluginStream(b *testing.B) {
	for _, c := range []struct {
		name, dir string
		files     map[string]string
	}{
		{"js-per-link", "", map[string]string{"plugin.gene": `{^direction "send+recv" ^isolation "none"}`, "handler.js": echoJS}},
		{"js-pool", "", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 2 ^isolation "none"}`, "handler.js": echoJS}},
		{"js-per-link-worker", "", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": echoJS}},
		{"js-pool-worker", "", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 2}`, "handler.js": echoJS}},
		{"go-wasm-per-link", filepath.Join("testdata", "goplugins"), nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir, iface := c.dir, "gotag"
			if dir == "" {
				dir, iface = b.TempDir(), "p"
				require.NoError(b, os.MkdirAll(filepath.Join(dir, "p"), 0o755))
				for f, content := range c.files {
					require.NoError(b, os.WriteFile(filepath.Join(dir, "p", f), []byte(content), 0o644))
				}
			}
			srv := host.New(host.Config{Logger: hclog.NewNullLogger()})
			defer srv.Close()
			d, err := plugindir.Open(b.Context(), plugindir.Options{Dir: dir, CacheDir: sharedCache(b), Runtimes: runtimes(b), Isolated: isolated(b), Registry: srv})
			require.NoError(b, err)
			defer d.Close()
			addr, err := srv.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(b.TempDir(), "g.sock")})
			require.NoError(b, err)
			conn, err := client.Dial(b.Context(), addr, client.Config{})
			require.NoError(b, err)
			defer conn.Close()
			ctx := context.Background()
			l, err := conn.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{})
			require.NoError(b, err)
			v := gene.MustParse(`(msg ^id 1 "hello")`)
			b.ReportAllocs()
			b.ResetTimer()
			errc := make(chan error, 1)
			go func() {
				for i := 0; i < b.N; i++ {
					if err := l.Send(ctx, v); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			for i := 0; i < b.N; i++ {
				if _, err := l.Recv(ctx); err != nil {
					b.Fatal(err)
				}
			}
			require.NoError(b, <-errc)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "values/s")
		})
	}
}
