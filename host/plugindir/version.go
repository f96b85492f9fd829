package plugindir

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/proto"
)

// version is one loaded generation of a plugin: its config, compiled
// module and instances. It is the host.Handler registered for the
// interface. Links keep the version they opened on until they close; a
// version replaced by a reload is retired and closes itself when its last
// link is gone.
type version struct {
	e    *entry
	cfg  *Config
	mod  plugin.Module
	gen  uint64
	hash string
	log  hclog.Logger

	ctx    context.Context // done when the version is shut down
	cancel context.CancelFunc

	faults faults
	pool   *pool // Pool instance model; nil for PerLink

	mu      sync.Mutex
	ctl     *inst // PerLink: the instance that serves interface-wide control; guarded by mu
	links   int   // open links on this version; guarded by mu
	retired bool  // replaced or removed; guarded by mu
	down    bool  // shut down; guarded by mu

	wg sync.WaitGroup // pool rebuilders

	instances                   atomic.Int64
	opened, closedLinks, values atomic.Uint64
	slowConsumers               atomic.Uint64 // links reset because a plugin's send waited too long
	handlerNanos                atomic.Int64
}

var (
	_ host.Handler        = (*version)(nil)
	_ host.Controller     = (*version)(nil)
	_ host.HealthReporter = (*version)(nil)
	_ host.StatsReporter  = (*version)(nil)
)

// linkState is one open data link of the plugin.
type linkState struct {
	l       host.Link
	v       *version
	ctx     context.Context      // the link's context without its cancellation: callbacks run under it (see gone)
	inst    atomic.Pointer[inst] // PerLink: the link's instance; nil once it crashed
	replies replyOutbox          // replies to the stream requests the host serves, in order (streams.go)
}

// start makes the version's first instances: the pool, or (PerLink) one
// instance that proves the module instantiates and serves interface-wide
// control operations.
func (v *version) start(ctx context.Context) error {
	if v.cfg.Instances == Pool {
		p, err := newPool(ctx, v, v.cfg.PoolSize)
		if err != nil {
			return err
		}
		v.pool = p
		return nil
	}
	x, err := v.newInst(ctx)
	if err != nil {
		return err
	}
	v.ctl = x
	return nil
}

// shutdown closes every instance and the module. Links still open on the
// version are reset.
func (v *version) shutdown() {
	v.mu.Lock()
	if v.down {
		v.mu.Unlock()
		return
	}
	v.down = true
	v.mu.Unlock()
	v.finish()
}

// finish does the work of shutdown once down is set; it runs once.
func (v *version) finish() {
	v.mu.Lock()
	ctl := v.ctl
	v.ctl = nil
	v.mu.Unlock()
	v.e.mu.Lock()
	delete(v.e.live, v)
	v.e.mu.Unlock()
	v.cancel()
	v.wg.Wait()
	if ctl != nil {
		ctl.close()
	}
	if v.pool != nil {
		v.pool.close()
	}
	v.e.closeLinksOf(v)
	if err := v.mod.Close(context.WithoutCancel(v.ctx)); err != nil {
		v.log.Debug("closing the module", "error", err)
	}
	v.log.Debug("version closed")
}

// retire marks the version replaced; it shuts down now if no link uses it,
// otherwise when the last one closes. Deciding and marking it down happen
// under one lock, so a link cannot open on a version being shut down.
func (v *version) retire() {
	v.mu.Lock()
	v.retired = true
	idle := v.links == 0 && !v.down
	if idle {
		v.down = true
	}
	v.mu.Unlock()
	if idle {
		v.finish()
	}
}

func (v *version) release() {
	v.mu.Lock()
	v.links--
	idle := v.retired && v.links == 0 && !v.down
	if idle {
		v.down = true
	}
	v.mu.Unlock()
	if idle {
		v.finish()
	}
}

// health reports failed when CrashLimit instantiations in a row failed,
// the last within CrashWindow: the module cannot start. Crashes and
// handler errors never make a version failed (clients can cause them).
func (v *version) health() (host.Health, string) {
	if st := v.faults.state(time.Now()); st.failed {
		return host.Failed, fmt.Sprintf("%d instantiations in a row failed; last: %s", v.faults.limit, st.why)
	}
	return host.Serving, ""
}

// crash records a callback that left its instance unusable, logs it and
// returns the error l is reset with (PLUGIN_FAILED), which names l by its
// wire id: the peer reads it. l is nil for an interface-wide control
// operation.
func (v *version) crash(callback string, l host.Link, err error) error {
	v.faults.crash(time.Now(), err)
	if l == nil {
		v.log.Error("plugin crashed", "callback", callback, "error", logtext.Err(err))
		return proto.Errorf(proto.CodePluginFailed, "plugin %q (generation %d) %s: %v", v.cfg.Name, v.gen, callback, err)
	}
	v.log.Error("plugin crashed", "link", l.ID(), "callback", callback, "error", logtext.Err(err))
	return proto.Errorf(proto.CodePluginFailed, "plugin %q (generation %d) %s link %d: %v", v.cfg.Name, v.gen, callback, l.WireID(), err)
}

// handlerFailed records a handler's own error on a link and returns the
// error the link is reset with: HANDLER_ERROR with the handler's message
// (and file:line where the runtime knows it). The instance is kept.
func (v *version) handlerFailed(callback string, link plugin.LinkID, err error) error {
	v.faults.handlerError()
	v.log.Debug("handler error: the link is reset", "link", uint64(link), "callback", callback, "error", logtext.Err(err))
	return proto.Errorf(proto.CodeHandlerError, "plugin %q %s: %v", v.cfg.Name, callback, err)
}

// linkGone reports whether l has closed (reset by the client, by the
// plugin, or by the host for a slow consumer).
func linkGone(l host.Link) bool {
	select {
	case <-l.Done():
		return true
	default:
		return false
	}
}

// resetHeld resets the links in ids (still open on v) because the pool
// instance that kept their state was discarded: it crashed while serving
// (a link, or a control operation) with cause.
func (v *version) resetHeld(ids []plugin.LinkID, serving string, cause error) {
	for _, id := range ids {
		ls := v.e.linkState(id)
		if ls == nil || ls.v != v {
			continue
		}
		v.log.Warn("link reset: its instance crashed", "link", uint64(id), "crashed-serving", serving)
		_ = ls.l.Close(proto.Errorf(proto.CodePluginFailed,
			"plugin %q (generation %d) link %d: the instance serving the link crashed while serving %s, and what it kept for this link is lost: %v",
			v.cfg.Name, v.gen, ls.l.WireID(), serving, cause))
	}
}

// Callbacks run under context.WithoutCancel of the link's (or control
// request's) context: a link going away, as when a client resets it while
// open() runs, never interrupts plugin code, which would break an
// instance (a JavaScript one) or lose the state it keeps for every link
// (a pool's). The callback runs on, bounded by its deadline; its sends on
// the gone link fail.

// gone reports whether a callback's failure is put down to its link (ctx)
// going away during it: anything but a deadline. That is no crash: it is
// not counted, not logged as one, and the instance is kept. A deadline is
// a crash even then: the callback ran for CallTimeout.
func gone(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && !errors.Is(err, plugin.ErrTimeout)
}

func (v *version) goneDuring(callback string, link plugin.LinkID, err error) {
	v.log.Debug("the link went away during a callback", "link", uint64(link), "callback", callback, "error", err)
}

// servingLink says what a pool instance served when it crashed, in the
// texts of the other links it held. That link may be another client's,
// which has no id on their transports, so it is not numbered (the crash's
// own log line names it).
func servingLink(link plugin.LinkID) string {
	if link == 0 {
		return "an interface-wide control operation"
	}
	return "another link"
}

// failed logs and announces that CrashLimit instantiations of the version
// failed in a row: (event ^type "failed" ^interface N ^generation G
// ^reason "...") on the interface's control links.
func (v *version) failed() {
	_, why := v.health()
	v.log.Error("interface failed: it cannot instantiate; new links are refused until the crash window passes or a new version loads", "reason", why)
	v.e.d.opts.Registry.Emit(v.cfg.Name, event("failed", v.cfg.Name,
		gene.Prop{Key: "generation", Value: gene.Int(int64(v.gen))},
		gene.Prop{Key: "reason", Value: gene.String(why)}))
}

func linkInfo(l host.Link) plugin.LinkInfo {
	return plugin.LinkInfo{
		ID:        plugin.LinkID(l.ID()),
		Interface: l.Interface(),
		Direction: l.Direction(),
		Peer:      l.Peer(),
		Meta:      l.Meta(),
	}
}

// Open implements host.Handler: it gives the link an instance (PerLink) and
// calls Open.
func (v *version) Open(ctx context.Context, l host.Link) error {
	v.mu.Lock()
	if v.down {
		v.mu.Unlock()
		return proto.Errorf(proto.CodeUnavailable, "plugin %q generation %d was unloaded", v.cfg.Name, v.gen)
	}
	v.links++
	v.mu.Unlock()
	if h, why := v.health(); h == host.Failed {
		v.release()
		return proto.Errorf(proto.CodePluginFailed, "plugin %q: %v: %s", v.cfg.Name, ErrFailed, why)
	}
	id := plugin.LinkID(l.ID())
	ls := &linkState{l: l, v: v, ctx: context.WithoutCancel(ctx)}
	var x *inst
	// A link that went away meanwhile is not an error: there is nothing
	// left to reset, and nothing of it to clean up.
	if v.pool == nil {
		var err error
		if x, err = v.newInst(ctx); err != nil {
			v.release()
			if ctx.Err() != nil {
				v.goneDuring("instantiate", id, err)
				return nil
			}
			return v.crash("instantiate", l, err)
		}
		ls.inst.Store(x)
	} else {
		var err error
		if x, err = v.pool.get(ctx); err != nil {
			v.release()
			if ctx.Err() != nil {
				v.goneDuring("Open", id, err)
				return nil
			}
			return proto.Errorf(proto.CodeUnavailable, "plugin %q: no instance: %v", v.cfg.Name, err)
		}
	}
	v.e.addLink(id, ls)
	err := v.call(ls.ctx, x, id, "Open", func(ctx context.Context) error { return x.in.Open(ctx, linkInfo(l)) })
	if v.pool != nil {
		if err != nil && x.lock() { // a refused link is not the instance's to close
			delete(x.seen, id)
			x.mu.Unlock()
		}
		// A refusal is an answer; only a crash breaks the instance.
		v.pool.put(x, servingLink(id), id, crashed(err))
	}
	if err != nil {
		v.e.removeLink(id)
		if v.pool == nil {
			x.close()
		}
		v.release()
		if gone(ctx, err) {
			// Most likely refused because of it (a send failed); there
			// is no one left to tell.
			v.goneDuring("Open", id, err)
			return nil
		}
		if broken(err) {
			return v.crash("Open", l, err)
		}
		return v.handlerFailed("open()", id, err)
	}
	v.opened.Add(1)
	if ctx.Err() != nil {
		// The link went away while it opened. The host does not call
		// Closed for a link whose transport closed meanwhile, so do its
		// work now (close() runs, the instance goes); a later Closed
		// finds nothing left to do.
		v.goneDuring("Open", id, ctx.Err())
		v.Closed(l, errors.New("the link went away while it opened"))
	}
	return nil
}

// call runs one callback on x with its lock held, timing it. A pool
// instance records the link so that Closed reaches it later.
func (v *version) call(ctx context.Context, x *inst, link plugin.LinkID, callback string, fn func(context.Context) error) error {
	if !x.lock() {
		return fmt.Errorf("plugin %q %s link %d: %w", v.cfg.Name, callback, link, ErrClosed)
	}
	defer x.mu.Unlock()
	if v.pool != nil && link != 0 {
		if x.seen == nil {
			x.seen = map[plugin.LinkID]struct{}{}
		}
		x.seen[link] = struct{}{}
	}
	start := time.Now()
	err := fn(ctx)
	v.handlerNanos.Add(int64(time.Since(start)))
	return err
}

// Receive implements host.Handler: the values go to the link's instance
// (PerLink) or to a free pool instance. A failure is a crash: the link is
// reset with PLUGIN_FAILED and the instance is discarded (a pool rebuilds
// it after a backoff).
func (v *version) Receive(ctx context.Context, l host.Link, values []gene.Value) error {
	id := plugin.LinkID(l.ID())
	ls := v.e.linkState(id)
	if v.cfg.servesStreams() && ls != nil {
		if done, err := v.streamBatch(ctx, l, ls, values); done {
			return err
		}
	}
	var x *inst
	switch {
	case v.pool != nil:
		var err error
		if x, err = v.pool.get(ctx); err != nil {
			return proto.Errorf(proto.CodeUnavailable, "plugin %q: no instance for link %d: %v", v.cfg.Name, l.WireID(), err)
		}
	case ls == nil || ls.inst.Load() == nil:
		return proto.Errorf(proto.CodePluginFailed, "plugin %q link %d: the link's instance is gone", v.cfg.Name, l.WireID())
	default:
		x = ls.inst.Load()
	}
	cctx := context.WithoutCancel(ctx)
	if ls != nil {
		cctx = ls.ctx // made once per link
	}
	var flow plugin.Flow
	err := v.call(cctx, x, id, "Receive", func(ctx context.Context) error {
		var err error
		flow, err = x.in.Receive(ctx, id, values)
		return err
	})
	if !broken(err) && (gone(ctx, err) || err != nil && linkGone(l)) {
		// The link went away during the call (the client reset it, or the
		// host reset it because the client returned no credit while the
		// handler waited to send), most likely the reason it failed: not a
		// crash, and the instance stays (Closed runs close() on it).
		v.goneDuring("Receive", id, err)
		if v.pool != nil {
			v.pool.put(x, "", 0, nil)
		}
		return nil
	}
	if v.pool != nil {
		v.pool.put(x, servingLink(id), id, crashed(err))
	} else if broken(err) {
		ls.inst.Store(nil)
		x.close()
	}
	switch {
	case broken(err):
		return v.crash("Receive", l, err)
	case err != nil:
		return v.handlerFailed("values()", id, err)
	}
	v.values.Add(uint64(len(values)))
	if flow == plugin.Pause {
		l.Pause()
	}
	return nil
}

// Closed implements host.Handler: Closed on the instances that know the
// link, then the link's instance is freed (PerLink).
func (v *version) Closed(l host.Link, err error) {
	id := plugin.LinkID(l.ID())
	ls := v.e.removeLink(id)
	onClose := func(x *inst) {
		x.in.Closed(v.ctx, id, err)
	}
	if v.pool != nil {
		v.pool.each(func(x *inst) {
			if _, ok := x.seen[id]; ok {
				delete(x.seen, id)
				onClose(x)
			}
		})
	} else if ls != nil && ls.inst.Load() != nil {
		x := ls.inst.Swap(nil)
		if x != nil && x.lock() {
			onClose(x)
			x.mu.Unlock()
		}
		if x != nil {
			x.close()
		}
	}
	if ls != nil {
		v.closedLinks.Add(1)
		v.release()
	}
}

// Control implements host.Controller. An operation naming a link runs on
// that link's instance (on the version the link opened on); an
// interface-wide one on the control instance (PerLink) or a pool
// instance.
func (v *version) Control(ctx context.Context, l host.Link, op string, arg gene.Value) (gene.Value, error) {
	var id plugin.LinkID
	target := v
	var x *inst
	if l != nil {
		id = plugin.LinkID(l.ID())
		if ls := v.e.linkState(id); ls != nil {
			target = ls.v
			if target.pool == nil {
				if x = ls.inst.Load(); x == nil {
					return gene.Value{}, proto.Errorf(proto.CodePluginFailed, "plugin %q link %d: the link's instance is gone", v.cfg.Name, l.WireID())
				}
			}
		}
	}
	// The operation keeps the host's deadline for it, not the request's
	// cancellation (see gone).
	cctx := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		cctx, cancel = context.WithDeadline(cctx, dl)
		defer cancel()
	}
	var res gene.Value
	run := func(x *inst) error {
		return target.call(cctx, x, 0, "Control", func(ctx context.Context) error {
			var err error
			res, err = x.in.Control(ctx, id, op, arg)
			return err
		})
	}
	var err error
	switch {
	case target.pool != nil:
		if x, err = target.pool.get(ctx); err != nil {
			return gene.Value{}, proto.Errorf(proto.CodeUnavailable, "plugin %q: no instance: %v", v.cfg.Name, err)
		}
		err = run(x)
		target.pool.put(x, "a control operation", 0, crashed(err))
	case x != nil:
		err = run(x)
		if broken(err) {
			// The link's own instance crashed: the link goes with it.
			if ls := v.e.linkState(id); ls != nil && ls.inst.CompareAndSwap(x, nil) {
				x.close()
				cerr := target.crash("Control", l, err)
				_ = ls.l.Close(cerr)
				return gene.Value{}, cerr
			}
		}
	default:
		if x, err = target.control(ctx); err != nil {
			if ctx.Err() != nil {
				return gene.Value{}, err
			}
			return gene.Value{}, target.crash("instantiate", nil, err)
		}
		err = run(x)
		if broken(err) {
			target.dropControl(x)
		}
	}
	if broken(err) {
		return gene.Value{}, target.crash("Control", l, err)
	}
	return res, err
}

// crashed returns err when it left the instance unusable, nil otherwise:
// a handler's own error (a refused link, a failed control operation, an
// exception) is an answer, not a crash.
func crashed(err error) error {
	if broken(err) {
		return err
	}
	return nil
}

// control returns the PerLink control instance, making it if a crash
// dropped it.
func (v *version) control(ctx context.Context) (*inst, error) {
	v.mu.Lock()
	x := v.ctl
	v.mu.Unlock()
	if x != nil {
		lost := x.lost()
		if lost == nil {
			return x, nil
		}
		v.faults.crash(time.Now(), lost)
		v.dropControl(x)
	}
	x, err := v.newInst(ctx)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	switch {
	case v.down:
		v.mu.Unlock()
		x.close()
		return nil, ErrClosed
	case v.ctl != nil: // another caller made one meanwhile
		ctl := v.ctl
		v.mu.Unlock()
		x.close()
		return ctl, nil
	}
	v.ctl = x
	v.mu.Unlock()
	return x, nil
}

func (v *version) dropControl(x *inst) {
	v.mu.Lock()
	if v.ctl == x {
		v.ctl = nil
	}
	v.mu.Unlock()
	x.close()
}

// Health is asked by the host for the interface's health: failed after
// Options.CrashLimit failed instantiations in a row (see health).
func (v *version) Health() (host.Health, string) { return v.health() }

// Stats is merged into the interface's stats: the reload generation
// (^generation), the error of the last failed reload while the folder
// still holds it (^reload-error), and the plugin's own counters and last
// crash under ^plugin.
func (v *version) Stats() gene.Value {
	st := v.faults.state(time.Now())
	v.mu.Lock()
	links := v.links
	v.mu.Unlock()
	reloadErr := v.e.reloadError()
	ps := gene.Props{
		{Key: "generation", Value: gene.Int(int64(v.gen))},
	}
	if reloadErr != "" {
		ps = append(ps, gene.Prop{Key: "reload-error", Value: gene.String(reloadErr)})
	}
	pp := gene.Props{
		{Key: "runtime", Value: gene.String(v.cfg.Runtime)},
		{Key: "instances", Value: gene.String(v.cfg.Instances.String())},
		{Key: "live-instances", Value: gene.Int(v.instances.Load())},
		{Key: "links", Value: gene.Int(int64(links))},
		{Key: "opened", Value: gene.Int(int64(v.opened.Load()))},
		{Key: "values", Value: gene.Int(int64(v.values.Load()))},
		{Key: "handler-ns", Value: gene.Int(v.handlerNanos.Load())},
		{Key: "crashes", Value: gene.Int(int64(st.total))},
		{Key: "recent-crashes", Value: gene.Int(int64(st.recent))},
		{Key: "handler-errors", Value: gene.Int(int64(st.handlerErrors))},
		{Key: "slow-consumer-resets", Value: gene.Int(int64(v.slowConsumers.Load()))},
		{Key: "failed", Value: gene.Bool(st.failed)},
		{Key: "hash", Value: gene.String(v.hash)},
	}
	if st.last != "" {
		pp = append(pp, gene.Prop{Key: "last-crash", Value: gene.String(st.last)})
	}
	ps = append(ps, gene.Prop{Key: "plugin", Value: gene.PropMap(pp...)})
	return gene.PropMap(ps...)
}
