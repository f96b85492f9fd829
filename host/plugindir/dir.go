package plugindir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/internal/watch"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
)

// Registry is where a Dir registers the interfaces it loads. *host.Server
// implements it.
type Registry interface {
	// Register adds an interface.
	Register(m *host.Manifest, h host.Handler) error
	// Replace swaps the manifest and handler of a registered interface:
	// links opened from now on get h; open links keep the handler they
	// opened with.
	Replace(m *host.Manifest, h host.Handler) error
	// Unregister removes an interface.
	Unregister(name string) error
	// Emit pushes event, a node (event ^type ...), on the interface's
	// open control links.
	Emit(iface string, event gene.Value)
}

// Options configure Open. Zero fields take the defaults given.
type Options struct {
	// Dir is the plugin directory: one folder per interface.
	Dir string
	// CacheDir holds the builds of Go plugins, keyed by content hash.
	// Default: genehost/plugins under the user cache directory.
	CacheDir string
	// Logger gets the loader's and the plugins' log lines. Default: a
	// logger that discards everything.
	Logger hclog.Logger
	// Runtimes by name ("js", "wasm"); Go plugins run on "wasm".
	Runtimes map[string]plugin.Runtime
	// Isolated are the runtimes, by the same names, for plugins whose
	// config says ^isolation "process" (the default for JavaScript):
	// worker runtimes (host/worker) that run plugin code in processes
	// the host supervises. A process plugin whose runtime is missing here
	// does not load; it never falls back to running inside the host.
	Isolated map[string]plugin.Runtime
	// Store backs the kv grant (Backend.PluginKV of the plugin's name):
	// the embedded database (*store.DB) or a shared one
	// (host/store/natsstore); nil makes the grant fail when used.
	Store store.Backend
	// Streams backs the streams grant (StreamBackend.Streams of the
	// plugin's name): store.NewStreams over the embedded database, or
	// the NATS backend's; nil makes the grant fail when used.
	Streams plugin.StreamBackend
	// Debounce is how long a plugin folder must be quiet before a change
	// reloads it. Default watch.DefaultDebounce (150ms).
	Debounce time.Duration
	// Registry gets the interfaces; required.
	Registry Registry
	// CrashLimit failed instantiations in a row, the last within
	// CrashWindow, mark an interface failed (crashes and handler errors
	// never do). Defaults DefaultCrashLimit and DefaultCrashWindow.
	CrashLimit  int
	CrashWindow time.Duration
	// Clock runs the timers plugins set. Default: the real clock; a
	// *ManualClock moves only when told (tests).
	Clock Clock

	// only, when set, is the one folder of Dir to load (Check of a
	// single plugin folder).
	only string
}

// Validate checks the options.
func (o *Options) Validate() error {
	switch {
	case o.Dir == "":
		return errors.New("plugindir: Options.Dir is required")
	case o.Registry == nil:
		return errors.New("plugindir: Options.Registry is required")
	case o.CrashLimit < 0 || o.CrashWindow < 0 || o.Debounce < 0:
		return errors.New("plugindir: Options.CrashLimit, CrashWindow and Debounce must not be negative")
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	// Absolute, so that every path derived from it (errors, runtimes,
	// worker processes) names the same file whatever the working
	// directory.
	if abs, err := filepath.Abs(o.Dir); err == nil {
		o.Dir = abs
	}
	if o.CacheDir == "" {
		if c, err := os.UserCacheDir(); err == nil {
			o.CacheDir = filepath.Join(c, "genehost", "plugins")
		} else {
			o.CacheDir = filepath.Join(os.TempDir(), "genehost-plugins")
		}
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.CrashLimit == 0 {
		o.CrashLimit = DefaultCrashLimit
	}
	if o.CrashWindow == 0 {
		o.CrashWindow = DefaultCrashWindow
	}
	return o
}

// Dir is a loaded plugin directory. Its methods are safe for concurrent
// use. Close it to free every plugin.
type Dir struct {
	opts Options
	log  hclog.Logger
	// ctx is the parent of every version's context; cancel ends them.
	ctx    context.Context
	cancel context.CancelFunc

	loadMu sync.Mutex // serialises loads and reloads

	mu      sync.Mutex
	entries map[string]*entry // by plugin name; guarded by mu
	broken  map[string]error  // folders with no good version, and why; guarded by mu
	closed  bool              // guarded by mu

	// failedIfaces are the broken folders registered as failed
	// interfaces (failed.go); guarded by mu.
	failedIfaces map[string]bool

	// watching is closed once Run watches the directory (for tests).
	watching     chan struct{}
	watchingOnce sync.Once
}

// Status describes one plugin folder.
type Status struct {
	Name       string
	Version    string // the manifest's ^version
	Generation uint64 // loads that succeeded, 0 when none did
	Runtime    string
	Instances  string
	Health     host.Health
	// Serving reports that a version is registered.
	Serving bool
	// Err is the last load or reload error ("" after a good one).
	Err string
}

// Open reads every plugin folder of opts.Dir, registers each one that
// loads, and reports the others in the returned error (one line each;
// errors.Join) while still returning a usable Dir. It fails outright only
// when the options are invalid or the directory cannot be read.
func Open(ctx context.Context, opts Options) (*Dir, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if _, err := os.ReadDir(opts.Dir); err != nil {
		return nil, fmt.Errorf("plugindir: %w", err)
	}
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d := &Dir{
		opts: opts, log: opts.Logger.Named("plugins"),
		ctx: base, cancel: cancel,
		entries: map[string]*entry{}, broken: map[string]error{},
		watching: make(chan struct{}),
	}
	names, err := d.folders()
	if err != nil {
		cancel()
		return nil, err
	}
	var errs []error
	for _, n := range names {
		if err := d.reload(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return d, errors.Join(errs...)
}

// folders lists the plugin folders: directories not starting with '.' or
// '_' (a place for shared files).
func (d *Dir) folders() ([]string, error) {
	ents, err := os.ReadDir(d.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("plugindir: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && isPluginName(e.Name()) && (d.opts.only == "" || e.Name() == d.opts.only) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func isPluginName(n string) bool {
	return n != "" && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "_") && !strings.HasSuffix(n, "~")
}

// Run watches the directory and reloads plugins that change, appear or
// disappear, until ctx is done. It returns ctx's error, or an error when
// the directory cannot be watched.
func (d *Dir) Run(ctx context.Context) error {
	w, err := watch.New(d.opts.Dir, d.opts.Debounce)
	if err != nil {
		return fmt.Errorf("plugindir: %w", err)
	}
	d.watchingOnce.Do(func() { close(d.watching) })
	return w.Run(ctx, func(names []string) {
		for _, n := range names {
			if !isPluginName(n) || d.opts.only != "" && n != d.opts.only {
				continue
			}
			if err := d.reload(ctx, n); err != nil {
				d.log.Debug("reload", "plugin", n, "error", err)
			}
		}
	}, func(err error) { d.log.Warn("watching the plugin directory", "error", err) })
}

// Reload loads the named plugin folder again now, as a change seen by Run
// would. It returns the load error, if any (the last good version then
// keeps serving).
func (d *Dir) Reload(ctx context.Context, name string) error { return d.reload(ctx, name) }

// Plugins reports every plugin folder seen, by name.
func (d *Dir) Plugins() []Status {
	d.mu.Lock()
	var out []Status
	for name, e := range d.entries {
		st := Status{Name: name, Err: e.reloadError()}
		e.mu.RLock()
		v := e.cur
		st.Generation = e.gen
		e.mu.RUnlock()
		if v != nil {
			st.Serving = true
			st.Version = v.cfg.Manifest.Version
			st.Runtime = v.cfg.Runtime
			st.Instances = v.cfg.Instances.String()
			st.Health, _ = v.health()
		}
		out = append(out, st)
	}
	for name, err := range d.broken {
		if _, ok := d.entries[name]; !ok {
			out = append(out, Status{Name: name, Health: host.Failed, Err: err.Error()})
		}
	}
	d.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close unregisters nothing (the server is usually gone by then) but shuts
// every plugin version down, resetting links still open. It is
// idempotent.
func (d *Dir) Close() error {
	d.loadMu.Lock()
	defer d.loadMu.Unlock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	es := d.entries
	d.mu.Unlock()
	for _, e := range es {
		e.mu.Lock()
		e.cur = nil
		e.mu.Unlock()
		for _, v := range e.versions() {
			v.retire()
			v.shutdown()
		}
	}
	d.cancel()
	return nil
}

// reload loads folder name and registers, replaces or unregisters it.
func (d *Dir) reload(ctx context.Context, name string) error {
	d.loadMu.Lock()
	defer d.loadMu.Unlock()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	e := d.entries[name]
	d.mu.Unlock()

	dir := filepath.Join(d.opts.Dir, name)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return d.remove(name, e)
	}
	var old *version
	if e != nil {
		old = e.current()
	}
	lg := d.log.With("interface", name)
	v, err := d.load(ctx, name, dir, e, old)
	if errors.Is(err, errUnchanged) {
		// Back to the serving content after a failed edit: the error no
		// longer describes the folder.
		e.mu.Lock()
		cleared := e.reloadErr != ""
		e.reloadErr = ""
		e.mu.Unlock()
		if cleared {
			lg.Info("plugin folder is back to the serving version", "generation", old.gen)
		}
		return nil
	}
	if err != nil {
		if e == nil || old == nil {
			lg.Error("plugin failed to load; it is listed as failed until its folder is fixed", "error", err)
			d.setBroken(name, err)
			return err
		}
		e.mu.Lock()
		e.reloadErr = err.Error()
		e.mu.Unlock()
		lg.Error("reload failed; the last good version keeps serving", "generation", old.gen, "error", err)
		d.opts.Registry.Emit(name, event("reload-failed", name, gene.Prop{Key: "error", Value: gene.String(err.Error())}))
		return err
	}
	d.mu.Lock()
	delete(d.broken, name)
	d.mu.Unlock()
	e = v.e
	if old == nil {
		if err := d.registerFirst(v); err != nil {
			v.retire()
			err = fmt.Errorf("plugindir: register %q: %w", name, err)
			lg.Error("registering the plugin failed", "error", err)
			d.setBroken(name, err)
			return err
		}
	} else if err := d.opts.Registry.Replace(v.cfg.Manifest, v); err != nil {
		v.retire()
		e.mu.Lock()
		e.reloadErr = err.Error()
		e.mu.Unlock()
		lg.Error("replacing the plugin failed; the last good version keeps serving", "error", err)
		return fmt.Errorf("plugindir: replace %q: %w", name, err)
	}
	e.mu.Lock()
	e.cur = v
	e.gen = v.gen
	e.reloadErr = ""
	e.mu.Unlock()
	d.mu.Lock()
	d.entries[name] = e
	d.mu.Unlock()
	if old != nil {
		old.retire()
		lg.Info("plugin reloaded", "generation", v.gen, "version", v.cfg.Manifest.Version)
		d.opts.Registry.Emit(name, event("reloaded", name, gene.Prop{Key: "generation", Value: gene.Int(int64(v.gen))}))
	} else {
		lg.Info("plugin loaded", "generation", v.gen, "version", v.cfg.Manifest.Version, "runtime", v.cfg.Runtime)
		d.opts.Registry.Emit(name, event("loaded", name,
			gene.Prop{Key: "generation", Value: gene.Int(int64(v.gen))},
			gene.Prop{Key: "version", Value: gene.String(v.cfg.Manifest.Version)}))
	}
	return nil
}

// remove unregisters a plugin whose folder is gone and emits (event
// ^type "removed").
func (d *Dir) remove(name string, e *entry) error {
	d.mu.Lock()
	_, broken := d.broken[name]
	delete(d.broken, name)
	delete(d.entries, name)
	d.mu.Unlock()
	if e == nil {
		return d.removeBroken(name, broken)
	}
	e.mu.Lock()
	v := e.cur
	e.cur = nil
	e.mu.Unlock()
	if v == nil {
		return nil
	}
	err := d.opts.Registry.Unregister(name)
	v.retire()
	v.shutdown() // links still open on it are reset
	d.log.Info("plugin removed", "interface", name)
	d.opts.Registry.Emit(name, event("removed", name))
	if err != nil {
		return fmt.Errorf("plugindir: unregister %q: %w", name, err)
	}
	return nil
}

func event(typ, iface string, extra ...gene.Prop) gene.Value {
	ps := append(gene.Props{
		{Key: "type", Value: gene.String(typ)},
		{Key: "interface", Value: gene.String(iface)},
	}, extra...)
	return gene.NodeValue(&gene.Node{Head: gene.Symbol("event"), HasHead: true, Props: ps})
}

// errUnchanged: the folder's content hash is the serving version's.
var errUnchanged = errors.New("unchanged")

// load reads, compiles and starts one version of the plugin in dir.
func (d *Dir) load(ctx context.Context, name, dir string, e *entry, old *version) (*version, error) {
	src, cfg, err := d.source(ctx, name, dir)
	if err != nil {
		return nil, err
	}
	if old != nil && old.hash == src.Hash {
		return nil, errUnchanged
	}
	rtName := cfg.Runtime
	if rtName == RuntimeGo {
		rtName = RuntimeWasm
	}
	rt := d.opts.Runtimes[rtName]
	if cfg.Isolation == IsolationProcess {
		if rt = d.opts.Isolated[rtName]; rt == nil {
			return nil, fmt.Errorf("plugin %q (%s): ^isolation %q needs a worker runtime for %q, and this host has none: wire worker runtimes (plugindir.Options.Isolated, as genehost serve does) or set ^isolation %q to run the plugin inside the host (trusted code only)",
				name, cfg.File, IsolationProcess, rtName, IsolationNone)
		}
	}
	if rt == nil {
		return nil, fmt.Errorf("plugin %q (%s): this host has no %q runtime", name, cfg.File, rtName)
	}
	mod, err := rt.Compile(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("plugin %q (%s): %w", name, cfg.File, err)
	}
	if e == nil {
		e = &entry{d: d, name: name, links: map[plugin.LinkID]*linkState{}, live: map[*version]struct{}{}}
	}
	e.mu.RLock()
	gen := e.gen + 1
	e.mu.RUnlock()
	vctx, cancel := context.WithCancel(d.ctx)
	v := &version{
		e: e, cfg: cfg, mod: mod, gen: gen, hash: src.Hash,
		log: d.opts.Logger.Named("plugin").With("interface", name, "version", cfg.Manifest.Version, "generation", gen),
		ctx: vctx, cancel: cancel,
		faults: faults{limit: d.opts.CrashLimit, window: d.opts.CrashWindow},
	}
	e.mu.Lock()
	e.live[v] = struct{}{}
	e.mu.Unlock()
	if err := v.start(ctx); err != nil {
		v.retire()
		return nil, fmt.Errorf("plugin %q (%s): %w", name, cfg.File, err)
	}
	return v, nil
}

// source reads a plugin folder into a plugin.Source, building Go source
// first.
func (d *Dir) source(ctx context.Context, name, dir string) (*plugin.Source, *Config, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, nil, err
	}
	hash, err := hashDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("plugin %q: %w", name, err)
	}
	src := &plugin.Source{Name: name, Dir: dir, Entry: cfg.Entry, Limits: cfg.Limits, Grants: cfg.Grants}
	if cfg.Runtime == RuntimeGo {
		out, err := d.buildCached(ctx, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("plugin %q: %w", name, err)
		}
		src.Entry = out
		src.Code, err = os.ReadFile(src.Entry)
	} else {
		// Read through the folder's root: the entry may not be (or have
		// become, since ReadConfig) a symlink out of the folder.
		src.Entry = filepath.Join(dir, cfg.Entry)
		if cfg.Runtime == RuntimeJS {
			src.Code, err = readEntry(dir, cfg.Entry) // TypeScript and ES modules bundled (bundle.go)
		} else {
			src.Code, err = ReadInFolder(dir, cfg.Entry)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("plugin %q: %w", name, err)
	}
	sum := sha256.New()
	sum.Write([]byte(hash))
	sum.Write(src.Code)
	src.Hash = hex.EncodeToString(sum.Sum(nil))
	return src, cfg, nil
}

// hashDir hashes the names and contents of every file under dir, skipping
// hidden names.
func hashDir(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && (strings.HasPrefix(de.Name(), ".") || strings.HasSuffix(de.Name(), "~")) {
			if de.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !de.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
