package wasmrt

import (
	"context"
	"sync"
	"time"
)

// callCtx is the context of every guest call of one instance. It is
// reused from call to call, so a call allocates no context, timer or
// channel of its own: wazero watches Done to stop the guest, and host
// functions find their instance by asserting the type of the ctx wazero
// hands them.
//
// Done closes when the call's deadline passes (Limits.CallTimeout, or the
// parent's deadline if earlier) or the parent is cancelled. Only the
// instance's owner calls begin and end; Done, Err, Deadline and Value may
// be called from any goroutine.
type callCtx struct {
	in     *instance
	timer  *time.Timer // fires c.expire; created once
	stop   func() bool // stops the parent watch of this call, or nil
	mu     sync.Mutex  // guards the fields below
	parent context.Context
	done   chan struct{}
	err    error
	dl     time.Time
	armed  bool
}

var _ context.Context = (*callCtx)(nil)

// begin arms c for one call of at most timeout under parent.
func (c *callCtx) begin(parent context.Context, timeout time.Duration) {
	dl := time.Now().Add(timeout)
	if pdl, ok := parent.Deadline(); ok && pdl.Before(dl) {
		dl = pdl
	}
	c.mu.Lock()
	c.parent = parent
	c.dl = dl
	c.armed = true
	if c.done == nil {
		c.done = make(chan struct{})
	}
	c.mu.Unlock()
	if c.timer == nil {
		c.timer = time.AfterFunc(time.Until(dl), c.expire)
	} else {
		c.timer.Reset(time.Until(dl))
	}
	if parent.Done() != nil {
		// Only a cancellable parent costs an allocation per call.
		c.stop = context.AfterFunc(parent, c.cancel)
	}
}

// end disarms c after a call. It reports whether the call was cut short,
// and by what: context.DeadlineExceeded for the deadline, or the parent's
// error.
func (c *callCtx) end() error {
	c.timer.Stop()
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = false
	err := c.err
	if err != nil {
		// The channel is closed for good; the next call needs a new one.
		c.done = nil
		c.err = nil
	}
	c.parent = nil
	return err
}

// expire runs on the timer's goroutine.
func (c *callCtx) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A late firing from an earlier call sees a later deadline, or no call.
	if !c.armed || c.err != nil || time.Now().Before(c.dl) {
		return
	}
	c.err = context.DeadlineExceeded
	close(c.done)
}

// cancel runs when the parent is done.
func (c *callCtx) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed || c.err != nil || c.parent == nil {
		return
	}
	// Err, not Cause: wazero stops the guest only for the two standard
	// errors.
	c.err = c.parent.Err()
	if c.err == nil {
		c.err = context.Canceled
	}
	close(c.done)
}

func (c *callCtx) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dl, c.armed
}

func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *callCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *callCtx) Value(key any) any {
	c.mu.Lock()
	p := c.parent
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Value(key)
}
