package worker

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Defaults of Config.
const (
	// DefaultOverheadMB is the address space a worker may map beyond
	// what it had mapped when Serve began, besides its plugin's
	// Limits.MemoryMB: what goja or wazero, the Go runtime's growing
	// structures (heap arenas are reserved 64 MiB at a time) and thread
	// stacks add once plugin code runs. Measured on linux/amd64 with Go
	// 1.26 (TestAddressSpace): a worker has mapped about 1.5 GiB when
	// Serve begins, nearly all of it reserved and never touched (the Go
	// runtime's page-allocator and arena index reservations); a JS plugin
	// compiled, instantiated 4 times and called adds about 64 MiB, a Wasm
	// one about 150 MiB (wazero's compiled code and linear memories),
	// while resident memory stays near 16 MiB (JS) and 65 MiB (Wasm).
	DefaultOverheadMB = 512
	// DefaultGrace is how long after a callback's CallTimeout the host
	// waits for the worker's answer before it kills the worker.
	DefaultGrace = 500 * time.Millisecond
	// DefaultCompileTimeout bounds compiling a plugin in a worker.
	DefaultCompileTimeout = 2 * time.Minute
	// DefaultMaxFrameBytes bounds one message between host and worker
	// (a batch of values, a kv value, a compiled source).
	DefaultMaxFrameBytes = 64 << 20
	// MinInitTimeout is the least time an instance gets to start (the
	// Wasm runtime's own bound on _initialize).
	MinInitTimeout = 10 * time.Second

	// backoff of restarts after a worker died.
	minBackoff = 10 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Config configures a worker Runtime. Zero fields mean the default.
type Config struct {
	// Runtime is the name of the runtime the workers run ("js" or
	// "wasm"); the worker process must have it. Required.
	Runtime string
	// Path is the executable started as a worker (genehost serve:
	// os.Executable(), run as "genehost worker"; a test binary that
	// calls Serve from TestMain when IsWorker). Required.
	Path string
	// Args are the worker's arguments after its name ("worker", flags).
	Args []string
	// Env is the worker's environment besides the variables of the
	// protocol: nothing of the host's environment is inherited. Default
	// none.
	Env []string
	// OverheadMB and the plugin's Limits.MemoryMB are the address space
	// a worker may map on top of what it mapped when it started (its
	// RLIMIT_AS). Default DefaultOverheadMB.
	OverheadMB int
	// NoMemoryLimit starts workers without RLIMIT_AS and without a
	// cgroup (the Go heap limit still applies). For platforms where
	// RLIMIT_AS breaks the runtime (sanitizers reserve terabytes).
	NoMemoryLimit bool
	// NoCgroup skips the cgroup v2 memory.max the host otherwise tries
	// to set for each worker.
	NoCgroup bool
	// Grace is how long after Limits.CallTimeout the host waits for a
	// callback's answer before it kills the worker. Default
	// DefaultGrace; at most 500ms.
	Grace time.Duration
	// CompileTimeout bounds compiling a plugin in a fresh worker.
	// Default DefaultCompileTimeout.
	CompileTimeout time.Duration
	// MaxFrameBytes bounds one message on the pipe. Default
	// DefaultMaxFrameBytes.
	MaxFrameBytes int
	// Logger gets worker starts, deaths and restarts. Default: discard.
	Logger hclog.Logger
}

// Validate checks the config.
func (c *Config) Validate() error {
	switch {
	case c.Runtime == "":
		return errors.New("worker: Config.Runtime is required")
	case c.Path == "":
		return errors.New("worker: Config.Path is required (the executable to run as a worker)")
	case c.OverheadMB < 0 || c.Grace < 0 || c.CompileTimeout < 0 || c.MaxFrameBytes < 0:
		return errors.New("worker: Config.OverheadMB, Grace, CompileTimeout and MaxFrameBytes must not be negative")
	case c.Grace > 500*time.Millisecond:
		return fmt.Errorf("worker: Config.Grace %s is over 500ms", c.Grace)
	case c.MaxFrameBytes != 0 && c.MaxFrameBytes < 1<<16:
		return fmt.Errorf("worker: Config.MaxFrameBytes %d is under 64 KiB", c.MaxFrameBytes)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.OverheadMB == 0 {
		c.OverheadMB = DefaultOverheadMB
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.CompileTimeout == 0 {
		c.CompileTimeout = DefaultCompileTimeout
	}
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	return c
}
