package plugindir

import (
	"slices"
	"sync"
	"time"
)

// Clock runs the timers plugins set (setTimeout, gh_timer_set). The
// default is the real clock; a ManualClock lets a test move time by hand
// (genehost test's advance).
type Clock interface {
	// AfterFunc calls f on its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a timer of a Clock.
type Timer interface {
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

type realClock struct{}

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// ManualClock is a Clock whose time moves only by Advance. Its zero value
// is ready to use; it is safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Duration // since the clock was made; guarded by mu
	seq     uint64        // guarded by mu
	pending []*manualTimer
}

type manualTimer struct {
	c    *ManualClock
	at   time.Duration
	seq  uint64
	f    func()
	done bool // fired or stopped; guarded by c.mu
}

// AfterFunc implements Clock.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{c: c, at: c.now + max(d, 0), seq: c.seq, f: f}
	c.pending = append(c.pending, t)
	return t
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	t.c.pending = slices.DeleteFunc(t.c.pending, func(p *manualTimer) bool { return p == t })
	return true
}

// Advance moves the clock forward by d and runs, in order of their due
// time (then of setting), the timers due by then, each to completion on
// the calling goroutine, timers they set included when due. It returns
// how many fired.
func (c *ManualClock) Advance(d time.Duration) int {
	c.mu.Lock()
	end := c.now + max(d, 0)
	c.mu.Unlock()
	fired := 0
	for {
		c.mu.Lock()
		var next *manualTimer
		for _, t := range c.pending {
			if t.at <= end && (next == nil || t.at < next.at || t.at == next.at && t.seq < next.seq) {
				next = t
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return fired
		}
		next.done = true
		c.pending = slices.DeleteFunc(c.pending, func(p *manualTimer) bool { return p == next })
		c.now = max(c.now, next.at)
		c.mu.Unlock()
		next.f()
		fired++
	}
}

// Pending returns how many timers wait to fire.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}
