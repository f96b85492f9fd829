package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host/plugin"
)

// ErrClosed is returned by calls on a closed Runtime or Module.
var ErrClosed = errors.New("worker: closed")

// Runtime is a plugin.Runtime that runs another runtime (Config.Runtime)
// in worker processes: one process per Module.
type Runtime struct {
	cfg Config
	log hclog.Logger

	mu      sync.Mutex
	modules map[*Module]struct{}
	closed  bool
}

var _ plugin.Runtime = (*Runtime)(nil)

// New returns a Runtime that starts workers as cfg says.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Runtime{cfg: cfg, log: cfg.Logger.Named("worker").With("runtime", cfg.Runtime), modules: map[*Module]struct{}{}}, nil
}

// Name is the inner runtime's name: plugin configs name it as usual.
func (r *Runtime) Name() string { return r.cfg.Runtime }

// Compile starts a worker for src and compiles it there. A compile error
// is the inner runtime's, text intact.
func (r *Runtime) Compile(ctx context.Context, src *plugin.Source) (plugin.Module, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	r.mu.Unlock()
	cp := *src
	m := &Module{r: r, src: &cp, limits: src.Limits.WithDefaults(), log: r.log.With("plugin", src.Name)}
	if _, err := m.worker(ctx); err != nil {
		m.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		m.Close(context.WithoutCancel(ctx))
		return nil, ErrClosed
	}
	r.modules[m] = struct{}{}
	r.mu.Unlock()
	return m, nil
}

// Close stops every module's worker.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	ms := make([]*Module, 0, len(r.modules))
	for m := range r.modules {
		ms = append(ms, m)
	}
	r.mu.Unlock()
	for _, m := range ms {
		m.Close(ctx)
	}
	return nil
}

// Module is one plugin version compiled in a worker process. Its
// instances live in that process; when it dies they are lost, and the
// next Instantiate starts a new one (after a backoff that doubles with
// each death in a row, 10ms to 5s) and compiles the source there again.
type Module struct {
	r      *Runtime
	src    *plugin.Source
	limits plugin.Limits
	log    hclog.Logger

	startMu sync.Mutex // one start at a time; held across it

	mu       sync.Mutex
	p        *proc
	closed   bool
	failures int       // deaths in a row
	next     time.Time // no start before then
}

var _ plugin.Module = (*Module)(nil)

// worker returns the module's live worker, starting one (with the
// source compiled) when there is none.
func (m *Module) worker(ctx context.Context) (*proc, error) {
	m.startMu.Lock()
	defer m.startMu.Unlock()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	p := m.p
	if p != nil && p.alive() {
		m.mu.Unlock()
		return p, nil
	}
	if p != nil {
		// It died: restarts back off while deaths follow each other; a
		// worker that lived long resets the count.
		if time.Since(p.born) > 2*maxBackoff {
			m.failures = 0
		}
		m.failures++
		d := minBackoff << min(m.failures-1, 20)
		m.next = time.Now().Add(min(d, maxBackoff))
		m.p = nil
	}
	next := m.next
	m.mu.Unlock()
	if p != nil {
		p.stop() // reaped already; this waits for its goroutines
		m.log.Info("restarting the worker", "after", time.Until(next).Round(time.Millisecond), "previous", p.lostErr(false))
	}
	if d := time.Until(next); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("worker: plugin %q: waiting to restart the worker: %w", m.src.Name, ctx.Err())
		}
	}
	p, err := startProc(&m.r.cfg, m.log, m.src.Name, m.limits.MemoryMB)
	if err != nil {
		return nil, err
	}
	if err := m.compile(ctx, p); err != nil {
		p.stop()
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		p.stop()
		return nil, ErrClosed
	}
	m.p = p
	m.mu.Unlock()
	return p, nil
}

// compile sends the source to a fresh worker.
func (m *Module) compile(ctx context.Context, p *proc) error {
	e := p.c.msg()
	e.str(m.r.cfg.Runtime)
	e.source(m.src)
	_, err := p.c.call(ctx, opCompile, e, m.r.cfg.CompileTimeout, func() {
		p.kill(fmt.Sprintf("compiling took over %s", m.r.cfg.CompileTimeout), "")
	})
	if errors.Is(err, errHard) {
		return p.lostErr(true)
	}
	return err
}

// Instantiate makes an instance in the module's worker, starting the
// worker if it is not running.
func (m *Module) Instantiate(ctx context.Context, h plugin.Host) (plugin.Instance, error) {
	p, err := m.worker(ctx)
	if err != nil {
		return nil, err
	}
	x := &Instance{m: m, p: p, h: h}
	x.rooms, _ = h.(plugin.RoomHost)
	x.id = p.addInst(x)
	e := p.c.msg()
	e.uvarint(x.id)
	e.deadline(ctx)
	hard := max(m.limits.CallTimeout, MinInitTimeout) + m.r.cfg.Grace
	if _, err := x.call(ctx, opInstantiate, "instantiate", 0, e, hard); err != nil {
		p.removeInst(x.id)
		return nil, err
	}
	return x, nil
}

// Close stops the worker; its instances are gone with it.
func (m *Module) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	m.startMu.Lock() // a start in progress finishes first, and sees closed
	m.mu.Lock()
	p := m.p
	m.p = nil
	m.mu.Unlock()
	m.startMu.Unlock()
	if p != nil {
		p.stop()
	}
	m.r.mu.Lock()
	delete(m.r.modules, m)
	m.r.mu.Unlock()
	return nil
}

// PID returns the process id of the module's current worker, 0 when none
// runs (for tests and logs).
func (m *Module) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p == nil || !m.p.alive() {
		return 0
	}
	return m.p.cmd.Process.Pid
}
