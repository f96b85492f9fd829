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
// A call has two ends. Done closes when the call's deadline passes
// (Limits.CallTimeout, the instantiation bound, or the parent's deadline
// if earlier): that stops the guest. The parent's cancellation stops the
// guest only for instantiation (begin's cancelStops); a callback runs on,
// because stopping it would discard the guest and with it the memory it
// keeps for every link it serves, while its caller (a link that went
// away) only wants it to stop waiting. Blocking host calls (gh_send) run
// under host(), which ends at either.
//
// The parent is watched (context.AfterFunc, which allocates and registers
// with the parent) only when its end matters: from begin for
// instantiation, else from the first time a host call asks host() for Done
// or Err, which a host call does only when it has to wait (gh_send
// without credit). A callback whose host calls never wait, the common
// case, costs no allocation and no registration with its parent; end
// still reports a parent that ended during the call.
//
// Only the instance's owner calls begin and end; Done, Err, Deadline and
// Value may be called from any goroutine.
type callCtx struct {
	in    *instance
	timer *time.Timer // fires c.expire; created once
	mu    sync.Mutex  // guards the fields below
	stop  func() bool // stops the parent watch of this call, or nil
	// The call in progress.
	parent      context.Context
	cancelStops bool // the parent's end stops the guest too
	dl          time.Time
	armed       bool
	watched     bool // the parent is watched (c.stop is set, or it had ended)
	// done and err: the guest's end. hdone and herr: the end of host
	// calls (the deadline or the parent's end). A closed channel is
	// replaced by the next call.
	done, hdone chan struct{}
	err, herr   error
}

var _ context.Context = (*callCtx)(nil)

// begin arms c for one call of at most timeout under parent. With
// cancelStops, parent's cancellation stops the guest as its deadline
// does.
func (c *callCtx) begin(parent context.Context, timeout time.Duration, cancelStops bool) {
	dl := time.Now().Add(timeout)
	if pdl, ok := parent.Deadline(); ok && pdl.Before(dl) {
		dl = pdl
	}
	c.mu.Lock()
	c.parent = parent
	c.cancelStops = cancelStops
	c.dl = dl
	c.armed = true
	c.watched = false
	if c.done == nil {
		c.done = make(chan struct{})
	}
	if c.hdone == nil {
		c.hdone = make(chan struct{})
	}
	if cancelStops {
		c.watchLocked()
	}
	c.mu.Unlock()
	if c.timer == nil {
		c.timer = time.AfterFunc(time.Until(dl), c.expire)
	} else {
		c.timer.Reset(time.Until(dl))
	}
}

// watchLocked starts watching the parent of the call in progress, once
// per call; c.mu is held. A parent that has ended already ends the call's
// host calls at once (and the guest, with cancelStops).
func (c *callCtx) watchLocked() {
	if c.watched || !c.armed || c.parent.Done() == nil {
		return
	}
	c.watched = true
	if c.parent.Err() != nil {
		c.cancelLocked()
		return
	}
	// c.cancel runs on another goroutine (context.AfterFunc), so holding
	// c.mu here cannot deadlock with it.
	c.stop = context.AfterFunc(c.parent, c.cancel)
}

// end disarms c after a call. cut reports whether the guest was stopped
// (or was to be stopped) and by what: context.DeadlineExceeded for the
// deadline, or the parent's error when cancelStops. ended is the
// parent's error when it ended during the call (nil otherwise, and when
// cut says it all).
func (c *callCtx) end() (cut, ended error) {
	c.timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.armed = false
	cut = c.err
	if c.herr == nil && !c.watched && c.parent.Done() != nil {
		// Not watched: nothing waited on it, but the caller may want to
		// know that it went away meanwhile.
		if err := c.parent.Err(); err != nil {
			c.herr = err
			close(c.hdone)
		}
	}
	if c.herr != nil && cut == nil {
		ended = c.herr
	}
	// A closed channel stays closed; the next call needs a new one.
	if c.err != nil {
		c.done, c.err = nil, nil
	}
	if c.herr != nil {
		c.hdone, c.herr = nil, nil
	}
	c.parent = nil
	return cut, ended
}

// expire runs on the timer's goroutine.
func (c *callCtx) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A late firing from an earlier call sees a later deadline, or no call.
	if !c.armed || time.Now().Before(c.dl) {
		return
	}
	if c.err == nil {
		c.err = context.DeadlineExceeded
		close(c.done)
	}
	if c.herr == nil {
		c.herr = context.DeadlineExceeded
		close(c.hdone)
	}
}

// cancel runs when the parent is done.
func (c *callCtx) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelLocked()
}

func (c *callCtx) cancelLocked() {
	if !c.armed || c.parent == nil {
		return
	}
	// Err, not Cause: wazero stops the guest only for the two standard
	// errors.
	err := c.parent.Err()
	if err == nil {
		err = context.Canceled
	}
	if c.herr == nil {
		c.herr = err
		close(c.hdone)
	}
	if c.cancelStops && c.err == nil {
		c.err = err
		close(c.done)
	}
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

// host is the context of blocking host calls made during the call: done
// at the deadline or when the parent ends, whichever comes first.
func (c *callCtx) host() context.Context { return hostCtx{c} }

// hostCtx is callCtx as host calls see it (callCtx.host). It holds one
// pointer, so making one allocates nothing.
type hostCtx struct{ c *callCtx }

func (h hostCtx) Deadline() (time.Time, bool) { return h.c.Deadline() }

func (h hostCtx) Done() <-chan struct{} {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	h.c.watchLocked()
	return h.c.hdone
}

func (h hostCtx) Err() error {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	h.c.watchLocked()
	return h.c.herr
}

func (h hostCtx) Value(key any) any { return h.c.Value(key) }
