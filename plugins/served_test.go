package plugins_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

// server is this plugins/ directory loaded by host/plugindir into a real
// host.Server listening on a Unix socket, with its database in a data
// directory that outlives it (so a test can restart it).
type server struct {
	t       *testing.T
	db      *store.DB
	streams *store.Streams
	srv     *host.Server
	dir     *plugindir.Dir
	addr    string
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serve starts a server on the database in dataDir.
func serve(t *testing.T, dataDir string) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("serves every shipped plugin (builds kv); skipped with -short")
	}
	here, err := filepath.Abs(".")
	require.NoError(t, err)
	db, err := store.Open(filepath.Join(dataDir, "genehost.db"), store.Options{})
	require.NoError(t, err)
	lg := hclog.New(&hclog.LoggerOptions{Output: testWriter{t}, Level: hclog.Info})
	srv := host.New(host.Config{Logger: lg.Named("host")})
	streams := store.NewStreams(db)
	js := jsrt.New()
	d, err := plugindir.Open(t.Context(), plugindir.Options{
		Dir: here, CacheDir: filepath.Join(buildDir, "plugindir"), Logger: lg, Registry: srv, Store: db, Streams: streams,
		Runtimes: map[string]plugin.Runtime{"js": js, "wasm": wasmRuntime(t)},
		Isolated: workertest.Runtimes(t, lg), // JavaScript runs in workers, as genehost serve runs it
	})
	require.NoError(t, err, "every shipped plugin loads")
	// Unix socket paths are short; t.TempDir() may not be.
	sockDir, err := os.MkdirTemp("", "gh")
	require.NoError(t, err)
	addr, err := srv.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(sockDir, "g.sock")})
	require.NoError(t, err)
	s := &server{t: t, db: db, streams: streams, srv: srv, dir: d, addr: addr}
	t.Cleanup(func() {
		s.stop()
		js.Close(context.Background())
		os.RemoveAll(sockDir)
	})
	return s
}

// stop shuts the server down and closes the database, as a restart would.
func (s *server) stop() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.srv.Close()
	s.dir.Close()
	require.NoError(s.t, s.streams.Close())
	require.NoError(s.t, s.db.Close())
	s.srv = nil
}

func (s *server) dial(t *testing.T) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctxT(t), s.addr, client.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// clientLink is a data link whose pushes (values that answer no Request)
// arrive on a channel.
type clientLink struct {
	*client.Link
	pushes chan gene.Value
}

func openLink(t *testing.T, c *client.Conn, iface string) *clientLink {
	t.Helper()
	l, err := c.Open(ctxT(t), iface, proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err, "open %s", iface)
	t.Cleanup(func() { l.Close(context.Background()) })
	cl := &clientLink{Link: l, pushes: make(chan gene.Value, 1024)}
	l.Handle(func(v gene.Value) { cl.pushes <- v }, nil)
	return cl
}

// request sends v (Gene text) and requires the reply to be want (Gene
// text, without the ^id the client adds).
func (l *clientLink) request(t *testing.T, v, want string) {
	t.Helper()
	got, err := l.Request(ctxT(t), gene.MustParse(v))
	require.NoError(t, err, "request %s", v)
	n := *got.Node()
	n.Props = append(gene.Props(nil), n.Props...)
	if _, had := gene.MustParse(v).Get("id"); !had {
		n.Props = removeProp(n.Props, "id")
	}
	require.Equal(t, gene.Format(gene.MustParse(want)), gene.Format(gene.NodeValue(&n)), "reply to %s", v)
}

func removeProp(ps gene.Props, key string) gene.Props {
	out := ps[:0]
	for _, p := range ps {
		if p.Key != key {
			out = append(out, p)
		}
	}
	return out
}

// push waits for the next pushed value and requires it to be want.
func (l *clientLink) push(t *testing.T, want string) {
	t.Helper()
	select {
	case v := <-l.pushes:
		require.Equal(t, gene.Format(gene.MustParse(want)), gene.Format(v))
	case <-time.After(10 * time.Second):
		t.Fatalf("no push; want %s", want)
	}
}

func (l *clientLink) noPush(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case v := <-l.pushes:
		t.Fatalf("unexpected push %s", gene.Format(v))
	case <-time.After(d):
	}
}

// closeSoon closes l, resetting it if the host has not ended its side
// within a second (a client that stopped reading may leave replies unsent,
// and Close waits for them).
func closeSoon(l *client.Link) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.Close(ctx)
}

func control(t *testing.T, c *client.Conn, iface string) *client.Control {
	t.Helper()
	ctl, err := c.Control(ctxT(t), iface, client.LinkOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { ctl.Close(context.Background()) })
	return ctl
}

func TestServed(t *testing.T) {
	data := t.TempDir()
	s := serve(t, data)
	c := s.dial(t)

	t.Run("manifests", func(t *testing.T) {
		for _, name := range shipped {
			m, err := control(t, c, name).Manifest(ctxT(t))
			require.NoError(t, err)
			got, _ := m.Get("name")
			require.Equal(t, name, got.Str())
			want := readPlugin(t, name).manifest
			for _, p := range want.Value().Props() {
				served, ok := m.Get(p.Key)
				require.True(t, ok, "%s: served manifest has ^%s", name, p.Key)
				if p.Key != "flow" { // the host fills in its flow defaults
					require.Equal(t, gene.Format(p.Value), gene.Format(served), "%s: ^%s", name, p.Key)
				}
			}
		}
	})

	t.Run("echo", func(t *testing.T) {
		l, err := c.Open(ctxT(t), "echo", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		defer l.Close(context.Background())
		vs := gene.MustParse(`[(hello ^to "world" @trace 1) -98765432109876543210 #B16#00ff 2026-11-24T09:30:00Z]`).List()
		for _, v := range vs {
			require.NoError(t, l.Send(ctxT(t), v))
		}
		for _, v := range vs {
			got, err := l.Recv(ctxT(t))
			require.NoError(t, err)
			require.Equal(t, gene.Format(v), gene.Format(got))
		}
	})

	t.Run("kv", func(t *testing.T) {
		writer := openLink(t, c, "kv")
		watcher := openLink(t, s.dial(t), "kv") // another connection
		watcher.request(t, `(watch ^prefix "user/")`, `(watching ^prefix "user/")`)
		writer.request(t, `(set ^key "user/ada" ^value {^born 1815} ^id "mine")`, `(ok ^key "user/ada" ^id "mine")`)
		watcher.push(t, `(changed ^key "user/ada" ^value {^born 1815} ^prefix "user/")`)
		writer.request(t, `(get ^key "user/ada")`, `(value ^key "user/ada" ^value {^born 1815})`)
		writer.request(t, `(set ^key "other" ^value 1)`, `(ok ^key "other")`)
		writer.request(t, `(scan ^prefix "user/")`, `(entries ^prefix "user/" ^entries [{^key "user/ada" ^value {^born 1815}}] ^more false)`)
		writer.request(t, `(del ^key "other")`, `(ok ^key "other" ^existed true)`)
		watcher.noPush(t, 50*time.Millisecond)

		n, err := control(t, c, "kv").Call(ctxT(t), "count", gene.Void())
		require.NoError(t, err)
		require.Equal(t, "1", gene.Format(n))
	})

	t.Run("kv slow watcher", func(t *testing.T) {
		// The watcher grants 4 values of credit and reads nothing while
		// 300 keys change: the writer is not held back, the plugin keeps
		// at most 256 pushes for the watcher, and then says it lagged.
		w, err := s.dial(t).Open(ctxT(t), "kv", proto.DirSendRecv, client.LinkOptions{
			Window: proto.WindowConfig{InitialMsgs: 4, MaxMsgs: 4}})
		require.NoError(t, err)
		defer closeSoon(w)
		require.NoError(t, w.Send(ctxT(t), gene.MustParse(`(watch ^prefix "slow/")`)))
		v, err := w.Recv(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, `(watching ^prefix "slow/")`, gene.Format(v))
		writer := openLink(t, c, "kv")
		const n = 300
		for i := range n {
			writer.request(t, fmt.Sprintf(`(set ^key "slow/%03d" ^value %d)`, i, i), fmt.Sprintf(`(ok ^key "slow/%03d")`, i))
		}
		var changes []string
		for {
			v, err := w.Recv(ctxT(t))
			require.NoError(t, err)
			if v.Node().Head.IsSymbol("lagged") {
				require.Equal(t, `(lagged ^prefix "slow/")`, gene.Format(v))
				break
			}
			k, _ := v.Get("key")
			changes = append(changes, k.Str())
		}
		require.GreaterOrEqual(t, len(changes), 256, "the pushes kept for the watcher")
		require.Less(t, len(changes), n, "not every push was kept")
		for i, k := range changes {
			require.Equal(t, fmt.Sprintf("slow/%03d", i), k, "the pushes kept are the first ones, in order")
		}
		// Pushes resume after the notice.
		writer.request(t, `(set ^key "slow/new" ^value 1)`, `(ok ^key "slow/new")`)
		v, err = w.Recv(ctxT(t))
		require.NoError(t, err)
		require.Equal(t, `(changed ^key "slow/new" ^value 1 ^prefix "slow/")`, gene.Format(v))
	})

	t.Run("queue", func(t *testing.T) {
		producer := openLink(t, c, "queue")
		consumer := openLink(t, s.dial(t), "queue")
		producer.request(t, `(publish ^topic "jobs" ^value "first")`, `(published ^topic "jobs" ^seq 1)`)
		consumer.request(t, `(subscribe ^topic "jobs" ^group "workers" ^ack-timeout-ms 100)`, `(subscribed ^topic "jobs" ^group "workers" ^acked 0)`)
		consumer.push(t, `(message ^topic "jobs" ^group "workers" ^seq 1 ^value "first" ^attempt 1)`)
		// Not acknowledged: delivered again after the timeout.
		consumer.push(t, `(message ^topic "jobs" ^group "workers" ^seq 1 ^value "first" ^attempt 2)`)
		consumer.request(t, `(ack ^topic "jobs" ^group "workers" ^seq 1)`, `(acked ^topic "jobs" ^group "workers" ^seq 1)`)
		producer.request(t, `(publish ^topic "jobs" ^value "second")`, `(published ^topic "jobs" ^seq 2)`)
		consumer.push(t, `(message ^topic "jobs" ^group "workers" ^seq 2 ^value "second" ^attempt 1)`)
		consumer.request(t, `(ack ^topic "jobs" ^group "workers" ^seq 2)`, `(acked ^topic "jobs" ^group "workers" ^seq 2)`)

		// reset moves the group back: both come again.
		res, err := control(t, c, "queue").Call(ctxT(t), "reset", gene.MustParse(`{^topic "jobs" ^group "workers" ^seq 1}`))
		require.NoError(t, err)
		require.Equal(t, `{^topic "jobs" ^group "workers" ^seq 1}`, gene.Format(res))
		consumer.push(t, `(message ^topic "jobs" ^group "workers" ^seq 1 ^value "first" ^attempt 1)`)
		consumer.push(t, `(message ^topic "jobs" ^group "workers" ^seq 2 ^value "second" ^attempt 1)`)

		_, err = control(t, c, "queue").Call(ctxT(t), "reset", gene.MustParse(`{^topic "jobs"}`))
		require.Error(t, err, "the host checks control arguments against the manifest")
	})

	t.Run("web", func(t *testing.T) {
		l := openLink(t, c, "web")
		l.request(t, `(request ^id 41 ^method "POST" ^path "/api/notes" ^headers {^content-type "application/json"} ^body "{\"text\":\"tea\"}")`,
			`(response ^id 41 ^status 201 ^headers {^content-type "application/json" ^location "/api/notes/1"} ^body "{\"id\":1,\"text\":\"tea\"}\n")`)
		l.request(t, `(request ^id 42 ^method "GET" ^path "/api/notes" ^query {^format "gene"})`,
			`(response ^id 42 ^status 200 ^headers {^content-type "application/gene"} ^body "[{^id 1 ^text \"tea\"}]\n")`)
		// The host validates requests against the manifest.
		bad, err := c.Open(ctxT(t), "web", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		require.NoError(t, bad.Send(ctxT(t), gene.MustParse(`(request ^method "GET" ^path "/")`)))
		_, err = bad.Recv(ctxT(t))
		require.ErrorContains(t, err, "^id")
	})

	t.Run("queue slow consumer", func(t *testing.T) {
		// The consumer grants 4 values of credit and reads nothing for a
		// while; the queue must neither fail nor read ahead for it.
		cl, err := s.dial(t).Open(ctxT(t), "queue", proto.DirSendRecv, client.LinkOptions{
			Window: proto.WindowConfig{InitialMsgs: 4, MaxMsgs: 4}})
		require.NoError(t, err)
		defer closeSoon(cl)
		require.NoError(t, cl.Send(ctxT(t), gene.MustParse(`(subscribe ^topic "bulk" ^group "slow" ^prefetch 256)`)))
		producer := openLink(t, c, "queue")
		const n = 300
		for i := 1; i <= n; i++ {
			_, err := producer.Request(ctxT(t), gene.MustParse(fmt.Sprintf(`(publish ^topic "bulk" ^value %d)`, i)))
			require.NoError(t, err)
		}
		ctl := control(t, c, "queue")
		topics, err := ctl.Call(ctxT(t), "topics", gene.Void())
		require.NoError(t, err)
		var unacked int64 = -1
		for _, tp := range topics.List() {
			if name, _ := tp.Get("topic"); name.Str() == "bulk" {
				gs, _ := tp.Get("groups")
				u, _ := gs.List()[0].Get("unacked")
				unacked, _ = u.AsInt()
			}
		}
		require.GreaterOrEqual(t, unacked, int64(1))
		require.LessOrEqual(t, unacked, int64(4), "only what the consumer's credit let through is in flight")

		// The consumer reads and acknowledges: every message arrives, once
		// each, in order.
		next := 1
		for next <= n {
			v, err := cl.Recv(ctxT(t))
			require.NoError(t, err)
			if !v.Node().Head.IsSymbol("message") {
				continue
			}
			seq, _ := v.Get("seq")
			require.Equal(t, fmt.Sprint(next), gene.Format(seq))
			require.NoError(t, cl.Send(ctxT(t), gene.MustParse(fmt.Sprintf(`(ack ^topic "bulk" ^group "slow" ^seq %d)`, next))))
			next++
		}
	})

	// A restart: data written through kv, queue and web is still there.
	c.Close()
	s.stop()
	s2 := serve(t, data)
	c2 := s2.dial(t)
	t.Run("durable", func(t *testing.T) {
		openLink(t, c2, "kv").request(t, `(get ^key "user/ada")`, `(value ^key "user/ada" ^value {^born 1815})`)
		consumer := openLink(t, c2, "queue")
		consumer.request(t, `(subscribe ^topic "jobs" ^group "workers")`, `(subscribed ^topic "jobs" ^group "workers" ^acked 0)`)
		consumer.push(t, `(message ^topic "jobs" ^group "workers" ^seq 1 ^value "first" ^attempt 1)`)
		openLink(t, c2, "web").request(t, `(request ^id 1 ^method "GET" ^path "/api/notes")`,
			`(response ^id 1 ^status 200 ^headers {^content-type "application/json"} ^body "[{\"id\":1,\"text\":\"tea\"}]\n")`)
	})
}
