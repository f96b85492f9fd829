package host

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// link is a data link as the host serves it: the Link handed to the
// interface's Handler, and the session.Handler that delivers to it.
type link struct {
	id   uint64
	ifc  *iface
	m    *Manifest // the manifest the link was opened with
	h    Handler
	sl   *session.Link
	peer string
	log  hclog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	slot   *linkSlot // this link in the host's MaxLinks count

	delivered uint64 // values handed to Receive; the delivery goroutine's

	// The overflow queue of DropOldest and LatestOnly.
	qmu      sync.Mutex
	q        [][]byte
	flushing bool
	wg       sync.WaitGroup // the flusher
}

var _ Link = (*link)(nil)

func newLink(ifc *iface, m *Manifest, h Handler, sl *session.Link) *link {
	l := &link{ifc: ifc, m: m, h: h, sl: sl, peer: sl.Session().RemoteAddr()}
	l.id = ifc.s.newLinkID()
	l.log = ifc.s.log.With("interface", m.Name, "version", m.Version, "link", l.id)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	return l
}

func (l *link) ID() uint64                 { return l.id }
func (l *link) WireID() uint32             { return l.sl.ID() }
func (l *link) Interface() string          { return l.m.Name }
func (l *link) Direction() proto.Direction { return l.sl.Open().Direction }
func (l *link) Peer() string               { return l.peer }
func (l *link) Done() <-chan struct{}      { return l.sl.Done() }

func (l *link) Meta() gene.Value {
	if ps := l.sl.Open().Meta; ps != nil {
		return gene.PropMap(ps...)
	}
	return gene.Nil()
}

// start runs the handler's Open once the ACCEPT is queued.
func (l *link) start() {
	l.sl.SetOnDone(func() {
		l.cancel()
		l.slot.release()
	})
	l.ifc.addLink(l)
	l.log.Debug("link open", "peer", l.peer, "direction", l.Direction().String())
	if err := l.call("open", func() error { return l.h.Open(l.ctx, l) }); err != nil {
		l.fail("open", err)
	}
	l.sl.SetAutoEnd(true)
	l.sl.SetHandler(l)
}

// call runs handler code, turning a panic into an error.
func (l *link) call(what string, f func() error) (err error) {
	start := time.Now()
	defer func() {
		l.ifc.handlerNanos.Add(int64(time.Since(start)))
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in %s: %v", what, r)
			l.log.Error("handler panicked", "callback", what, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	return f()
}

// fail resets the link because the handler failed. A handler that fails
// because its link is already gone (the client left) is no handler error.
func (l *link) fail(what string, err error) {
	select {
	case <-l.sl.Done():
		l.log.Debug("handler failed after its link closed", "callback", what, "error", logtext.Err(err))
		return
	default:
	}
	l.ifc.recordError(err)
	var pe *proto.Error
	if !errors.As(err, &pe) {
		pe = proto.Errorf(proto.CodeHandlerError, "interface %q, link %d, %s: %v", l.m.Name, l.sl.ID(), what, err)
	}
	// A handler's own error is a client-visible answer that clients can
	// provoke at will: it is counted in the stats and logged at debug, so
	// a flood of them cannot flood the log; anything else is a warning.
	msg := logtext.Err(err)
	if pe.Code == proto.CodeHandlerError {
		l.log.Debug("handler failed; link reset", "callback", what, "error", msg)
	} else {
		l.log.Warn("handler failed; link reset", "callback", what, "error", msg)
	}
	l.sl.Reset(pe)
}

// Values implements session.Handler.
func (l *link) Values(_ *session.Link, values []gene.Value) {
	for i, v := range values {
		if err := l.m.CheckIncoming(v); err != nil {
			l.sl.Reset(proto.Errorf(proto.CodeSchemaMismatch, "interface %q, link %d: value %d does not match the manifest: %v", l.m.Name, l.sl.ID(), l.delivered+uint64(i)+1, err))
			return
		}
	}
	l.delivered += uint64(len(values))
	l.ifc.valuesIn.Add(uint64(len(values)))
	if err := l.call("receive", func() error { return l.h.Receive(l.ctx, l, values) }); err != nil {
		l.fail("receive", err)
	}
}

// Closed implements session.Handler.
func (l *link) Closed(_ *session.Link, err error) {
	l.cancel()
	l.wg.Wait()
	st := l.sl.Stats()
	l.ifc.bytesIn.Add(st.BytesIn)
	l.ifc.bytesOut.Add(st.BytesOut)
	l.ifc.removeLink(l, err)
	var pr *session.PeerReset
	if errors.As(err, &pr) && (pr.Err.Code == proto.CodeCancelled || pr.Err.Code == proto.CodeNoError) {
		err = nil // the client closed a link it cannot END
	}
	l.log.Debug("link closed", "error", logtext.Err(err)) // a RESET's text is the peer's
	_ = l.call("closed", func() error { l.h.Closed(l, err); return nil })
}

func (l *link) stall() time.Duration {
	switch st := l.m.Flow.StallTimeout; {
	case st < 0:
		return 0
	case st > 0:
		return st
	}
	if l.ifc.s.cfg.StallTimeout < 0 {
		return 0
	}
	return l.ifc.s.cfg.StallTimeout
}

// Send implements Link.
func (l *link) Send(ctx context.Context, v gene.Value) error {
	if !l.sl.Sends() {
		return proto.WrongDirection(l.sl.ID(), l.Direction(), proto.SideHost)
	}
	p, err := l.encode(v)
	if err != nil {
		return err
	}
	return l.sendPayload(ctx, p)
}

// sendPayload is Send of a value encoded for the link.
func (l *link) sendPayload(ctx context.Context, p []byte) error {
	switch l.m.Flow.Overflow {
	case DropNewest:
		err := l.sl.TrySendEncoded(p)
		if errors.Is(err, proto.ErrNoCredit) {
			l.ifc.drops.Add(1)
			return nil
		}
		return l.sent(err)
	case DropOldest, LatestOnly:
		return l.sendQueued(p)
	}
	return l.sent(l.sl.SendStall(ctx, p, l.stall()))
}

func (l *link) sent(err error) error {
	if err == nil {
		l.ifc.valuesOut.Add(1)
	}
	return err
}

// encode encodes v for the link, within the interface's max-message-bytes.
func (l *link) encode(v gene.Value) ([]byte, error) {
	p, err := l.sl.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("link %d: %w", l.sl.ID(), err)
	}
	if err := l.tooLarge(len(p)); err != nil {
		return nil, err
	}
	return p, nil
}

// TrySend implements Link. It never waits, whatever the overflow policy:
// without credit it fails with ErrNoCredit (nothing is dropped or
// queued), so the caller decides.
func (l *link) TrySend(v gene.Value) error {
	if !l.sl.Sends() {
		return proto.WrongDirection(l.sl.ID(), l.Direction(), proto.SideHost)
	}
	p, err := l.encode(v)
	if err != nil {
		return err
	}
	return l.trySendPayload(p)
}

// trySendPayload is TrySend of a value encoded for the link.
func (l *link) trySendPayload(p []byte) error {
	if l.m.Flow.Overflow == DropOldest || l.m.Flow.Overflow == LatestOnly {
		// Values queued while the client had no credit go first: a value
		// sent now must not overtake them.
		l.qmu.Lock()
		defer l.qmu.Unlock()
		if l.flushing || len(l.q) > 0 {
			return fmt.Errorf("link %d: %w: %d values are queued ahead", l.sl.ID(), ErrNoCredit, len(l.q))
		}
	}
	return l.sent(l.sl.TrySendEncoded(p))
}

// sendQueued implements DropOldest and LatestOnly: values wait in a short
// queue of their own while the client has no credit; when it is full the
// oldest is dropped (LatestOnly: the queue holds one).
func (l *link) sendQueued(p []byte) error {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	if !l.flushing && len(l.q) == 0 {
		err := l.sl.TrySendEncoded(p)
		if !errors.Is(err, proto.ErrNoCredit) {
			return l.sent(err)
		}
	}
	limit := 1
	if l.m.Flow.Overflow == DropOldest {
		limit = l.m.Flow.Queue
		if limit <= 0 {
			limit = 64
		}
	}
	if len(l.q) >= limit {
		l.q[0] = nil
		l.q = l.q[1:]
		l.ifc.drops.Add(1)
	}
	l.q = append(l.q, p)
	if !l.flushing {
		l.flushing = true
		l.wg.Add(1)
		go l.flush()
	}
	return nil
}

// flush sends the overflow queue as credit comes; it stops when the
// queue is empty or the link is gone.
func (l *link) flush() {
	defer l.wg.Done()
	for {
		l.qmu.Lock()
		if len(l.q) == 0 || l.ctx.Err() != nil {
			l.flushing = false
			l.q = nil
			l.qmu.Unlock()
			return
		}
		p := l.q[0]
		l.qmu.Unlock()
		if err := l.sl.WaitCredit(l.ctx, len(p)); err != nil {
			l.qmu.Lock()
			l.flushing = false
			l.q = nil
			l.qmu.Unlock()
			return
		}
		l.qmu.Lock()
		if len(l.q) > 0 && &l.q[0][0] == &p[0] {
			if err := l.sl.TrySendEncoded(p); err == nil {
				l.ifc.valuesOut.Add(1)
				l.q[0] = nil
				l.q = l.q[1:]
			}
		}
		l.qmu.Unlock()
	}
}

func (l *link) Pause()  { l.sl.Pause() }
func (l *link) Resume() { l.sl.Resume() }

// Close implements Link.
func (l *link) Close(err error) error {
	if err == nil {
		if l.sl.Sends() {
			return l.sl.CloseSend(l.ctx)
		}
		l.sl.Reset(&proto.Error{Code: proto.CodeNoError, Msg: "closed by the interface"})
		return nil
	}
	var pe *proto.Error
	if !errors.As(err, &pe) {
		pe = proto.Errorf(proto.CodeHandlerError, "interface %q, link %d: %v", l.m.Name, l.sl.ID(), err)
	}
	l.sl.Reset(pe)
	return nil
}
