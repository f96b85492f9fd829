package jsrt

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/require"

	"github.com/genehost/genehost/host/plugin"
)

//go:embed prelude.js
var preludeSource string

// preludeName names the prelude in stacks; frames in it are skipped when an
// error is attributed to a line of the handler.
const preludeName = "genehost:prelude.js"

// prelude is compiled once per process and shared by every instance.
var prelude = sync.OnceValues(func() (*goja.Program, error) {
	return goja.Compile(preludeName, preludeSource, true)
})

// Runtime is the JavaScript plugin runtime. It is safe for concurrent use.
type Runtime struct {
	config Config
	mu     sync.Mutex
	closed bool // guarded by mu
}

// Config adjusts a Runtime; the zero Config is what New uses.
type Config struct {
	// KilledOnOverrun says that whoever runs this runtime stops a
	// callback that overruns its deadline by killing the whole process: a
	// worker process (host/worker), whose host kills it at CallTimeout
	// plus a grace. Callbacks then run on the goroutine that calls the
	// instance instead of being handed to the instance's event-loop
	// goroutine and waited for, which saves two goroutine switches per
	// call (BenchmarkJSEchoPlugin/killed-on-overrun). The deadline still
	// interrupts JavaScript at its next instruction, and the instance is
	// broken as without it; the price is that a built-in running in Go
	// when the interrupt comes (a sort of millions of elements) holds the
	// caller until it finishes, where without it the call returns at most
	// a second after its deadline and leaves the built-in running on the
	// loop. Never set it in a process that serves anything else.
	KilledOnOverrun bool
}

var _ plugin.Runtime = (*Runtime)(nil)

// New returns a JavaScript runtime.
//
// The first call sets the match timeout of regexp2, the backtracking
// regular expression engine goja uses for backreferences and lookaround,
// to one second for the whole process (guards.go).
func New() *Runtime { return NewWith(Config{}) }

// NewWith returns a JavaScript runtime configured by c; see New.
func NewWith(c Config) *Runtime {
	setRegexpTimeout()
	return &Runtime{config: c}
}

// Name returns "js".
func (rt *Runtime) Name() string { return "js" }

// Close marks the runtime closed: Compile fails afterwards. Modules and
// instances already made keep working until they are closed themselves.
func (rt *Runtime) Close(ctx context.Context) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.closed = true
	return nil
}

// Compile checks src's syntax and compiles it once; every instance of the
// returned Module runs the same compiled program. src.Code is the content
// of src.Entry (handler.js), run as a CommonJS module. A syntax error names
// the file, line and column.
func (rt *Runtime) Compile(ctx context.Context, src *plugin.Source) (plugin.Module, error) {
	rt.mu.Lock()
	closed := rt.closed
	rt.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if src == nil {
		return nil, errors.New("jsrt: compile: nil source")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("jsrt: compile %s: %w", src.Name, err)
	}
	pre, err := prelude()
	if err != nil {
		return nil, fmt.Errorf("jsrt: compile the prelude: %w", err)
	}
	dir, entry := src.Dir, src.Entry
	if entry == "" {
		entry = "handler.js"
	}
	if !filepath.IsAbs(entry) && dir != "" {
		entry = filepath.Join(dir, entry)
	}
	if dir == "" {
		dir = filepath.Dir(entry)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if abs, err := filepath.Abs(entry); err == nil {
		entry = abs
	}
	// The CommonJS wrapper goes on the first line so that line numbers in
	// stacks are the file's own.
	code := "(function (exports, require, module, __filename, __dirname) {" + string(src.Code) + "\n})"
	prog, err := goja.Compile(entry, code, false)
	if err != nil {
		return nil, fmt.Errorf("jsrt: plugin %s: %w", src.Name, err)
	}
	return &module{
		name:     src.Name,
		hash:     src.Hash,
		dir:      dir,
		entry:    entry,
		limits:   src.Limits.WithDefaults(),
		grants:   src.Grants,
		prelude:  pre,
		program:  prog,
		registry: newRegistry(dir),
		direct:   rt.config.KilledOnOverrun,
	}, nil
}

// module is one compiled version of a plugin. Its fields are read-only
// after Compile, so instances on many goroutines share it.
type module struct {
	name, hash string
	dir        string // the plugin folder, absolute
	entry      string // handler.js, absolute
	limits     plugin.Limits
	grants     plugin.Grants
	prelude    *goja.Program
	program    *goja.Program
	// registry compiles the files the handler requires, once per version.
	registry *require.Registry
	// direct runs callbacks on the calling goroutine
	// (Config.KilledOnOverrun).
	direct bool
}

var _ plugin.Module = (*module)(nil)

// Instantiate starts an instance: a goja runtime owned by its own event
// loop goroutine (or by its callers, with Config.KilledOnOverrun), with
// the prelude and the handler module run in it. The
// handler's top-level code runs under Limits.CallTimeout like a callback.
func (m *module) Instantiate(ctx context.Context, h plugin.Host) (plugin.Instance, error) {
	if h == nil {
		return nil, errors.New("jsrt: instantiate: nil host")
	}
	return newInstance(ctx, m, h)
}

// Close frees nothing the instances still need; it exists for the
// interface (compiled programs are garbage collected).
func (m *module) Close(ctx context.Context) error { return nil }
