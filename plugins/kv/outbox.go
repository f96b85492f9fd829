//go:build wasip1

package main

import (
	"errors"
	"slices"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/sdk/wasm/guest"
)

// maxOutbox bounds the watch pushes waiting for one link's credit; past
// it pushes are dropped and the watcher is told it lagged.
const maxOutbox = 256

// Retry delays of the flush timer, doubling while nothing moves.
const (
	minRetry = 2 * time.Millisecond
	maxRetry = 200 * time.Millisecond
)

// conn is one open link.
type conn struct {
	link    guest.Link
	watches []string // prefixes, in the order they were asked for
	// out holds replies and pushes that met no credit, in order. Replies
	// are bounded by pausing the link (one batch at most); pushes by
	// maxOutbox.
	out []gene.Value
	// lagged are the prefixes whose pushes were dropped; each is
	// announced with (lagged ^prefix P) once out is empty. Pushes stay
	// dropped until then, so the notice comes after every push that was
	// kept and before any that follows.
	lagged []string
	paused bool // Values returned Pause; Resume is owed when out drains
}

func (c *conn) waiting() bool { return len(c.out) > 0 || len(c.lagged) > 0 }

// reply sends the answer to r, or queues it behind what is waiting. A
// reply the host refuses for another reason than credit (too large, for
// example) is replaced by an error reply carrying r's ^id (r nil: the
// replacement itself, which is then logged and dropped).
func (k *kv) reply(c *conn, r *request, v gene.Value) {
	if c.waiting() {
		c.out = append(c.out, v)
		return
	}
	err := c.link.TrySend(v)
	switch {
	case err == nil, errors.Is(err, guest.ErrLinkClosed):
	case errors.Is(err, guest.ErrNoCredit):
		c.out = append(c.out, v)
	case r != nil:
		k.reply(c, nil, r.fail("send", "the reply could not be sent: %v", err))
	default:
		c.link.Log("warn", "kv: reply dropped: "+err.Error())
	}
}

// push sends a watch push, queues it, or drops it when the outbox is full
// or the link is already lagging behind.
func (k *kv) push(c *conn, v gene.Value, prefix string) {
	if len(c.lagged) > 0 || len(c.out) >= maxOutbox {
		if !slices.Contains(c.lagged, prefix) {
			c.lagged = append(c.lagged, prefix)
		}
		k.retry.arm()
		return
	}
	if len(c.out) == 0 {
		err := c.link.TrySend(v)
		switch {
		case err == nil, errors.Is(err, guest.ErrLinkClosed):
			return
		case !errors.Is(err, guest.ErrNoCredit):
			c.link.Log("warn", "kv: watch push dropped: "+err.Error())
			return
		}
	}
	c.out = append(c.out, v)
	k.retry.arm()
}

// flush sends what waits on c while the client has credit. It reports
// whether anything is still waiting, and whether anything was sent.
func (c *conn) flush() (waiting, progressed bool) {
	send := func(v gene.Value) bool {
		err := c.link.TrySend(v)
		if errors.Is(err, guest.ErrNoCredit) {
			return false
		}
		if err != nil && !errors.Is(err, guest.ErrLinkClosed) {
			c.link.Log("warn", "kv: dropped a value that could not be sent: "+err.Error())
		}
		progressed = true
		return true
	}
	for len(c.out) > 0 {
		if !send(c.out[0]) {
			return true, progressed
		}
		c.out[0] = gene.Value{}
		c.out = c.out[1:]
	}
	c.out = nil
	for len(c.lagged) > 0 {
		if !send(node("lagged", prop("prefix", gene.String(c.lagged[0])))) {
			return true, progressed
		}
		c.lagged = c.lagged[1:]
	}
	c.lagged = nil
	if c.paused {
		c.paused = false
		c.link.Resume()
	}
	return false, progressed
}

// flushWait sends what waits on c, waiting for credit (until the
// callback's deadline). On the first value that cannot be sent the rest
// is dropped and the error returned, failing the callback.
func (c *conn) flushWait() error {
	for _, v := range c.out {
		if err := c.link.Send(v); err != nil && !errors.Is(err, guest.ErrLinkClosed) {
			c.out, c.lagged = nil, nil
			return err
		}
	}
	c.out = nil
	for _, p := range c.lagged {
		c.link.Send(node("lagged", prop("prefix", gene.String(p))))
	}
	c.lagged = nil
	return nil
}

// flushAll flushes every link with something waiting and reports whether
// any still waits, and whether any moved.
func (k *kv) flushAll() (waiting, progressed bool) {
	for _, c := range k.conns {
		if !c.waiting() && !c.paused {
			continue
		}
		w, p := c.flush()
		waiting = waiting || w
		progressed = progressed || p
	}
	return waiting, progressed
}

// retryTimer is the one timer that flushes outboxes.
type retryTimer struct {
	id    uint64 // the pending timer, 0 when none
	delay time.Duration
}

// arm sets the timer unless it is pending, and reports whether one is.
// Without the timers grant it logs and reports false.
func (t *retryTimer) arm() bool {
	if t.id != 0 {
		return true
	}
	t.delay = min(max(t.delay, minRetry), maxRetry)
	id, err := guest.SetTimer(t.delay)
	if err != nil {
		guest.Log("error", "kv: cannot set the flush timer (grant timers in plugin.gene): "+err.Error())
		return false
	}
	t.id = id
	return true
}

// fired reports whether id is this timer, and clears it.
func (t *retryTimer) fired(id uint64) bool {
	if id == 0 || id != t.id {
		return false
	}
	t.id = 0
	return true
}

// Timer flushes the outboxes when the retry timer fires, backing off while
// no client grants credit.
func (k *kv) Timer(id uint64) {
	if id != 0 && id == k.watchID {
		k.changed()
		return
	}
	if !k.retry.fired(id) {
		return
	}
	waiting, progressed := k.flushAll()
	if progressed {
		k.retry.delay = minRetry
	} else {
		k.retry.delay *= 2
	}
	if waiting {
		k.retry.arm()
	}
}
