package jsrt

import (
	"context"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/host/plugin"
)

// watchdog keeps the deadline of callbacks an instance runs on its
// caller's goroutine (Config.KilledOnOverrun): it interrupts the runtime
// interruptGrace after the callback's deadline, or after its context
// ends, unless the callback has returned by then. One timer serves every
// callback of the instance.
type watchdog struct {
	vm    *goja.Runtime
	timer *time.Timer

	mu sync.Mutex
	// call counts callbacks; a context's AfterFunc left from an earlier
	// one knows it by its number.
	call    uint64
	running bool      // a callback is running
	due     time.Time // when to interrupt it
	fired   bool      // it was interrupted

	// stopCtx ends the watch on the running callback's context; it
	// belongs to the goroutine running the callback.
	stopCtx func() bool
}

func newWatchdog(vm *goja.Runtime) *watchdog {
	w := &watchdog{vm: vm}
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
	return w
}

// start watches a callback with the given deadline and context, until
// stop.
func (w *watchdog) start(ctx context.Context, deadline time.Time) {
	w.mu.Lock()
	w.call++
	call := w.call
	w.running, w.fired = true, false
	w.due = deadline.Add(interruptGrace)
	w.mu.Unlock()
	w.timer.Reset(time.Until(w.due))
	if ctx.Done() != nil {
		w.stopCtx = context.AfterFunc(ctx, func() { w.ended(call) })
	}
}

// stop ends the watch and reports whether the runtime was interrupted;
// after it no interrupt comes.
func (w *watchdog) stop() bool {
	if w.stopCtx != nil {
		w.stopCtx()
		w.stopCtx = nil
	}
	w.timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = false
	return w.fired
}

// ended moves the interrupt of callback call to interruptGrace from now:
// its context has ended.
func (w *watchdog) ended(call uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if call != w.call || !w.running {
		return
	}
	if due := time.Now().Add(interruptGrace); due.Before(w.due) {
		w.due = due
		w.timer.Reset(interruptGrace)
	}
}

// fire interrupts the running callback if it is due. A run of the timer
// set for an earlier callback finds the current one not yet due.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running || time.Now().Before(w.due) {
		return
	}
	w.fired = true
	w.vm.Interrupt(plugin.ErrTimeout)
}
