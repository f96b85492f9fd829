// Package plugins_test drives the shipped plugins (echo, kv, queue, web)
// through their real runtimes: each plugin's plugin.gene is read with
// plugindir.ReadConfig (which parses its manifest with host.ParseManifest),
// its code compiled by host/jsrt or host/wasmrt (the Go plugin built with
// the Go toolchain first), and instances are called as the host calls
// them, with a recording Host whose key-value store is a real host/store
// database. served_test.go serves the directory itself through
// host/plugindir and a host.Server on a real socket.
package plugins_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

// shipped are the plugin folders under plugins/.
var shipped = []string{"echo", "kv", "queue", "web"}

// buildDir holds the Go plugins built by this test binary.
var buildDir string

func TestMain(m *testing.M) {
	workertest.ServeIfWorker() // the worker process of the served plugins (served_test.go)
	dir, err := os.MkdirTemp("", "genehost-plugins-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	buildDir = dir
	code := m.Run()
	if wasmRT != nil {
		wasmRT.Close(context.Background())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// shippedPlugin is one plugin folder, read and checked.
type shippedPlugin struct {
	name     string
	dir      string
	text     []byte // plugin.gene
	manifest *host.Manifest
	cfg      *plugindir.Config
}

func readPlugin(t testing.TB, name string) *shippedPlugin {
	t.Helper()
	dir, err := filepath.Abs(name)
	require.NoError(t, err)
	text, err := os.ReadFile(filepath.Join(dir, plugindir.ConfigFile))
	require.NoError(t, err)
	cfg, err := plugindir.ReadConfig(dir)
	require.NoError(t, err, "%s/plugin.gene", name)
	return &shippedPlugin{name: name, dir: dir, text: text, manifest: cfg.Manifest, cfg: cfg}
}

func (p *shippedPlugin) limits() plugin.Limits { return p.cfg.Limits }

func (p *shippedPlugin) grants() plugin.Grants { return p.cfg.Grants }

// source returns the plugin's code as the loader would hand it to its
// runtime, with the runtime.
func (p *shippedPlugin) source(t testing.TB) (plugin.Runtime, *plugin.Source) {
	t.Helper()
	src := &plugin.Source{Name: p.name, Dir: p.dir, Limits: p.limits(), Grants: p.grants()}
	var rt plugin.Runtime
	switch p.cfg.Runtime {
	case "js":
		src.Entry = p.cfg.Entry
		code, err := os.ReadFile(filepath.Join(p.dir, src.Entry))
		require.NoError(t, err)
		src.Code = code
		rt = jsrt.New()
	case "go":
		src.Entry = p.name + ".wasm"
		src.Code = buildGo(t, p.name)
		rt = wasmRuntime(t)
	default:
		t.Fatalf("%s: unexpected ^runtime %q", p.name, p.cfg.Runtime)
	}
	h := sha256.New()
	h.Write(p.text)
	h.Write(src.Code)
	src.Hash = hex.EncodeToString(h.Sum(nil))
	return rt, src
}

// compile reads and compiles the named plugin; the module is closed when t
// ends.
func compile(t testing.TB, name string) (*shippedPlugin, plugin.Module) {
	t.Helper()
	p := readPlugin(t, name)
	rt, src := p.source(t)
	m, err := rt.Compile(t.Context(), src)
	require.NoError(t, err, "compile %s", name)
	t.Cleanup(func() { m.Close(context.Background()) })
	return p, m
}

var (
	wasmOnce sync.Once
	wasmRT   *wasmrt.Runtime
	wasmErr  error
)

// wasmRuntime is one Wasm runtime per test binary, with an on-disk
// compilation cache, so each test compiles the same module in no time.
func wasmRuntime(t testing.TB) *wasmrt.Runtime {
	t.Helper()
	wasmOnce.Do(func() {
		wasmRT, wasmErr = wasmrt.New(wasmrt.Config{CacheDir: filepath.Join(buildDir, "cache")})
	})
	require.NoError(t, wasmErr)
	return wasmRT
}

var (
	buildMu  sync.Mutex
	builds   = map[string][]byte{}
	buildErr = map[string]error{}
)

// buildGo builds the Go plugin plugins/NAME to Wasm once per test binary.
func buildGo(t testing.TB, name string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, ok := builds[name]; ok {
		return b
	}
	if err, ok := buildErr[name]; ok {
		t.Fatal(err)
	}
	out := filepath.Join(buildDir, name+".wasm")
	// The flags host/plugindir builds with, so that the served plugin is
	// the same module and the Wasm runtime compiles it once.
	cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-trimpath", "-o", out, "./"+name)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		buildErr[name] = fmt.Errorf("build plugin %s: %v\n%s", name, err, msg)
		t.Fatal(buildErr[name])
	}
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	builds[name] = b
	return b
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// db is a real database in a temporary directory that a test can close
// and reopen, as a host restart would.
type db struct {
	t       testing.TB
	path    string
	mu      sync.Mutex
	db      *store.DB
	streams *store.Streams // the streams over db
}

func newDB(t testing.TB) *db {
	d := &db{t: t, path: filepath.Join(t.TempDir(), "genehost.db")}
	d.open()
	t.Cleanup(func() {
		d.streams.Close()
		d.db.Close()
	})
	return d
}

func (d *db) open() {
	s, err := store.Open(d.path, store.Options{})
	require.NoError(d.t, err)
	d.mu.Lock()
	d.db = s
	d.streams = store.NewStreams(s)
	d.mu.Unlock()
}

// reopen closes the database and opens it again from its file.
func (d *db) reopen() {
	d.mu.Lock()
	require.NoError(d.t, d.streams.Close())
	require.NoError(d.t, d.db.Close())
	d.mu.Unlock()
	d.open()
}

// testHost is the recording plugintest.Host with its store replaced by a
// namespace of a db the test controls.
type testHost struct {
	*plugintest.Host
	db    *db
	name  string
	links rigLinks
}

func (h *testHost) Store() (plugin.Store, error) {
	if h.db == nil {
		return nil, plugin.ErrNotGranted
	}
	h.db.mu.Lock()
	defer h.db.mu.Unlock()
	return h.db.db.Namespace(h.name).ForPlugin(), nil
}

// Watch watches the test's db (plugintest.Host.WatchStore): the wakes
// come on Timers, fired by the rig like timers.
func (h *testHost) Watch(prefix []byte) (uint64, error) {
	s, err := h.Store()
	if err != nil {
		return 0, err
	}
	return h.WatchStore(s, prefix)
}

// rig is one instance of a plugin on its own recording host, called as
// the host calls it: from one goroutine, timers included.
type rig struct {
	t  testing.TB
	p  *shippedPlugin
	h  *testHost
	in plugin.Instance
}

// newRig instantiates m on a fresh host whose store is d (nil: the store
// is not granted).
func newRig(t testing.TB, p *shippedPlugin, m plugin.Module, d *db) *rig {
	t.Helper()
	g := p.grants()
	h := &testHost{Host: plugintest.New(t, plugin.Grants{Timers: g.Timers, Clock: g.Clock}), db: d, name: p.name}
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err, "instantiate %s", p.name)
	t.Cleanup(func() { in.Close(context.Background()) })
	return &rig{t: t, p: p, h: h, in: in}
}

func (r *rig) open(id plugin.LinkID) {
	r.t.Helper()
	require.NoError(r.t, r.in.Open(r.t.Context(), plugin.LinkInfo{
		ID: id, Interface: r.p.name, Direction: proto.DirSendRecv, Peer: "test",
	}), "open link %d", id)
}

// send delivers values (Gene text, one or more) on link; the host would
// have checked them against the manifest first, so the test does too.
func (r *rig) send(link plugin.LinkID, text string) plugin.Flow {
	r.t.Helper()
	vs, err := gene.ParseAll([]byte(text), gene.ReadOptions{})
	require.NoError(r.t, err, "test values %s", text)
	for _, v := range vs {
		require.NoError(r.t, r.p.manifest.CheckIncoming(v), "test value %s", gene.Format(v))
	}
	flow, err := r.sendRaw(link, vs...)
	require.NoError(r.t, err, "Receive(%s) on link %d", text, link)
	return flow
}

// sendRaw delivers values the host would not have checked.
func (r *rig) sendRaw(link plugin.LinkID, vs ...gene.Value) (plugin.Flow, error) {
	r.h.links.gate.Lock()
	defer r.h.links.gate.Unlock()
	return r.in.Receive(r.t.Context(), link, vs)
}

// timer runs timer id on the instance.
func (r *rig) timer(id uint64) {
	r.h.links.gate.Lock()
	defer r.h.links.gate.Unlock()
	r.in.Timer(r.t.Context(), id)
}

// close closes link: the instance's Closed, and the streams see it go.
func (r *rig) close(link plugin.LinkID) {
	r.h.links.closeLink(link)
	r.h.links.gate.Lock()
	defer r.h.links.gate.Unlock()
	r.in.Closed(r.t.Context(), link, errors.New("gone"))
}

func (r *rig) control(link plugin.LinkID, op string, arg string) (gene.Value, error) {
	r.t.Helper()
	a := gene.Nil()
	if arg != "" {
		a = gene.MustParse(arg)
	}
	if o, ok := r.p.manifest.Operation(op); ok && o.Args != nil {
		require.NoError(r.t, o.Args.Validate(a), "control %s argument %s", op, arg)
	}
	r.h.links.gate.Lock()
	v, err := r.in.Control(r.t.Context(), link, op, a)
	r.h.links.gate.Unlock()
	if err == nil {
		if o, ok := r.p.manifest.Operation(op); ok && o.Result != nil {
			require.NoError(r.t, o.Result.Validate(v), "control %s result %s", op, gene.Format(v))
		}
	}
	return v, err
}

// fireTimers runs the timers that come due within d, on this goroutine.
func (r *rig) fireTimers(d time.Duration) {
	end := time.After(d)
	for {
		select {
		case id := <-r.h.Timers:
			r.timer(id)
		case <-end:
			return
		}
	}
}

// waitSent runs timers until link has had at least n values sent, and
// returns them all.
func (r *rig) waitSent(link plugin.LinkID, n int) []gene.Value {
	r.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := r.h.Sent(link); len(got) >= n {
			return got
		}
		select {
		case id := <-r.h.Timers:
			r.timer(id)
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			r.t.Fatalf("link %d: want %d values sent, got %d: %s", link, n, len(r.h.Sent(link)), texts(r.h.Sent(link)))
		}
	}
}

// sent returns what link was sent, checking each value against the
// manifest's server-to-client messages.
func (r *rig) sent(link plugin.LinkID) []gene.Value {
	r.t.Helper()
	vs := r.h.Sent(link)
	for _, v := range vs {
		r.checkOutgoing(v)
	}
	return vs
}

// checkOutgoing requires v to match one of the messages the server sends.
func (r *rig) checkOutgoing(v gene.Value) {
	r.t.Helper()
	var errs []error
	for _, m := range r.p.manifest.Messages {
		if m.From == proto.DirRecv {
			continue
		}
		err := m.Schema.Validate(v)
		if err == nil {
			return
		}
		errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
	}
	r.t.Fatalf("%s sent %s, which matches no server message of its manifest: %v", r.p.name, gene.Format(v), errs)
}

func texts(vs []gene.Value) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += " "
		}
		s += gene.Format(v)
	}
	return s
}

// requireValues requires got to be exactly the Gene text want.
func requireValues(t testing.TB, want string, got []gene.Value, msgAndArgs ...any) {
	t.Helper()
	ws, err := gene.ParseAll([]byte(want), gene.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, texts(ws), texts(got), msgAndArgs...)
}

func TestManifests(t *testing.T) {
	for _, name := range shipped {
		t.Run(name, func(t *testing.T) {
			p := readPlugin(t, name)
			m := p.manifest
			require.Equal(t, name, m.Name, "^name is the folder name")
			require.NotEmpty(t, m.Version)
			require.NotEmpty(t, m.Description)
			require.Contains(t, []string{"js", "go"}, p.cfg.Runtime)
			if p.cfg.Instances == plugindir.Pool {
				require.Equal(t, 1, p.cfg.PoolSize, "the shipped pools share one instance's memory across links")
			}
			require.NotEmpty(t, m.Messages)
			for _, msg := range m.Messages {
				require.NotEmpty(t, msg.Doc, "message %s has no ^doc", msg.Name)
				require.NotEmpty(t, msg.Examples, "message %s has no ^examples", msg.Name)
				for i, ex := range msg.Examples {
					require.NoError(t, msg.Schema.Validate(ex), "message %s example %d", msg.Name, i)
					if msg.From == proto.DirRecv {
						require.NoError(t, m.CheckIncoming(ex), "message %s example %d", msg.Name, i)
					}
				}
			}
			for _, op := range m.Control {
				require.NotEmpty(t, op.Doc, "control %s has no ^doc", op.Name)
			}
		})
	}
}
