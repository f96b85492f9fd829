package plugindir_test

import (
	"context"
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
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/store/natsstore/natstest"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

// env is a real host.Server with a plugin Dir registered into it,
// listening on a Unix socket, and a client connection to it.
type env struct {
	srv  *host.Server
	dir  *plugindir.Dir
	conn *client.Conn
	addr string
}

// link is a client data link.
type link struct {
	*client.Link
	e *env
}

// open opens a data link on iface.
func (e *env) open(t *testing.T, iface string) (*link, error) {
	t.Helper()
	l, err := e.conn.Open(ctxT(t), iface, proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return nil, err
	}
	return &link{Link: l, e: e}, nil
}

func (e *env) mustOpen(t *testing.T, iface string) *link {
	t.Helper()
	l, err := e.open(t, iface)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close(context.Background()) })
	return l
}

// control opens a control link on iface.
func (e *env) control(t *testing.T, iface string) *client.Control {
	t.Helper()
	c, err := e.conn.Control(ctxT(t), iface, client.LinkOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func (e *env) stats(t *testing.T, iface string) string {
	t.Helper()
	v, err := e.control(t, iface).Stats(ctxT(t))
	require.NoError(t, err)
	return gene.Format(v)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (l *link) send(t *testing.T, vs ...gene.Value) {
	t.Helper()
	for _, v := range vs {
		require.NoError(t, l.Send(ctxT(t), v))
	}
}

// recv waits for the next value the handler sent.
func (l *link) recv(t *testing.T) gene.Value {
	t.Helper()
	v, err := l.Recv(ctxT(t))
	require.NoError(t, err)
	return v
}

// recvErr waits for the link to end and returns why.
func (l *link) recvErr(t *testing.T) *proto.Error {
	t.Helper()
	for {
		v, err := l.Recv(ctxT(t))
		if err != nil {
			var pe *proto.Error
			require.ErrorAs(t, err, &pe)
			return pe
		}
		t.Logf("link %d: %s before the reset", l.ID(), gene.Format(v))
	}
}

func (l *link) expect(t *testing.T, want string) {
	t.Helper()
	got := l.recv(t)
	require.True(t, gene.Equal(gene.MustParse(want), got), "link %d: want %s, got %s", l.ID(), want, gene.Format(got))
}

// writePlugin writes files (name -> content) into dir/name.
func writePlugin(t *testing.T, dir, name string, files map[string]string) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(p, 0o755))
	for f, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(p, f), []byte(content), 0o644))
	}
}

// runtimes returns the real JS and Wasm runtimes, closed at cleanup.
func runtimes(t testing.TB) map[string]plugin.Runtime {
	t.Helper()
	wr, err := wasmrt.New(wasmrt.Config{CacheDir: filepath.Join(sharedCache(t), "wazero")})
	require.NoError(t, err)
	js := jsrt.New()
	t.Cleanup(func() {
		wr.Close(context.Background())
		js.Close(context.Background())
	})
	return map[string]plugin.Runtime{"js": js, "wasm": wr}
}

// isolated returns worker runtimes for "js" and "wasm", this test binary
// acting as the worker (TestMain), for plugins with ^isolation "process",
// the default of JavaScript.
func isolated(t testing.TB) map[string]plugin.Runtime {
	t.Helper()
	return workertest.Runtimes(t, nil)
}

// sharedCache is a cache directory kept across test runs (Go builds and
// wazero's compilation cache), under the user cache directory.
func sharedCache(t testing.TB) string {
	c, err := os.UserCacheDir()
	if err != nil {
		c = os.TempDir()
	}
	dir := filepath.Join(c, "genehost", "plugindir-test")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

type options struct {
	store       bool
	streams     bool // the embedded streams over the store (needs store)
	natsStreams bool // streams on a JetStream server of the test's own instead
	crashLimit  int
	crashWindow time.Duration
	cacheDir    string // default sharedCache
}

// openDir opens dir with the real runtimes into a real server and dials
// it.
func openDir(t *testing.T, dir string, o options) (*env, error) {
	t.Helper()
	lg := hclog.New(&hclog.LoggerOptions{Output: testWriter{t}, Level: hclog.Debug})
	srv := host.New(host.Config{Logger: lg.Named("host")})
	t.Cleanup(func() { srv.Close() })
	if o.cacheDir == "" {
		o.cacheDir = sharedCache(t)
	}
	opts := plugindir.Options{
		Dir: dir, CacheDir: o.cacheDir, Runtimes: runtimes(t), Isolated: isolated(t), Registry: srv,
		Logger: lg, CrashLimit: o.crashLimit, CrashWindow: o.crashWindow, Debounce: 50 * time.Millisecond,
	}
	if o.store {
		db, err := store.Open(filepath.Join(t.TempDir(), "genehost.db"), store.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		opts.Store = db
		if o.streams {
			st := store.NewStreams(db)
			t.Cleanup(func() { st.Close() })
			opts.Streams = st
		}
	}
	if o.natsStreams {
		b, err := natsstore.Open(t.Context(), natsstore.Config{Servers: []string{natstest.Start(t).URL()}})
		require.NoError(t, err)
		st := natsstore.NewStreams(b)
		t.Cleanup(func() {
			st.Close()
			b.Close()
		})
		opts.Streams = st
	}
	d, err := plugindir.Open(t.Context(), opts)
	if d != nil {
		t.Cleanup(func() { d.Close() })
	}
	addr, lerr := srv.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "g.sock")})
	require.NoError(t, lerr)
	c, cerr := client.Dial(ctxT(t), addr, client.Config{})
	require.NoError(t, cerr)
	t.Cleanup(func() { c.Close() })
	return &env{srv: srv, dir: d, conn: c, addr: addr}, err
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

func removeAll(dir, name string) error { return os.RemoveAll(filepath.Join(dir, name)) }
