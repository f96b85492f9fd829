package natsstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/genehost/genehost/host/plugin"
)

// How a member pulls: it keeps one pull request open on the group's
// consumer for the room it has (its prefetch less what it holds
// unacknowledged), on one subscription of its own, and counts what the
// request brings. When the request is filled, or a status ends it (408 at
// its expiry, 409, 503 while the consumer does not exist; a status comes
// on the request's own reply subject, the member's inbox and the
// request's number, while messages come on their stream's subject), the
// next one is made for the room then, once at least a quarter of the
// prefetch is free: a busy member makes a request per batch of
// deliveries, not per delivery, and holds at most its prefetch.
const (
	// pullExpires is how long a pull request stays open at the server.
	pullExpires = 10 * time.Second
	// pullHeartbeat is how often the server says a request is still open
	// while it brings nothing; after two missed a reconnect or the loss
	// of the consumer's leader lost it, and a new one is made.
	pullHeartbeat = time.Second
	// pullRetry is how long a member waits after a request was refused
	// (no consumer, leadership change, too many waiting requests).
	pullRetry = 100 * time.Millisecond
)

var (
	ackBody = []byte("+ACK")
	nakBody = []byte("-NAK")
)

// natsMember is one link attached to a group on this host.
type natsMember struct {
	ns    *natsStreams
	g     *natsGroup
	sink  plugin.Sink
	ctx   context.Context // ends with the membership: a Send waiting for credit returns
	stop  context.CancelFunc
	inbox string // request N is answered on inbox.N

	unacked  atomic.Int64 // sent to the link and not acknowledged (raised under g.mu)
	prefetch atomic.Int64
	ackWait  atomic.Int64 // time.Duration
	gone     atomic.Bool  // ended: no more requests (and, set by release under g.mu, no more sends)
	started  atomic.Bool  // sub is set

	sub  *nats.Subscription
	kick chan struct{} // wakes run: it should look again

	mu      sync.Mutex
	next    uint64    // the number of the next request
	open    bool      // a request is open: number next-1
	left    int64     // what it may still bring
	lost    time.Time // it is taken as ended after this: nothing came for two heartbeats
	backoff time.Time // no request before this
}

func (ns *natsStreams) newMember(g *natsGroup, s plugin.Sink, o plugin.AttachOptions) *natsMember {
	ctx, stop := context.WithCancel(ns.s.ctx)
	m := &natsMember{ns: ns, g: g, sink: s, ctx: ctx, stop: stop,
		inbox: ns.s.b.nc.NewInbox(), kick: make(chan struct{}, 1)}
	m.setOptions(o)
	return m
}

func (m *natsMember) setOptions(o plugin.AttachOptions) {
	m.prefetch.Store(int64(o.Prefetch))
	m.ackWait.Store(int64(o.AckTimeout))
	m.pull()
}

// start subscribes to m's inbox and starts its goroutine.
func (m *natsMember) start() error {
	sub, err := m.ns.s.b.nc.Subscribe(m.inbox+".*", m.receive)
	if err != nil {
		m.stop()
		return fmt.Errorf("natsstore: attach to %s/%s: %w", m.g.stream, m.g.name, err)
	}
	_ = sub.SetPendingLimits(-1, -1) // bounded by the request: at most the prefetch
	m.sub = sub
	m.started.Store(true)
	m.ns.s.wg.Add(1)
	go m.run()
	return nil
}

// end ends m's membership; run then hands what it holds back.
func (m *natsMember) end() {
	m.gone.Store(true)
	m.stop()
}

// run makes requests when nothing else does (at the start, after a
// refused request, after held messages passed their deadline or a request
// was lost), and when m ends (detached, its link gone, the backend
// closed) releases what it holds.
func (m *natsMember) run() {
	defer m.ns.s.wg.Done()
	defer m.release()
	tick := time.NewTicker(m.period())
	defer tick.Stop()
	m.pull()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.sink.Done():
			return
		case <-m.kick:
		case now := <-tick.C:
			m.expire(now)
			m.forgetLost(now)
		}
		m.pull()
	}
}

// period is how often run looks for held messages past their deadline.
func (m *natsMember) period() time.Duration {
	return min(max(time.Duration(m.ackWait.Load())/4, 10*time.Millisecond), time.Second)
}

// pull opens a request for m's free room when none is open and at least
// a quarter of its prefetch is free.
func (m *natsMember) pull() {
	if m.gone.Load() || !m.started.Load() {
		return
	}
	prefetch := m.prefetch.Load()
	m.mu.Lock()
	free := prefetch - m.unacked.Load()
	now := time.Now()
	if m.open || free < max(1, prefetch/4) || now.Before(m.backoff) {
		m.mu.Unlock()
		return
	}
	id := m.next
	m.next++
	m.open, m.left, m.lost = true, free, now.Add(2*pullHeartbeat)
	m.mu.Unlock()
	req := make([]byte, 0, 80)
	req = append(req, `{"batch":`...)
	req = strconv.AppendInt(req, free, 10)
	req = append(req, `,"expires":`...)
	req = strconv.AppendInt(req, int64(pullExpires), 10)
	req = append(req, `,"idle_heartbeat":`...)
	req = strconv.AppendInt(req, int64(pullHeartbeat), 10)
	req = append(req, '}')
	if err := m.ns.s.b.nc.PublishRequest(m.g.next, m.inbox+"."+strconv.FormatUint(id, 10), req); err != nil {
		m.ended(id, true)
	}
}

// ended closes request id if it is the open one; refused delays the next
// request by pullRetry.
func (m *natsMember) ended(id uint64, refused bool) {
	m.mu.Lock()
	if !m.open || id != m.next-1 {
		m.mu.Unlock()
		return
	}
	m.open = false
	if refused {
		m.backoff = time.Now().Add(pullRetry)
	}
	m.mu.Unlock()
	if refused {
		time.AfterFunc(pullRetry, m.wake)
		return
	}
	m.pull()
}

func (m *natsMember) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// forgetLost closes the open request if nothing came for it (no message,
// no heartbeat) for two heartbeats. What came and waits for receive
// (while a Send waits for credit) counts.
func (m *natsMember) forgetLost(now time.Time) {
	waiting, _, _ := m.sub.Pending()
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case !m.open:
	case waiting > 0:
		m.lost = now.Add(2 * pullHeartbeat)
	case now.After(m.lost):
		m.open = false
	}
}

// receive is the subscription's callback: a message of the group for m,
// which it records as held by m and sends, or a status that ends m's
// request.
func (m *natsMember) receive(msg *nats.Msg) {
	if len(msg.Data) == 0 && msg.Header != nil {
		if status := msg.Header.Get("Status"); status != "" {
			id, err := strconv.ParseUint(msg.Subject[strings.LastIndexByte(msg.Subject, '.')+1:], 10, 64)
			switch {
			case err != nil:
			case status == "100": // a heartbeat: the request is open
				m.mu.Lock()
				if m.open && id == m.next-1 {
					m.lost = time.Now().Add(2 * pullHeartbeat)
				}
				m.mu.Unlock()
			case status == "408":
				m.ended(id, false) // expired
			default:
				m.ended(id, true)
			}
			return
		}
	}
	now := time.Now()
	m.mu.Lock()
	filled := false
	if m.open {
		m.left--
		m.lost = now.Add(2 * pullHeartbeat)
		filled = m.left <= 0
		m.open = !filled
	}
	m.mu.Unlock()
	md, err := msg.Metadata()
	if err != nil {
		if filled {
			m.pull()
		}
		return
	}
	seq, g := md.Sequence.Stream, m.g
	g.mu.Lock()
	if m.gone.Load() {
		g.mu.Unlock()
		_ = m.ns.s.b.nc.Publish(msg.Reply, nakBody)
		return // pull makes no request for m any more
	}
	if old, ok := g.inflight[seq]; ok && old.m != m {
		old.m.unacked.Add(-1) // its ack deadline passed: delivered again here
		m.unacked.Add(1)
	} else if !ok {
		m.unacked.Add(1)
	}
	g.inflight[seq] = natsFlight{m: m, reply: msg.Reply, due: now.Add(time.Duration(m.ackWait.Load()))}
	g.mu.Unlock()
	if filled {
		m.pull() // now that this one is counted
	}
	d := &plugin.Delivery{Topic: g.stream, Group: g.name, Seq: seq, Attempt: md.NumDelivered, Value: msg.Data}
	if err := m.sink.Send(m.ctx, d); err != nil {
		m.end()
	}
}

// expire forgets what m holds past its ack deadline: JetStream delivers
// it again (to a request of any member), so it no longer takes m's room.
func (m *natsMember) expire(now time.Time) {
	g := m.g
	g.mu.Lock()
	defer g.mu.Unlock()
	for seq, f := range g.inflight {
		if f.m == m && now.After(f.due) {
			delete(g.inflight, seq)
			m.unacked.Add(-1)
		}
	}
}

// release ends m's membership and hands what it holds back to JetStream.
func (m *natsMember) release() {
	g := m.g
	g.mu.Lock()
	m.gone.Store(true)
	if g.members[m.sink.ID()] == m {
		delete(g.members, m.sink.ID())
	}
	var back []string
	for seq, f := range g.inflight {
		if f.m == m {
			back = append(back, f.reply)
			delete(g.inflight, seq)
		}
	}
	g.mu.Unlock()
	m.stop()
	nc := m.ns.s.b.nc
	for _, reply := range back {
		_ = nc.Publish(reply, nakBody) // redelivered after the ack wait otherwise
	}
	// What the server sent before it saw the unsubscribe still comes
	// through receive, which gives it back too.
	_ = m.sub.Drain()
}
