package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/flow"
	"github.com/genehost/genehost/proto"
)

// Handler receives what arrives on a link, on the link's delivery
// goroutine: batches of values in order, then Closed once.
type Handler interface {
	// Values delivers values received on l. When it returns they are
	// consumed (their credit goes back to the peer).
	Values(l *Link, values []gene.Value)
	// Closed is called once, after the last Values, when the link is
	// gone: err is nil when both directions ended in order.
	Closed(l *Link, err error)
}

// maxBatch bounds the values handed to one Handler.Values call.
const maxBatch = 64

// queued is a value received and not yet consumed, as its encoded bytes:
// what the link holds stays within the window it granted (decoded values
// can take ten times their wire size), and decoding happens on the
// consumer's goroutine, not on the transport's reader.
type queued struct {
	p []byte
}

// deliverLinger is how long a link's delivery goroutine waits for more
// values before it ends: long enough to serve the next request of a
// client in a round-trip loop without starting a new goroutine (and
// growing a new stack) for it; an idle link holds no goroutine.
const deliverLinger = 2 * time.Millisecond

// Link is one link of a Session.
type Link struct {
	s        *Session
	id       uint32
	open     proto.Open
	opener   proto.Side
	sends    bool // this side sends values on the link
	receives bool // this side receives values on the link

	// The sending and receiving directions, set once (atomically: the
	// reader, the accepting goroutine and the application meet here)
	// before the link is usable for sending, and before OPEN or ACCEPT
	// announces the receiving window.
	sendp atomic.Pointer[flow.Sender]
	recvp atomic.Pointer[flow.Receiver]

	accepted   chan struct{} // closed when the open is answered
	acceptOnce sync.Once
	acceptInfo proto.Accept
	openErr    error
	answered   atomic.Bool // acceptor: ACCEPT or REJECT sent

	mu         sync.Mutex
	queue      []queued
	head       int
	handler    Handler
	delivering bool
	paused     bool
	peerEnd    bool // the peer's direction ended (or never existed)
	peerSaid   bool // the peer ended it with END
	selfEnd    bool // our direction ended (or never existed)
	terminated bool // reset, or transport closed
	err        error
	finished   bool // closed: done is closed
	notified   bool // Handler.Closed called
	done       chan struct{}
	wake       chan struct{} // pollers
	dwake      chan struct{} // the lingering delivery goroutine
	attached   any
	autoEnd    bool
	onDone     func()

	valuesIn, bytesIn   atomic.Uint64
	valuesOut, bytesOut atomic.Uint64
	resetsOut           atomic.Uint64
	stalls              atomic.Uint64
	encSize             atomic.Int32 // bytes of the last value Encode encoded
}

func (s *Session) newLink(id uint32, o proto.Open, opener proto.Side) *Link {
	l := &Link{
		s: s, id: id, open: o, opener: opener,
		sends:    o.Direction.Sends(s.side),
		receives: o.Direction.Sends(s.side.Peer()),
		accepted: make(chan struct{}),
		done:     make(chan struct{}),
		wake:     make(chan struct{}, 1),
		dwake:    make(chan struct{}, 1),
	}
	l.peerEnd = !l.receives
	l.selfEnd = !l.sends
	return l
}

func (l *Link) setupReceiver(w proto.WindowConfig) {
	var tw *flow.Window
	if l.open.Sub == proto.SubData {
		tw = l.s.rxWin
	}
	l.recvp.Store(flow.NewReceiver(l.id, flow.NewWindow(w), tw, l.s.cfg.Terms.Limits.MaxMessageBytes, l.s.sched))
}

func (l *Link) setupSender(g proto.Grant) {
	var tc *flow.Credit
	if l.open.Sub == proto.SubData {
		tc = l.s.txWin
	}
	l.sendp.Store(flow.NewSender(l.id, flow.NewCredit(g), tc, l.s.sched))
}

func (l *Link) snd() *flow.Sender   { return l.sendp.Load() }
func (l *Link) rcv() *flow.Receiver { return l.recvp.Load() }

// ID returns the link id on its transport.
func (l *Link) ID() uint32 { return l.id }

// Session returns the transport the link belongs to.
func (l *Link) Session() *Session { return l.s }

// Open returns what the OPEN said: interface, sub-interface, direction,
// metadata.
func (l *Link) Open() proto.Open { return l.open }

// Opener is the side that opened the link.
func (l *Link) Opener() proto.Side { return l.opener }

// Sends reports whether this side sends values on the link.
func (l *Link) Sends() bool { return l.sends }

// Receives reports whether this side receives values on the link.
func (l *Link) Receives() bool { return l.receives }

// Accept returns the peer's ACCEPT (for a link this side opened).
func (l *Link) Accept() proto.Accept { return l.acceptInfo }

// Attach stores a value for the link's owner (the host's link state).
func (l *Link) Attach(v any) {
	l.mu.Lock()
	l.attached = v
	l.mu.Unlock()
}

// Attached returns what Attach stored.
func (l *Link) Attached() any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.attached
}

func (l *Link) isAccepted() bool {
	select {
	case <-l.accepted:
		return true
	default:
		return false
	}
}

func (l *Link) setAccepted(a proto.Accept, err error) {
	l.acceptOnce.Do(func() {
		l.acceptInfo = a
		l.openErr = err
		close(l.accepted)
	})
}

// markAnswered records that the acceptor answers now; false if the link
// was already answered or reset.
func (l *Link) markAnswered() bool {
	l.mu.Lock()
	term := l.terminated
	l.mu.Unlock()
	return !term && l.answered.CompareAndSwap(false, true)
}

// Done is closed when the link is closed (both directions ended, reset,
// or the transport closed).
func (l *Link) Done() <-chan struct{} { return l.done }

// Err returns why the link closed: nil for an orderly close.
func (l *Link) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// LinkStats are one link's counters.
type LinkStats struct {
	ValuesIn, BytesIn   uint64
	ValuesOut, BytesOut uint64
	Buffered            int    // values received and not yet consumed
	Stalls              uint64 // sends that had to wait for credit
	Paused              bool
	Send                flow.CreditStats
	Recv                flow.WindowStats
}

// Stats returns a snapshot of the link's counters.
func (l *Link) Stats() LinkStats {
	l.mu.Lock()
	st := LinkStats{Buffered: len(l.queue) - l.head, Paused: l.paused}
	l.mu.Unlock()
	st.ValuesIn, st.BytesIn = l.valuesIn.Load(), l.bytesIn.Load()
	st.ValuesOut, st.BytesOut = l.valuesOut.Load(), l.bytesOut.Load()
	st.Stalls = l.stalls.Load()
	if snd := l.snd(); snd != nil {
		st.Send = snd.Credit().Stats()
	}
	if rcv := l.rcv(); rcv != nil {
		st.Recv = rcv.Window().Stats()
	}
	return st
}

// Encode encodes v in the transport's encoding, into a buffer the size
// of the link's last value (values on a link tend to be alike), so that
// encoding one costs one allocation.
func (l *Link) Encode(v gene.Value) ([]byte, error) {
	p, err := proto.AppendValue(make([]byte, 0, max(l.encSize.Load(), 64)), l.s.cfg.Terms.Encoding, v)
	if err == nil {
		l.encSize.Store(int32(min(len(p), maxEncodeHint)))
	}
	return p, err
}

// maxEncodeHint bounds the buffer Encode starts with, so that one large
// value does not make every later small one allocate as much.
const maxEncodeHint = 64 << 10

func (l *Link) checkSend() error {
	if !l.sends {
		return proto.WrongDirection(l.id, l.open.Direction, l.s.side)
	}
	if !l.isAccepted() {
		return fmt.Errorf("link %d is not accepted yet", l.id)
	}
	if l.openErr != nil {
		return l.openErr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.terminated || l.finished {
		return l.closedErrLocked()
	}
	if l.selfEnd {
		return proto.ErrLinkClosed
	}
	return nil
}

func (l *Link) closedErrLocked() error {
	if l.err != nil {
		return fmt.Errorf("%w: %w", proto.ErrLinkClosed, l.err)
	}
	return proto.ErrLinkClosed
}

func (l *Link) checkSize(n int) error {
	if max := l.s.cfg.Terms.Limits.MaxMessageBytes; n > max {
		return proto.Errorf(proto.CodeMessageTooLarge, "link %d: value of %d bytes exceeds max-message-bytes %d", l.id, n, max)
	}
	return nil
}

// Send sends v, waiting for credit until ctx is done. With a stall
// timeout configured, a wait longer than it resets the link with
// SLOW_CONSUMER.
func (l *Link) Send(ctx context.Context, v gene.Value) error {
	p, err := l.Encode(v)
	if err != nil {
		return err
	}
	return l.SendEncoded(ctx, p)
}

// SendEncoded is Send for a value already encoded with Encode. The link
// owns payload from then on.
func (l *Link) SendEncoded(ctx context.Context, payload []byte) error {
	return l.SendStall(ctx, payload, l.s.cfg.StallTimeout)
}

// SendStall is SendEncoded with its own stall timeout (0: none).
func (l *Link) SendStall(ctx context.Context, payload []byte, stall time.Duration) error {
	// Fast path: credit and queue room are there.
	err := l.TrySendEncoded(payload)
	if !errors.Is(err, proto.ErrNoCredit) {
		return err
	}
	return l.sendSlow(ctx, payload, stall)
}

// sendSlow waits for credit, resetting the link with SLOW_CONSUMER after
// stall.
func (l *Link) sendSlow(ctx context.Context, payload []byte, stall time.Duration) error {
	l.stalls.Add(1)
	sctx := ctx
	if stall > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, stall)
		defer cancel()
	}
	err := l.snd().Send(sctx, payload, false)
	if err == nil {
		l.sent(len(payload))
		return nil
	}
	if stall > 0 && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		perr := proto.Errorf(proto.CodeSlowConsumer, "link %d: no credit from the peer for %s", l.id, stall)
		l.Reset(perr)
		return perr
	}
	return l.sendErr(err)
}

// TrySend sends v without waiting: ErrNoCredit when the peer has not
// granted room for it (or the link's send queue is full).
func (l *Link) TrySend(v gene.Value) error {
	p, err := l.Encode(v)
	if err != nil {
		return err
	}
	return l.TrySendEncoded(p)
}

// TrySendEncoded is TrySend for an encoded value.
func (l *Link) TrySendEncoded(payload []byte) error {
	if err := l.checkSend(); err != nil {
		return err
	}
	if err := l.checkSize(len(payload)); err != nil {
		return err
	}
	err := l.snd().TrySend(payload, false)
	if err == nil {
		l.sent(len(payload))
		return nil
	}
	if errors.Is(err, flow.ErrQueueFull) {
		return proto.ErrNoCredit
	}
	return l.sendErr(err)
}

// WaitCredit waits until a value of n bytes could be sent without
// waiting.
func (l *Link) WaitCredit(ctx context.Context, n int) error {
	if err := l.checkSend(); err != nil {
		return err
	}
	if l.open.Sub == proto.SubData {
		if err := l.s.txWin.Wait(ctx, n); err != nil {
			return l.sendErr(err)
		}
	}
	return l.sendErr(l.snd().Credit().Wait(ctx, n))
}

func (l *Link) sendErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, flow.ErrClosed) || errors.Is(err, proto.ErrLinkClosed) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.closedErrLocked()
	}
	return err
}

func (l *Link) sent(n int) {
	l.valuesOut.Add(1)
	l.bytesOut.Add(uint64(n))
}

// CloseSend ends this side's direction (END after every value queued).
func (l *Link) CloseSend(ctx context.Context) error {
	if !l.sends {
		return nil
	}
	if err := l.checkSend(); err != nil {
		if errors.Is(err, proto.ErrLinkClosed) {
			return nil
		}
		return err
	}
	l.mu.Lock()
	if l.selfEnd {
		l.mu.Unlock()
		return nil
	}
	l.selfEnd = true
	l.mu.Unlock()
	if err := l.snd().End(ctx); err != nil {
		return l.sendErr(err)
	}
	l.maybeFinish()
	return nil
}

// Reset aborts the link in both directions with err (sent in a RESET).
func (l *Link) Reset(err *proto.Error) {
	l.resetBy(err, true)
}

// resetBy ends the link because of err; send says whether this side
// sends the RESET (false when the peer reset it).
func (l *Link) resetBy(err error, send bool) {
	l.mu.Lock()
	if l.terminated || l.finished {
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	if send {
		perr := asProto(err)
		l.resetsOut.Add(1)
		if frameErr := l.s.sched.SendControl(proto.AppendResetFrame(nil, l.id, perr)); frameErr != nil && !errors.Is(frameErr, flow.ErrClosed) {
			go l.s.fail(proto.Errorf(proto.CodeCalm, "cannot queue RESET: %v", frameErr))
		}
	}
	l.terminate(err, true)
}

// terminate ends the link locally with err: queued sends and received
// values are dropped, waiters fail.
func (l *Link) terminate(err error, dropRecv bool) {
	l.mu.Lock()
	if l.terminated || l.finished {
		l.mu.Unlock()
		return
	}
	l.terminated = true
	l.err = err
	for i := l.head; i < len(l.queue); i++ {
		l.queue[i] = queued{}
	}
	l.queue, l.head = nil, 0
	l.mu.Unlock()
	l.setAccepted(proto.Accept{}, err)
	if snd := l.snd(); snd != nil {
		snd.Reset(err)
	}
	if rcv := l.rcv(); rcv != nil {
		if derr := rcv.Drop(); derr != nil && dropRecv && !errors.Is(derr, flow.ErrClosed) {
			go l.s.fail(proto.Errorf(proto.CodeCalm, "cannot queue CREDIT: %v", derr))
		}
	}
	l.signal()
	l.maybeFinish()
}

// enqueue adds a received value, encoded (reader goroutine); the link
// keeps p.
func (l *Link) enqueue(p []byte) {
	l.valuesIn.Add(1)
	l.bytesIn.Add(uint64(len(p)))
	l.mu.Lock()
	if l.terminated {
		l.mu.Unlock()
		return
	}
	l.queue = append(l.queue, queued{p: p})
	l.kickLocked()
	l.mu.Unlock()
	l.signal()
}

// peerEnded records the peer's END (reader goroutine).
func (l *Link) peerEnded() {
	l.mu.Lock()
	l.peerEnd = true
	l.peerSaid = true
	l.kickLocked()
	l.mu.Unlock()
	l.signal()
	l.maybeFinish()
}

func (l *Link) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// SetAutoEnd makes the link end this side's direction once the peer ended
// its own and every value received was delivered to the handler (a server
// answering a client that said everything it had to say).
func (l *Link) SetAutoEnd(on bool) {
	l.mu.Lock()
	l.autoEnd = on
	l.mu.Unlock()
}

// SetHandler switches the link to handler delivery: values are handed to
// h on a delivery goroutine; Closed follows the last of them.
func (l *Link) SetHandler(h Handler) {
	l.mu.Lock()
	l.handler = h
	l.kickLocked()
	l.mu.Unlock()
}

// Pause stops delivery to the handler (and so the return of credit).
func (l *Link) Pause() {
	l.mu.Lock()
	l.paused = true
	l.mu.Unlock()
}

// Resume undoes Pause.
func (l *Link) Resume() {
	l.mu.Lock()
	l.paused = false
	l.kickLocked()
	l.mu.Unlock()
}

// Paused reports whether delivery is paused.
func (l *Link) Paused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.paused
}

// workLocked reports whether the delivery goroutine has something to do.
func (l *Link) workLocked() bool {
	empty := len(l.queue) == l.head
	return (!l.paused && !empty && !l.terminated) ||
		(l.finished && !l.notified && (l.terminated || empty)) ||
		(l.autoEnd && l.peerSaid && !l.selfEnd && !l.terminated && empty)
}

// kickLocked starts the delivery goroutine when there is work for it, or
// wakes it when it lingers.
func (l *Link) kickLocked() {
	if l.handler == nil {
		return
	}
	if l.delivering {
		select {
		case l.dwake <- struct{}{}:
		default:
		}
		return
	}
	if !l.workLocked() {
		return
	}
	l.delivering = true
	if !l.s.spawnDelivery(l.deliver) {
		l.delivering = false
	}
}

func (l *Link) decode(p []byte) (gene.Value, error) {
	return proto.DecodeValue(l.s.cfg.Terms.Encoding, p, l.s.glim)
}

// decodeBatch decodes the payloads of one batch into batch, up to the
// first that fails, with dec: the values decoded by one delivery
// goroutine share the blocks their storage is carved from (fewer
// allocations per value, in a stream as in a loop of requests).
func (l *Link) decodeBatch(dec **proto.Decoder, raws [][]byte, batch []gene.Value) ([]gene.Value, error) {
	if *dec == nil {
		*dec = proto.NewDecoder(l.s.cfg.Terms.Encoding, l.s.glim)
	}
	for _, p := range raws {
		v, err := (*dec).Decode(p)
		if err != nil {
			return batch, err
		}
		batch = append(batch, v)
	}
	return batch, nil
}

// consumed returns the credit of n bytes to the peer.
func (l *Link) consumed(n int) {
	if err := l.rcv().Consume(n); err != nil && !errors.Is(err, flow.ErrClosed) {
		go l.s.fail(proto.Errorf(proto.CodeCalm, "cannot queue CREDIT: %v", err))
	}
}

// deliver runs on the link's delivery goroutine: it decodes and hands
// over batches of values, ends this side's direction for AutoEnd, calls
// Closed last, and lingers a little when there is nothing to do.
func (l *Link) deliver() {
	batch := make([]gene.Value, 0, 8)
	raws := make([][]byte, 0, 8)
	var dec *proto.Decoder // dropped when the goroutine ends
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		l.mu.Lock()
		h := l.handler
		switch {
		case !l.paused && len(l.queue) > l.head && !l.terminated:
			end := min(len(l.queue), l.head+maxBatch)
			raws = raws[:0]
			for i := l.head; i < end; i++ {
				raws = append(raws, l.queue[i].p)
				l.queue[i] = queued{}
			}
			l.head = end
			if l.head == len(l.queue) {
				l.queue, l.head = l.queue[:0], 0
			}
			l.mu.Unlock()
			var bad error
			batch, bad = l.decodeBatch(&dec, raws, batch[:0])
			if len(batch) > 0 {
				h.Values(l, batch)
				for _, p := range raws[:len(batch)] {
					l.consumed(len(p))
				}
			}
			if bad != nil {
				l.resetBy(asProto(bad), true)
			}
			clear(batch)
			clear(raws)
			continue
		case l.autoEnd && l.peerSaid && !l.selfEnd && !l.terminated && len(l.queue) == l.head:
			l.mu.Unlock()
			_ = l.CloseSend(l.s.ctx)
			continue
		case l.finished && !l.notified && (l.terminated || len(l.queue) == l.head):
			l.notified = true
			err := l.err
			l.mu.Unlock()
			h.Closed(l, err)
			l.mu.Lock()
			l.delivering = false
			l.mu.Unlock()
			return
		case l.finished:
			l.delivering = false
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
		if idle == nil {
			idle = time.NewTimer(deliverLinger)
		} else {
			idle.Reset(deliverLinger)
		}
		select {
		case <-l.dwake:
			idle.Stop()
		case <-idle.C:
			l.mu.Lock()
			if l.workLocked() {
				l.mu.Unlock()
				continue
			}
			l.delivering = false
			l.mu.Unlock()
			return
		}
	}
}

// maybeFinish closes the link once both directions ended and every value
// received was consumed, or once it was terminated.
func (l *Link) maybeFinish() {
	l.mu.Lock()
	if l.finished {
		l.mu.Unlock()
		return
	}
	closed := l.terminated || (l.peerEnd && l.selfEnd)
	if !closed {
		l.mu.Unlock()
		return
	}
	l.finished = true
	close(l.done)
	l.kickLocked()
	onDone := l.onDone
	l.mu.Unlock()
	l.s.linkDone(l)
	if onDone != nil {
		onDone()
	}
}

// SetOnDone sets a function called once when the link closes, before the
// handler's Closed (which waits for the handler's running call). It must
// not block: cancelling a context is its purpose.
func (l *Link) SetOnDone(f func()) {
	l.mu.Lock()
	done := l.finished
	if !done {
		l.onDone = f
	}
	l.mu.Unlock()
	if done {
		f()
	}
}

// Recv returns the next value received (poll mode), waiting until ctx is
// done. It returns io.EOF once the peer ended its direction and every
// value was read, and the link's error once it was reset.
func (l *Link) Recv(ctx context.Context) (gene.Value, error) {
	if !l.receives {
		return gene.Value{}, fmt.Errorf("link %d is %q: this side receives nothing on it", l.id, l.open.Direction)
	}
	for {
		l.mu.Lock()
		if l.handler != nil {
			l.mu.Unlock()
			return gene.Value{}, errors.New("link has a handler: values are delivered to it")
		}
		if len(l.queue) > l.head {
			q := l.queue[l.head]
			l.queue[l.head] = queued{}
			l.head++
			if l.head == len(l.queue) {
				l.queue, l.head = l.queue[:0], 0
			}
			more := len(l.queue) > l.head
			l.mu.Unlock()
			if more {
				l.signal()
			}
			v, err := l.decode(q.p)
			if err != nil {
				l.resetBy(asProto(err), true)
				return gene.Value{}, err
			}
			l.consumed(len(q.p))
			l.maybeFinish()
			return v, nil
		}
		if l.terminated {
			err := l.err
			l.mu.Unlock()
			return gene.Value{}, err
		}
		if l.peerEnd {
			l.mu.Unlock()
			return gene.Value{}, io.EOF
		}
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-ctx.Done():
			return gene.Value{}, ctx.Err()
		}
	}
}

// TryRecv returns a received value if one is waiting.
func (l *Link) TryRecv() (gene.Value, bool, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := l.Recv(ctx)
	if errors.Is(err, context.Canceled) {
		return gene.Value{}, false, nil
	}
	return v, err == nil, err
}

// spawnDelivery starts a delivery goroutine owned by the session.
func (s *Session) spawnDelivery(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting {
		// The session is ending and waits for its goroutines: a link
		// finished by it late (its accept was still running) still gets
		// its Closed, on a goroutine of its own that ends right after.
		go f()
		return true
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}
