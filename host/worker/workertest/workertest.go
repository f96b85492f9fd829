// Package workertest lets a test binary be its own worker process, the
// way hashicorp/go-plugin's tests do, so that tests loading plugins with
// ^isolation "process" run real workers without building genehost:
// TestMain calls ServeIfWorker first, and tests take worker runtimes from
// Runtimes. It wires the real runtimes (host/jsrt, host/wasmrt) into
// worker.Serve, as `genehost worker` does.
package workertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker"
)

// envWasmCache carries the Wasm compilation cache directory to the
// worker (which inherits no environment).
const envWasmCache = "GENEHOST_WORKERTEST_WASM_CACHE"

// ServeIfWorker makes this process a worker and exits when it was
// started as one (worker.IsWorker); otherwise it returns at once. Call it
// first in TestMain.
func ServeIfWorker() {
	if !worker.IsWorker() {
		return
	}
	rts, err := innerRuntimes(os.Getenv(envWasmCache))
	if err == nil {
		err = worker.Serve(context.Background(), rts)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func innerRuntimes(cache string) (map[string]plugin.Runtime, error) {
	// The host kills a worker whose callback overruns (host/worker), so
	// both runtimes run without their own interruption machinery, as in
	// `genehost worker`.
	w, err := wasmrt.New(wasmrt.Config{CacheDir: cache, KilledOnOverrun: true})
	if err != nil {
		return nil, err
	}
	return map[string]plugin.Runtime{"js": jsrt.NewWith(jsrt.Config{KilledOnOverrun: true}), "wasm": w}, nil
}

// Config returns the worker.Config that runs this test binary as the
// worker of runtime name.
func Config(t testing.TB, name string) worker.Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("workertest: %v", err)
	}
	cache := ""
	if d, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(d, "genehost", "workertest-wasm")
	}
	return worker.Config{Runtime: name, Path: exe, Env: []string{envWasmCache + "=" + cache}}
}

// Runtimes returns worker runtimes for "js" and "wasm" running this test
// binary, closed when t ends; log may be nil.
func Runtimes(t testing.TB, log hclog.Logger) map[string]plugin.Runtime {
	t.Helper()
	rts := map[string]plugin.Runtime{}
	for _, name := range []string{"js", "wasm"} {
		cfg := Config(t, name)
		cfg.Logger = log
		rt, err := worker.New(cfg)
		if err != nil {
			t.Fatalf("workertest: %v", err)
		}
		t.Cleanup(func() { rt.Close(context.Background()) })
		rts[name] = rt
	}
	return rts
}
