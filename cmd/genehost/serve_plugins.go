package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker"
)

// pluginOptions are what serve hands the plugin loader.
type pluginOptions struct {
	dir, data, cache string
	log              hclog.Logger
	// nats, when set, keeps plugin state in NATS JetStream instead of the
	// database in data.
	nats *natsstore.Config
}

// servedPlugins is the running plugin directory: the store, the runtimes,
// the loaded plugins and the goroutine that watches for changes.
type servedPlugins struct {
	db       store.Backend
	streams  streamBackend // the streams over db
	runtimes map[string]plugin.Runtime
	isolated map[string]plugin.Runtime // worker runtimes, for ^isolation "process"
	dir      *plugindir.Dir
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// StoreFile is the name of the database file in the data directory.
const StoreFile = "genehost.db"

// runtimes returns the plugin runtimes by name; cache is where the Wasm
// runtime keeps compiled code ("" keeps it in memory).
func runtimes(cache string) (map[string]plugin.Runtime, error) {
	w, err := wasmrt.New(wasmrt.Config{CacheDir: cache})
	if err != nil {
		return nil, err
	}
	return map[string]plugin.Runtime{"js": jsrt.New(), "wasm": w}, nil
}

// workerRuntimes returns worker runtimes (host/worker) for "js" and
// "wasm": each plugin version with ^isolation "process" runs in a
// 'genehost worker' process of this same executable; cache is where the
// workers' Wasm runtime keeps compiled code.
func workerRuntimes(cache string, log hclog.Logger) (map[string]plugin.Runtime, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("worker processes run this executable: %w", err)
	}
	rts := map[string]plugin.Runtime{}
	for _, name := range []string{"js", "wasm"} {
		rt, err := worker.New(worker.Config{Runtime: name, Path: exe, Args: []string{"worker", "--cache", cache}, Logger: log})
		if err != nil {
			return nil, err
		}
		rts[name] = rt
	}
	return rts, nil
}

// startPlugins opens the data store, loads every plugin of o.dir into srv,
// and watches the directory for changes until close. Plugins that fail to
// load are logged by the loader (with file and reason) and listed as
// failed interfaces until their folder is fixed; the others serve.
func startPlugins(ctx context.Context, srv *host.Server, o pluginOptions) (*servedPlugins, error) {
	db, err := openBackend(ctx, o)
	if err != nil {
		return nil, err
	}
	rts, err := runtimes(filepath.Join(o.cache, "wasm"))
	if err != nil {
		db.Close()
		return nil, err
	}
	p := &servedPlugins{db: db, streams: openStreams(db), runtimes: rts}
	if p.isolated, err = workerRuntimes(filepath.Join(o.cache, "wasm"), o.log); err != nil {
		p.close()
		return nil, err
	}
	d, err := plugindir.Open(ctx, plugindir.Options{
		Dir: o.dir, CacheDir: filepath.Join(o.cache, "plugins"), Logger: o.log,
		Runtimes: rts, Isolated: p.isolated, Store: db, Streams: p.streams, Registry: srv,
	})
	if d == nil {
		p.close()
		return nil, err
	}
	// err, when d is not nil, joins the load errors the loader has logged
	// already, one line each: nothing more to do about them here.
	p.dir = d
	rctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := d.Run(rctx); err != nil && !errors.Is(err, context.Canceled) {
			o.log.Error("plugin directory no longer watched; edits will not reload", "error", err)
		}
	}()
	return p, nil
}

// openBackend opens where plugin state lives, once per process: NATS
// JetStream with --nats, else the embedded database in the data
// directory.
func openBackend(ctx context.Context, o pluginOptions) (store.Backend, error) {
	if o.nats != nil {
		b, err := openNATS(ctx, o.nats)
		if err != nil {
			return nil, err
		}
		o.log.Info("plugin state in " + b.String())
		return b, nil
	}
	return store.Open(filepath.Join(o.data, StoreFile), store.Options{})
}

// close stops watching, shuts the plugins down and closes the store.
func (p *servedPlugins) close() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	if p.dir != nil {
		p.dir.Close()
	}
	for _, rt := range p.runtimes {
		_ = rt.Close(context.Background()) // shutting down: nothing to do about it
	}
	for _, rt := range p.isolated {
		_ = rt.Close(context.Background()) // stops and reaps the workers
	}
	if p.streams != nil {
		_ = p.streams.Close() // the positions that moved are written; nothing more to do about a failure
	}
	if p.db != nil {
		p.db.Close()
	}
}
