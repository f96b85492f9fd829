package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/host/plugin"
)

// Streams is the embedded backend of the streams capability
// (plugin.StreamBackend): each plugin's streams live in a namespace of
// the database ("streams/" + the plugin's kv namespace), with what is in
// flight in memory.
//
// Layout of a streams namespace, per stream S and group G (0 is a zero
// byte, seq a big-endian uint64):
//
//	'h' S            the last sequence number of S
//	'l' S 0 seq      the message seq of S: its value, binary Gene
//	'p' S 0 G        G's acknowledged position: every seq <= it is acked
//
// A publish is one commit (an fsync) for every entry of the call, its
// heads included. Positions are written behind, at most positionDelay
// after they move, all groups that moved in one commit: the next
// publish's commit when one comes first (so that a steady flow of
// publishes and acks costs one commit per publish call, not a second one
// contending for the database's single writer), else one of their own.
// A crash before that redelivers what was acknowledged meanwhile, as
// at-least-once delivery allows.
//
// Fan-out: every attached link (a member of a group) has a goroutine, its
// pump, that takes what the member has room for (redeliveries first, then
// the log, at most its prefetch unacknowledged) and sends it with
// Sink.Send, which waits for the link's credit. The last tailCache
// messages of each stream are kept in memory, so pumps that keep up never
// read the database. Ack deadlines are kept per member in sending
// order and expired by the group's pumps. A topic keeps nothing: a publish hands
// one Delivery to every subscriber, sent at once where the link has
// credit and otherwise queued for the subscriber's pump.
type Streams struct {
	db     *DB
	ctx    context.Context // done when Close begins: pumps stop
	cancel context.CancelFunc

	mu     sync.Mutex
	sets   map[string]*streamSet
	closed bool
}

var _ plugin.StreamBackend = (*Streams)(nil)

// Tunables of the embedded streams.
const (
	tailCache     = 8192                 // messages per stream kept in memory
	maxAhead      = 4096                 // how far a group's delivery may run past its acked position
	positionDelay = 5 * time.Millisecond // positions are written at most this long after they move
)

// NewStreams returns the streams backend over db. Close it before db.
func NewStreams(db *DB) *Streams {
	ctx, cancel := context.WithCancel(context.Background())
	return &Streams{db: db, ctx: ctx, cancel: cancel, sets: map[string]*streamSet{}}
}

// Streams implements plugin.StreamBackend: the streams of the plugin whose
// kv namespace is namespace.
func (s *Streams) Streams(namespace string) (plugin.StreamStore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("streams of %q: %w", namespace, ErrClosed)
	}
	ss := s.sets[namespace]
	if ss == nil {
		ss = &streamSet{
			ns: s.db.Namespace("streams/" + namespace), ctx: s.ctx,
			streams: map[string]*stream{}, topics: NewTopics(s.ctx),
			dirty: map[*group]struct{}{},
		}
		s.sets[namespace] = ss
	}
	return ss, nil
}

// Close stops every pump and writes the positions that moved.
func (s *Streams) Close() error {
	s.mu.Lock()
	s.closed = true
	sets := s.sets
	s.mu.Unlock()
	s.cancel()
	var errs []error
	for _, ss := range sets {
		ss.wg.Wait()
		ss.topics.Wait()
		errs = append(errs, ss.flushPositions())
	}
	return errors.Join(errs...)
}

// streamSet is one plugin's streams and topics.
type streamSet struct {
	ns  *Namespace
	ctx context.Context
	wg  sync.WaitGroup // pumps

	pubMu   sync.Mutex // serialises publishes: seq assignment and commit
	flushMu sync.Mutex // serialises position writes, so they land in order

	mu       sync.Mutex // guards streams and everything under them, dirty and posTimer
	streams  map[string]*stream
	dirty    map[*group]struct{} // groups whose position moved since it was written
	posTimer *time.Timer

	topics *Topics
}

type stream struct {
	name     string
	head     uint64   // the last committed seq
	first    uint64   // the lowest seq not trimmed
	tailFrom uint64   // the seq of tail[0]
	tail     [][]byte // values of tailFrom .. head (at most tailCache)
	groups   map[string]*group
}

type group struct {
	st         *stream
	name       string
	pos        uint64 // every seq <= pos is acknowledged
	next       uint64 // the next seq to read from the log
	inflight   map[uint64]*flight
	redeliver  []uint64 // seqs due again, ascending
	attempts   map[uint64]uint64
	ackedAbove map[uint64]struct{}
	members    map[plugin.LinkID]*member
	wake       chan struct{} // closed (and replaced) when there may be work
}

type flight struct {
	m       *member
	attempt uint64
}

type member struct {
	g       *group
	sink    plugin.Sink
	o       plugin.AttachOptions
	unacked int
	// due holds the member's deliveries in the order sent, which is the
	// order of their ack deadlines (one AckTimeout per member); entries
	// acknowledged meanwhile are dropped when they reach the front.
	due  []deadline
	gone atomic.Bool
	stop chan struct{}
}

func logKey(stream string, seq uint64) []byte {
	k := make([]byte, 0, len(stream)+10)
	k = append(append(append(k, 'l'), stream...), 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

func headKey(stream string) []byte { return append([]byte{'h'}, stream...) }

func posKey(stream, group string) []byte {
	return append(append(append([]byte{'p'}, stream...), 0), group...)
}

// streamLocked returns stream name, reading its head from the database
// on first use. ss.mu is held.
func (ss *streamSet) streamLocked(name string) (*stream, error) {
	if st := ss.streams[name]; st != nil {
		return st, nil
	}
	st := &stream{name: name, groups: map[string]*group{}}
	err := ss.ns.View(func(tx *Tx) error {
		if b, err := tx.Get(headKey(name)); err == nil && len(b) == 8 {
			st.head = binary.BigEndian.Uint64(b)
		}
		st.first = st.head + 1
		prefix := logKey(name, 0)[:len(name)+2]
		return tx.Scan(prefix, nil, 1, func(k, _ []byte) bool {
			st.first = binary.BigEndian.Uint64(k[len(prefix):])
			return false
		})
	})
	if err != nil {
		return nil, fmt.Errorf("stream %q: %w", name, err)
	}
	st.tailFrom = st.head + 1
	ss.streams[name] = st
	return st, nil
}

// groupLocked returns group name of st, reading its position (or making
// it at the first message, or after the last with latest). ss.mu is held.
func (ss *streamSet) groupLocked(st *stream, name string, latest bool) (*group, error) {
	if g := st.groups[name]; g != nil {
		return g, nil
	}
	g := &group{st: st, name: name, inflight: map[uint64]*flight{}, attempts: map[uint64]uint64{},
		ackedAbove: map[uint64]struct{}{}, members: map[plugin.LinkID]*member{}, wake: make(chan struct{})}
	b, err := ss.ns.Get(posKey(st.name, name))
	switch {
	case err == nil && len(b) == 8:
		g.pos = binary.BigEndian.Uint64(b)
	case err == nil:
		return nil, fmt.Errorf("stream %q group %q: a position of %d bytes", st.name, name, len(b))
	case !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("stream %q group %q: %w", st.name, name, err)
	default:
		g.pos = st.first - 1
		if latest {
			g.pos = st.head
		}
		if err := ss.ns.Put(posKey(st.name, name), binary.BigEndian.AppendUint64(nil, g.pos)); err != nil {
			return nil, fmt.Errorf("stream %q group %q: %w", st.name, name, err)
		}
	}
	g.pos = max(g.pos, st.first-1)
	g.next = g.pos + 1
	st.groups[name] = g
	return g, nil
}

// Publish implements plugin.StreamStore.
func (ss *streamSet) Publish(entries []plugin.StreamEntry) ([]uint64, error) {
	for _, e := range entries {
		if err := plugin.CheckName("stream", e.Stream); err != nil {
			return nil, err
		}
	}
	ss.pubMu.Lock()
	defer ss.pubMu.Unlock()
	ss.flushMu.Lock() // the positions that moved ride along
	defer ss.flushMu.Unlock()
	seqs := make([]uint64, len(entries))
	heads := map[*stream]uint64{}
	ss.mu.Lock()
	for i, e := range entries {
		st, err := ss.streamLocked(e.Stream)
		if err != nil {
			ss.mu.Unlock()
			return nil, err
		}
		h, ok := heads[st]
		if !ok {
			h = st.head
		}
		seqs[i] = h + 1
		heads[st] = h + 1
	}
	ps := ss.takePositionsLocked()
	ss.mu.Unlock()
	err := ss.ns.Update(func(tx *Tx) error {
		for i, e := range entries {
			if err := tx.Put(logKey(e.Stream, seqs[i]), e.Value); err != nil {
				return err
			}
		}
		for st, h := range heads {
			if err := tx.Put(headKey(st.name), binary.BigEndian.AppendUint64(nil, h)); err != nil {
				return err
			}
		}
		return putPositions(tx, ps)
	})
	if err != nil {
		ss.positionsFailed(ps)
		return nil, fmt.Errorf("publish: %w", err)
	}
	ss.mu.Lock()
	for i, e := range entries {
		st := ss.streams[e.Stream]
		st.head = seqs[i]
		if len(st.tail) == tailCache {
			st.tail[0] = nil
			st.tail = st.tail[1:]
			st.tailFrom++
		}
		st.tail = append(st.tail, e.Value)
	}
	for st := range heads {
		for _, g := range st.groups {
			g.signal()
		}
	}
	ss.mu.Unlock()
	return seqs, nil
}

// read returns message seq of st, nil when it was trimmed. ss.mu is held.
func (ss *streamSet) read(st *stream, seq uint64) ([]byte, error) {
	if seq < st.first || seq > st.head {
		return nil, nil
	}
	if seq >= st.tailFrom {
		return st.tail[seq-st.tailFrom], nil
	}
	b, err := ss.ns.Get(logKey(st.name, seq))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return b, err
}

func (g *group) signal() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// Attach implements plugin.StreamStore.
func (ss *streamSet) Attach(s plugin.Sink, streamName, groupName string, o plugin.AttachOptions) (uint64, error) {
	if err := plugin.CheckNames(streamName, groupName); err != nil {
		return 0, err
	}
	o = o.WithDefaults()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.ctx.Err() != nil {
		return 0, ErrClosed
	}
	st, err := ss.streamLocked(streamName)
	if err != nil {
		return 0, err
	}
	g, err := ss.groupLocked(st, groupName, o.Latest)
	if err != nil {
		return 0, err
	}
	if m := g.members[s.ID()]; m != nil {
		m.o = o
		g.signal()
		return g.pos, nil
	}
	m := &member{g: g, sink: s, o: o, stop: make(chan struct{})}
	g.members[s.ID()] = m
	ss.wg.Add(1)
	go ss.pump(m)
	return g.pos, nil
}

// Detach implements plugin.StreamStore.
func (ss *streamSet) Detach(link plugin.LinkID, streamName, groupName string) (bool, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st := ss.streams[streamName]
	if st == nil || st.groups[groupName] == nil {
		return false, nil
	}
	m := st.groups[groupName].members[link]
	if m == nil {
		return false, nil
	}
	ss.releaseLocked(m)
	return true, nil
}

// releaseLocked ends m's membership: its unacknowledged messages are due
// again for the other members. ss.mu is held.
func (ss *streamSet) releaseLocked(m *member) {
	if m.gone.Swap(true) {
		return
	}
	close(m.stop)
	g := m.g
	delete(g.members, m.sink.ID())
	for seq, f := range g.inflight {
		if f.m == m {
			delete(g.inflight, seq)
			g.requeue(seq)
		}
	}
	m.unacked, m.due = 0, nil
	g.signal()
}

func (g *group) requeue(seq uint64) {
	i := sort.Search(len(g.redeliver), func(i int) bool { return g.redeliver[i] >= seq })
	if i < len(g.redeliver) && g.redeliver[i] == seq {
		return
	}
	g.redeliver = append(g.redeliver, 0)
	copy(g.redeliver[i+1:], g.redeliver[i:])
	g.redeliver[i] = seq
}

// pump sends member m what it has room for until it is released or its
// link goes.
func (ss *streamSet) pump(m *member) {
	defer ss.wg.Done()
	var batch []*plugin.Delivery
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		ss.mu.Lock()
		if m.gone.Load() {
			ss.mu.Unlock()
			return
		}
		g := m.g
		now := time.Now()
		g.expire(now)
		var err error
		batch, err = ss.take(m, now, batch[:0])
		wake := g.wake
		var due time.Duration = -1
		if at, ok := g.nextDeadline(); ok {
			due = max(at.Sub(now), time.Millisecond)
		}
		ss.mu.Unlock()
		if err != nil {
			// The database failed to read a message; try again shortly.
			due = 100 * time.Millisecond
		}
		if len(batch) == 0 {
			var tc <-chan time.Time
			if due >= 0 {
				timer.Reset(due)
				tc = timer.C
			}
			select {
			case <-wake:
			case <-tc:
			case <-m.stop:
			case <-m.sink.Done():
			case <-ss.ctx.Done():
			}
			if tc != nil && !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			if ss.gone(m) {
				return
			}
			continue
		}
		for i, d := range batch {
			if m.gone.Load() {
				break
			}
			if err := m.sink.Send(ss.ctx, d); err != nil {
				ss.mu.Lock()
				ss.releaseLocked(m)
				ss.mu.Unlock()
				return
			}
			batch[i] = nil
		}
	}
}

// gone releases m if its link or the backend is gone and reports whether
// the pump should stop.
func (ss *streamSet) gone(m *member) bool {
	select {
	case <-m.sink.Done():
	case <-ss.ctx.Done():
	default:
		return m.gone.Load()
	}
	ss.mu.Lock()
	ss.releaseLocked(m)
	ss.mu.Unlock()
	return true
}

// take marks what m has room for in flight and returns its deliveries:
// redeliveries first, then the log. ss.mu is held.
func (ss *streamSet) take(m *member, now time.Time, out []*plugin.Delivery) ([]*plugin.Delivery, error) {
	g, st := m.g, m.g.st
	for m.unacked < m.o.Prefetch {
		var seq uint64
		switch {
		case len(g.redeliver) > 0:
			seq = g.redeliver[0]
			g.redeliver = g.redeliver[1:]
		case g.next <= st.head && g.next-1-g.pos < maxAhead:
			seq = g.next
			g.next++
		default:
			return out, nil
		}
		val, err := ss.read(st, seq)
		if err != nil {
			g.requeue(seq)
			return out, err
		}
		if val == nil { // trimmed meanwhile: nothing to deliver
			ss.markAcked(g, seq)
			continue
		}
		attempt := g.attempts[seq] + 1
		g.attempts[seq] = attempt
		g.inflight[seq] = &flight{m: m, attempt: attempt}
		m.due = append(m.due, deadline{at: now.Add(m.o.AckTimeout), seq: seq, attempt: attempt})
		m.unacked++
		out = append(out, &plugin.Delivery{Topic: st.name, Group: g.name, Seq: seq, Attempt: attempt, Value: val})
	}
	return out, nil
}

// expire makes the deliveries whose ack deadline passed due again.
func (g *group) expire(now time.Time) {
	n := 0
	for _, m := range g.members {
		for len(m.due) > 0 {
			d := m.due[0]
			f := g.inflight[d.seq]
			live := f != nil && f.m == m && f.attempt == d.attempt
			if live && d.at.After(now) {
				break
			}
			m.due[0] = deadline{}
			m.due = m.due[1:]
			if live {
				delete(g.inflight, d.seq)
				m.unacked--
				g.requeue(d.seq)
				n++
			}
		}
	}
	if n > 0 {
		g.signal()
	}
}

// nextDeadline returns the earliest ack deadline of g's deliveries that
// may still be in flight.
func (g *group) nextDeadline() (time.Time, bool) {
	var at time.Time
	ok := false
	for _, m := range g.members {
		if len(m.due) > 0 && (!ok || m.due[0].at.Before(at)) {
			at, ok = m.due[0].at, true
		}
	}
	return at, ok
}

// markAcked records seq as acknowledged and advances the position over
// every contiguous acknowledged seq. ss.mu is held.
func (ss *streamSet) markAcked(g *group, seq uint64) {
	delete(g.attempts, seq)
	if seq <= g.pos {
		return
	}
	if seq != g.pos+1 {
		g.ackedAbove[seq] = struct{}{}
		return
	}
	g.pos = seq
	for {
		if _, ok := g.ackedAbove[g.pos+1]; !ok {
			break
		}
		delete(g.ackedAbove, g.pos+1)
		g.pos++
	}
	ss.movedLocked(g)
}

// movedLocked marks g's position to be written within positionDelay.
// ss.mu is held.
func (ss *streamSet) movedLocked(g *group) {
	ss.dirty[g] = struct{}{}
	if ss.posTimer == nil {
		ss.posTimer = time.AfterFunc(positionDelay, func() { _ = ss.flushPositions() })
	}
}

// Ack implements plugin.StreamStore.
func (ss *streamSet) Ack(streamName, groupName string, seq uint64) error {
	if err := plugin.CheckNames(streamName, groupName); err != nil {
		return err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, err := ss.streamLocked(streamName)
	if err != nil {
		return err
	}
	g, err := ss.groupLocked(st, groupName, false)
	if err != nil {
		return err
	}
	wake := g.next-1-g.pos >= maxAhead
	if f := g.inflight[seq]; f != nil {
		delete(g.inflight, seq)
		wake = wake || f.m.unacked >= f.m.o.Prefetch
		f.m.unacked--
	} else if seq > g.pos && seq >= g.next {
		return fmt.Errorf("%w: %s/%s: message %d has not been delivered", plugin.ErrNotDelivered, streamName, groupName, seq)
	}
	if i := sort.Search(len(g.redeliver), func(i int) bool { return g.redeliver[i] >= seq }); i < len(g.redeliver) && g.redeliver[i] == seq {
		g.redeliver = append(g.redeliver[:i], g.redeliver[i+1:]...) // acked late, after its deadline
	}
	ss.markAcked(g, seq)
	if wake {
		g.signal()
	}
	return nil
}

// flushPositions writes the position of every group that moved, in one
// commit.
func (ss *streamSet) flushPositions() error {
	ss.flushMu.Lock()
	defer ss.flushMu.Unlock()
	ss.mu.Lock()
	ps := ss.takePositionsLocked()
	ss.mu.Unlock()
	if len(ps) == 0 {
		return nil
	}
	err := ss.ns.Update(func(tx *Tx) error { return putPositions(tx, ps) })
	if err != nil {
		ss.positionsFailed(ps)
	}
	return err
}

// position is a group's acknowledged position to be written.
type position struct {
	g *group
	v uint64
}

// takePositionsLocked returns the positions of the groups that moved and
// marks them written (flushMu and ss.mu are held).
func (ss *streamSet) takePositionsLocked() []position {
	if ss.posTimer != nil {
		ss.posTimer.Stop()
		ss.posTimer = nil
	}
	var ps []position
	for g := range ss.dirty {
		ps = append(ps, position{g, g.pos})
	}
	clear(ss.dirty)
	return ps
}

func putPositions(tx *Tx, ps []position) error {
	for _, p := range ps {
		if err := tx.Put(posKey(p.g.st.name, p.g.name), binary.BigEndian.AppendUint64(nil, p.v)); err != nil {
			return err
		}
	}
	return nil
}

// positionsFailed marks the groups of ps as moved again after the commit
// that should have written them failed, so that a later one does (not
// once the backend is closing: Close reports its own flush's error).
func (ss *streamSet) positionsFailed(ps []position) {
	if len(ps) == 0 || ss.ctx.Err() != nil {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, p := range ps {
		ss.movedLocked(p.g)
	}
}

// Reset implements plugin.StreamStore.
func (ss *streamSet) Reset(streamName, groupName string, seq uint64) (uint64, error) {
	if err := plugin.CheckNames(streamName, groupName); err != nil {
		return 0, err
	}
	ss.flushMu.Lock()
	defer ss.flushMu.Unlock()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, err := ss.streamLocked(streamName)
	if err != nil {
		return 0, err
	}
	g, err := ss.groupLocked(st, groupName, false)
	if err != nil {
		return 0, err
	}
	seq = max(min(seq, st.head+1), st.first, 1)
	clear(g.inflight)
	clear(g.attempts)
	clear(g.ackedAbove)
	g.redeliver = nil
	for _, m := range g.members {
		m.unacked, m.due = 0, nil
	}
	g.pos, g.next = seq-1, seq
	delete(ss.dirty, g)
	if err := ss.ns.Put(posKey(st.name, g.name), binary.BigEndian.AppendUint64(nil, g.pos)); err != nil {
		return 0, fmt.Errorf("reset %s/%s: %w", streamName, groupName, err)
	}
	g.signal()
	return seq, nil
}

// Trim implements plugin.StreamStore.
func (ss *streamSet) Trim(streamName string, through uint64) (uint64, uint64, error) {
	if err := plugin.CheckName("stream", streamName); err != nil {
		return 0, 0, err
	}
	if err := ss.flushPositions(); err != nil { // so the bound below is durable
		return 0, 0, err
	}
	ss.pubMu.Lock()
	defer ss.pubMu.Unlock()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, err := ss.streamLocked(streamName)
	if err != nil {
		return 0, 0, err
	}
	through = min(through, st.head)
	prefix := posKey(streamName, "")
	err = ss.ns.Scan(prefix, nil, 0, func(k, v []byte) bool {
		if g := st.groups[string(k[len(prefix):])]; g != nil {
			through = min(through, g.pos)
		} else if len(v) == 8 {
			through = min(through, binary.BigEndian.Uint64(v))
		}
		return true
	})
	if err != nil {
		return 0, 0, fmt.Errorf("trim %s: %w", streamName, err)
	}
	var deleted uint64
	if through >= st.first {
		err = ss.ns.Update(func(tx *Tx) error {
			for seq := st.first; seq <= through; seq++ {
				ok, err := tx.Delete(logKey(streamName, seq))
				if err != nil {
					return err
				}
				if ok {
					deleted++
				}
			}
			return nil
		})
		if err != nil {
			return 0, 0, fmt.Errorf("trim %s: %w", streamName, err)
		}
		st.first = through + 1
		for st.tailFrom < st.first && len(st.tail) > 0 {
			st.tail[0] = nil
			st.tail = st.tail[1:]
			st.tailFrom++
		}
		st.tailFrom = max(st.tailFrom, st.first)
	}
	return through, deleted, nil
}

// Info implements plugin.StreamStore.
func (ss *streamSet) Info() ([]plugin.StreamInfo, error) {
	var names []string
	err := ss.ns.Scan([]byte{'h'}, nil, 0, func(k, _ []byte) bool {
		names = append(names, string(k[1:]))
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("streams: %w", err)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]plugin.StreamInfo, 0, len(names))
	for _, name := range names {
		st, err := ss.streamLocked(name)
		if err != nil {
			return nil, err
		}
		info := plugin.StreamInfo{Stream: name, Head: st.head}
		prefix := posKey(name, "")
		err = ss.ns.Scan(prefix, nil, 0, func(k, v []byte) bool {
			gi := plugin.GroupInfo{Group: string(k[len(prefix):])}
			if g := st.groups[gi.Group]; g != nil {
				gi.Acked, gi.Consumers, gi.Unacked = g.pos, len(g.members), len(g.inflight)+len(g.redeliver)
			} else if len(v) == 8 {
				gi.Acked = binary.BigEndian.Uint64(v)
			}
			info.Groups = append(info.Groups, gi)
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("streams: %w", err)
		}
		out = append(out, info)
	}
	return out, nil
}

// deadline is when a delivery is due again unless acknowledged.
type deadline struct {
	at           time.Time
	seq, attempt uint64
}
