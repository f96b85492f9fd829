package plugindir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/proto"
)

// registry records what a Dir registers and the events it emits, and
// hands out the current handler of each interface the way the server
// does: a link keeps the handler current when it opened.
type registry struct {
	mu       sync.Mutex
	handlers map[string]host.Handler
	events   []gene.Value
	eventCh  chan gene.Value
}

func newRegistry() *registry {
	return &registry{handlers: map[string]host.Handler{}, eventCh: make(chan gene.Value, 100)}
}

func (r *registry) Register(m *host.Manifest, h host.Handler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.handlers[m.Name]; ok {
		return errors.New("already registered: " + m.Name)
	}
	r.handlers[m.Name] = h
	return nil
}

func (r *registry) Replace(m *host.Manifest, h host.Handler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.handlers[m.Name]; !ok {
		return errors.New("not registered: " + m.Name)
	}
	r.handlers[m.Name] = h
	return nil
}

func (r *registry) Unregister(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.handlers, name)
	return nil
}

func (r *registry) Emit(iface string, ev gene.Value) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.eventCh <- ev
}

func (r *registry) handler(name string) host.Handler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handlers[name]
}

// nextEvent waits for an emitted event.
func (r *registry) nextEvent(t *testing.T) gene.Value {
	t.Helper()
	select {
	case ev := <-r.eventCh:
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
	return gene.Value{}
}

var linkIDs atomic.Uint64

// link is one data link driven by the test: what the handler sends
// arrives on out.
type link struct {
	id     uint64
	iface  string
	h      host.Handler
	out    chan gene.Value
	paused atomic.Bool
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error // what Close was called with
}

func (l *link) ID() uint64                 { return l.id }
func (l *link) Interface() string          { return l.iface }
func (l *link) Direction() proto.Direction { return proto.DirSendRecv }
func (l *link) Peer() string               { return "test" }
func (l *link) Meta() gene.Value           { return gene.Nil() }
func (l *link) Send(ctx context.Context, v gene.Value) error {
	select {
	case <-l.done:
		return host.ErrLinkClosed
	default:
	}
	select {
	case l.out <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return host.ErrLinkClosed
	}
}
func (l *link) TrySend(v gene.Value) error {
	select {
	case l.out <- v:
		return nil
	default:
		return host.ErrNoCredit
	}
}
func (l *link) Pause()  { l.paused.Store(true) }
func (l *link) Resume() { l.paused.Store(false) }
func (l *link) Close(err error) error {
	l.once.Do(func() {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		close(l.done)
	})
	return nil
}
func (l *link) Done() <-chan struct{} { return l.done }

// open opens a link on the interface's current handler.
func open(t *testing.T, r *registry, iface string) (*link, error) {
	t.Helper()
	h := r.handler(iface)
	require.NotNil(t, h, "interface %q is not registered", iface)
	l := &link{id: linkIDs.Add(1), iface: iface, h: h, out: make(chan gene.Value, 4096), done: make(chan struct{})}
	if err := h.Open(t.Context(), l); err != nil {
		return nil, err
	}
	return l, nil
}

func mustOpen(t *testing.T, r *registry, iface string) *link {
	t.Helper()
	l, err := open(t, r, iface)
	require.NoError(t, err)
	t.Cleanup(func() { l.close(nil) })
	return l
}

// send delivers values as the host would; an error closes the link.
func (l *link) send(t *testing.T, vs ...gene.Value) error {
	t.Helper()
	err := l.h.Receive(t.Context(), l, vs)
	if err != nil {
		l.close(err)
	}
	return err
}

func (l *link) close(err error) {
	select {
	case <-l.done:
		return
	default:
	}
	l.Close(err)
	l.h.Closed(l, err)
}

// recv waits for the next value the handler sent.
func (l *link) recv(t *testing.T) gene.Value {
	t.Helper()
	select {
	case v := <-l.out:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("link %d: nothing received", l.id)
	}
	return gene.Value{}
}

func (l *link) expect(t *testing.T, want string) {
	t.Helper()
	got := l.recv(t)
	require.True(t, gene.Equal(gene.MustParse(want), got), "link %d: want %s, got %s", l.id, want, gene.Format(got))
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
func runtimes(t *testing.T) map[string]plugin.Runtime {
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

// sharedCache is a cache directory kept across test runs (Go builds and
// wazero's compilation cache), under the user cache directory.
func sharedCache(t *testing.T) string {
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
	crashLimit  int
	crashWindow time.Duration
}

// openDir opens dir with the real runtimes and a test registry.
func openDir(t *testing.T, dir string, o options) (*plugindir.Dir, *registry, error) {
	t.Helper()
	r := newRegistry()
	opts := plugindir.Options{
		Dir: dir, CacheDir: sharedCache(t), Runtimes: runtimes(t), Registry: r,
		Logger:     hclog.New(&hclog.LoggerOptions{Output: testWriter{t}, Level: hclog.Debug}),
		CrashLimit: o.crashLimit, CrashWindow: o.crashWindow, Debounce: 50 * time.Millisecond,
	}
	if o.store {
		db, err := store.Open(filepath.Join(t.TempDir(), "genehost.db"), store.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		opts.Store = db
	}
	d, err := plugindir.Open(t.Context(), opts)
	if d != nil {
		t.Cleanup(func() { d.Close() })
	}
	return d, r, err
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

type (
	contextT = context.Context
	linkT    = host.Link
)

func removeAll(dir, name string) error { return os.RemoveAll(filepath.Join(dir, name)) }
