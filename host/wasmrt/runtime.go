package wasmrt

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// Runtime compiles WebAssembly plugins. It is safe for concurrent use;
// compilations are serialised. Create it with New and free it with Close.
type Runtime struct {
	cfg   Config
	cache wazero.CompilationCache
	opts  gene.BinaryOptions
	// reuseMax is the longest delivered value gh_send may pass on
	// without decoding it (reuse.go).
	reuseMax int

	// compileMu serialises compilations: wazero's compiler holds the
	// whole module's intermediate form in memory, so compiling a
	// directory of plugins one at a time bounds peak memory.
	compileMu sync.Mutex

	mu      sync.Mutex // guards modules and closed
	modules map[*Module]struct{}
	closed  bool
}

var _ plugin.Runtime = (*Runtime)(nil)

// New returns a Runtime. It fails when cfg is invalid or the cache
// directory cannot be created.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		dir, err := filepath.Abs(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasmrt: cache directory %q: %w", cfg.CacheDir, err)
		}
		if cache, err = wazero.NewCompilationCacheWithDir(dir); err != nil {
			return nil, fmt.Errorf("wasmrt: cache directory %q: %w", cfg.CacheDir, err)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}
	return &Runtime{
		cfg:      cfg,
		cache:    cache,
		opts:     gene.BinaryOptions{Limits: cfg.ValueLimits},
		reuseMax: reuseMax(cfg.ValueLimits),
		modules:  map[*Module]struct{}{},
	}, nil
}

// Name returns "wasm".
func (r *Runtime) Name() string { return "wasm" }

// Compile validates src.Code against the ABI and compiles it. Errors name
// the plugin and its file and match ErrInvalidModule when the module does
// not follow the ABI.
func (r *Runtime) Compile(ctx context.Context, src *plugin.Source) (plugin.Module, error) {
	if src == nil {
		return nil, fmt.Errorf("wasmrt: Compile: nil source")
	}
	limits := src.Limits.WithDefaults()
	if limits.MemoryPages > 65536 {
		return nil, fmt.Errorf("wasmrt: plugin %q: MemoryPages %d exceeds the WebAssembly maximum of 65536", src.Name, limits.MemoryPages)
	}
	r.compileMu.Lock()
	defer r.compileMu.Unlock()
	// Checked under compileMu: Close takes it before closing the cache,
	// so a compilation that starts here finishes before the cache goes.
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("wasmrt: plugin %q: compile: %w", src.Name, ErrClosed)
	}

	// One wazero runtime per compiled plugin: the memory limit is a
	// runtime setting, and closing the Module frees everything at once.
	// The compilation cache is shared, so this costs no recompilation.
	// Config.KilledOnOverrun: the process's killer, not wazero, stops a
	// guest that overruns.
	rcfg := wazero.NewRuntimeConfig().
		WithCompilationCache(r.cache).
		WithCloseOnContextDone(!r.cfg.KilledOnOverrun).
		WithMemoryLimitPages(limits.MemoryPages)
	wr := wazero.NewRuntimeWithConfig(ctx, rcfg)
	fail := func(err error) (plugin.Module, error) {
		wr.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	cm, err := wr.CompileModule(ctx, src.Code)
	if err != nil {
		return fail(&ModuleError{Plugin: src.Name, File: entryName(src), Err: err})
	}
	if err := validate(cm); err != nil {
		return fail(&ModuleError{Plugin: src.Name, File: entryName(src), Err: err})
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, wr); err != nil {
		return fail(fmt.Errorf("wasmrt: plugin %q: instantiate WASI: %w", src.Name, err))
	}
	if err := instantiateHostModule(ctx, wr); err != nil {
		return fail(fmt.Errorf("wasmrt: plugin %q: instantiate host module: %w", src.Name, err))
	}
	m := &Module{
		rt:       r,
		name:     src.Name,
		wr:       wr,
		compiled: cm,
		limits:   limits,
		grants:   src.Grants,
	}
	m.config = m.moduleConfig()
	r.mu.Lock()
	if r.closed {
		// Close ran while this module compiled: it did not see the
		// module, so it is freed here instead of being kept.
		r.mu.Unlock()
		return fail(fmt.Errorf("wasmrt: plugin %q: compile: %w", src.Name, ErrClosed))
	}
	r.modules[m] = struct{}{}
	r.mu.Unlock()
	return m, nil
}

func entryName(src *plugin.Source) string {
	if src.Entry != "" {
		return filepath.Base(src.Entry)
	}
	return src.Name + ".wasm"
}

// Close closes every module compiled by r (and their instances) and the
// in-memory part of the compilation cache; the on-disk cache stays. It is
// idempotent and safe to call while Compile runs: a compilation in
// progress is waited for (it uses the cache) and its module is discarded,
// Compile returning an error matching ErrClosed.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	mods := r.modules
	r.modules = nil
	r.mu.Unlock()
	for m := range mods {
		m.Close(ctx)
	}
	// A Compile that passed its closed check before r.closed was set
	// still uses the cache: wait for it before closing the cache.
	r.compileMu.Lock()
	defer r.compileMu.Unlock()
	return r.cache.Close(ctx)
}

func (r *Runtime) forget(m *Module) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.modules, m)
}
