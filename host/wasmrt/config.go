package wasmrt

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/genehost/genehost/gene"
)

// MinInitTimeout is the least time instantiating a guest may take:
// wazero's instantiation plus the guest's _initialize (for a Go guest,
// starting its runtime), which costs far more than a callback and varies
// with the machine's load. Instantiation runs under the larger of the
// plugin's Limits.CallTimeout and MinInitTimeout, so a plugin with a
// short CallTimeout still starts on a loaded machine, while its callbacks
// keep the short bound.
const MinInitTimeout = 10 * time.Second

// Config configures a Runtime. The zero Config is valid: an in-memory
// compilation cache and the default value limits.
type Config struct {
	// CacheDir is the directory of the on-disk compilation cache, shared
	// by every plugin this runtime compiles and kept across restarts so
	// that a restart does not recompile unchanged modules. It is created
	// if missing. "" keeps compiled code in memory only. Entries are keyed
	// by the module's content hash and the wazero version; the directory
	// must not be shared with untrusted writers.
	CacheDir string
	// ValueLimits bound the values a guest sends (gh_send, control
	// results); zero fields mean gene's defaults.
	ValueLimits gene.Limits
	// KilledOnOverrun says that whoever runs this runtime stops a guest
	// that overruns its deadline by killing the whole process: a worker
	// process (host/worker), whose host kills it at CallTimeout plus a
	// grace. Guest code is then compiled without wazero's termination
	// checks, which leave the guest at every loop iteration to see
	// whether its call was cancelled and start a goroutine per call to
	// watch the deadline: a Go guest's echo of one value runs 1.4 to
	// 1.7 times faster without them, of 64 values 3 to 5 times
	// (BenchmarkWasmEcho, BenchmarkWasmEchoBatch). The price is that
	// nothing in this process can stop a guest that does not return: its
	// deadline still fails a callback that returns late, and host calls
	// still give up at it, but a guest in an endless loop runs until the
	// process is killed, and holds up the Go runtime's garbage collector
	// (which cannot preempt guest code) meanwhile. Never set it in a
	// process that serves anything else.
	KilledOnOverrun bool
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.CacheDir != "" && !filepath.IsAbs(c.CacheDir) {
		if _, err := filepath.Abs(c.CacheDir); err != nil {
			return fmt.Errorf("wasmrt: config: CacheDir %q: %w", c.CacheDir, err)
		}
	}
	for _, l := range []struct {
		name string
		v    int
	}{
		{"MaxDepth", c.ValueLimits.MaxDepth},
		{"MaxElements", c.ValueLimits.MaxElements},
		{"MaxStringBytes", c.ValueLimits.MaxStringBytes},
		{"MaxIntDigits", c.ValueLimits.MaxIntDigits},
		{"MaxValueBytes", c.ValueLimits.MaxValueBytes},
	} {
		if l.v < 0 {
			return fmt.Errorf("wasmrt: config: ValueLimits.%s is %d; a guest's values must be bounded (0 means the default)", l.name, l.v)
		}
	}
	return nil
}
