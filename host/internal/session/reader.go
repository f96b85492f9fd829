package session

import (
	"errors"
	"time"

	"github.com/genehost/genehost/host/internal/flow"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/proto"
)

// dispatch handles one frame on the reader goroutine. A returned error
// closes the transport with its code.
func (s *Session) dispatch(f proto.Frame) *proto.Error {
	if f.Type != proto.TypeData && f.Type != proto.TypeCredit {
		if err := s.calm.Take(time.Now()); err != nil {
			return asProto(err)
		}
	}
	switch f.Type {
	case proto.TypeData:
		return s.onData(f)
	case proto.TypeCredit:
		return s.onCredit(f)
	case proto.TypeOpen:
		return s.onOpen(f)
	case proto.TypeAccept:
		return s.onAccept(f)
	case proto.TypeReject:
		return s.onReject(f)
	case proto.TypeReset:
		return s.onReset(f)
	case proto.TypePing:
		data, err := proto.ParsePing(f.Payload)
		if err != nil {
			return asProto(err)
		}
		if err := s.sched.SendControl(proto.AppendPongFrame(nil, data)); err != nil {
			return proto.Errorf(proto.CodeCalm, "cannot queue PONG: %v", err)
		}
	case proto.TypePong:
		data, err := proto.ParsePing(f.Payload)
		if err != nil {
			return asProto(err)
		}
		s.mu.Lock()
		ch := s.pings[data]
		s.mu.Unlock()
		if ch != nil {
			select {
			case ch <- time.Now():
			default:
			}
		}
	case proto.TypeGoAway:
		g, err := proto.ParseGoAway(f.Payload)
		if err != nil {
			return asProto(err)
		}
		s.onGoAway(g)
	case proto.TypeHello, proto.TypeWelcome:
		return proto.Errorf(proto.CodeProtocolError, "%s after the handshake", f.Type)
	default:
		// An unknown type with the IGNORABLE flag (the reader refused the
		// others): skipped, but counted by the rate limit above.
	}
	return nil
}

func asProto(err error) *proto.Error {
	var perr *proto.Error
	if errors.As(err, &perr) {
		return perr
	}
	if errors.Is(err, flow.ErrControlFull) {
		// The peer does not read what this side must send it
		// (PROTOCOL.md section 9).
		return proto.Errorf(proto.CodeCalm, "%v", err)
	}
	return proto.Errorf(proto.CodeProtocolError, "%v", err)
}

// lookup finds the link a frame names. For a frame of a link that was
// never opened it returns a PROTOCOL_ERROR; for a retired one, nil and
// retired=true.
func (s *Session) lookup(f proto.Frame) (l *Link, retired bool, perr *proto.Error) {
	s.mu.Lock()
	l = s.links[f.Link]
	s.mu.Unlock()
	if l != nil {
		return l, false, nil
	}
	var known bool
	if s.side.Opened(f.Link) {
		known = s.ids.Issued(f.Link)
	} else {
		known = s.peer.Seen(f.Link)
	}
	if !known {
		return nil, false, proto.Errorf(proto.CodeProtocolError, "%s for link %d, which was never opened", f.Type, f.Link)
	}
	return nil, true, nil
}

func (s *Session) onData(f proto.Frame) *proto.Error {
	l, retired, perr := s.lookup(f)
	if perr != nil {
		return perr
	}
	if retired {
		s.mu.Lock()
		_, ctl := s.retiredCtl[f.Link]
		s.mu.Unlock()
		if ctl {
			return nil
		}
		if err := flow.DiscardRetired(s.sched, s.rxWin, len(f.Payload)); err != nil {
			return asProto(err)
		}
		return nil
	}
	if !l.receives {
		l.resetBy(proto.WrongDirection(l.id, l.open.Direction, s.side.Peer()), true)
		if l.open.Sub == proto.SubData {
			if err := flow.DiscardRetired(s.sched, s.rxWin, len(f.Payload)); err != nil {
				return asProto(err)
			}
		}
		return nil
	}
	if l.rcv() == nil {
		// The peer opened the link and sent DATA before our ACCEPT gave
		// it credit. Its bytes still count in the transport window, and
		// are given back at once.
		l.resetBy(proto.Errorf(proto.CodeFlowControl, "link %d: DATA before the link was accepted", l.id), true)
		if l.open.Sub == proto.SubData {
			if err := flow.DiscardRetired(s.sched, s.rxWin, len(f.Payload)); err != nil {
				return asProto(err)
			}
		}
		return nil
	}
	value, done, end, err := l.rcv().Data(f)
	if err != nil {
		perr := asProto(err)
		if errors.Is(err, flow.ErrTransportWindow) || errors.Is(err, flow.ErrControlFull) {
			return perr
		}
		l.resetBy(perr, true)
		return nil
	}
	if done {
		// Decoded by the consumer (Link.deliver, Link.Recv); value is
		// the reader's buffer, so the link keeps a copy.
		l.enqueue(s.keep(value))
	}
	if end {
		l.peerEnded()
	}
	return nil
}

// keepChunk is the size of the chunks received values are copied into,
// keepMax the largest value copied into one.
const (
	keepChunk = 4 << 10
	keepMax   = 512
)

// keep copies a received value out of the reader's buffer (reader
// goroutine). A small value is carved from a chunk shared with the values
// received just before and after it, so that a stream of them costs one
// allocation per chunk rather than one per value; the chunk is garbage
// once all of them were consumed.
func (s *Session) keep(v []byte) []byte {
	n := len(v)
	if n > keepMax {
		return append([]byte(nil), v...)
	}
	if cap(s.rchunk)-len(s.rchunk) < n {
		s.rchunk = make([]byte, 0, keepChunk)
	}
	i := len(s.rchunk)
	s.rchunk = append(s.rchunk, v...)
	return s.rchunk[i:len(s.rchunk):len(s.rchunk)]
}

func (s *Session) onCredit(f proto.Frame) *proto.Error {
	g, err := proto.ParseCredit(f.Payload)
	if err != nil {
		return asProto(err)
	}
	if f.Link == 0 {
		if _, free := s.txWin.Receive(g); !free {
			return s.takeToken()
		}
		return nil
	}
	l, retired, perr := s.lookup(f)
	if perr != nil {
		return perr
	}
	if retired {
		return s.takeToken()
	}
	if !l.sends {
		l.resetBy(proto.Errorf(proto.CodeProtocolError, "CREDIT on link %d for a direction it does not carry", l.id), true)
		return nil
	}
	snd := l.snd()
	if snd == nil {
		return s.takeToken()
	}
	if _, free := snd.Credit().Receive(g); !free {
		return s.takeToken()
	}
	return nil
}

// takeToken charges a CREDIT that is not free (flow.Credit.Receive) to
// the control rate, as a PING is.
func (s *Session) takeToken() *proto.Error {
	if err := s.calm.Take(time.Now()); err != nil {
		return asProto(err)
	}
	return nil
}

func (s *Session) onOpen(f proto.Frame) *proto.Error {
	if err := s.peer.Open(f.Link); err != nil {
		return asProto(err)
	}
	reject := func(e *proto.Error) *proto.Error {
		if err := s.sched.SendControl(proto.AppendRejectFrame(nil, f.Link, e)); err != nil {
			return proto.Errorf(proto.CodeCalm, "cannot queue REJECT: %v", err)
		}
		return nil
	}
	o, err := proto.ParseOpen(f.Payload, s.side.Peer())
	if err != nil {
		return reject(asProto(err))
	}
	s.mu.Lock()
	switch {
	case s.recvGoAway:
		// The peer said it opens no more links (PROTOCOL.md 7.2): the
		// link is refused, the drain of the others goes on.
		s.mu.Unlock()
		return reject(proto.Errorf(proto.CodeProtocolError, "the %s opened link %d after its own GOAWAY", s.side.Peer(), f.Link))
	case s.closing || s.sentGoAway:
		s.mu.Unlock()
		return reject(proto.Errorf(proto.CodeShutdown, "the %s is going away", s.side))
	case len(s.links) >= s.cfg.Terms.Limits.MaxLinks:
		n := len(s.links)
		s.mu.Unlock()
		return reject(proto.Errorf(proto.CodeTooManyLinks, "%d links already open on this transport (max-links)", n))
	case s.cfg.Accept == nil:
		s.mu.Unlock()
		return reject(proto.Errorf(proto.CodeUnavailable, "this %s accepts no links", s.side))
	}
	l := s.newLink(f.Link, o, s.side.Peer())
	if l.sends {
		l.setupSender(o.Credit)
	}
	s.links[f.Link] = l
	s.mu.Unlock()
	if !s.spawn(func() { s.accept(l) }) {
		l.terminate(errors.New("transport closed"), false)
	}
	return nil
}

// accept runs Config.Accept for a link the peer opened, then answers.
func (s *Session) accept(l *Link) {
	opts, err := s.cfg.Accept(s.ctx, l)
	if err != nil {
		perr := asProto(err)
		if _, ok := err.(*proto.Error); !ok {
			perr = proto.Errorf(proto.CodeOf(err), "%v", err)
		}
		if l.markAnswered() {
			_ = s.sched.SendControl(proto.AppendRejectFrame(nil, l.id, perr))
		}
		l.terminate(perr, false)
		return
	}
	var a proto.Accept
	a.ManifestHash = opts.ManifestHash
	if l.receives {
		l.setupReceiver(s.windowConfig(l.open.Sub, opts.Window))
		a.Credit = l.rcv().Window().Limits()
	}
	if !l.markAnswered() {
		return // reset meanwhile
	}
	if err := s.sched.SendControl(proto.AppendAcceptFrame(nil, l.id, a)); err != nil {
		s.fail(proto.Errorf(proto.CodeCalm, "cannot queue ACCEPT: %v", err))
		return
	}
	l.setAccepted(a, nil)
	if s.cfg.Opened != nil {
		s.cfg.Opened(l)
	}
}

func (s *Session) onAccept(f proto.Frame) *proto.Error {
	l, retired, perr := s.lookup(f)
	if perr != nil {
		return perr
	}
	if retired {
		return nil // cancelled before the answer came
	}
	if l.opener != s.side || l.isAccepted() {
		return proto.Errorf(proto.CodeProtocolError, "ACCEPT for link %d, which this side did not open or was already answered", f.Link)
	}
	a, err := proto.ParseAccept(f.Payload, l.open.Receives(s.side.Peer()))
	if err != nil {
		l.resetBy(asProto(err), true)
		l.setAccepted(proto.Accept{}, err)
		return nil
	}
	if l.sends {
		l.setupSender(a.Credit)
	}
	l.setAccepted(a, nil)
	return nil
}

func (s *Session) onReject(f proto.Frame) *proto.Error {
	l, retired, perr := s.lookup(f)
	if perr != nil {
		return perr
	}
	if retired {
		return nil
	}
	if l.opener != s.side || l.isAccepted() {
		return proto.Errorf(proto.CodeProtocolError, "REJECT for link %d, which this side did not open or was already answered", f.Link)
	}
	e, err := proto.ParseReason(f.Payload)
	if err != nil {
		return asProto(err)
	}
	l.setAccepted(proto.Accept{}, e)
	l.terminate(e, false)
	return nil
}

func (s *Session) onReset(f proto.Frame) *proto.Error {
	l, retired, perr := s.lookup(f)
	if perr != nil {
		return perr
	}
	if retired {
		return nil
	}
	e, err := proto.ParseReason(f.Payload)
	if err != nil {
		return asProto(err)
	}
	if !l.isAccepted() && l.opener == s.side {
		l.setAccepted(proto.Accept{}, e)
	}
	l.resetBy(&PeerReset{Err: e}, false)
	return nil
}

func (s *Session) onGoAway(g proto.GoAway) {
	if !g.Graceful() {
		s.log.Warn("peer closes the transport", "peer", s.RemoteAddr(), "code", g.Code.String(), "reason", logtext.Cut(g.Text))
		s.closeWith(&PeerGoAway{GoAway: g}, false)
		return
	}
	s.mu.Lock()
	s.recvGoAway = true
	s.markAway()
	var refused []*Link
	for id, l := range s.links {
		if l.opener == s.side && id > g.Last {
			refused = append(refused, l)
		}
	}
	s.mu.Unlock()
	for _, l := range refused {
		l.setAccepted(proto.Accept{}, ErrGoingAway)
		l.terminate(ErrGoingAway, false)
	}
}

// PeerReset is the error of a link the peer reset.
type PeerReset struct{ Err *proto.Error }

func (e *PeerReset) Error() string { return "reset by peer: " + e.Err.Error() }
func (e *PeerReset) Unwrap() error { return e.Err }

// PeerGoAway is the error of a transport the peer closed with a GOAWAY
// other than NO_ERROR or SHUTDOWN.
type PeerGoAway struct{ GoAway proto.GoAway }

func (e *PeerGoAway) Error() string {
	return "peer closed the transport: " + e.GoAway.Code.String() + ": " + e.GoAway.Text
}
func (e *PeerGoAway) Unwrap() error { return e.GoAway.Err() }
