package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker"
)

// benchSource is the directory of this program's sources (tests/bench),
// from which the repository's shipped plugins are found.
func benchSource() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Dir(file)
}

// pluginSources are the plugin folders a scenario may load, by name: the
// shipped ones from the repository's plugins/, the bench's own from
// tests/bench/plugins/.
func pluginSource(name string) string {
	if name == "wasm-echo" || name == "c-echo" {
		return filepath.Join(benchSource(), "plugins", name)
	}
	return filepath.Join(benchSource(), "..", "..", "plugins", name)
}

// pluginModules are the modules built outside a plugin's folder that
// copyPlugin puts into it: the C echo's echo.wasm, built by tools.sh
// (sdk/wasm/c/build.sh) into the repository's bin/wasm-c.
var pluginModules = map[string]string{
	"c-echo": filepath.Join(benchSource(), "..", "..", "bin", "wasm-c", "echo.wasm"),
}

// ghPlugins is an in-process host serving a plugin directory made in a
// temporary folder from copies of the named plugins, so that scenario 7
// can edit them.
type ghPlugins struct {
	*ghHost
	kv       store.Backend        // the embedded database, or NATS JetStream
	streams  plugin.StreamBackend // the streams capability over kv
	closers  []func() error       // streams, then kv
	dir      *plugindir.Dir
	path     string
	runtimes map[string]plugin.Runtime
	isolated map[string]plugin.Runtime // worker runtimes: this program is their worker (main)
	stop     context.CancelFunc
	watching chan error
}

// workerRuntimes returns worker runtimes for "js" and "wasm" that run
// this program as their worker, as genehost serve runs itself.
func workerRuntimes() (map[string]plugin.Runtime, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	rts := map[string]plugin.Runtime{}
	for _, name := range []string{"js", "wasm"} {
		rt, err := worker.New(worker.Config{Runtime: name, Path: exe})
		if err != nil {
			return nil, err
		}
		rts[name] = rt
	}
	return rts, nil
}

// isolatedName is the interface name of plugin name copied with
// ^isolation iso ("process" or "none"): name-iso.
func isolatedName(name, iso string) string { return name + "-" + iso }

// configName matches the ^name of a plugin.gene.
var configName = regexp.MustCompile(`\^name\s+"[^"]*"`)

// copyPlugin copies plugin name into dir; a name "NAME@ISO" is copied as
// folder NAME-ISO with ^isolation ISO set in its config, so one run can
// serve a plugin in both isolation modes.
func copyPlugin(dir, name string) error {
	base, iso, isolated := strings.Cut(name, "@")
	to := filepath.Join(dir, base)
	if isolated {
		to = filepath.Join(dir, isolatedName(base, iso))
	}
	if err := os.CopyFS(to, os.DirFS(pluginSource(base))); err != nil {
		return fmt.Errorf("copy plugin %s: %w", name, err)
	}
	if mod, ok := pluginModules[base]; ok {
		code, err := os.ReadFile(mod)
		if err != nil {
			return fmt.Errorf("plugin %s: %w (tests/bench/tools.sh builds it)", name, err)
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(mod)), code, 0o644); err != nil {
			return err
		}
	}
	if !isolated {
		return nil
	}
	file := filepath.Join(to, "plugin.gene")
	cfg, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if !configName.Match(cfg) {
		return fmt.Errorf("plugin %s: no ^name in %s", name, file)
	}
	cfg = configName.ReplaceAll(cfg, []byte(fmt.Sprintf(`^name %q ^isolation %q`, isolatedName(base, iso), iso)))
	return os.WriteFile(file, cfg, 0o644)
}

// startPlugins starts a host on a new socket serving copies of the named
// plugins (see copyPlugin), their kv and streams on the embedded
// database; with watch, the directory is watched and changes hot-reload.
func startPlugins(ctx context.Context, b *bench, tag string, watch bool, names ...string) (*ghPlugins, error) {
	return startPluginsOn(ctx, b, tag, "", watch, names...)
}

// startPluginsOn is startPlugins with the plugins' kv and streams on the
// NATS JetStream server at natsURL, as genehost serve --nats puts them,
// when natsURL is not empty.
func startPluginsOn(ctx context.Context, b *bench, tag, natsURL string, watch bool, names ...string) (*ghPlugins, error) {
	path := filepath.Join(b.dir, "plugins-"+tag)
	for _, n := range names {
		if err := copyPlugin(path, n); err != nil {
			return nil, err
		}
	}
	h, err := startHost(filepath.Join(b.dir, "gh-"+tag+".sock"), host.Config{})
	if err != nil {
		return nil, err
	}
	p := &ghPlugins{ghHost: h, path: path}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	wr, err := wasmrt.New(wasmrt.Config{CacheDir: filepath.Join(cache, "genehost", "bench-wazero")})
	if err != nil {
		h.Close()
		return nil, err
	}
	p.runtimes = map[string]plugin.Runtime{"js": jsrt.New(), "wasm": wr}
	if p.isolated, err = workerRuntimes(); err != nil {
		p.Close()
		return nil, err
	}
	if err := p.openBackend(ctx, filepath.Join(path, "..", "store-"+tag+".db"), natsURL); err != nil {
		p.Close()
		return nil, err
	}
	p.dir, err = plugindir.Open(ctx, plugindir.Options{
		Dir: path, Runtimes: p.runtimes, Isolated: p.isolated, Registry: h.srv, Store: p.kv, Streams: p.streams, Debounce: 50 * time.Millisecond,
	})
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	if watch {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		p.stop, p.watching = cancel, make(chan error, 1)
		go func() { p.watching <- p.dir.Run(wctx) }()
	}
	return p, nil
}

// openBackend opens the kv and streams backends: the embedded database at
// file, or the NATS JetStream server at natsURL when it is not empty.
func (p *ghPlugins) openBackend(ctx context.Context, file, natsURL string) error {
	if natsURL == "" {
		db, err := store.Open(file, store.Options{})
		if err != nil {
			return err
		}
		st := store.NewStreams(db)
		p.kv, p.streams, p.closers = db, st, []func() error{st.Close, db.Close}
		return nil
	}
	nb, err := natsstore.Open(ctx, natsstore.Config{Servers: []string{natsURL}, Name: "genehost-bench"})
	if err != nil {
		return err
	}
	st := natsstore.NewStreams(nb)
	p.kv, p.streams, p.closers = nb, st, []func() error{st.Close, nb.Close}
	return nil
}

// generation returns the load generation of the named plugin.
func (p *ghPlugins) generation(name string) (uint64, string) {
	for _, st := range p.dir.Plugins() {
		if st.Name == name {
			return st.Generation, st.Err
		}
	}
	return 0, "not loaded"
}

func (p *ghPlugins) Close() error {
	if p.stop != nil {
		p.stop()
		<-p.watching
	}
	err := p.ghHost.Close()
	if p.dir != nil {
		p.dir.Close()
	}
	for _, rt := range p.runtimes {
		rt.Close(context.Background())
	}
	for _, rt := range p.isolated {
		rt.Close(context.Background())
	}
	for _, c := range p.closers {
		_ = c()
	}
	return err
}
