// Package session owns one transport of the genehost protocol once its
// handshake is done: the reader and writer goroutines, the links opened by
// either side, credit in both directions, keepalive, control-frame rate
// limits, GOAWAY and drain. It is symmetric: the host (package host) and
// the Go client (package host/client) both run their transports on it.
//
// A Session owns two goroutines (reader and writer), a keepalive timer, and one
// short-lived delivery goroutine per link while that link has values
// waiting for its handler. Close or a transport error stops them all;
// Done is closed when they have.
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/flow"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/proto"
)

// Terms are what the handshake settled for a transport.
type Terms struct {
	Encoding  proto.Encoding
	Limits    proto.Limits // every limit in force
	Keepalive time.Duration
	// SendWindow is the peer's initial transport window: what this side
	// may send on data links before the first CREDIT on link 0.
	SendWindow uint64
	// RecvWindow is this side's initial transport window.
	RecvWindow uint64
	// PeerName is the software the peer announced.
	PeerName string
}

// HostTerms returns the host's view of a handshake.
func HostTerms(h proto.Hello, w proto.Welcome) Terms {
	return Terms{Encoding: w.Encoding, Limits: w.Limits, Keepalive: w.Keepalive,
		SendWindow: h.Window, RecvWindow: w.Window, PeerName: h.Name}
}

// ClientTerms returns the client's view of a handshake.
func ClientTerms(h proto.Hello, w proto.Welcome) Terms {
	return Terms{Encoding: w.Encoding, Limits: w.Limits, Keepalive: w.Keepalive,
		SendWindow: w.Window, RecvWindow: h.Window, PeerName: w.Name}
}

// AcceptOptions are the acceptor's answer to an OPEN.
type AcceptOptions struct {
	// Window is the window this side grants on the link's receiving
	// direction; zero fields take Config.Proto's DataWindow or
	// ControlWindow.
	Window proto.WindowConfig
	// ManifestHash goes in the ACCEPT.
	ManifestHash string
}

// Config sets up a Session.
type Config struct {
	// Side is this end of the transport.
	Side  proto.Side
	Terms Terms
	// Proto holds the local budgets: windows, control rate, queues.
	Proto proto.Config
	// Accept decides on an OPEN from the peer. It runs on its own
	// goroutine; the link is not yet accepted, and no value arrives on it
	// before Accept returns. An error rejects the link with
	// proto.CodeOf(err). Nil rejects every OPEN with UNAVAILABLE.
	Accept func(ctx context.Context, l *Link) (AcceptOptions, error)
	// Opened is called on the accepting goroutine once the ACCEPT of a
	// link the peer opened is queued: the place to run application code
	// that may already send on the link. Optional.
	Opened func(l *Link)
	// OnClose is called once, on the session's last goroutine, when the
	// transport is closed and every goroutine of the session returned.
	// Optional.
	OnClose func(err error)
	// StallTimeout resets a link whose sender waited this long for credit
	// with SLOW_CONSUMER. 0: never.
	StallTimeout time.Duration
	// Logger receives the transport's log lines. Default: none.
	Logger hclog.Logger
}

// ErrGoingAway is returned by Open after either side sent GOAWAY, and by a
// pending Open whose link the peer will not process (it may be retried on
// another transport).
var ErrGoingAway = errors.New("session: transport is going away")

// retiredControlMemory is how many retired control link ids a Session
// remembers, to tell their late DATA (not counted in the transport window)
// from the late DATA of retired data links (counted).
const retiredControlMemory = 1024

// Session is one transport.
type Session struct {
	conn   net.Conn
	r      *proto.Reader
	cfg    Config
	log    hclog.Logger
	side   proto.Side
	sched  *flow.Scheduler
	glim   gene.Limits
	txWin  *flow.Credit // transport window, sending
	rxWin  *flow.Window // transport window, receiving
	ids    *proto.LinkIDs
	peer   *proto.PeerLinks
	calm   *flow.ControlLimiter
	ctx    context.Context
	cancel context.CancelFunc

	rchunk []byte // reader goroutine: the chunk small received values are copied into (keep)

	lastRecv atomic.Int64 // unix nanos of the last frame received
	pinged   atomic.Int64 // lastRecv when the keepalive last pinged
	kaTimer  *time.Timer  // keepalive; guarded by mu

	mu          sync.Mutex
	links       map[uint32]*Link
	retiredCtl  map[uint32]struct{}
	retiredFIFO []uint32
	sentGoAway  bool
	goAwayLast  uint32 // last in the GOAWAY we sent
	recvGoAway  bool
	closing     bool
	waiting     bool // finish is waiting for the goroutines: spawn no more
	err         error
	pings       map[[proto.PingSize]byte]chan time.Time
	pingSeq     uint64

	wg       sync.WaitGroup
	away     chan struct{} // closed when either side sends GOAWAY
	awayOnce sync.Once
	done     chan struct{}
	closed   chan struct{} // closed when close began
	once     sync.Once
}

// New starts a Session on conn, whose handshake is done and whose frames
// r reads (r's frame limit already set by the handshake).
func New(conn net.Conn, r *proto.Reader, cfg Config) *Session {
	cfg.Proto = cfg.Proto.WithDefaults()
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	lim := cfg.Terms.Limits
	s := &Session{
		conn: conn, r: r, cfg: cfg, log: log, side: cfg.Side,
		sched: flow.NewScheduler(flow.SchedulerConfig{
			MaxFrameBytes: lim.MaxFrameBytes,
			LinkQueue:     cfg.Proto.LinkQueue,
			ControlQueue:  cfg.Proto.ControlQueue,
		}),
		glim:       lim.Gene(),
		txWin:      flow.NewByteCredit(cfg.Terms.SendWindow),
		rxWin:      flow.NewByteWindow(int(cfg.Terms.RecvWindow), max(cfg.Proto.MaxTransportWindow, int(cfg.Terms.RecvWindow)), lim.MaxMessageBytes),
		ids:        proto.NewLinkIDs(cfg.Side),
		peer:       proto.NewPeerLinks(cfg.Side.Peer()),
		calm:       flow.NewControlLimiter(cfg.Proto.ControlRate, cfg.Proto.ControlBurst),
		ctx:        ctx,
		cancel:     cancel,
		links:      make(map[uint32]*Link),
		retiredCtl: make(map[uint32]struct{}),
		pings:      make(map[[proto.PingSize]byte]chan time.Time),
		away:       make(chan struct{}),
		done:       make(chan struct{}),
		closed:     make(chan struct{}),
	}
	s.lastRecv.Store(time.Now().UnixNano())
	s.wg.Add(2)
	go s.writeLoop()
	go s.readLoop()
	if k := cfg.Terms.Keepalive; k > 0 {
		s.mu.Lock()
		s.kaTimer = time.AfterFunc(k/4, func() { s.keepalive(k) })
		s.mu.Unlock()
	}
	return s
}

// Side returns this end of the transport.
func (s *Session) Side() proto.Side { return s.side }

// Terms returns what the handshake settled.
func (s *Session) Terms() Terms { return s.cfg.Terms }

// RemoteAddr is the peer's address, for logs.
func (s *Session) RemoteAddr() string {
	if a := s.conn.RemoteAddr(); a != nil && a.String() != "" {
		return a.String()
	}
	return s.conn.LocalAddr().Network()
}

// Logger returns the session's logger.
func (s *Session) Logger() hclog.Logger { return s.log }

// Done is closed when the transport is closed and every goroutine of the
// session has returned.
func (s *Session) Done() <-chan struct{} { return s.done }

// Closing is closed as soon as the transport starts closing.
func (s *Session) Closing() <-chan struct{} { return s.closed }

// Err returns why the transport closed: nil for a graceful close (GOAWAY
// drained, or Close), otherwise the error. Valid after Done.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// GoingAway reports whether either side sent GOAWAY.
func (s *Session) GoingAway() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentGoAway || s.recvGoAway
}

// GoingAwayC is closed when either side sent GOAWAY (or the transport
// closed): no new link may be opened on it.
func (s *Session) GoingAwayC() <-chan struct{} { return s.away }

func (s *Session) markAway() { s.awayOnce.Do(func() { close(s.away) }) }

// NumLinks returns the number of links open on the transport.
func (s *Session) NumLinks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.links)
}

// Links returns the open links.
func (s *Session) Links() []*Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Link, 0, len(s.links))
	for _, l := range s.links {
		out = append(out, l)
	}
	return out
}

// Stats are a transport's counters.
type Stats struct {
	Links     int
	Scheduler flow.SchedulerStats
	SendWin   flow.CreditStats
	RecvWin   flow.WindowStats
}

// Stats returns a snapshot of the transport's counters.
func (s *Session) Stats() Stats {
	return Stats{Links: s.NumLinks(), Scheduler: s.sched.Stats(), SendWin: s.txWin.Stats(), RecvWin: s.rxWin.Stats()}
}

// Open opens a link and waits for the peer's ACCEPT or REJECT, or ctx.
// win is the window granted on the link's receiving direction (zero
// fields: the Config's defaults). A REJECT is returned as a *proto.Error.
func (s *Session) Open(ctx context.Context, o proto.Open, win proto.WindowConfig) (*Link, proto.Accept, error) {
	if o.Sub == 0 {
		o.Sub = proto.SubData
	}
	s.mu.Lock()
	if s.closing {
		err := s.closedErrLocked()
		s.mu.Unlock()
		return nil, proto.Accept{}, err
	}
	if s.sentGoAway || s.recvGoAway {
		s.mu.Unlock()
		return nil, proto.Accept{}, ErrGoingAway
	}
	if len(s.links) >= s.cfg.Terms.Limits.MaxLinks {
		s.mu.Unlock()
		return nil, proto.Accept{}, proto.Errorf(proto.CodeTooManyLinks, "%d links already open on this transport (max-links)", len(s.links))
	}
	id, err := s.ids.Next()
	if err != nil {
		s.mu.Unlock()
		return nil, proto.Accept{}, err
	}
	l := s.newLink(id, o, s.side)
	if l.receives {
		l.setupReceiver(s.windowConfig(o.Sub, win))
		o.Credit = l.rcv().Window().Limits()
	} else {
		o.Credit = proto.Grant{}
	}
	frame, err := proto.AppendOpenFrame(nil, id, o)
	if err != nil {
		s.mu.Unlock()
		return nil, proto.Accept{}, err
	}
	s.links[id] = l
	// Queued under the lock: OPEN frames go out in the order of their
	// ids, which must increase (PROTOCOL.md section 3).
	err = s.sched.SendControl(frame)
	s.mu.Unlock()
	if err != nil {
		s.fail(proto.Errorf(proto.CodeCalm, "cannot queue OPEN: %v", err))
		return nil, proto.Accept{}, err
	}
	select {
	case <-l.accepted:
		if l.openErr != nil {
			return nil, proto.Accept{}, l.openErr
		}
		return l, l.acceptInfo, nil
	case <-ctx.Done():
		l.Reset(proto.Errorf(proto.CodeCancelled, "open cancelled: %v", ctx.Err()))
		return nil, proto.Accept{}, ctx.Err()
	}
}

func (s *Session) windowConfig(sub proto.Sub, w proto.WindowConfig) proto.WindowConfig {
	def := s.cfg.Proto.DataWindow
	if sub == proto.SubControl {
		def = s.cfg.Proto.ControlWindow
	}
	if w.InitialMsgs == 0 {
		w.InitialMsgs = def.InitialMsgs
	}
	if w.MaxMsgs == 0 {
		w.MaxMsgs = def.MaxMsgs
	}
	if w.InitialBytes == 0 {
		w.InitialBytes = def.InitialBytes
	}
	if w.MaxBytes == 0 {
		w.MaxBytes = def.MaxBytes
	}
	w = w.WithDefaults()
	// A value never exceeds max-message-bytes, so a larger initial window
	// only raises the size cap a sender sees.
	if m := s.cfg.Terms.Limits.MaxMessageBytes; m > 0 && w.InitialBytes > m {
		w.InitialBytes = m
		w = w.WithDefaults()
	}
	return w
}

// Ping sends a PING and waits for its PONG, returning the round-trip time.
func (s *Session) Ping(ctx context.Context) (time.Duration, error) {
	var data [proto.PingSize]byte
	ch := make(chan time.Time, 1)
	s.mu.Lock()
	if s.closing {
		err := s.closedErrLocked()
		s.mu.Unlock()
		return 0, err
	}
	s.pingSeq++
	seq := s.pingSeq
	for i := range data {
		data[i] = byte(seq >> (8 * i))
	}
	data[7] = 0x50 // 'P': pings asked by the application
	s.pings[data] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pings, data)
		s.mu.Unlock()
	}()
	start := time.Now()
	if err := s.sched.SendControl(proto.AppendPingFrame(nil, data)); err != nil {
		return 0, err
	}
	select {
	case t := <-ch:
		return t.Sub(start), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.closed:
		return 0, s.closedErr()
	}
}

// GoAway starts a graceful drain: it sends GOAWAY with code (NO_ERROR or
// SHUTDOWN) and text, refuses links the peer opens from now on, and closes
// the transport when the last link has closed. It returns at once.
func (s *Session) GoAway(code proto.Code, text string) {
	s.mu.Lock()
	if s.closing || s.sentGoAway {
		s.mu.Unlock()
		return
	}
	s.sentGoAway = true
	s.markAway()
	s.goAwayLast = s.peer.Highest()
	last := s.goAwayLast
	idle := len(s.links) == 0
	s.mu.Unlock()
	if err := s.sched.SendControl(proto.AppendGoAwayFrame(nil, proto.GoAway{Last: last, Code: code, Text: text})); err != nil {
		s.fail(proto.Errorf(proto.CodeCalm, "cannot queue GOAWAY: %v", err))
		return
	}
	if idle {
		s.closeGraceful()
	}
}

// Shutdown drains the transport gracefully (GoAway with SHUTDOWN) and
// waits until it is closed or ctx is done; then it resets the links still
// open with SHUTDOWN and closes.
func (s *Session) Shutdown(ctx context.Context, text string) error {
	s.GoAway(proto.CodeShutdown, text)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
	}
	for _, l := range s.Links() {
		l.Reset(proto.Errorf(proto.CodeShutdown, "%s: drain deadline passed", text))
	}
	s.closeWith(nil, true)
	<-s.done
	return ctx.Err()
}

// Close closes the transport at once: links still open end with an error.
func (s *Session) Close() error {
	s.closeWith(nil, false)
	<-s.done
	return nil
}

func (s *Session) closedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closedErrLocked()
}

func (s *Session) closedErrLocked() error {
	if s.err != nil {
		return fmt.Errorf("transport closed: %w", s.err)
	}
	return errors.New("transport closed")
}

// fail closes the transport because of err: a GOAWAY with its code goes
// out first (best effort).
func (s *Session) fail(err *proto.Error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	last := s.peer.Highest()
	s.mu.Unlock()
	s.log.Warn("closing transport", "peer", s.RemoteAddr(), "code", err.Code.String(), "reason", logtext.Cut(err.Msg))
	_ = s.sched.SendControl(proto.AppendGoAwayFrame(nil, proto.GoAway{Last: last, Code: err.Code, Text: err.Msg}))
	s.closeWith(err, true)
}

// closeGraceful closes after a drain: everything queued is written first.
func (s *Session) closeGraceful() { s.closeWith(nil, true) }

// closeWith starts closing the transport. flush lets the writer write what
// is queued (bounded by a short deadline) before the connection closes.
func (s *Session) closeWith(err error, flush bool) {
	s.once.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.err = err
		if s.kaTimer != nil {
			s.kaTimer.Stop()
		}
		links := make([]*Link, 0, len(s.links))
		for _, l := range s.links {
			links = append(links, l)
		}
		s.mu.Unlock()
		close(s.closed)
		s.markAway()
		linkErr := err
		if linkErr == nil {
			linkErr = errors.New("transport closed")
		}
		for _, l := range links {
			l.terminate(fmt.Errorf("transport closed: %w", linkErr), false)
		}
		go s.finish(flush)
	})
}

// finish stops the goroutines and closes the connection. It runs on its
// own goroutine, owned by the Session until Done.
func (s *Session) finish(flush bool) {
	if flush {
		s.sched.Close()
		select {
		case <-s.sched.Done():
		case <-time.After(2 * time.Second):
		}
	}
	s.cancel()
	_ = s.conn.Close()
	s.mu.Lock()
	s.waiting = true
	s.mu.Unlock()
	s.wg.Wait()
	close(s.done)
	if s.cfg.OnClose != nil {
		s.cfg.OnClose(s.Err())
	}
}

// spawn runs f on a goroutine owned by the session, unless it is closing.
func (s *Session) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

func (s *Session) writeLoop() {
	defer s.wg.Done()
	err := s.sched.Run(s.ctx, s.conn)
	if err != nil && s.ctx.Err() == nil {
		s.closeWith(fmt.Errorf("write: %w", err), false)
	}
}

// keepalive is the keepalive timer's tick (PROTOCOL.md section 7.1): it
// runs every k/4 on a short-lived goroutine of the timer, so an idle
// transport costs no goroutine for it.
func (s *Session) keepalive(k time.Duration) {
	if s.ctx.Err() != nil {
		return
	}
	last := s.lastRecv.Load()
	idle := time.Since(time.Unix(0, last))
	switch {
	case idle >= 2*k:
		s.fail(proto.Errorf(proto.CodeKeepaliveTimeout, "nothing received for %s (keepalive %s)", idle.Round(time.Millisecond), k))
		return
	case idle >= k && s.pinged.Load() != last:
		s.pinged.Store(last)
		var data [proto.PingSize]byte
		data[7] = 0x4b // 'K': keepalive
		if err := s.sched.SendControl(proto.AppendPingFrame(nil, data)); err != nil {
			s.fail(proto.Errorf(proto.CodeCalm, "cannot queue PING: %v", err))
			return
		}
	}
	s.mu.Lock()
	if !s.closing {
		s.kaTimer.Reset(k / 4)
	}
	s.mu.Unlock()
}

// linkDone removes a finished link from the transport and closes the
// transport if it was draining and this was the last link.
func (s *Session) linkDone(l *Link) {
	s.mu.Lock()
	if cur, ok := s.links[l.id]; ok && cur == l {
		delete(s.links, l.id)
		if l.open.Sub == proto.SubControl {
			s.retiredCtl[l.id] = struct{}{}
			s.retiredFIFO = append(s.retiredFIFO, l.id)
			if len(s.retiredFIFO) > retiredControlMemory {
				delete(s.retiredCtl, s.retiredFIFO[0])
				s.retiredFIFO = s.retiredFIFO[1:]
			}
		}
	}
	drained := s.sentGoAway && !s.closing && len(s.links) == 0
	s.mu.Unlock()
	if drained {
		s.closeGraceful()
	}
}

func (s *Session) readLoop() {
	defer s.wg.Done()
	for {
		f, err := s.r.ReadFrame()
		if err != nil {
			s.readFailed(err)
			return
		}
		s.lastRecv.Store(time.Now().UnixNano())
		s.sched.Heard()
		if perr := s.dispatch(f); perr != nil {
			s.fail(perr)
			return
		}
	}
}

func (s *Session) readFailed(err error) {
	var perr *proto.Error
	switch {
	case errors.As(err, &perr):
		s.fail(perr)
	case errors.Is(err, io.EOF):
		s.mu.Lock()
		graceful := s.recvGoAway || s.sentGoAway
		s.mu.Unlock()
		if graceful {
			s.closeWith(nil, true)
		} else {
			s.closeWith(errors.New("peer closed the connection without GOAWAY"), false)
		}
	default:
		select {
		case <-s.closed:
			// We closed the connection: the read error is ours.
			s.closeWith(nil, false)
		default:
			s.closeWith(fmt.Errorf("read: %w", err), false)
		}
	}
}
