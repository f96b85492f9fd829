package flow

import (
	"context"
	"github.com/genehost/genehost/proto"
	"math"
	"sync"
)

// Unlimited is a credit limit that is never reached; the transport
// window's sender credit uses it for messages, which it does not count.
const Unlimited = math.MaxUint64

// Credit is the sender's side of one flow-controlled direction (a link
// direction, or the transport window): what it has sent and the absolute
// limits the receiver has granted (PROTOCOL.md section 8.2). A value of n
// bytes is reserved whole, before its first fragment is queued.
//
// Credit is safe for concurrent use: application goroutines take credit,
// the transport's reader goroutine grants it. Taking credit that is
// available allocates nothing.
type Credit struct {
	mu       sync.Mutex
	sent     proto.Grant   // guarded by mu
	limit    proto.Grant   // guarded by mu
	maxValue uint64        // guarded by mu; the first non-zero byte grant, 0 until then
	changed  chan struct{} // guarded by mu; closed when limits grow or on Close; nil when nobody waits
	err      error         // guarded by mu; set by Close
	stalls   uint64        // guarded by mu
	// initial is the first non-zero grant: the direction's window as the
	// sender knows it. takes counts the values taken (never refunded);
	// takesAtGrant is takes when a CREDIT last raised a limit. Receive
	// uses them to tell a CREDIT that answers sending from a flood.
	initial      proto.Grant // guarded by mu
	takes        uint64      // guarded by mu
	takesAtGrant uint64      // guarded by mu
}

// NewCredit returns a Credit with the initial limits g (the credit of an
// OPEN or ACCEPT, or the peer's transport window). Its byte limit also
// caps the largest value: see TryTake. A zero g (the opener's sending
// credit before ACCEPT) takes that cap from the first grant instead.
func NewCredit(g proto.Grant) *Credit {
	return &Credit{limit: g, maxValue: g.Bytes, initial: g}
}

// NewByteCredit returns the sender's credit for a transport window of
// bytes: messages are not counted (their limit is Unlimited).
func NewByteCredit(bytes uint64) *Credit {
	return NewCredit(proto.Grant{Msgs: Unlimited, Bytes: bytes})
}

// CreditStats is a snapshot of a Credit.
type CreditStats struct {
	Sent   proto.Grant // values started and bytes reserved so far
	Limit  proto.Grant // limits granted so far
	Stalls uint64      // calls to Take or Wait that had to wait
}

// check decides whether a value of n bytes can be taken now. It returns
// nil, proto.ErrNoCredit, the Close error, or MESSAGE_TOO_LARGE.
func (c *Credit) check(n uint64) error {
	if c.err != nil {
		return c.err
	}
	if c.maxValue > 0 && n > c.maxValue {
		return proto.Errorf(proto.CodeMessageTooLarge, "value of %d bytes exceeds the %d bytes the receiver's window can ever hold", n, c.maxValue)
	}
	if c.sent.Msgs >= c.limit.Msgs || n > c.limit.Bytes-min(c.sent.Bytes, c.limit.Bytes) {
		return proto.ErrNoCredit
	}
	return nil
}

// TryTake reserves one value of n bytes without waiting. It returns
// proto.ErrNoCredit when the receiver has not granted enough yet, an *proto.Error with
// proto.CodeMessageTooLarge when n exceeds the direction's initial byte credit
// (such a value could never be sent), and the error given to Close after
// Close.
func (c *Credit) TryTake(n int) error {
	u := uint64(max(n, 0))
	c.mu.Lock()
	err := c.check(u)
	if err == nil {
		c.sent.Msgs++
		c.sent.Bytes += u
		c.takes++
	}
	c.mu.Unlock()
	return err
}

// Take reserves one value of n bytes, waiting for credit until ctx is
// done. It fails at once with the errors of TryTake other than
// proto.ErrNoCredit, and with ctx.Err() when ctx ends first.
func (c *Credit) Take(ctx context.Context, n int) error { return c.wait(ctx, n, true) }

// Wait waits until a value of n bytes could be taken, without taking it.
func (c *Credit) Wait(ctx context.Context, n int) error { return c.wait(ctx, n, false) }

func (c *Credit) wait(ctx context.Context, n int, take bool) error {
	u := uint64(max(n, 0))
	stalled := false
	for {
		c.mu.Lock()
		err := c.check(u)
		if err == nil {
			if take {
				c.sent.Msgs++
				c.sent.Bytes += u
				c.takes++
			}
			c.mu.Unlock()
			return nil
		}
		if err != proto.ErrNoCredit {
			c.mu.Unlock()
			return err
		}
		if !stalled {
			stalled = true
			c.stalls++
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Grant raises the limits to g where g is higher (a CREDIT frame's
// absolute limits; lower or repeated grants change nothing). It reports
// whether a limit grew, and wakes waiters if so.
func (c *Credit) Grant(g proto.Grant) bool {
	c.mu.Lock()
	raised := c.grantLocked(g)
	c.mu.Unlock()
	return raised
}

// Receive is Grant for a CREDIT frame received from the peer. It also
// reports whether the frame is free of the control rate (PROTOCOL.md
// section 9): a CREDIT is free when it raised a limit and either the
// sender took credit since the last CREDIT that raised one (the grant
// answers values sent), or the limits it grants stay within one initial
// window of what was sent (as a receiver's grants do). A CREDIT that
// raises nothing, or that raises the limits further past the window while
// nothing was sent, is what a flood of CREDITs looks like, and takes a
// token like a PING.
func (c *Credit) Receive(g proto.Grant) (raised, free bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initial == (proto.Grant{}) {
		c.initial = g
	}
	used := c.takes != c.takesAtGrant
	within := g.Msgs <= addSat(c.sent.Msgs, c.initial.Msgs) && g.Bytes <= addSat(c.sent.Bytes, c.initial.Bytes)
	raised = c.grantLocked(g)
	if raised {
		c.takesAtGrant = c.takes
	}
	return raised, raised && (used || within)
}

// addSat is a+b, or the largest uint64 when that overflows.
func addSat(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}

// grantLocked is Grant; the caller holds mu.
func (c *Credit) grantLocked(g proto.Grant) bool {
	raised := false
	if g.Msgs > c.limit.Msgs {
		c.limit.Msgs = g.Msgs
		raised = true
	}
	if g.Bytes > c.limit.Bytes {
		c.limit.Bytes = g.Bytes
		raised = true
	}
	if c.maxValue == 0 && c.limit.Bytes > 0 {
		c.maxValue = c.limit.Bytes
	}
	if raised {
		c.wake()
	}
	return raised
}

// Refund gives back one value of n bytes that was taken but never sent
// (dropped from the send queue by a reset, or abandoned before it was
// queued), so the counts stay equal to what the receiver sees.
func (c *Credit) Refund(n int) {
	u := uint64(max(n, 0))
	c.mu.Lock()
	if c.sent.Msgs > 0 {
		c.sent.Msgs--
	}
	c.sent.Bytes -= min(u, c.sent.Bytes)
	c.wake()
	c.mu.Unlock()
}

// RefundBytes gives back n bytes of a value whose first fragments were
// sent but whose rest was dropped: the value still counts as one message.
func (c *Credit) RefundBytes(n int) {
	u := uint64(max(n, 0))
	c.mu.Lock()
	c.sent.Bytes -= min(u, c.sent.Bytes)
	c.wake()
	c.mu.Unlock()
}

// Close makes every waiting and later Take, TryTake and Wait fail with err
// (ErrClosed if nil), for example when the link is reset. The first Close
// wins.
func (c *Credit) Close(err error) {
	if err == nil {
		err = ErrClosed
	}
	c.mu.Lock()
	if c.err == nil {
		c.err = err
		c.wake()
	}
	c.mu.Unlock()
}

// wake releases waiters; the caller holds mu.
func (c *Credit) wake() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// Available returns the credit left: values and bytes that may still be
// sent.
func (c *Credit) Available() proto.Grant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return proto.Grant{
		Msgs:  c.limit.Msgs - min(c.sent.Msgs, c.limit.Msgs),
		Bytes: c.limit.Bytes - min(c.sent.Bytes, c.limit.Bytes),
	}
}

// Stats returns a snapshot of the counters.
func (c *Credit) Stats() CreditStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CreditStats{Sent: c.sent, Limit: c.limit, Stalls: c.stalls}
}

// Window is the receiver's side of one flow-controlled direction: it
// checks each DATA frame against the limits granted (PROTOCOL.md section
// 8.3) and decides when consumption should be returned to the sender as a
// CREDIT frame. Credit is returned by Consume, which the application side
// calls when it has consumed a value, never when the socket was read.
//
// Window is safe for concurrent use: the reader goroutine calls Receive,
// application goroutines call Consume. Neither allocates.
type Window struct {
	mu        sync.Mutex
	bytesOnly bool        // the transport window: messages are not counted
	max       proto.Grant // largest window size
	// maxValue is the largest value the sender may send: the initial
	// byte credit of a link direction, max-message-bytes for the
	// transport window.
	maxValue uint64
	win      proto.Grant // guarded by mu; current window size
	granted  proto.Grant // guarded by mu; limits announced to the sender
	recv     proto.Grant // guarded by mu; received so far
	cons     proto.Grant // guarded by mu; consumed so far
	grants   uint64
}

// NewWindow returns the window of a link direction with c's initial and
// maximum sizes (zero fields are defaults). Its initial limits (Limits)
// go in the OPEN or ACCEPT.
func NewWindow(c proto.WindowConfig) *Window {
	c = c.WithDefaults()
	init := proto.Grant{Msgs: uint64(c.InitialMsgs), Bytes: uint64(c.InitialBytes)}
	return &Window{
		max:      proto.Grant{Msgs: uint64(c.MaxMsgs), Bytes: uint64(c.MaxBytes)},
		maxValue: init.Bytes,
		win:      init,
		granted:  init,
	}
}

// NewByteWindow returns a transport window of initial bytes that may grow
// to maxBytes (at least initial). Messages are not counted. maxValue is
// the largest value a sender may send on any link (max-message-bytes; at
// most initial, 0 for initial).
func NewByteWindow(initial, maxBytes, maxValue int) *Window {
	init := uint64(max(initial, 0))
	mv := uint64(max(maxValue, 0))
	if mv == 0 || mv > init {
		mv = init
	}
	return &Window{
		bytesOnly: true,
		max:       proto.Grant{Bytes: max(uint64(max(maxBytes, 0)), init)},
		maxValue:  mv,
		win:       proto.Grant{Bytes: init},
		granted:   proto.Grant{Bytes: init},
	}
}

// WindowStats is a snapshot of a Window.
type WindowStats struct {
	Received proto.Grant // values and bytes received
	Consumed proto.Grant // values and bytes consumed by the application
	Granted  proto.Grant // limits announced to the sender
	Window   proto.Grant // current window size
	Grants   uint64      // CREDIT updates Consume asked for
}

// Limits returns the limits granted so far; before any Consume, the
// initial window.
func (w *Window) Limits() proto.Grant {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.granted
}

// Receive accounts one DATA frame of n payload bytes; first is true for
// the first frame of a value (it counts one message). An overrun is an
// *proto.Error with proto.CodeFlowControl, and nothing is counted: the caller resets
// the link (or, for the transport window, closes the transport).
func (w *Window) Receive(n int, first bool) error {
	u := uint64(max(n, 0))
	w.mu.Lock()
	defer w.mu.Unlock()
	if first && !w.bytesOnly && w.recv.Msgs >= w.granted.Msgs {
		return proto.Errorf(proto.CodeFlowControl, "value %d exceeds the message limit %d", w.recv.Msgs+1, w.granted.Msgs)
	}
	if u > w.granted.Bytes-w.recv.Bytes {
		return proto.Errorf(proto.CodeFlowControl, "%d bytes received exceed the byte limit %d", w.recv.Bytes+u, w.granted.Bytes)
	}
	if first && !w.bytesOnly {
		w.recv.Msgs++
	}
	w.recv.Bytes += u
	return nil
}

// Consume records that the application consumed msgs values of bytes
// payload bytes in total (or that the receiver dropped them). It returns
// the new limits and send=true when a CREDIT frame should carry them to
// the sender (PROTOCOL.md section 8.3):
//
//   - when half a window (of messages or of bytes) has been consumed
//     since the last grant;
//   - when everything received is consumed and the byte room the sender
//     has left is smaller than the largest value it may send (it may be
//     waiting for room for one). The byte window first grows to twice
//     that largest value (up to its maximum), after which the first rule
//     alone serves such a sender: small values, one at a time, then need
//     no CREDIT each.
//
// The window also doubles, up to its maximum, when the sender had less
// than a quarter of it left.
func (w *Window) Consume(msgs, bytes int) (g proto.Grant, send bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cons.Msgs = min(w.cons.Msgs+uint64(max(msgs, 0)), w.recv.Msgs)
	w.cons.Bytes = min(w.cons.Bytes+uint64(max(bytes, 0)), w.recv.Bytes)

	left := proto.Grant{Msgs: w.granted.Msgs - w.recv.Msgs, Bytes: w.granted.Bytes - w.recv.Bytes}
	if !w.bytesOnly && left.Msgs < w.win.Msgs/4 {
		w.win.Msgs = min(2*w.win.Msgs, w.max.Msgs)
	}
	if left.Bytes < w.win.Bytes/4 {
		w.win.Bytes = min(2*w.win.Bytes, w.max.Bytes)
	}
	starved := w.cons == w.recv && left.Bytes < w.maxValue
	if starved {
		w.win.Bytes = min(max(w.win.Bytes, 2*w.maxValue), w.max.Bytes)
	}
	next := proto.Grant{Bytes: w.cons.Bytes + w.win.Bytes}
	if !w.bytesOnly {
		next.Msgs = w.cons.Msgs + w.win.Msgs
	}
	grow := next.Msgs > w.granted.Msgs || next.Bytes > w.granted.Bytes
	half := next.Bytes >= w.granted.Bytes+max(1, w.win.Bytes/2) ||
		(!w.bytesOnly && next.Msgs >= w.granted.Msgs+max(1, w.win.Msgs/2))
	if !half && !(starved && grow) {
		return w.granted, false
	}
	w.granted.Msgs = max(w.granted.Msgs, next.Msgs)
	w.granted.Bytes = max(w.granted.Bytes, next.Bytes)
	w.grants++
	return w.granted, true
}

// Buffered returns what was received and not yet consumed.
func (w *Window) Buffered() proto.Grant {
	w.mu.Lock()
	defer w.mu.Unlock()
	return proto.Grant{Msgs: w.recv.Msgs - w.cons.Msgs, Bytes: w.recv.Bytes - w.cons.Bytes}
}

// Stats returns a snapshot of the counters.
func (w *Window) Stats() WindowStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return WindowStats{Received: w.recv, Consumed: w.cons, Granted: w.granted, Window: w.win, Grants: w.grants}
}

// Room returns what TryTake would grant now without waiting, or the
// error the Credit was closed with. It is a snapshot: grants raise it and
// other senders' takes lower it afterwards.
func (c *Credit) Room() (proto.Room, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return proto.Room{}, c.err
	}
	r := proto.Room{MaxValue: math.MaxUint64}
	if c.maxValue > 0 {
		r.MaxValue = c.maxValue
	}
	if c.sent.Msgs < c.limit.Msgs {
		r.Values = c.limit.Msgs - c.sent.Msgs
	}
	if c.sent.Bytes < c.limit.Bytes {
		r.Bytes = c.limit.Bytes - c.sent.Bytes
	}
	return r, nil
}
