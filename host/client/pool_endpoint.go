package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/proto"
)

// endpoint is one address of a Pool and the goroutine (run) that keeps a
// connection to it.
type endpoint struct {
	p    *Pool
	idx  int
	addr string
	wake chan struct{} // a caller saw the connection fail

	reqMu sync.Mutex // serializes opening Request links

	mu       sync.Mutex // guards the fields below
	state    State
	conn     *Conn // the connection new links go on; nil when none
	gen      uint64
	lastErr  error
	failures int
	connects int
	reqLinks map[string]*Link // Request's link per interface, on conn
}

func newEndpoint(p *Pool, idx int, addr string) *endpoint {
	return &endpoint{p: p, idx: idx, addr: addr, wake: make(chan struct{}, 1), reqLinks: make(map[string]*Link)}
}

func (ep *endpoint) status() EndpointStatus {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return EndpointStatus{Addr: ep.addr, State: ep.state, LastError: ep.lastErr, Failures: ep.failures, Connects: ep.connects}
}

// usable returns the connection for a new link when the endpoint is
// ready, with its generation. A connection found going away is reported.
func (ep *endpoint) usable() (*Conn, uint64, bool) {
	ep.mu.Lock()
	c, gen, ok := ep.conn, ep.gen, ep.state == StateReady && ep.conn != nil
	ep.mu.Unlock()
	if ok && c.GoingAway() {
		ep.failed(c, errHostGoingAway)
		return nil, 0, false
	}
	return c, gen, ok
}

// errHostGoingAway stands for a GOAWAY noticed before using a connection.
var errHostGoingAway = errors.New("client: the host sent GOAWAY")

// setLocked changes the state (and the connection) and tells the pool.
// ep.mu is held.
func (ep *endpoint) setLocked(st State, c *Conn, err error) {
	if st == ep.state && c == ep.conn && err == nil {
		return
	}
	if st != ep.state {
		ep.p.log.Debug("endpoint state", "endpoint", ep.addr, "from", ep.state.String(), "to", st.String(), "error", logtext.Err(err))
	}
	ep.state, ep.conn = st, c
	if err != nil {
		ep.lastErr = err
	}
	ep.gen++
	ep.p.notify()
}

// failed is told by a caller that err happened using c. It returns
// whether the operation may be tried on another endpoint, and marks the
// endpoint so that new links avoid it.
func (ep *endpoint) failed(c *Conn, err error) bool {
	var oe *OpenError
	refused := errors.As(err, &oe)
	transport := c.GoingAway() || c.Err() != nil || isDone(c.Done()) || goingAway(err) || errors.Is(err, errHostGoingAway)
	switch {
	case transport:
	case refused && refusedElsewhere(oe.Code()):
	case refused, errors.As(err, new(*proto.Error)):
		return false // about the request, or a local limit (TOO_MANY_LINKS)
	default:
		// Anything else from a live connection (a queue that would not
		// take the OPEN) is a transport failure too.
	}
	ep.mu.Lock()
	if ep.conn == c {
		switch {
		case refused && oe.Code() == proto.CodeShutdown, c.GoingAway() || goingAway(err) || errors.Is(err, errHostGoingAway):
			ep.setLocked(StateDraining, c, err)
		case refused && ep.p.cfg.HealthInterval > 0:
			// Health says whether it serves again, at the next poll.
			ep.setLocked(StateFailed, c, err)
		case refused:
			// No health calls to lift a mark: leave the state, so the
			// next Open tries this endpoint again.
			ep.lastErr = err
		default:
			ep.setLocked(StateDown, c, err)
		}
	}
	ep.mu.Unlock()
	select {
	case ep.wake <- struct{}{}:
	default:
	}
	return true
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// run keeps a connection to the endpoint until the pool closes.
func (ep *endpoint) run() {
	p := ep.p
	defer func() {
		ep.mu.Lock()
		ep.setLocked(StateClosed, nil, nil)
		ep.mu.Unlock()
	}()
	attempt := 0
	for {
		c, err := Dial(p.ctx, ep.addr, p.cfg.Client)
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			ep.mu.Lock()
			ep.failures++
			ep.setLocked(StateDown, nil, err)
			ep.mu.Unlock()
		} else {
			ep.mu.Lock()
			ep.failures = 0
			ep.connects++
			st := StateConnecting
			if p.cfg.HealthInterval < 0 {
				st = StateReady
			}
			ep.setLocked(st, c, nil)
			ep.mu.Unlock()
			if ep.serve(c) {
				attempt = 0
			}
			if p.ctx.Err() != nil {
				return
			}
		}
		if !p.cfg.wait(p.ctx, attempt, p.cfg.Backoff.Delay(attempt)) {
			return
		}
		attempt++
	}
}

// sleepCtx waits d, or until ctx ends (false).
func sleepCtx(ctx context.Context, _ int, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// serve watches c until it fails, goes away, or the pool closes, and
// feeds the endpoint's state from health calls. It reports whether the
// endpoint was ready on c at some point. c is closed (or left to drain)
// when serve returns.
func (ep *endpoint) serve(c *Conn) (wasReady bool) {
	p := ep.p
	var ctl *Control
	defer func() {
		ep.mu.Lock()
		links := ep.reqLinks
		ep.reqLinks = make(map[string]*Link)
		ep.mu.Unlock()
		if p.ctx.Err() != nil {
			c.Close()
			return
		}
		// Let the host drain: close what the pool itself holds open on
		// c; links given to callers are theirs to close.
		for _, l := range links {
			p.spawn(func() { ep.closeLink(l) })
		}
		if ctl != nil {
			p.spawn(func() { ep.closeLink(ctl.Link()) })
		}
		p.spawn(func() {
			select {
			case <-c.Done():
			case <-p.ctx.Done():
				c.Close()
			}
		})
	}()

	var healthC <-chan time.Time
	if p.cfg.HealthInterval > 0 {
		t := time.NewTicker(p.cfg.HealthInterval)
		defer t.Stop()
		healthC = t.C
		wasReady = ep.checkHealth(c, &ctl) || wasReady
	} else {
		wasReady = true
	}
	away := c.GoingAwayC()
	for {
		var events <-chan gene.Value
		if ctl != nil {
			events = ctl.Events()
		}
		select {
		case <-p.ctx.Done():
			return wasReady
		case <-c.Done():
			err := c.Err()
			if err == nil {
				err = errors.New("the host closed the connection")
			}
			ep.lost(c, StateDown, fmt.Errorf("connection lost: %w", err))
			return wasReady
		case <-away:
			away = nil // seen: do not spin on it while the transport closes
		case <-ep.wake:
		case <-events:
			// An event (draining, reloaded, failed): ask at once.
			if healthC != nil {
				wasReady = ep.checkHealth(c, &ctl) || wasReady
			}
		case <-healthC:
			wasReady = ep.checkHealth(c, &ctl) || wasReady
		}
		if c.GoingAway() {
			ep.lost(c, StateDraining, errors.New("the host sent GOAWAY"))
			return wasReady
		}
		if c.Err() != nil || isDone(c.Done()) {
			continue // reported by the c.Done case
		}
		if healthC == nil {
			ep.mu.Lock()
			if ep.conn == c && ep.state == StateDown {
				// A caller saw a failure but the connection lives.
				ep.setLocked(StateReady, c, nil)
			}
			ep.mu.Unlock()
		}
	}
}

// lost records that c is no longer used for new links.
func (ep *endpoint) lost(c *Conn, st State, err error) {
	ep.mu.Lock()
	if ep.conn == c || ep.conn == nil {
		ep.setLocked(st, nil, err)
	}
	ep.mu.Unlock()
}

// checkHealth asks the host for the interface's health on a control link
// of c (opened when needed) and sets the state from the answer. It
// reports whether the endpoint is ready.
func (ep *endpoint) checkHealth(c *Conn, ctl **Control) bool {
	p := ep.p
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.HealthTimeout)
	defer cancel()
	st, err := ep.health(ctx, c, ctl)
	if p.ctx.Err() != nil || c.GoingAway() || c.Err() != nil || isDone(c.Done()) {
		return false // the serve loop sees why
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.conn != c {
		return false
	}
	ep.setLocked(st, c, err)
	return st == StateReady
}

func (ep *endpoint) health(ctx context.Context, c *Conn, ctl **Control) (State, error) {
	iface := ep.p.cfg.Interface
	if *ctl != nil && isDone((*ctl).Link().Done()) {
		*ctl = nil
	}
	if *ctl == nil {
		k, err := c.Control(ctx, iface, LinkOptions{})
		if err != nil {
			return StateFailed, fmt.Errorf("health: open a control link on %q: %w", iface, err)
		}
		*ctl = k
	}
	status, reason, err := (*ctl).Health(ctx)
	if err != nil {
		return StateFailed, fmt.Errorf("health of %q: %w", iface, err)
	}
	switch status {
	case "serving":
		return StateReady, nil
	case "draining":
		return StateDraining, fmt.Errorf("health of %q: draining: %s", iface, reason)
	case "failed":
		return StateFailed, fmt.Errorf("health of %q: failed: %s", iface, reason)
	}
	return StateFailed, fmt.Errorf("health of %q: unknown status %q", iface, status)
}

// closeLink closes a link the pool opened, letting the host finish what
// it carries, within the health timeout.
func (ep *endpoint) closeLink(l *Link) {
	ctx, cancel := context.WithTimeout(ep.p.ctx, ep.p.cfg.HealthTimeout)
	defer cancel()
	_ = l.Close(ctx)
}

// requestLink returns the send+recv link Request uses for iface on c,
// opening it when there is none or it ended.
func (ep *endpoint) requestLink(ctx context.Context, c *Conn, iface string) (*Link, error) {
	ep.reqMu.Lock()
	defer ep.reqMu.Unlock()
	ep.mu.Lock()
	l := ep.reqLinks[iface]
	ep.mu.Unlock()
	if l != nil && l.Conn() == c && !isDone(l.Done()) {
		return l, nil
	}
	l, err := c.Open(ctx, iface, proto.DirSendRecv, LinkOptions{})
	if err != nil {
		return nil, err
	}
	ep.mu.Lock()
	if ep.conn != c {
		ep.mu.Unlock()
		// c stopped taking new links meanwhile: let it drain.
		ep.p.spawn(func() { ep.closeLink(l) })
		return nil, errHostGoingAway
	}
	ep.reqLinks[iface] = l
	ep.mu.Unlock()
	return l, nil
}

// dropRequestLink forgets l as the Request link of iface.
func (ep *endpoint) dropRequestLink(iface string, l *Link) {
	ep.mu.Lock()
	if ep.reqLinks[iface] == l {
		delete(ep.reqLinks, iface)
	}
	ep.mu.Unlock()
	ep.p.spawn(func() { ep.closeLink(l) })
}
