package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/host/internal/netaddr"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// ErrPoolClosed is returned by the methods of a closed Pool.
var ErrPoolClosed = errors.New("client: pool closed")

// sysInterface is the host's daemon-wide interface; its health is
// "serving" or "draining".
const sysInterface = "$sys"

// Policy chooses the endpoint of each new link among the ready ones.
type Policy uint8

const (
	// PickFirst (failover) puts every new link on the first ready
	// endpoint in list order: the next one takes over while the first is
	// down, and the first gets new links again once it is back. While an
	// earlier endpoint is connecting (its first dial, or a new
	// connection's first health answer), new links wait for it.
	PickFirst Policy = iota
	// RoundRobin spreads new links over the ready endpoints in turn.
	RoundRobin
)

func (p Policy) String() string {
	switch p {
	case PickFirst:
		return "pick-first"
	case RoundRobin:
		return "round-robin"
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// PoolConfig sets up a Pool. Zero fields are sensible defaults.
type PoolConfig struct {
	// Client is the configuration of every connection.
	Client Config
	// Policy picks the endpoint of new links. Default PickFirst.
	Policy Policy
	// Interface is the interface whose health operation decides whether
	// an endpoint gets new links. Default "$sys" (the host's own health:
	// serving or draining).
	Interface string
	// HealthInterval is the time between two health calls on an
	// endpoint's control link. Default 2s; negative: no health calls
	// (only transport failures and GOAWAY count).
	HealthInterval time.Duration
	// HealthTimeout bounds one health call, and opening the control link
	// it runs on; an endpoint that does not answer in time is failed
	// until it does. Default 5s.
	HealthTimeout time.Duration
	// Backoff sets the delays between reconnection attempts to an
	// endpoint.
	Backoff Backoff

	// wait is the backoff's clock: it waits d, the delay before attempt
	// (counting from 0), and reports false when ctx ended first. nil is a
	// real timer; tests step the pool through its attempts with it.
	wait func(ctx context.Context, attempt int, d time.Duration) bool
}

func (c PoolConfig) withDefaults() PoolConfig {
	if c.Interface == "" {
		c.Interface = sysInterface
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = 2 * time.Second
	}
	if c.HealthTimeout == 0 {
		c.HealthTimeout = 5 * time.Second
	}
	c.Backoff = c.Backoff.withDefaults()
	if c.wait == nil {
		c.wait = sleepCtx
	}
	return c
}

// Validate reports settings that cannot work.
func (c PoolConfig) Validate() error {
	if c.Policy > RoundRobin {
		return fmt.Errorf("client: pool: unknown policy %d (want PickFirst or RoundRobin)", c.Policy)
	}
	if c.HealthTimeout < 0 {
		return fmt.Errorf("client: pool: negative health timeout %v", c.HealthTimeout)
	}
	return c.Backoff.Validate()
}

// Pool keeps connections to one or more hosts serving the same
// interfaces and puts new links on a healthy one. Every endpoint has a
// connection of its own, opened at once and reopened with backoff when
// it fails; its state comes from transport failures, GOAWAY (a draining
// host gets no new links) and the health operation, polled on a control
// link. Every method is safe for concurrent use.
//
// Links that a Pool opened belong to the caller and are not moved: when
// their host goes, they end with an error like any link, and the caller
// opens a new one (Request does that by itself).
type Pool struct {
	cfg  PoolConfig
	log  hclog.Logger
	eps  []*endpoint
	rr   atomic.Uint64
	ctx  context.Context
	stop context.CancelFunc

	closeOnce sync.Once
	mu        sync.Mutex // guards changed, closed, done
	changed   chan struct{}
	closed    bool
	done      func() bool // unhooks Close from NewPool's ctx

	wg sync.WaitGroup // endpoint managers and link closers
}

// NewPool starts a pool over addrs (each unix:///path, tcp://host:port or
// tls://host:port) and returns at once: the first connections are made in
// the background, and Open waits for one. The pool lives until Close, or
// until ctx is done.
func NewPool(ctx context.Context, addrs []string, cfg PoolConfig) (*Pool, error) {
	if len(addrs) == 0 {
		return nil, errors.New("client: pool: no address given")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	seen := make(map[string]int, len(addrs))
	for i, a := range addrs {
		if _, err := netaddr.Parse(a); err != nil {
			return nil, fmt.Errorf("client: pool: address %d: %w", i, err)
		}
		if j, dup := seen[a]; dup {
			return nil, fmt.Errorf("client: pool: address %d (%s) repeats address %d", i, a, j)
		}
		seen[a] = i
	}
	log := cfg.Client.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p := &Pool{cfg: cfg, log: log.Named("pool"), ctx: pctx, stop: stop, changed: make(chan struct{})}
	for i, a := range addrs {
		p.eps = append(p.eps, newEndpoint(p, i, a))
	}
	for _, ep := range p.eps {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			ep.run()
		}()
	}
	unhook := context.AfterFunc(ctx, func() { p.Close() })
	p.mu.Lock()
	p.done = unhook
	p.mu.Unlock()
	return p, nil
}

// Close stops the pool: reconnection and health calls stop, every
// connection closes, and the links on them end with an error. It waits
// for the pool's goroutines and is idempotent.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		unhook := p.done
		p.mu.Unlock()
		if unhook != nil {
			unhook()
		}
		p.stop()
		p.mu.Lock()
		p.closed = true
		close(p.changed)
		p.mu.Unlock()
	})
	p.wg.Wait()
	return nil
}

// notify wakes the callers waiting for an endpoint.
func (p *Pool) notify() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		close(p.changed)
		p.changed = make(chan struct{})
	}
}

// spawn runs f on a goroutine the pool waits for in Close; once the pool
// is closed (its context cancelled), f runs at once on the caller's.
func (p *Pool) spawn(f func()) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		f()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		f()
	}()
}

// State is an endpoint's state.
type State uint8

const (
	// StateConnecting: the first connection is being made, or a new
	// connection waits for its first health answer.
	StateConnecting State = iota
	// StateReady: connected and serving; the endpoint gets new links.
	StateReady
	// StateDraining: the host sent GOAWAY or reports "draining"; no new
	// links.
	StateDraining
	// StateFailed: the host reports "failed", or health could not be
	// checked; no new links until health says "serving".
	StateFailed
	// StateDown: connecting failed or the connection was lost; the
	// endpoint reconnects after a backoff delay.
	StateDown
	// StateClosed: the pool is closed.
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateReady:
		return "ready"
	case StateDraining:
		return "draining"
	case StateFailed:
		return "failed"
	case StateDown:
		return "down"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// EndpointStatus describes one endpoint of a Pool.
type EndpointStatus struct {
	Addr  string
	State State
	// LastError is the latest failure seen: dial, transport, refusal or
	// health. It stays after the endpoint recovers.
	LastError error
	// Failures counts the connection attempts that failed since the last
	// one that succeeded.
	Failures int
	// Connects counts the connections made.
	Connects int
}

// Endpoints returns the state of every endpoint, in the order given to
// NewPool.
func (p *Pool) Endpoints() []EndpointStatus {
	out := make([]EndpointStatus, len(p.eps))
	for i, ep := range p.eps {
		out[i] = ep.status()
	}
	return out
}

// Open opens a data link on iface (see Conn.Open) on an endpoint chosen
// by the policy. When the endpoint refuses in a way that is safe to try
// elsewhere (SHUTDOWN, UNAVAILABLE, PLUGIN_FAILED, GOAWAY, a transport
// failure), Open tries another; when none is ready it waits for one,
// until ctx is done. Other refusals (UNKNOWN_INTERFACE, UNAUTHORIZED...)
// are returned as they are.
func (p *Pool) Open(ctx context.Context, iface string, dir proto.Direction, opts LinkOptions) (*Link, error) {
	var l *Link
	err := p.do(ctx, "open", iface, func(_ *endpoint, c *Conn) (err error) {
		l, err = c.Open(ctx, iface, dir, opts)
		return err
	})
	return l, err
}

// Control opens a control link on iface (see Conn.Control) on an endpoint
// chosen as Open chooses.
func (p *Pool) Control(ctx context.Context, iface string, opts LinkOptions) (*Control, error) {
	var ctl *Control
	err := p.do(ctx, "control", iface, func(_ *endpoint, c *Conn) (err error) {
		ctl, err = c.Control(ctx, iface, opts)
		return err
	})
	return ctl, err
}

// Request sends v (a node; see Link.Request) on a send+recv link of iface
// and returns the value that answers it. The pool keeps one such link per
// interface and endpoint, shared by concurrent calls, and chooses the
// endpoint by its policy at every call.
//
// When the link dies before the reply comes (its host stopped, the
// transport broke), Request sends v once more on a new link, on the
// endpoint the policy picks then (another one, unless the same host is
// back already). Delivery is therefore at least once: the first host may
// have acted on v before it went away, so requests that are not
// idempotent should carry an id the service uses to drop repeats. A link
// reset for a reason about the request itself (HANDLER_ERROR,
// SCHEMA_MISMATCH...) is not retried.
func (p *Pool) Request(ctx context.Context, iface string, v gene.Value) (gene.Value, error) {
	for attempt := 0; ; attempt++ {
		var (
			ep *endpoint
			l  *Link
		)
		err := p.do(ctx, "request", iface, func(e *endpoint, c *Conn) (err error) {
			ep = e
			l, err = e.requestLink(ctx, c, iface)
			return err
		})
		if err != nil {
			return gene.Value{}, err
		}
		r, err := l.Request(ctx, v)
		if err == nil {
			return r, nil
		}
		if ctx.Err() != nil || attempt > 0 || !retryRequest(l, err) {
			return gene.Value{}, err
		}
		ep.dropRequestLink(iface, l)
		p.log.Debug("request link lost before the reply; sending again", "endpoint", ep.addr, "interface", iface, "error", logtext.Err(err))
	}
}

// retryRequest reports whether a Request that failed with err on l may be
// sent again elsewhere: l ended for a reason that is not the request's
// fault, or l was closed for sending before v went out.
func retryRequest(l *Link, err error) bool {
	if errors.Is(err, ErrLinkClosed) {
		return true
	}
	select {
	case <-l.Done():
	default:
		return false
	}
	switch proto.CodeOf(l.Err()) {
	case proto.CodeNoError, proto.CodeShutdown, proto.CodeUnavailable, proto.CodePluginFailed,
		proto.CodeInternal, proto.CodeKeepaliveTimeout:
		return true
	}
	return false
}

// do runs f on a connection chosen by the policy, and again on another
// while f fails in a way that is safe to retry, until ctx is done.
func (p *Pool) do(ctx context.Context, op, iface string, f func(*endpoint, *Conn) error) error {
	var (
		tried map[*endpoint]uint64 // made on the first failure
		last  error
	)
	for {
		p.mu.Lock()
		closed, changed := p.closed, p.changed
		p.mu.Unlock()
		if closed {
			return fmt.Errorf("client: pool: %s %s: %w", op, iface, ErrPoolClosed)
		}
		ep, c, gen := p.pick(tried)
		if ep == nil {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				if last != nil {
					return fmt.Errorf("client: pool: %s %s: no endpoint took it (last error: %v; endpoints: %s): %w", op, iface, last, p.summary(), ctx.Err())
				}
				return fmt.Errorf("client: pool: %s %s: no endpoint ready (%s): %w", op, iface, p.summary(), ctx.Err())
			}
		}
		err := f(ep, c)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !ep.failed(c, err) {
			return err
		}
		p.log.Debug("trying another endpoint", "op", op, "interface", iface, "endpoint", ep.addr, "error", logtext.Err(err))
		if tried == nil {
			tried = make(map[*endpoint]uint64)
		}
		tried[ep] = gen
		last = err
	}
}

// pick returns a ready endpoint, its connection and generation by the
// policy, skipping those tried at their current generation; nil when
// there is none.
func (p *Pool) pick(tried map[*endpoint]uint64) (*endpoint, *Conn, uint64) {
	type cand struct {
		ep  *endpoint
		c   *Conn
		gen uint64
	}
	var ready []cand
	for _, ep := range p.eps {
		c, gen, ok := ep.usable()
		if !ok {
			if p.cfg.Policy == PickFirst && ep.status().State == StateConnecting {
				// An earlier endpoint is about to answer: wait for it
				// rather than spread links at start.
				return nil, nil, 0
			}
			continue
		}
		if g, seen := tried[ep]; seen && g == gen {
			continue
		}
		if p.cfg.Policy == PickFirst {
			return ep, c, gen
		}
		ready = append(ready, cand{ep, c, gen})
	}
	if len(ready) == 0 {
		return nil, nil, 0
	}
	k := ready[(p.rr.Add(1)-1)%uint64(len(ready))]
	return k.ep, k.c, k.gen
}

// summary lists the endpoints' states for an error message.
func (p *Pool) summary() string {
	var b strings.Builder
	for i, st := range p.Endpoints() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", st.Addr, st.State)
		if st.LastError != nil && st.State != StateReady {
			fmt.Fprintf(&b, " (%v)", st.LastError)
		}
	}
	return b.String()
}

// refusedElsewhere reports whether a link refused with code may be opened
// on another endpoint: the refusal is about this host's state, not about
// the request.
func refusedElsewhere(code proto.Code) bool {
	switch code {
	case proto.CodeShutdown, proto.CodeUnavailable, proto.CodePluginFailed:
		return true
	}
	return false
}

// goingAway reports whether err is the session's "transport is going
// away" (GOAWAY before or while the OPEN was pending).
func goingAway(err error) bool { return errors.Is(err, session.ErrGoingAway) }
