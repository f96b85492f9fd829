package wasmrt

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/tetratelabs/wazero"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/host/plugin"
)

// Module is one compiled plugin version. Instantiate is safe for
// concurrent use; instances share the compiled code but not memory.
type Module struct {
	rt       *Runtime
	name     string
	wr       wazero.Runtime
	compiled wazero.CompiledModule
	limits   plugin.Limits
	grants   plugin.Grants
	// config is the sandbox every instance starts from (per-instance
	// stdout and stderr are added to a copy).
	config wazero.ModuleConfig

	mu     sync.Mutex // guards closed
	closed bool
}

var _ plugin.Module = (*Module)(nil)

// Limits returns the plugin's limits with defaults filled in.
func (m *Module) Limits() plugin.Limits { return m.limits }

// moduleConfig builds the sandbox of ABI.md section 7 from the grants.
func (m *Module) moduleConfig() wazero.ModuleConfig {
	c := wazero.NewModuleConfig().
		WithName(""). // anonymous: any number of instances
		WithStartFunctions(abi.Initialize).
		WithRandSource(rand.Reader)
	for k, v := range m.grants.Env {
		c = c.WithEnv(k, v)
	}
	if len(m.grants.Dirs) > 0 {
		fs := wazero.NewFSConfig()
		for guest, host := range m.grants.Dirs {
			fs = fs.WithReadOnlyDirMount(host, guest)
		}
		c = c.WithFSConfig(fs)
	}
	if m.grants.Clock {
		c = c.WithSysWalltime().WithSysNanotime().WithSysNanosleep()
	}
	return c
}

// Instantiate creates an instance bound to h and runs the guest's
// _initialize under Limits.CallTimeout.
func (m *Module) Instantiate(ctx context.Context, h plugin.Host) (plugin.Instance, error) {
	if h == nil {
		return nil, fmt.Errorf("wasmrt: plugin %q: Instantiate: nil Host", m.name)
	}
	in := newInstance(m, h)
	if err := in.start(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// Close frees the compiled code and closes every instance of m. It is
// idempotent.
func (m *Module) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.rt.forget(m)
	return m.wr.Close(ctx)
}

func (m *Module) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}
