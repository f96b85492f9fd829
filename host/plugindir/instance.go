package plugindir

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/proto"
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

	tmu    sync.Mutex       // guards timers and tclosed; never held across a callback
	timers map[uint64]Timer // pending timers by id
	tdone  bool             // no more timers
	twg    sync.WaitGroup   // timer callbacks that may still run
	// watches are the instance's open store watches by id (ids shared
	// with timers).
	watches store.Watches
}

var (
	_ plugin.Host      = (*inst)(nil)
	_ plugin.WatchHost = (*inst)(nil)
)

// newInst instantiates the version's module, waiting first for the
// backoff of failed instantiations. CrashLimit failures in a row make the
// version failed.
func (v *version) newInst(ctx context.Context) (*inst, error) {
	if d := v.faults.instantiateWait(time.Now()); d > 0 {
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
	x := &inst{v: v, timers: map[uint64]Timer{}}
	in, err := v.mod.Instantiate(ctx, x)
	if v.faults.instantiated(time.Now(), err) {
		v.failed()
	}
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
	x.watches.CloseAll()
	x.mu.Unlock()
	x.twg.Wait()
	if err := x.in.Close(context.WithoutCancel(x.v.ctx)); err != nil {
		x.v.log.Debug("closing an instance", "error", err)
	}
	x.v.instances.Add(-1)
}

// lost returns why the instance became unusable between callbacks (see
// plugin.Lost), or nil.
func (x *inst) lost() error {
	if l, ok := x.in.(plugin.Lost); ok {
		return l.Lost()
	}
	return nil
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

// Send implements plugin.Host: it sends on any open link of the plugin,
// waiting for the client's credit. The wait ends before the callback's
// own deadline (see sendBudget): a client that returns no credit for that
// long has its link reset SLOW_CONSUMER, and Send fails with
// plugin.ErrLinkClosed, so the handler goes on and the instance is kept. A
// client that does not read can cost only its own link, never the
// instance or the interface.
func (x *inst) Send(ctx context.Context, link plugin.LinkID, v gene.Value) error {
	l, err := x.v.e.link(link)
	if err != nil {
		return err
	}
	// With credit the value goes at once, and no budget (a context and a
	// timer per value) is needed; TrySend never drops or queues, so the
	// interface's overflow policy applies in the Send below.
	if err := l.TrySend(v); !errors.Is(err, host.ErrNoCredit) {
		return sendErr(link, err)
	}
	sctx, cancel, budget := sendBudget(ctx)
	defer cancel()
	err = l.Send(sctx, v)
	if err != nil && ctx.Err() == nil && sctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		perr := proto.Errorf(proto.CodeSlowConsumer, "plugin %q waited %s to send on link %d and the client returned no credit; the link is reset so the plugin can go on",
			x.v.cfg.Name, budget.Round(time.Millisecond), l.WireID())
		_ = l.Close(perr)
		x.v.slowConsumers.Add(1)
		return fmt.Errorf("%w: link %d: %v", plugin.ErrLinkClosed, link, perr)
	}
	return sendErr(link, err)
}

// sendBudget bounds a plugin's wait for credit to part of what is left of
// its callback's deadline, so that the send gives up (and the handler
// throws, unwinds and returns) before the deadline would break the
// instance: what remains less a quarter of it, and less at least
// minSendMargin (a tenth proved too thin on a loaded machine).
func sendBudget(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}, 0
	}
	left := time.Until(dl)
	budget := left - max(left/4, minSendMargin)
	if budget <= 0 {
		budget = left / 2
	}
	sctx, cancel := context.WithTimeout(ctx, budget)
	return sctx, cancel, budget
}

// minSendMargin is the least time a waiting send leaves its callback
// before the deadline, to throw, unwind and return.
const minSendMargin = 100 * time.Millisecond

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
// logger (tagged interface, version, generation) with the link, cut to
// logtext.Max bytes (the plugin chooses it, and may pass on a client's
// text).
func (x *inst) Log(level string, link plugin.LinkID, msg string) {
	msg = logtext.Cut(msg)
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
	b := x.v.e.d.opts.Store
	if b == nil {
		return nil, fmt.Errorf("%w: plugin %q: the key-value store is granted but this host runs without a store", plugin.ErrNotGranted, x.v.cfg.Name)
	}
	s, err := b.PluginKV(x.v.cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: key-value store: %w", x.v.cfg.Name, err)
	}
	return s, nil
}

// StoreNamespace is the namespace of the plugin called name in the
// embedded database.
func StoreNamespace(name string) string { return store.PluginNamespace(name) }

// Watch implements plugin.WatchHost: a watch of the plugin's store whose
// changes wake this instance as Timer(id), through the instance lock as
// timers do. It needs the kv grant and dies with the instance.
func (x *inst) Watch(prefix []byte) (uint64, error) {
	s, err := x.Store()
	if err != nil {
		return 0, err
	}
	sw, ok := s.(plugin.StoreWatcher)
	if !ok {
		return 0, fmt.Errorf("plugin %q: the key-value store of this host cannot be watched", x.v.cfg.Name)
	}
	id := x.v.e.timerID.Add(1)
	if err := x.watches.Open(sw, id, prefix, func() { x.wake(id) }); err != nil {
		return 0, fmt.Errorf("plugin %q: watch: %w", x.v.cfg.Name, err)
	}
	return id, nil
}

// WatchNext implements plugin.WatchHost.
func (x *inst) WatchNext(id uint64, max int) ([]plugin.Change, bool, error) {
	ch, lost, err := x.watches.Next(id, max)
	if err != nil {
		return nil, false, fmt.Errorf("plugin %q: %w", x.v.cfg.Name, err)
	}
	return ch, lost, nil
}

// Unwatch implements plugin.WatchHost.
func (x *inst) Unwatch(id uint64) { x.watches.Close(id) }

// wake runs when the watch id has changes waiting: on a goroutine of its
// own (the store calls it from whoever wrote, maybe this very instance
// inside a callback), it calls Timer(id) under the instance lock unless
// the watch or the instance closed meanwhile.
func (x *inst) wake(id uint64) {
	x.tmu.Lock()
	if x.tdone {
		x.tmu.Unlock()
		return
	}
	x.twg.Add(1)
	x.tmu.Unlock()
	go func() {
		defer x.twg.Done()
		if !x.watches.Has(id) || !x.lock() {
			return
		}
		defer x.mu.Unlock()
		x.in.Timer(x.v.ctx, id)
	}()
}

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
	x.timers[id] = x.v.e.d.opts.Clock.AfterFunc(max(d, 0), func() { x.fire(id) })
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
