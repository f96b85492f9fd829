package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/netaddr"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// Version is the software version announced in the handshake.
const Version = "0.1.0"

// SysInterface is the daemon-wide interface that lists the others. It has
// only a control sub-interface.
const SysInterface = "$sys"

// Config sets up a Server. Zero fields are sensible defaults.
type Config struct {
	// Logger receives the host's log lines, tagged with transport,
	// interface and link. Default: hclog's default logger at Info.
	Logger hclog.Logger
	// Proto holds the protocol settings: limits, windows, keepalive,
	// control rate (see proto.Config).
	Proto proto.Config
	// HandshakeTimeout bounds the handshake of a new connection.
	// Default 10s.
	HandshakeTimeout time.Duration
	// StallTimeout resets a data link whose client returns no credit for
	// this long while the host waits to send (SLOW_CONSUMER), unless the
	// interface's manifest sets its own. Default 30s; negative: never.
	StallTimeout time.Duration
	// Authorize, when set, is asked before a link opens, with the
	// interface name and the OPEN's metadata; an error refuses the link
	// with UNAUTHORIZED. It also decides what a client learns of the
	// interfaces: $sys interfaces lists, $sys control links get the events
	// of, and an UNKNOWN_INTERFACE refusal names only the interfaces
	// Authorize(name, proto.SubControl, meta) allows, meta being that
	// link's OPEN metadata.
	Authorize func(iface string, sub proto.Sub, meta gene.Props) error

	// MaxConns caps the connections open at once, handshakes included.
	// One past it gets the host's preface and GOAWAY UNAVAILABLE naming
	// the limit. Default DefaultMaxConns (4096).
	MaxConns int
	// MaxLinks caps the links (data and control) open at once across
	// every connection; an OPEN past it is rejected with TOO_MANY_LINKS
	// naming the limit. A few $sys control links may open beyond it, so
	// the host can be observed at its limit. Default DefaultMaxLinks
	// (20000).
	MaxLinks int
	// MemoryBudget is the memory, in bytes, the host plans for. A quarter
	// of it may be promised to peers as transport windows (bytes they
	// may send before the host reads them): a new connection's window
	// shrinks as that share fills, and never grows past what it was
	// given. Default DefaultMemoryBudget (12 GiB). The server does not
	// set the Go runtime's memory limit (debug.SetMemoryLimit): the
	// program decides; genehost serve sets it to the budget.
	MemoryBudget int64
	// MemorySoftLimit is where load shedding starts: while the host's
	// memory (the Go heap's objects and goroutine stacks, from
	// runtime/metrics, plus the transport-window bytes peers may still
	// send) is at or over it, new links other than $sys control links are
	// rejected with UNAVAILABLE; they are accepted again once it is below
	// 90% of it. Default 80% of MemoryBudget.
	MemorySoftLimit int64
	// RefusalLogInterval is how often refusals of one kind (and failed
	// accepts) are logged, with their count: the first at once, the
	// others in one line per interval. Default 10s.
	RefusalLogInterval time.Duration
}

// Server is a genehost host: a registry of interfaces served on any
// number of listeners. It is usable as a Go library without plugins.
type Server struct {
	cfg Config
	log hclog.Logger

	mu        sync.Mutex
	ifaces    map[string]*iface
	listeners map[net.Listener]string
	sessions  map[*int]*session.Session // by a key made per connection
	sysCtls   map[*controlLink]struct{} // open control links on $sys
	draining  bool
	closed    bool
	nextLink  uint64

	lim      *limiter
	cfgErr   error         // Config.Validate's verdict: Listen and Serve return it
	stop     chan struct{} // closed when Shutdown or Close begins
	stopOnce sync.Once

	wg sync.WaitGroup // Serve loops and connection goroutines
}

// New returns a Server with no interfaces and no listeners. A cfg that
// fails Validate makes Listen and Serve return its error.
func New(cfg Config) *Server {
	cfgErr := cfg.Validate()
	if cfg.Logger == nil {
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "genehost", Level: hclog.Info})
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = 30 * time.Second
	}
	if cfg.Proto.Name == "" {
		cfg.Proto.Name = "genehost/" + Version
	}
	cfg.Proto = cfg.Proto.WithDefaults()
	limitDefaults(&cfg)
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		ifaces:    make(map[string]*iface),
		listeners: make(map[net.Listener]string),
		sessions:  make(map[*int]*session.Session),
		sysCtls:   make(map[*controlLink]struct{}),
		cfgErr:    cfgErr,
		stop:      make(chan struct{}),
	}
	s.lim = newLimiter(&s.cfg, s.log)
	return s
}

// Logger returns the server's logger.
func (s *Server) Logger() hclog.Logger { return s.log }

// Register adds an interface. The manifest must come from ParseManifest;
// the name must be free.
func (s *Server) Register(m *Manifest, h Handler) error {
	if m == nil || h == nil {
		return errors.New("host: Register needs a manifest and a handler")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ifaces[m.Name]; ok || m.Name == SysInterface {
		return fmt.Errorf("host: interface %q is already registered", m.Name)
	}
	s.ifaces[m.Name] = newIface(s, m, h)
	s.log.Info("interface registered", "interface", m.Name, "version", m.Version, "direction", m.Direction.String())
	return nil
}

// Replace swaps the manifest and handler of a registered interface: links
// opened from now on get the new ones; open links keep those they opened
// with. Counters carry over.
func (s *Server) Replace(m *Manifest, h Handler) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.ifaces[m.Name]
	if !ok {
		return fmt.Errorf("host: interface %q is not registered", m.Name)
	}
	old.replace(m, h)
	s.log.Info("interface replaced", "interface", m.Name, "version", m.Version)
	return nil
}

// Unregister removes an interface: new links to it are refused with
// UNKNOWN_INTERFACE; its open links are reset with UNAVAILABLE.
func (s *Server) Unregister(name string) error {
	s.mu.Lock()
	ifc, ok := s.ifaces[name]
	delete(s.ifaces, name)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("host: interface %q is not registered", name)
	}
	ifc.resetAll(proto.Errorf(proto.CodeUnavailable, "interface %q was removed", name))
	s.log.Info("interface removed", "interface", name)
	return nil
}

// Emit pushes an event (a node such as (event ^type "reloaded" ...)) to
// the control links open on the interface name, when it is registered,
// and to every control link open on $sys, which so follows the events of
// all interfaces, and those about a name that is not (or no longer)
// registered, such as a plugin folder removed. A $sys control link gets
// it only when its OPEN metadata would let it open name (Config.Authorize).
// Control links without credit miss it; the drop is counted in the
// interface's stats.
func (s *Server) Emit(name string, ev gene.Value) {
	if ifc := s.lookup(name); ifc != nil {
		ifc.emit(ev)
	}
	s.mu.Lock()
	ctls := make([]*controlLink, 0, len(s.sysCtls))
	for c := range s.sysCtls {
		ctls = append(ctls, c)
	}
	s.mu.Unlock()
	for _, c := range ctls {
		if !s.visible(name, c.l.Open().Meta) {
			continue // a protected interface's events go to its token holders only
		}
		_ = c.l.TrySend(ev) // no credit: this $sys link misses the event
	}
}

// Interfaces returns the names of the registered interfaces, sorted.
func (s *Server) Interfaces() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.ifaces))
	for n := range s.ifaces {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Manifest returns the manifest of a registered interface.
func (s *Server) Manifest(name string) (*Manifest, bool) {
	ifc := s.lookup(name)
	if ifc == nil {
		return nil, false
	}
	m, _ := ifc.current()
	return m, true
}

func (s *Server) lookup(name string) *iface {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ifaces[name]
}

// Addresses returns the addresses the server listens on.
func (s *Server) Addresses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.listeners))
	for _, a := range s.listeners {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Listen opens a listener described by c and serves it in the background
// until Shutdown or Close. It returns the address actually bound (with
// the port chosen for tcp://host:0).
func (s *Server) Listen(c ListenerConfig) (string, error) {
	if s.cfgErr != nil {
		return "", s.cfgErr
	}
	if c.Warn == nil {
		c.Warn = s.log.Warn // refused peers are logged with the host's lines
	}
	ln, err := Listen(c)
	if err != nil {
		return "", err
	}
	a, _ := netaddr.Parse(c.Address)
	addr := netaddr.FromNet(ln.Addr(), a.Scheme == netaddr.TLS).String()
	if err := s.track(ln, addr); err != nil {
		ln.Close()
		return "", err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.serve(ln); err != nil && !errors.Is(err, ErrServerClosed) {
			s.log.Error("listener failed", "address", addr, "error", err)
		}
	}()
	s.log.Info("listening", "address", addr)
	return addr, nil
}

func (s *Server) track(ln net.Listener, addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.draining {
		return ErrServerClosed
	}
	s.listeners[ln] = addr
	return nil
}

// Serve accepts connections on ln until Shutdown or Close, and returns
// ErrServerClosed then (or the accept error that stopped it).
func (s *Server) Serve(ln net.Listener) error {
	if s.cfgErr != nil {
		return s.cfgErr
	}
	if err := s.track(ln, netaddr.FromNet(ln.Addr(), false).String()); err != nil {
		return err
	}
	return s.serve(ln)
}

func (s *Server) serve(ln net.Listener) error {
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			if !errors.Is(err, net.ErrClosed) {
				// A resource shortage (EMFILE, ENFILE...): back off and
				// retry, as net/http does; open connections are served
				// meanwhile. Logged once per interval with a count.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.acceptFailed(err, delay)
				select {
				case <-time.After(delay):
				case <-s.stop:
				}
				continue
			}
			return fmt.Errorf("host: accept: %w", err)
		}
		delay = 0
		if perr := s.lim.acquireConn(); perr != nil {
			s.refuseConn(conn, perr)
			continue
		}
		// The counts are released when the connection's handshake fails
		// or, after it, when its session has closed (OnClose).
		s.wg.Add(1)
		go s.handleConn(conn)
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed || s.draining
}

// handleConn runs the handshake of one connection and starts its
// session. It returns once the session runs: an idle transport costs the
// session's reader and writer goroutines and nothing more. The server's
// wait group counts the connection until its session has closed.
func (s *Server) handleConn(conn net.Conn) {
	peer := conn.RemoteAddr().String()
	if peer == "" || peer == "@" {
		peer = "unix"
	}
	log := s.log.With("peer", peer)
	if pc, err := PeerCred(conn); err == nil {
		log = log.With("uid", pc.UID, "gid", pc.GID, "pid", pc.PID)
	}
	// The transport window comes out of the host's window pool, and
	// does not grow past it.
	pc := s.cfg.Proto
	win := s.lim.win.take(int64(pc.TransportWindow))
	pc.TransportWindow, pc.MaxTransportWindow = int(win), int(win)
	release := func() {
		s.lim.win.give(win)
		s.lim.releaseConn()
	}
	_ = conn.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	r := proto.NewReader(conn)
	hello, welcome, err := proto.HostHandshake(r, conn, pc)
	if err != nil {
		log.Warn("handshake failed", "error", err)
		conn.Close()
		release()
		s.wg.Done()
		return
	}
	_ = conn.SetDeadline(time.Time{})
	log.Debug("transport open", "client", hello.Name, "encoding", string(welcome.Encoding))
	key := new(int) // the session's key in s.sessions, known before it runs
	sess := session.New(conn, r, session.Config{
		Side:   proto.SideHost,
		Terms:  session.HostTerms(hello, welcome),
		Proto:  pc,
		Logger: log,
		Accept: func(ctx context.Context, l *session.Link) (session.AcceptOptions, error) {
			return s.accept(ctx, l)
		},
		Opened: func(l *session.Link) { s.opened(l) },
		OnClose: func(err error) {
			s.mu.Lock()
			delete(s.sessions, key)
			s.mu.Unlock()
			if err != nil {
				log.Debug("transport closed", "error", err)
			}
			release()
			s.wg.Done()
		},
	})
	s.mu.Lock()
	select {
	case <-sess.Done():
		// Closed already (OnClose ran or waits for the lock): not kept.
	default:
		s.sessions[key] = sess
	}
	closing := s.closed || s.draining
	s.mu.Unlock()
	if closing {
		sess.GoAway(proto.CodeShutdown, "the host is shutting down")
	}
}

// accept decides on a link a client opens: the global limits first, then
// the interface.
func (s *Server) accept(ctx context.Context, l *session.Link) (session.AcceptOptions, error) {
	if s.isClosing() {
		return session.AcceptOptions{}, proto.Errorf(proto.CodeShutdown, "the host is shutting down")
	}
	o := l.Open()
	slot, err := s.lim.acquireLink(s, o.Interface == SysInterface && o.Sub == proto.SubControl)
	if err != nil {
		return session.AcceptOptions{}, err
	}
	opts, err := s.acceptLink(ctx, l)
	if err != nil {
		slot.release()
		return opts, err
	}
	// The slot is released when the link closes, however it closes (a
	// data link's start chains its own cancel before it).
	if dl, ok := l.Attached().(*link); ok {
		dl.slot = slot
	}
	l.SetOnDone(slot.release)
	return opts, nil
}

func (s *Server) acceptLink(_ context.Context, l *session.Link) (session.AcceptOptions, error) {
	o := l.Open()
	if o.Interface == SysInterface {
		if o.Sub != proto.SubControl {
			return session.AcceptOptions{}, proto.Errorf(proto.CodeUnknownSubInterface, "interface %q has only a control sub-interface", SysInterface)
		}
		if err := controlDirection(o); err != nil {
			return session.AcceptOptions{}, err
		}
		l.Attach(&controlLink{s: s, l: l})
		return session.AcceptOptions{}, nil
	}
	ifc := s.lookup(o.Interface)
	if ifc == nil {
		return session.AcceptOptions{}, proto.Errorf(proto.CodeUnknownInterface, "no interface %q on this host (it serves %v)", o.Interface, s.visibleInterfaces(o.Meta))
	}
	if s.cfg.Authorize != nil {
		if err := s.cfg.Authorize(o.Interface, o.Sub, o.Meta); err != nil {
			return session.AcceptOptions{}, proto.Errorf(proto.CodeUnauthorized, "interface %q: %v", o.Interface, err)
		}
	}
	m, _ := ifc.current()
	if o.Sub == proto.SubControl {
		if err := controlDirection(o); err != nil {
			return session.AcceptOptions{}, err
		}
		l.Attach(&controlLink{s: s, l: l, ifc: ifc})
		return session.AcceptOptions{ManifestHash: m.Hash()}, nil
	}
	return ifc.acceptData(l)
}

// controlDirection refuses a control link that is not "send+recv": each
// request has a reply, so a control link carries values both ways
// (PROTOCOL.md section 6.3).
func controlDirection(o proto.Open) error {
	if o.Direction != proto.DirSendRecv {
		return proto.Errorf(proto.CodeWrongDirection, "control links of interface %q are \"send+recv\" (a reply for every request); this OPEN asked for %q", o.Interface, o.Direction)
	}
	return nil
}

// opened runs once a link's ACCEPT is queued.
func (s *Server) opened(l *session.Link) {
	switch a := l.Attached().(type) {
	case *controlLink:
		a.start()
	case *link:
		a.start()
	}
}

// Shutdown stops the server gracefully: listeners close, every transport
// gets GOAWAY SHUTDOWN, links finish what they carry (values accepted
// are delivered), then transports close. When ctx ends first, remaining
// links are reset with SHUTDOWN and transports closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	defer s.lim.refused.close()
	s.mu.Lock()
	s.draining = true
	lns := make([]net.Listener, 0, len(s.listeners))
	for ln := range s.listeners {
		lns = append(lns, ln)
	}
	sessions := make([]*session.Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	ifaces := make([]*iface, 0, len(s.ifaces))
	for _, ifc := range s.ifaces {
		ifaces = append(ifaces, ifc)
	}
	s.mu.Unlock()
	for _, ifc := range ifaces {
		ifc.emit(gene.NodeValue(&gene.Node{Head: gene.Symbol("event"), HasHead: true, Props: gene.Props{{Key: "type", Value: gene.String("draining")}, {Key: "interface", Value: gene.String(ifc.name)}}}))
	}
	for _, ln := range lns {
		ln.Close()
	}
	var wg sync.WaitGroup
	for _, ss := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = ss.Shutdown(ctx, "the host is shutting down")
		}()
	}
	wg.Wait()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.Close()
		<-done
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return ctx.Err()
}

// Close stops the server at once: listeners and transports close, open
// links end with an error.
func (s *Server) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	defer s.lim.refused.close()
	s.mu.Lock()
	s.closed = true
	lns := make([]net.Listener, 0, len(s.listeners))
	for ln := range s.listeners {
		lns = append(lns, ln)
	}
	sessions := make([]*session.Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	for _, ss := range sessions {
		ss.Close()
	}
	s.wg.Wait()
	return nil
}

func (s *Server) newLinkID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextLink++
	return s.nextLink
}
