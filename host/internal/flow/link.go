package flow

import (
	"context"
	"errors"
	"fmt"
	"github.com/genehost/genehost/proto"
	"sync"
)

// ErrTransportWindow is the cause of the FLOW_CONTROL *proto.Error a Receiver
// reports when the peer overran the transport window: unlike a link's
// overrun, it closes the transport (GOAWAY). Test with errors.Is.
var ErrTransportWindow = errors.New("proto: transport window overrun")

// Sender is the sending direction of one link: it reserves a value's
// credit on the link and, for data links, in the transport window, then
// queues it on the Scheduler, and keeps the counts right when values are
// abandoned or the link is reset (PROTOCOL.md section 8.2). It is safe for
// concurrent use; values sent concurrently are queued whole, in the order
// their Send calls reach the Scheduler.
type Sender struct {
	link      uint32
	credit    *Credit
	transport *Credit // nil for control links
	sched     *Scheduler
}

// NewSender returns the Sender of link. credit is the link direction's
// Credit (fed by ACCEPT/OPEN and CREDIT frames); transport is the
// transport window's Credit for a data link, nil for a control link.
func NewSender(link uint32, credit, transport *Credit, sched *Scheduler) *Sender {
	return &Sender{link: link, credit: credit, transport: transport, sched: sched}
}

// Link returns the link id.
func (s *Sender) Link() uint32 { return s.link }

// Credit returns the link direction's Credit (for Grant and Stats).
func (s *Sender) Credit() *Credit { return s.credit }

// Send queues one encoded value, and the END of the direction after it
// when end is set, waiting for credit and queue room until ctx is done.
// Errors: ctx.Err(); proto.CodeMessageTooLarge for a value larger than the
// direction can ever carry; the error the Credit was closed with (Reset);
// proto.ErrLinkClosed, ErrClosed or the writer's error from the Scheduler. On
// error nothing was queued and every reservation is given back.
func (s *Sender) Send(ctx context.Context, payload []byte, end bool) error {
	return s.send(ctx, payload, end, true)
}

// TrySend is Send without waiting: it fails with proto.ErrNoCredit when credit
// is short and with ErrQueueFull when the link's queue is full.
func (s *Sender) TrySend(payload []byte, end bool) error {
	return s.send(context.Background(), payload, end, false)
}

// End queues the END of the direction without a value.
func (s *Sender) End(ctx context.Context) error {
	return s.sched.Send(ctx, s.link, nil, true)
}

func (s *Sender) send(ctx context.Context, payload []byte, end, wait bool) error {
	if len(payload) == 0 {
		if end {
			return s.End(ctx)
		}
		return fmt.Errorf("proto: link %d: an empty payload is not a value", s.link)
	}
	n := len(payload)
	take := func(c *Credit) error {
		if wait {
			return c.Take(ctx, n)
		}
		return c.TryTake(n)
	}
	if err := take(s.credit); err != nil {
		return err
	}
	if s.transport != nil {
		if err := take(s.transport); err != nil {
			s.credit.Refund(n)
			return err
		}
	}
	var err error
	if wait {
		err = s.sched.Send(ctx, s.link, payload, end)
	} else {
		err = s.sched.TrySend(s.link, payload, end)
	}
	if err != nil {
		s.credit.Refund(n)
		if s.transport != nil {
			s.transport.Refund(n)
		}
	}
	return err
}

// Reset stops the direction after a RESET (sent or received): queued
// values are dropped and their bytes given back to the transport window,
// and every waiting and later Send fails with err. The caller sends the
// RESET frame itself, if it is the one resetting.
func (s *Sender) Reset(err error) {
	s.credit.Close(err)
	u := s.sched.RemoveLink(s.link)
	if s.transport != nil {
		s.transport.RefundBytes(u.Bytes)
	}
}

// Receiver is the receiving direction of one link: for each DATA frame it
// checks the direction's state, the link's credit and, for data links, the
// transport window, and joins fragments into whole values; when the
// application has consumed a value it produces the CREDIT frames to send
// (PROTOCOL.md section 8.3). Data is called by the reader goroutine;
// Consume and Drop may be called from any goroutine.
type Receiver struct {
	link      uint32
	win       *Window
	transport *Window // nil for control links
	sched     *Scheduler

	mu      sync.Mutex
	asm     proto.Assembler // guarded by mu
	ended   bool            // guarded by mu; END received
	dropped bool            // guarded by mu; after Drop, frames are discarded
	// uncounted is guarded by mu: bytes the transport window counted but
	// the link window refused (an overrun), given back by Drop.
	uncounted int
}

// NewReceiver returns the Receiver of link with its window and, for a data
// link, the transport window (nil for a control link). maxMessage is the
// max-message-bytes in force. CREDIT frames go out through sched.
func NewReceiver(link uint32, win, transport *Window, maxMessage int, sched *Scheduler) *Receiver {
	return &Receiver{link: link, win: win, transport: transport, sched: sched, asm: proto.Assembler{Max: maxMessage}}
}

// sendCredit queues CREDIT frames built in a stack buffer.
func (r *Receiver) sendCredit(frames []byte) error {
	if len(frames) == 0 {
		return nil
	}
	return r.sched.SendControl(frames)
}

// Window returns the link direction's Window (for its initial Limits and
// Stats).
func (r *Receiver) Window() *Window { return r.win }

// Ended reports whether the peer has ended the direction.
func (r *Receiver) Ended() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

func transportOverrun(err error) *proto.Error {
	return proto.Wrap(ErrTransportWindow, proto.CodeFlowControl, "transport window: %s", err.(*proto.Error).Msg)
}

// Data takes one DATA frame of the link. It returns the value completed by
// the frame (done=true; valid until the next ReadFrame) and whether the
// direction ended with it. Errors are *proto.Error values: with ErrTransportWindow
// as cause (errors.Is) the transport window was overrun and the transport
// must close with GOAWAY FLOW_CONTROL; any other error resets the link
// (FLOW_CONTROL, MESSAGE_TOO_LARGE, or PROTOCOL_ERROR for DATA after END),
// after which the caller calls Drop. After Drop, frames are only counted
// against the transport window and given back, as DiscardRetired does. An
// error from queuing a CREDIT frame (ErrControlFull) closes the transport
// with proto.CodeCalm.
func (r *Receiver) Data(f proto.Frame) (value []byte, done, end bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(f.Payload)
	if r.dropped {
		if r.transport == nil {
			return nil, false, false, nil
		}
		return nil, false, false, DiscardRetired(r.sched, r.transport, n)
	}
	if r.ended {
		return nil, false, false, proto.Errorf(proto.CodeProtocolError, "DATA on link %d after its END", r.link)
	}
	if r.transport != nil {
		if err := r.transport.Receive(n, false); err != nil {
			return nil, false, false, transportOverrun(err)
		}
	}
	// The value's size first: a value over max-message-bytes is
	// MESSAGE_TOO_LARGE even when it also overruns the credit, whose
	// initial bytes are often max-message-bytes (PROTOCOL.md 4.4).
	if err := r.asm.Check(n, f.Flags); err != nil {
		if r.transport != nil {
			r.uncounted += n
		}
		return nil, false, false, proto.Errorf(proto.CodeMessageTooLarge, "link %d: %s", r.link, err.(*proto.Error).Msg)
	}
	first := !r.asm.InProgress() && n > 0
	if err := r.win.Receive(n, first); err != nil {
		if r.transport != nil {
			r.uncounted += n
		}
		return nil, false, false, proto.Errorf(proto.CodeFlowControl, "link %d: %s", r.link, err.(*proto.Error).Msg)
	}
	value, done, err = r.asm.Add(f.Payload, f.Flags)
	if err != nil {
		return nil, false, false, proto.Errorf(proto.CodeMessageTooLarge, "link %d: %s", r.link, err.(*proto.Error).Msg)
	}
	if f.Flags&proto.FlagEnd != 0 {
		r.ended = true
	}
	return value, done, r.ended, nil
}

// Consume records that the application consumed one value of n bytes (a
// handler returned, a poll dequeued it) and queues the CREDIT frames that
// return it, for the link and for the transport window, when the window
// policy says so. After Drop it does nothing. An error comes from
// Scheduler.SendControl: ErrControlFull closes the transport with
// proto.CodeCalm.
func (r *Receiver) Consume(n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dropped {
		return nil
	}
	var buf [2 * (proto.HeaderSize + proto.CreditSize)]byte
	frames := buf[:0]
	if g, send := r.win.Consume(1, n); send && !r.ended {
		frames = proto.AppendCreditFrame(frames, r.link, g)
	}
	if r.transport != nil {
		if g, send := r.transport.Consume(0, n); send {
			frames = proto.AppendCreditFrame(frames, 0, g)
		}
	}
	return r.sendCredit(frames)
}

// Drop discards the direction after a RESET (sent or received): values
// received and not consumed are forgotten, and their bytes given back to
// the transport window, with a CREDIT for link 0 queued when the window
// policy says so. Later Consume calls do nothing, so values the application still
// holds need no care. Errors are Consume's.
func (r *Receiver) Drop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dropped {
		return nil
	}
	r.dropped = true
	r.asm.Reset()
	if r.transport == nil {
		return nil
	}
	b := r.win.Buffered()
	if g, send := r.transport.Consume(0, int(b.Bytes)+r.uncounted); send {
		var buf [proto.HeaderSize + proto.CreditSize]byte
		return r.sendCredit(proto.AppendCreditFrame(buf[:0], 0, g))
	}
	return nil
}

// DiscardRetired accounts a DATA frame of n bytes that arrived on a data
// link already retired (reset or closed): it still counts against the
// transport window and is given back at once (PROTOCOL.md section 6.1),
// with a CREDIT for link 0 queued on sched when the window policy says
// so. An error is a transport-window overrun (cause ErrTransportWindow) or
// SendControl's.
func DiscardRetired(sched *Scheduler, transport *Window, n int) error {
	if err := transport.Receive(n, false); err != nil {
		return transportOverrun(err)
	}
	if g, send := transport.Consume(0, n); send {
		var buf [proto.HeaderSize + proto.CreditSize]byte
		return sched.SendControl(proto.AppendCreditFrame(buf[:0], 0, g))
	}
	return nil
}
