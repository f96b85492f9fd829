package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/store"
)

// devHost is a real host running in this process for genehost test and
// genehost dev: one plugin folder (or a plugin directory) loaded with the
// real runtimes (worker processes for ^isolation "process"), a store in a
// temporary directory, a Unix socket there, and a client connected to it.
type devHost struct {
	tmp   string
	db    *store.DB
	rts   []map[string]plugin.Runtime
	srv   *host.Server
	dir   *plugindir.Dir
	conn  *client.Conn
	addr  string
	clock *plugindir.ManualClock // nil: real time
}

// devHostOptions configure startDevHost.
type devHostOptions struct {
	cache  string
	log    io.Writer // the host's log lines
	level  hclog.Level
	manual bool // timers move only by clock.Advance
}

// startDevHost loads path, a plugin folder or a plugin directory. The
// error, when the host started, joins the plugins' load errors (the host
// is returned all the same, for dev); otherwise the host is nil.
func startDevHost(ctx context.Context, path string, o devHostOptions) (*devHost, error) {
	tmp, err := os.MkdirTemp("", "genehost-dev-")
	if err != nil {
		return nil, err
	}
	h := &devHost{tmp: tmp}
	if h.db, err = store.Open(filepath.Join(tmp, StoreFile), store.Options{}); err != nil {
		h.close()
		return nil, err
	}
	rts, err := runtimes(filepath.Join(o.cache, "wasm"))
	if err != nil {
		h.close()
		return nil, err
	}
	h.rts = append(h.rts, rts)
	lg := hclog.New(&hclog.LoggerOptions{Output: o.log, Level: o.level, Name: "genehost"})
	iso, err := workerRuntimes(filepath.Join(o.cache, "wasm"), lg)
	if err != nil {
		h.close()
		return nil, err
	}
	h.rts = append(h.rts, iso)
	h.srv = host.New(host.Config{Logger: lg.Named("host")})
	opts := plugindir.Options{
		Dir: path, CacheDir: filepath.Join(o.cache, "plugins"), Logger: lg,
		Runtimes: rts, Isolated: iso, Store: h.db, Registry: h.srv,
	}
	if o.manual {
		h.clock = &plugindir.ManualClock{}
		opts.Clock = h.clock
	}
	var loadErr error
	if plugindir.IsPluginFolder(path) {
		h.dir, loadErr = plugindir.OpenFolder(ctx, path, opts)
	} else {
		h.dir, loadErr = plugindir.Open(ctx, opts)
	}
	if h.dir == nil {
		h.close()
		return nil, loadErr
	}
	if h.addr, err = h.srv.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(tmp, "g.sock")}); err != nil {
		h.close()
		return nil, err
	}
	if h.conn, err = client.Dial(ctx, h.addr, client.Config{}); err != nil {
		h.close()
		return nil, err
	}
	return h, loadErr
}

// failed returns the load error of each plugin that is not serving.
func (h *devHost) failed() []error {
	var errs []error
	for _, st := range h.dir.Plugins() {
		if !st.Serving {
			errs = append(errs, errors.New(st.Err))
		}
	}
	return errs
}

// names are the plugins loaded, sorted.
func (h *devHost) names() []string {
	var out []string
	for _, st := range h.dir.Plugins() {
		out = append(out, st.Name)
	}
	sort.Strings(out)
	return out
}

func (h *devHost) close() {
	if h.conn != nil {
		h.conn.Close()
	}
	if h.srv != nil {
		h.srv.Close()
	}
	if h.dir != nil {
		h.dir.Close()
	}
	for _, rts := range h.rts {
		for _, rt := range rts {
			_ = rt.Close(context.Background())
		}
	}
	if h.db != nil {
		h.db.Close()
	}
	os.RemoveAll(h.tmp)
}

// pathArg parses the flags and the one optional PATH argument of test
// and dev ("." when absent); false means exit with code.
func (c *cli) pathArg(fs *flag.FlagSet, args []string) (path string, code int, ok bool) {
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return "", code, false
	}
	if len(pos) > 1 {
		return "", c.usageErr("want at most one PATH, got %d arguments", len(pos)), false
	}
	if len(pos) == 1 {
		return pos[0], 0, true
	}
	return ".", 0, true
}

// pluginFolders returns path when it is a plugin folder, else the plugin
// folders of the directory path, sorted.
func pluginFolders(path string) ([]string, error) {
	if plugindir.IsPluginFolder(path) {
		return []string{path}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		p := filepath.Join(path, e.Name())
		if e.IsDir() && plugindir.IsPluginFolder(p) && e.Name()[0] != '.' && e.Name()[0] != '_' {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no plugin (a folder holding %s)", path, plugindir.ConfigFile)
	}
	return out, nil
}

// lockedWriter serialises writes from the host's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
