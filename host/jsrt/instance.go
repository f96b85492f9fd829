package jsrt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/console"
	"github.com/dop251/goja_nodejs/eventloop"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// unwindGrace is how long a timed-out callback may take to unwind after
// its interrupt (JavaScript stops at its next instruction; a native
// built-in such as a huge sort finishes first). Past it the call returns
// anyway and Close waits for the loop.
const unwindGrace = time.Second

// interruptGrace is how long a callback may run past its deadline before
// it is interrupted: long enough for a handler blocked in a host call,
// which gives up at the deadline, to return on its own.
const interruptGrace = 20 * time.Millisecond

// MinInitTimeout is the least time an instance's setup (the globals, the
// guards, the prelude and the module's top level) may take: the larger of
// it and Limits.CallTimeout bounds instantiation, so a plugin with a short
// call deadline still starts on a loaded machine.
const MinInitTimeout = 2 * time.Second

// topLevel names the setup callback in errors.
const topLevel = "module top level"

// fixedEpoch is what Date.now() and new Date() see without the Clock
// grant.
var fixedEpoch = time.Unix(0, 0).UTC()

// instance is one goja runtime, owned by its event loop's goroutine. The
// host calls it from one goroutine at a time; each callback is handed to
// the loop as a job and waited for under the call deadline, or, with
// Config.KilledOnOverrun, run by the calling goroutine itself while a
// watchdog keeps the deadline. Interrupt is the only call made on vm from
// another goroutine.
type instance struct {
	m    *module
	host plugin.Host
	loop *eventloop.EventLoop
	vm   *goja.Runtime

	// broken and closed are touched only by the goroutine calling the
	// instance (the host serialises calls). broken is set once a callback
	// timed out: the runtime was stopped mid-way through arbitrary code, so
	// no further callback runs and the host must instantiate afresh.
	broken error
	closed bool
	timer  *time.Timer // the call deadline, reset for each call
	done   chan error  // a callback's result, from the loop
	watch  *watchdog   // the deadline of a callback run here (module.direct)

	// Everything below belongs to the loop goroutine (the calling
	// goroutine reads interrupted after the job's result arrives).
	cur         callState
	interrupted bool // the callback in progress was stopped by Interrupt
	c           *conv
	exports     *goja.Object
	onOpen      goja.Callable
	onValues    goja.Callable
	onValue     goja.Callable
	onClose     goja.Callable
	onTimer     goja.Callable
	control     *goja.Object
	links       map[plugin.LinkID]*goja.Object
	// unhandled holds promises rejected with no handler attached yet,
	// reported when the callback ends.
	unhandled map[*goja.Promise]struct{}
}

// callState describes the callback in progress, for host calls made from
// inside it and for error messages.
type callState struct {
	parent   context.Context // the callback's ctx
	deadline time.Time       // its CallTimeout deadline
	// ctx is parent bounded by deadline, made the first time a host call
	// needs it (most callbacks make none); cancel frees it.
	ctx     context.Context
	cancel  context.CancelFunc
	link    plugin.LinkID
	handler string // "values()", "control.add()", ...
}

var _ plugin.Instance = (*instance)(nil)

func newInstance(ctx context.Context, m *module, h plugin.Host) (*instance, error) {
	in := &instance{m: m, host: h, links: map[plugin.LinkID]*goja.Object{}, unhandled: map[*goja.Promise]struct{}{},
		done: make(chan error, 1), timer: time.NewTimer(time.Hour)}
	in.timer.Stop()
	in.loop = eventloop.NewEventLoop(eventloop.WithRegistry(m.registry), eventloop.EnableConsole(false))
	if m.direct {
		// No loop goroutine: Run hands the runtime over here and
		// returns, there being no timers.
		in.loop.Run(func(vm *goja.Runtime) { in.vm = vm })
		in.watch = newWatchdog(in.vm)
	} else {
		in.loop.Start()
		vms := make(chan *goja.Runtime, 1)
		in.loop.RunOnLoop(func(vm *goja.Runtime) { vms <- vm })
		in.vm = <-vms
	}
	err := in.run(ctx, topLevel, 0, in.setup)
	if err != nil {
		in.Close(ctx)
		return nil, err
	}
	return in, nil
}

// setup runs on the loop: globals, the prelude, then handler.js.
func (in *instance) setup() error {
	vm, m := in.vm, in.m
	if !m.grants.Clock {
		vm.SetTimeSource(func() time.Time { return fixedEpoch })
	}
	g := vm.GlobalObject()
	// Timers fire only as host callbacks (Host.SetTimer), so the event
	// loop's own scheduling functions are removed; the prelude defines
	// setTimeout and clearTimeout on top of the host's timers.
	for _, k := range []string{"setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate"} {
		g.Delete(k)
	}
	cm := vm.NewObject()
	cm.Set("exports", vm.NewObject())
	console.RequireWithPrinter(printer{in})(vm, cm)
	vm.Set("console", cm.Get("exports"))
	vm.Set("require", in.requireFunc(m.registry.Enable(vm)))
	vm.SetPromiseRejectionTracker(in.trackRejection)
	if err := installGuards(vm, m.limits); err != nil {
		return err
	}

	pre, err := vm.RunProgram(m.prelude)
	if err != nil {
		return fmt.Errorf("jsrt: run the prelude: %w", err)
	}
	preFn, _ := goja.AssertFunction(pre)
	ret, err := preFn(goja.Undefined(), in.natives(), g)
	if err != nil {
		return fmt.Errorf("jsrt: run the prelude: %w", err)
	}
	in.c = newConv(vm, ret.(*goja.Object))

	wrapper, err := vm.RunProgram(m.program)
	if err != nil {
		return in.jsError(err)
	}
	wrapFn, _ := goja.AssertFunction(wrapper)
	mod, exports := vm.NewObject(), vm.NewObject()
	mod.Set("exports", exports)
	if _, err := wrapFn(exports, exports, vm.Get("require"), mod, vm.ToValue(m.entry), vm.ToValue(m.dir)); err != nil {
		return in.jsError(err)
	}
	return in.bind(mod.Get("exports"))
}

// bind finds the handler functions in module.exports.
func (in *instance) bind(v goja.Value) error {
	obj, ok := v.(*goja.Object)
	if !ok || goja.IsNull(v) {
		return fmt.Errorf("jsrt: plugin %s: %s must set module.exports to an object of handler functions, got %s", in.m.name, in.m.entry, typeName(v))
	}
	in.exports = obj
	fn := func(name string) (goja.Callable, error) {
		f := obj.Get(name)
		if f == nil || goja.IsUndefined(f) {
			return nil, nil
		}
		c, ok := goja.AssertFunction(f)
		if !ok {
			return nil, fmt.Errorf("jsrt: plugin %s: module.exports.%s must be a function, got %s", in.m.name, name, typeName(f))
		}
		return c, nil
	}
	var err error
	for _, b := range []struct {
		name string
		dst  *goja.Callable
	}{{"open", &in.onOpen}, {"values", &in.onValues}, {"value", &in.onValue}, {"close", &in.onClose}, {"timer", &in.onTimer}} {
		if *b.dst, err = fn(b.name); err != nil {
			return err
		}
	}
	if in.onValues != nil && in.onValue != nil {
		return fmt.Errorf("jsrt: plugin %s: module.exports has both values() and value(); define one", in.m.name)
	}
	if c := obj.Get("control"); c != nil && !goja.IsUndefined(c) && !goja.IsNull(c) {
		co, ok := c.(*goja.Object)
		if !ok {
			return fmt.Errorf("jsrt: plugin %s: module.exports.control must be an object of operations, got %s", in.m.name, typeName(c))
		}
		in.control = co
	}
	return nil
}

// run hands fn to the loop as the callback handler for link and waits for
// it under Limits.CallTimeout and ctx. On timeout it interrupts the
// runtime and marks the instance broken.
func (in *instance) run(ctx context.Context, handler string, link plugin.LinkID, fn func() error) error {
	if in.closed {
		return fmt.Errorf("jsrt: plugin %s: %s: %w", in.m.name, handler, ErrClosed)
	}
	if in.broken != nil {
		return in.broken
	}
	// One timer and one result channel serve every call: calls are
	// serialised, and a call that leaves a job behind breaks the instance.
	timeout := in.m.limits.CallTimeout
	if handler == topLevel {
		timeout = max(timeout, MinInitTimeout)
	}
	deadline := time.Now().Add(timeout)
	if in.m.direct {
		return in.runHere(ctx, handler, link, deadline, fn)
	}
	in.timer.Reset(timeout)
	defer in.timer.Stop()
	job := func(*goja.Runtime) { in.done <- in.callback(ctx, handler, link, deadline, fn) }
	if !in.loop.RunOnLoop(job) {
		return fmt.Errorf("jsrt: plugin %s: %s: %w", in.m.name, handler, ErrClosed)
	}
	var cause error
	select {
	case err := <-in.done:
		if err != nil && (ctx.Err() != nil || !time.Now().Before(deadline)) {
			// It failed as its deadline passed, most likely because of it
			// (a host call gave up); say so.
			return in.late(ctx, handler, link, err)
		}
		return err
	case <-in.timer.C:
		cause = plugin.ErrTimeout
	case <-ctx.Done():
		cause = context.Cause(ctx)
	}
	// Host calls give up at the deadline too, so a handler blocked in one
	// (sendAsync waiting for credit) gets a moment to return on its own,
	// which keeps the instance, before it is interrupted.
	select {
	case err := <-in.done:
		return in.late(ctx, handler, link, err)
	case <-time.After(interruptGrace):
	}
	in.vm.Interrupt(plugin.ErrTimeout)
	select {
	case err := <-in.done:
		if !in.interrupted {
			// It returned before the interrupt landed: the runtime is
			// intact, so drop the pending interrupt and keep it.
			in.vm.ClearInterrupt()
			return in.late(ctx, handler, link, err)
		}
	case <-time.After(unwindGrace):
	}
	err := in.deadlineError(cause, handler, link, "interrupted")
	in.broken = fmt.Errorf("%w: %w", ErrBroken, err)
	return err
}

// callback runs fn as the callback handler for link on the goroutine that
// owns the runtime now, and notes whether an interrupt stopped it.
func (in *instance) callback(ctx context.Context, handler string, link plugin.LinkID, deadline time.Time, fn func() error) (err error) {
	in.cur = callState{parent: ctx, deadline: deadline, link: link, handler: handler}
	in.interrupted = false
	defer func() {
		if in.cur.cancel != nil {
			in.cur.cancel()
		}
		if in.c != nil {
			in.c.forget()
		}
		in.cur = callState{}
		if r := recover(); r != nil {
			err = fmt.Errorf("jsrt: plugin %s: %s: internal error: %v", in.m.name, handler, r)
		}
	}()
	err = fn()
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		in.interrupted = true
	}
	in.reportUnhandled()
	return err
}

// runHere is run for Config.KilledOnOverrun: fn runs on this goroutine
// while the watchdog interrupts it interruptGrace after its deadline or
// after ctx ends, as run would; the call returns once it has unwound.
func (in *instance) runHere(ctx context.Context, handler string, link plugin.LinkID, deadline time.Time, fn func() error) error {
	in.watch.start(ctx, deadline)
	err := in.callback(ctx, handler, link, deadline, fn)
	if fired := in.watch.stop(); fired && !in.interrupted {
		// It returned before the interrupt landed: the runtime is
		// intact, so drop the pending interrupt and keep it.
		in.vm.ClearInterrupt()
	}
	if in.interrupted {
		cause := error(plugin.ErrTimeout)
		if ctx.Err() != nil {
			cause = context.Cause(ctx)
		}
		de := in.deadlineError(cause, handler, link, "interrupted")
		in.broken = fmt.Errorf("%w: %w", ErrBroken, de)
		return de
	}
	if ctx.Err() != nil || !time.Now().Before(deadline) {
		return in.late(ctx, handler, link, err)
	}
	return err
}

// late reports a callback that returned (with err, or nil) only after its
// deadline.
func (in *instance) late(ctx context.Context, handler string, link plugin.LinkID, err error) error {
	cause := plugin.ErrTimeout
	if ctx.Err() != nil {
		cause = context.Cause(ctx)
	}
	de := in.deadlineError(cause, handler, link, "deadline passed")
	if err == nil {
		return de
	}
	return fmt.Errorf("%w (%w)", err, de)
}

// deadlineError describes a callback stopped by its deadline (cause is
// plugin.ErrTimeout) or its context (cause is the context's); it matches
// plugin.ErrTimeout either way.
func (in *instance) deadlineError(cause error, handler string, link plugin.LinkID, what string) *HandlerError {
	err := &HandlerError{Plugin: in.m.name, Handler: handler, Link: link}
	if errors.Is(cause, plugin.ErrTimeout) {
		err.Message = fmt.Sprintf("%s after CallTimeout %s", what, in.m.limits.CallTimeout)
		err.Err = plugin.ErrTimeout
	} else {
		err.Message = what + ": " + cause.Error()
		err.Err = errors.Join(plugin.ErrTimeout, cause)
	}
	return err
}

// Open creates the link object and calls open(link).
func (in *instance) Open(ctx context.Context, info plugin.LinkInfo) error {
	return in.run(ctx, "open()", info.ID, func() error {
		l, err := in.newLink(info)
		if err != nil {
			return err
		}
		in.links[info.ID] = l
		if in.onOpen == nil {
			return nil
		}
		_, err = in.call(in.onOpen, l)
		return err
	})
}

// Receive calls values(link, array) once, or value(link, v) per value.
func (in *instance) Receive(ctx context.Context, link plugin.LinkID, values []gene.Value) (plugin.Flow, error) {
	handler := "values()"
	if in.onValue != nil {
		handler = "value()"
	}
	flow := plugin.Continue
	err := in.run(ctx, handler, link, func() error {
		if in.onValues == nil && in.onValue == nil {
			return in.fail("module.exports has no values() or value() handler to receive values")
		}
		for i, v := range values {
			if err := in.checkSize(v, "value", i); err != nil {
				return err
			}
		}
		l := in.link(link)
		if in.onValues != nil {
			arr := in.c.arrayOf(len(values), func(i int) goja.Value {
				x := in.c.toJS(values[i])
				in.c.remember(x, values[i])
				return x
			})
			ret, err := in.call(in.onValues, l, arr)
			if err != nil {
				return err
			}
			flow, err = in.flow(ret)
			return err
		}
		for _, v := range values {
			x := in.c.toJS(v)
			in.c.remember(x, v)
			ret, err := in.call(in.onValue, l, x)
			if err != nil {
				return err
			}
			f, err := in.flow(ret)
			if err != nil {
				return err
			}
			if f == plugin.Pause {
				flow = plugin.Pause // after the batch: its values are in hand
			}
		}
		return nil
	})
	return flow, err
}

// flow reads a handler's settled result: undefined, or "pause".
func (in *instance) flow(ret goja.Value) (plugin.Flow, error) {
	if ret == nil || goja.IsUndefined(ret) || goja.IsNull(ret) {
		return plugin.Continue, nil
	}
	if s, ok := ret.Export().(string); ok {
		switch s {
		case "pause":
			return plugin.Pause, nil
		case "continue":
			return plugin.Continue, nil
		}
	}
	return plugin.Continue, in.fail(fmt.Sprintf("returned %s; a values handler returns nothing, or \"pause\" (genehost.PAUSE) to hold the link until link.resume()", describe(ret)))
}

// Control calls control[op](arg, link).
func (in *instance) Control(ctx context.Context, link plugin.LinkID, op string, arg gene.Value) (gene.Value, error) {
	var out gene.Value
	err := in.run(ctx, "control."+op+"()", link, func() error {
		var f goja.Value
		if in.control != nil {
			f = in.control.Get(op)
		}
		fn, ok := goja.AssertFunction(f)
		if !ok {
			known := ""
			if in.control != nil {
				known = fmt.Sprintf(" (control ops: %v)", in.control.Keys())
			}
			return &HandlerError{Plugin: in.m.name, Handler: "control", Link: link, Message: "unknown op " + op + known}
		}
		if err := in.checkSize(arg, "control argument", -1); err != nil {
			return err
		}
		l := goja.Null()
		if link != 0 {
			l = in.link(link)
		}
		ret, err := in.callOn(in.control, fn, in.c.toJS(arg), l)
		if err != nil {
			return err
		}
		out, err = in.c.fromJS(ret)
		if err != nil {
			return in.fail("returned a value that is not a Gene value: " + err.Error())
		}
		return nil
	})
	return out, err
}

// Closed calls close(link, reason) and forgets the link. An error from
// the handler is logged: there is no one left to report it to.
func (in *instance) Closed(ctx context.Context, link plugin.LinkID, cause error) {
	reason := ""
	if cause != nil {
		reason = cause.Error()
	}
	err := in.run(ctx, "close()", link, func() error {
		l := in.link(link)
		delete(in.links, link)
		if in.onClose == nil {
			return nil
		}
		_, err := in.call(in.onClose, l, in.vm.ToValue(reason))
		return err
	})
	if err != nil {
		in.host.Log("error", link, err.Error())
	}
}

// Timer runs the setTimeout callback registered under id, timer(id) for
// timers set with genehost.setTimer, or the callback of the
// genehost.kv.watch whose id it is with its waiting changes. Errors are
// logged.
func (in *instance) Timer(ctx context.Context, id uint64) {
	err := in.run(ctx, "timer()", 0, func() error {
		if w, err := in.c.watchFor(goja.Undefined(), in.vm.ToValue(id)); err != nil {
			return in.jsError(err)
		} else if cb, ok := goja.AssertFunction(w); ok {
			return in.deliverWatch(id, cb)
		}
		t, err := in.c.takeTimer(goja.Undefined(), in.vm.ToValue(id))
		if err != nil {
			return in.jsError(err)
		}
		if to, ok := t.(*goja.Object); ok {
			in.cur.handler = "setTimeout callback"
			cb, _ := goja.AssertFunction(to.Get("0"))
			args, _ := to.Get("1").(*goja.Object)
			var argv []goja.Value
			if args != nil {
				for i := int64(0); i < args.Get("length").ToInteger(); i++ {
					argv = append(argv, args.Get(strconv.FormatInt(i, 10)))
				}
			}
			_, err := in.settle(cb(goja.Undefined(), argv...))
			return err
		}
		if !t.ToBoolean() || in.onTimer == nil {
			return nil // cancelled
		}
		_, err = in.call(in.onTimer, in.vm.ToValue(id))
		return err
	})
	if err != nil {
		in.host.Log("error", 0, err.Error())
	}
}

// Close stops the event loop, waiting for a callback still unwinding
// after a timeout until ctx is done.
func (in *instance) Close(ctx context.Context) error {
	if in.closed {
		return nil
	}
	in.closed = true
	if in.broken != nil {
		in.vm.Interrupt(plugin.ErrTimeout)
	}
	done := make(chan struct{})
	go func() {
		in.loop.Terminate()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jsrt: plugin %s: close: the instance is still running: %w", in.m.name, ctx.Err())
	}
}

// call calls a handler with module.exports as this, converting a thrown
// exception or rejected promise into a HandlerError.
func (in *instance) call(fn goja.Callable, args ...goja.Value) (goja.Value, error) {
	return in.callOn(in.exports, fn, args...)
}

func (in *instance) callOn(this goja.Value, fn goja.Callable, args ...goja.Value) (goja.Value, error) {
	return in.settle(fn(this, args...))
}

// settle waits for a returned promise. Promise jobs run when the call
// returns to Go, and every host call a handler can await (sendAsync, kv)
// completes synchronously, so a promise still pending now would wait on a
// later callback (a timer) and can never settle within this one.
func (in *instance) settle(ret goja.Value, err error) (goja.Value, error) {
	if err != nil {
		return nil, in.jsError(err)
	}
	obj, ok := ret.(*goja.Object)
	if !ok || obj.Prototype() != in.c.promiseProto {
		return ret, nil
	}
	p, ok := obj.Export().(*goja.Promise)
	if !ok {
		return ret, nil
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return p.Result(), nil
	case goja.PromiseStateRejected:
		delete(in.unhandled, p) // reported as the callback's error
		return nil, in.thrown(p.Result(), nil)
	}
	return nil, in.fail("returned a promise that is still pending once all its work ran; a handler's promise must settle within the callback (await sendAsync and kv calls, but not timers: they fire as callbacks of their own)")
}

// trackRejection follows promises rejected with no handler attached,
// which would otherwise fail silently; reportUnhandled logs those still
// unhandled when the callback ends.
func (in *instance) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		in.unhandled[p] = struct{}{}
	case goja.PromiseRejectionHandle:
		delete(in.unhandled, p)
	}
}

func (in *instance) reportUnhandled() {
	for p := range in.unhandled {
		in.host.Log("warn", in.cur.link, in.thrown(p.Result(), nil).Error()+" (an unhandled promise rejection)")
		delete(in.unhandled, p)
	}
}

// fail returns a HandlerError for the callback in progress.
func (in *instance) fail(msg string) error {
	return &HandlerError{Plugin: in.m.name, Handler: in.cur.handler, Link: in.cur.link, Message: msg}
}

// link returns the link object for id, making a bare one for a link the
// instance was not told about (a control call naming it, a pool member).
func (in *instance) link(id plugin.LinkID) *goja.Object {
	if l, ok := in.links[id]; ok {
		return l
	}
	l, _ := in.newLink(plugin.LinkInfo{ID: id})
	in.links[id] = l
	return l
}

func (in *instance) newLink(info plugin.LinkInfo) (*goja.Object, error) {
	l := in.vm.CreateObject(in.c.linkProto)
	l.Set("id", uint64(info.ID))
	l.Set("interface", info.Interface)
	l.Set("direction", info.Direction.String())
	l.Set("peer", info.Peer)
	meta := goja.Null()
	if !info.Meta.IsNil() {
		if err := in.checkSize(info.Meta, "link metadata", -1); err != nil {
			return nil, err
		}
		meta = in.c.toJS(info.Meta)
	}
	l.Set("meta", meta)
	return l, nil
}

// checkSize refuses a value whose binary encoding is over MaxInputBytes
// before any of it is converted. what names the value, followed by its
// index i in a batch unless i is negative.
func (in *instance) checkSize(v gene.Value, what string, i int) error {
	max := in.m.limits.MaxInputBytes
	if n := gene.BinarySize(v); n > max {
		if i >= 0 {
			what += " " + strconv.Itoa(i)
		}
		return &HandlerError{Plugin: in.m.name, Handler: in.cur.handler, Link: in.cur.link,
			Message: fmt.Sprintf("%s is %d bytes encoded, refused before conversion", what, n),
			Err:     &gene.LimitError{Limit: "MaxInputBytes", Max: max}}
	}
	return nil
}

// printer sends console output to the host log, tagged with the link of
// the callback in progress.
type printer struct{ in *instance }

func (p printer) Log(s string)   { p.in.host.Log("info", p.in.cur.link, s) }
func (p printer) Warn(s string)  { p.in.host.Log("warn", p.in.cur.link, s) }
func (p printer) Error(s string) { p.in.host.Log("error", p.in.cur.link, s) }
