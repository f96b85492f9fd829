package plugindir

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/plugin"
)

// inst is one plugin.Instance with the plugin.Host it is bound to. Its
// owner is the version that made it: every callback runs with mu held, so
// the instance is never called from two goroutines at once, and timers
// fire through the same lock. Timers die with the instance.
type inst struct {
	v  *version
	in plugin.Instance

	mu     sync.Mutex                 // held across every callback
	closed bool                       // guarded by mu
	seen   map[plugin.LinkID]struct{} // pool: links this instance was given; guarded by mu

	tmu    sync.Mutex             // guards timers and tclosed; never held across a callback
	timers map[uint64]*time.Timer // pending timers by id
	tdone  bool                   // no more timers
	twg    sync.WaitGroup         // timer callbacks that may still run
}

var _ plugin.Host = (*inst)(nil)

// newInst instantiates the version's module, waiting first for the crash
// backoff.
func (v *version) newInst(ctx context.Context) (*inst, error) {
	if d := v.crashes.wait(time.Now()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-v.ctx.Done():
			t.Stop()
			return nil, ErrClosed
		}
	}
	x := &inst{v: v, timers: map[uint64]*time.Timer{}}
	in, err := v.mod.Instantiate(ctx, x)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: instantiate: %w", v.cfg.Name, err)
	}
	x.in = in
	v.instances.Add(1)
	return x, nil
}

// close stops the instance's timers and frees it. It may be called more
// than once.
func (x *inst) close() {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return
	}
	x.closed = true
	x.tmu.Lock()
	x.tdone = true
	for id, t := range x.timers {
		if t.Stop() {
			x.twg.Done()
		}
		delete(x.timers, id)
	}
	x.tmu.Unlock()
	x.mu.Unlock()
	x.twg.Wait()
	if err := x.in.Close(context.WithoutCancel(x.v.ctx)); err != nil {
		x.v.log.Debug("closing an instance", "error", err)
	}
	x.v.instances.Add(-1)
}

// lock takes the instance for a callback; false when it was closed.
func (x *inst) lock() bool {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return false
	}
	return true
}

// Send implements plugin.Host: it sends on any open link of the plugin.
func (x *inst) Send(ctx context.Context, link plugin.LinkID, v gene.Value) error {
	l, err := x.v.e.link(link)
	if err != nil {
		return err
	}
	return sendErr(link, l.Send(ctx, v))
}

// TrySend implements plugin.Host.
func (x *inst) TrySend(link plugin.LinkID, v gene.Value) error {
	l, err := x.v.e.link(link)
	if err != nil {
		return err
	}
	return sendErr(link, l.TrySend(v))
}

// sendErr maps the host's send errors to the plugin package's sentinels,
// which the runtimes turn into ABI statuses and JavaScript errors.
func sendErr(link plugin.LinkID, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, host.ErrNoCredit):
		return fmt.Errorf("%w (link %d)", plugin.ErrNoCredit, link)
	case errors.Is(err, host.ErrLinkClosed):
		return fmt.Errorf("%w: link %d: %v", plugin.ErrLinkClosed, link, err)
	}
	return err
}

// CloseLink implements plugin.Host.
func (x *inst) CloseLink(link plugin.LinkID, reason string) error {
	l, err := x.v.e.link(link)
	if err != nil {
		return err
	}
	var cause error
	if reason != "" {
		cause = errors.New(reason)
	}
	return sendErr(link, l.Close(cause))
}

// Resume implements plugin.Host.
func (x *inst) Resume(link plugin.LinkID) {
	if l, err := x.v.e.link(link); err == nil {
		l.Resume()
	}
}

// Log implements plugin.Host: the line goes to the plugin version's
// logger (tagged interface, version, generation) with the link.
func (x *inst) Log(level string, link plugin.LinkID, msg string) {
	lg := x.v.log
	if link != 0 {
		lg = lg.With("link", uint64(link))
	}
	switch level {
	case "trace":
		lg.Trace(msg)
	case "debug":
		lg.Debug(msg)
	case "warn":
		lg.Warn(msg)
	case "error":
		lg.Error(msg)
	default:
		lg.Info(msg)
	}
}

// Store implements plugin.Host: the plugin's namespace of the host's
// store, only with the kv grant.
func (x *inst) Store() (plugin.Store, error) {
	if !x.v.cfg.Grants.KV {
		return nil, fmt.Errorf("%w: plugin %q may not use the key-value store (grant it in %s with ^grants {^kv true})",
			plugin.ErrNotGranted, x.v.cfg.Name, x.v.cfg.File)
	}
	db := x.v.e.d.opts.Store
	if db == nil {
		return nil, fmt.Errorf("%w: plugin %q: the key-value store is granted but this host runs without a store", plugin.ErrNotGranted, x.v.cfg.Name)
	}
	return db.Namespace(StoreNamespace(x.v.cfg.Name)).ForPlugin(), nil
}

// StoreNamespace is the store namespace of the plugin called name.
func StoreNamespace(name string) string { return "plugin/" + name }

// SetTimer implements plugin.Host, only with the timers grant. The timer
// belongs to this instance: it fires as Timer on it and is cancelled
// when the instance closes.
func (x *inst) SetTimer(d time.Duration) (uint64, error) {
	if !x.v.cfg.Grants.Timers {
		return 0, fmt.Errorf("%w: plugin %q may not set timers (grant it in %s with ^grants {^timers true})",
			plugin.ErrNotGranted, x.v.cfg.Name, x.v.cfg.File)
	}
	id := x.v.e.timerID.Add(1)
	x.tmu.Lock()
	defer x.tmu.Unlock()
	if x.tdone {
		return 0, fmt.Errorf("plugin %q: set timer: %w", x.v.cfg.Name, ErrClosed)
	}
	x.twg.Add(1)
	x.timers[id] = time.AfterFunc(max(d, 0), func() { x.fire(id) })
	return id, nil
}

// CancelTimer implements plugin.Host.
func (x *inst) CancelTimer(id uint64) {
	x.tmu.Lock()
	defer x.tmu.Unlock()
	if t, ok := x.timers[id]; ok {
		delete(x.timers, id)
		if t.Stop() {
			x.twg.Done()
		}
	}
}

// fire runs on the timer's goroutine: it calls Timer under the
// instance lock, unless the timer was cancelled or the instance closed
// meanwhile.
func (x *inst) fire(id uint64) {
	defer x.twg.Done()
	x.tmu.Lock()
	_, ok := x.timers[id]
	delete(x.timers, id)
	x.tmu.Unlock()
	if !ok || !x.lock() {
		return
	}
	defer x.mu.Unlock()
	x.in.Timer(x.v.ctx, id)
}
