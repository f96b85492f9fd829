package flow

import (
	"context"
	"errors"
	"fmt"
	"github.com/genehost/genehost/proto"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// clock is the monotonic time base of Scheduler.lastWrite.
var clock = time.Now()

// inlineAfter is how long the stream must have been idle for a sender to
// write its frames itself, which it does only once per frame received
// (Heard): a request and its answer alternate with frames from the peer
// and are spaced by a round trip, so they go out at once without waking
// the writer goroutine; a stream of values has neither, and is left to
// Run, which writes it in batches (one write for many values; a write per
// value costs the stream more than the hand-off saves).
const inlineAfter = 10 * time.Microsecond

// SchedulerConfig sets up a Scheduler. Zero fields mean the defaults.
type SchedulerConfig struct {
	// MaxFrameBytes is the largest DATA payload per frame: the
	// max-frame-bytes in force. Default proto.DefaultMaxFrameBytes.
	MaxFrameBytes int
	// Quantum is how many payload bytes one link may send per turn of the
	// round robin. Default MaxFrameBytes (one full frame per turn).
	Quantum int
	// LinkQueue is how many values each link may have queued. Default
	// proto.DefaultLinkQueue (64).
	LinkQueue int
	// ControlQueue is the byte budget of queued control frames. Default
	// proto.DefaultControlQueue (1 MiB).
	ControlQueue int
	// BatchBytes is roughly how many bytes one write carries at most
	// (control frames are never held back by it). Default 128 KiB.
	BatchBytes int
}

func (c SchedulerConfig) withDefaults() SchedulerConfig {
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = proto.DefaultMaxFrameBytes
	}
	if c.Quantum <= 0 {
		c.Quantum = c.MaxFrameBytes
	}
	if c.LinkQueue <= 0 {
		c.LinkQueue = proto.DefaultLinkQueue
	}
	if c.ControlQueue <= 0 {
		c.ControlQueue = proto.DefaultControlQueue
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = 128 << 10
	}
	return c
}

// Scheduler queues the frames of one transport and writes them. Control
// frames (everything but DATA) go first, from their own bounded queue.
// DATA is queued per link as whole values in
// bounded queues and sent round-robin across links, at most Quantum
// payload bytes per link per turn, fragmenting large values on the way, so
// a large value never holds back the other links by more than one turn.
//
// One write is in progress at a time, from the transport's writer
// goroutine, which runs Run, or from a sender: when nothing is being
// written, the stream is a socket (a syscall.Conn), it was quiet for
// inlineAfter and a frame was received since (Heard), the goroutine that
// queued a frame writes the batch itself
// with non-blocking writes, so that the value goes out without waking
// the writer goroutine, and leaves whatever the socket does not take at
// once to Run. Which goroutine writes changes nothing of the order or the
// rules above, and no sender ever waits for the peer to read.
//
// Send and SendControl are safe for concurrent use by any goroutine. The
// Scheduler does no credit accounting: callers reserve credit (Credit.Take)
// before Send, so the queues never hold more than the peer granted.
//
// Lifecycle: the owner of the transport starts Run in a goroutine and
// stops it by cancelling its context (abort: queued frames are dropped) or
// by calling Close (everything queued before Close is written, then Run
// returns nil). A write that blocks because the peer does not read is not
// interrupted by the context: the owner closes the connection, and Run
// returns the write error. After Run returns, every Send fails with its
// error.
type Scheduler struct {
	cfg SchedulerConfig

	mu      sync.Mutex
	ctrl    []byte                // guarded by mu; encoded control frames waiting
	links   map[uint32]*linkQueue // guarded by mu; links with a queue
	active  ring                  // guarded by mu; links with queued values, in turn order
	closing bool                  // guarded by mu; Close was called
	err     error                 // guarded by mu; why Run ended
	running bool                  // guarded by mu
	stats   SchedulerStats        // guarded by mu
	// writing is guarded by mu: a batch is being written, by Run or by a
	// sender; whoever set it owns the batch buffers below until it clears
	// it.
	writing bool
	// left is guarded by mu: wbufs holds the rest of a batch a sender
	// could not write without waiting; Run writes it before anything else.
	left bool
	werr error           // guarded by mu; a sender's write failed: Run returns it
	raw  syscall.RawConn // guarded by mu; set by Run when the stream is a socket
	// lastWrite is guarded by mu: when the last write ended, on clock.
	lastWrite time.Duration
	heard     atomic.Bool // a frame was received since the last sender write

	wake chan struct{} // capacity 1: work was queued or Close called
	done chan struct{} // closed when Run returns

	// Owned by whoever set writing.
	spare  []byte
	hdrs   []byte
	segs   []segment
	iov    net.Buffers
	wbufs  net.Buffers // what WriteTo consumes, so iov keeps its array
	rawFn  func(fd uintptr) bool
	rawErr error // what rawFn's last write failed with
}

type linkQueue struct {
	id     uint32
	msgs   []outValue    // FIFO; the first may be partly framed
	one    [1]outValue   // msgs' array while the queue holds one value at a time
	head   int           // bytes of msgs[0] already framed
	ended  bool          // an END was queued: no more sends
	gone   bool          // removed: senders waiting for room fail
	active bool          // in the active ring
	room   chan struct{} // closed when a value leaves the queue; nil when nobody waits
}

type outValue struct {
	payload []byte
	end     bool
}

// segment is a piece of a batch: hdrs[off:end], or ext when ext is set.
type segment struct {
	off, end int
	ext      []byte
}

// SchedulerStats counts what Run wrote.
type SchedulerStats struct {
	Writes        uint64 // write calls on the stream
	SenderWrites  uint64 // of those, writes made by a sender itself rather than by Run
	Bytes         uint64 // bytes written, headers included
	ControlFrames uint64 // control frames queued
	DataFrames    uint64 // DATA frames written
	Values        uint64 // values (and END-only frames) completely framed
	Stalls        uint64 // calls to Send that had to wait for room in their link's queue
}

// NewScheduler returns a Scheduler; start its Run goroutine to write.
func NewScheduler(cfg SchedulerConfig) *Scheduler {
	s := &Scheduler{
		cfg:   cfg.withDefaults(),
		links: make(map[uint32]*linkQueue),
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	s.rawFn = s.writeRaw
	return s
}

func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// unusable returns the error that makes sends fail, or nil. The caller
// holds mu.
func (s *Scheduler) unusable() error {
	if s.err != nil {
		return s.err
	}
	if s.closing {
		return ErrClosed
	}
	return nil
}

// SendControl queues one complete encoded control frame (built with
// proto.AppendCreditFrame, AppendResetFrame, AppendFrame, ...); the bytes are
// copied, so the caller may reuse frame. Control frames are written in
// the order queued, ahead of all DATA not yet written. It returns
// ErrControlFull when the control budget is spent (the peer does not
// read: close the transport with proto.CodeCalm), ErrClosed after Close, or
// the error that ended Run.
func (s *Scheduler) SendControl(frame []byte) error {
	s.mu.Lock()
	if err := s.unusable(); err != nil {
		s.mu.Unlock()
		return err
	}
	if len(s.ctrl)+len(frame) > s.cfg.ControlQueue {
		n := len(s.ctrl)
		s.mu.Unlock()
		return fmt.Errorf("%w: %d bytes queued, budget %d", ErrControlFull, n, s.cfg.ControlQueue)
	}
	s.ctrl = append(s.ctrl, frame...)
	s.stats.ControlFrames++
	s.flushLocked()
	return nil
}

// TrySend queues one whole encoded value for link without waiting, and
// with end set, the END of the link's direction after it. An empty
// payload with end set queues an END-only frame. The Scheduler owns
// payload until it is written: the caller must not modify it. It returns
// ErrQueueFull when the link's queue is full, proto.ErrLinkClosed after the
// link's END or removal, ErrClosed after Close, or the error that ended
// Run.
func (s *Scheduler) TrySend(link uint32, payload []byte, end bool) error {
	s.mu.Lock()
	q, err := s.queueFor(link, payload, end)
	if err == nil && len(q.msgs) >= s.cfg.LinkQueue {
		err = ErrQueueFull
	}
	return s.endSend(q, payload, end, err)
}

// Send is TrySend that waits for room in the link's queue until ctx is
// done.
func (s *Scheduler) Send(ctx context.Context, link uint32, payload []byte, end bool) error {
	s.mu.Lock()
	q, err := s.queueFor(link, payload, end)
	stalled := false
	for err == nil && len(q.msgs) >= s.cfg.LinkQueue {
		if !stalled {
			stalled = true
			s.stats.Stalls++
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		s.mu.Unlock()
		select {
		case <-room:
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
		switch {
		case q.gone || q.ended:
			err = fmt.Errorf("%w: link %d", proto.ErrLinkClosed, link)
		case s.unusable() != nil:
			err = s.unusable()
		}
	}
	return s.endSend(q, payload, end, err)
}

// endSend ends TrySend and Send: the value is queued on q and written
// unless err is set, which is returned. The caller holds mu, which
// endSend releases.
func (s *Scheduler) endSend(q *linkQueue, payload []byte, end bool, err error) error {
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.push(q, payload, end)
	s.flushLocked()
	return nil
}

// queueFor checks a send and returns the link's queue, creating it on
// first use. The caller holds mu.
func (s *Scheduler) queueFor(link uint32, payload []byte, end bool) (*linkQueue, error) {
	if err := s.unusable(); err != nil {
		return nil, err
	}
	if link == 0 {
		return nil, errors.New("proto: DATA needs a link id, not 0")
	}
	if len(payload) == 0 && !end {
		return nil, fmt.Errorf("proto: link %d: an empty payload is not a value", link)
	}
	q := s.links[link]
	if q == nil {
		q = &linkQueue{id: link}
		q.msgs = q.one[:0]
		s.links[link] = q
	}
	if q.ended {
		return nil, fmt.Errorf("%w: link %d (after END)", proto.ErrLinkClosed, link)
	}
	return q, nil
}

// push appends a value to q and schedules q. The caller holds mu and
// then calls flushLocked.
func (s *Scheduler) push(q *linkQueue, payload []byte, end bool) {
	q.msgs = append(q.msgs, outValue{payload: payload, end: end})
	if end {
		q.ended = true
	}
	if !q.active {
		q.active = true
		s.active.push(q)
	}
}

// flushLocked gets what was just queued written; the caller holds mu,
// which flushLocked releases. When no write is in progress and the
// stream is a socket, the caller's goroutine writes the batch itself
// without waiting (writeNow); otherwise, and for what the socket did not
// take, Run is woken.
func (s *Scheduler) flushLocked() {
	if s.writing || s.left || s.raw == nil || s.err != nil || s.werr != nil ||
		!s.heard.Load() || time.Since(clock)-s.lastWrite < inlineAfter {
		s.mu.Unlock()
		s.signal()
		return
	}
	s.heard.Store(false)
	s.writing = true
	n := s.buildBatch()
	s.stats.Writes++
	s.stats.SenderWrites++
	s.stats.Bytes += uint64(n)
	s.mu.Unlock()

	err := s.writeNow()
	s.mu.Lock()
	s.lastWrite = time.Since(clock)
	switch {
	case err != nil:
		s.werr = err
	case len(s.wbufs) > 0:
		s.left = true
	default:
		s.written()
	}
	s.writing = false
	wake := s.left || s.werr != nil || s.closing || len(s.ctrl) > 0 || s.active.len() > 0
	s.mu.Unlock()
	if wake {
		s.signal()
	}
}

// Heard tells the Scheduler that a frame was received on the transport
// (the reader goroutine calls it for each): the next frame queued after a
// quiet spell may be written by its sender.
func (s *Scheduler) Heard() {
	if !s.heard.Load() {
		s.heard.Store(true)
	}
}

// writeNow writes the batch in s.iov with non-blocking writes, consuming
// s.wbufs as far as the socket takes it. The caller set writing.
func (s *Scheduler) writeNow() error {
	s.wbufs = s.iov
	s.rawErr = nil
	if err := s.raw.Write(s.rawFn); err != nil {
		return err
	}
	return s.rawErr
}

// writeRaw is the syscall.RawConn callback of writeNow: it writes until
// the socket would block, and never asks to wait.
func (s *Scheduler) writeRaw(fd uintptr) bool {
	for len(s.wbufs) > 0 {
		n, err := syscall.Write(int(fd), s.wbufs[0])
		if n > 0 {
			if n < len(s.wbufs[0]) {
				s.wbufs[0] = s.wbufs[0][n:]
				continue
			}
			s.wbufs[0] = nil
			s.wbufs = s.wbufs[1:]
			continue
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return true
		case nil:
			s.rawErr = io.ErrShortWrite
		default:
			s.rawErr = err
		}
		return true
	}
	return true
}

// written drops the references to a written batch's payloads. The caller
// holds writing.
func (s *Scheduler) written() {
	clear(s.segs)
	clear(s.iov)
	s.segs = s.segs[:0]
	s.wbufs = nil
}

// Unsent is what RemoveLink dropped.
type Unsent struct {
	Values int // values none of whose bytes were written
	Bytes  int // payload bytes not written, of those values and of a value cut short
}

// RemoveLink drops everything queued for link (after a RESET, sent or
// received); senders waiting for room on it fail with proto.ErrLinkClosed. It
// returns what was dropped, so the caller can refund the transport window
// (Credit.RefundBytes with Unsent.Bytes). Frames already handed to a write
// are not recalled. A link whose END was written needs no RemoveLink: its
// queue is dropped then. The caller must not send on a link after its END
// or its RemoveLink.
func (s *Scheduler) RemoveLink(link uint32) Unsent {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.links[link]
	if q == nil {
		return Unsent{}
	}
	delete(s.links, link)
	var u Unsent
	for i, m := range q.msgs {
		if i == 0 && q.head > 0 {
			u.Bytes += len(m.payload) - q.head
			continue
		}
		u.Values++
		u.Bytes += len(m.payload)
	}
	q.msgs, q.head, q.gone = nil, 0, true
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
	return u
}

// Close makes later sends fail with ErrClosed and lets Run write
// everything already queued and return nil. It does not wait; wait for
// Run's goroutine (Done) to know when the last byte went out.
func (s *Scheduler) Close() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.signal()
}

// Done is closed when Run has returned.
func (s *Scheduler) Done() <-chan struct{} { return s.done }

// Stats returns a snapshot of the counters.
func (s *Scheduler) Stats() SchedulerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Run writes queued frames to w until ctx is done (it returns ctx.Err()
// and drops what is queued), Close was called and everything queued is
// written (it returns nil), or a write fails (it returns the error). Run
// must be called once, from the goroutine that owns writing to w.
func (s *Scheduler) Run(ctx context.Context, w io.Writer) (err error) {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("proto: Scheduler.Run called twice")
	}
	s.running = true
	if sc, ok := w.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.err = err
		if s.err == nil {
			s.err = ErrClosed
		}
		for _, q := range s.links {
			if q.room != nil {
				close(q.room)
				q.room = nil
			}
		}
		s.mu.Unlock()
		close(s.done)
	}()
	for {
		s.mu.Lock()
		for {
			if s.werr != nil {
				err := s.werr
				s.mu.Unlock()
				return fmt.Errorf("proto: writing frames: %w", err)
			}
			if !s.writing && (s.left || len(s.ctrl) > 0 || s.active.len() > 0) {
				break
			}
			if s.closing && !s.writing {
				s.mu.Unlock()
				return nil
			}
			s.mu.Unlock()
			select {
			case <-s.wake:
			case <-ctx.Done():
				return ctx.Err()
			}
			s.mu.Lock()
		}
		s.writing = true
		if s.left {
			s.left = false // a sender's batch, partly written
		} else {
			n := s.buildBatch()
			s.stats.Writes++
			s.stats.Bytes += uint64(n)
			s.wbufs = s.iov
		}
		s.mu.Unlock()

		_, err := s.wbufs.WriteTo(w)
		s.mu.Lock()
		s.lastWrite = time.Since(clock)
		s.written()
		s.writing = false
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("proto: writing frames: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// smallPayload is the size up to which a DATA payload is copied next to
// its header instead of being written from the sender's buffer.
const smallPayload = 512

// buildBatch moves the queued control frames and up to BatchBytes of DATA
// into s.iov and returns the byte count. The caller holds mu.
func (s *Scheduler) buildBatch() int {
	s.hdrs = s.hdrs[:0]
	s.segs = s.segs[:0]
	total := 0
	if len(s.ctrl) > 0 {
		// Swap buffers: the written control bytes become next time's spare.
		s.segs = append(s.segs, segment{ext: s.ctrl})
		total += len(s.ctrl)
		s.ctrl, s.spare = s.spare[:0], s.ctrl
	}
	budget := s.cfg.BatchBytes
	for budget > 0 && s.active.len() > 0 {
		q := s.active.pop()
		turn := s.cfg.Quantum
		for turn > 0 && len(q.msgs) > 0 {
			m := &q.msgs[0]
			rest := m.payload[q.head:]
			n := min(len(rest), s.cfg.MaxFrameBytes, turn)
			var f proto.Flags
			last := n == len(rest)
			switch {
			case !last:
				f = proto.FlagMore
			case m.end:
				f = proto.FlagEnd
			}
			off := len(s.hdrs)
			s.hdrs = proto.AppendHeader(s.hdrs, proto.Header{Length: uint32(n), Type: proto.TypeData, Flags: f, Link: q.id})
			if n <= smallPayload {
				s.hdrs = append(s.hdrs, rest[:n]...)
				s.segs = append(s.segs, segment{off: off, end: len(s.hdrs)})
			} else {
				s.segs = append(s.segs, segment{off: off, end: len(s.hdrs)}, segment{ext: rest[:n]})
			}
			s.stats.DataFrames++
			total += proto.HeaderSize + n
			budget -= proto.HeaderSize + n
			turn -= max(n, 1)
			q.head += n
			if last {
				s.stats.Values++
				q.msgs[0] = outValue{}
				q.msgs = q.msgs[1:]
				q.head = 0
				if q.room != nil {
					close(q.room)
					q.room = nil
				}
			}
		}
		if len(q.msgs) > 0 {
			s.active.push(q)
			continue
		}
		q.active = false
		// Let a grown array go; a queue that holds one value at a time
		// (a request, its answer) reuses the one in q.
		q.msgs = q.one[:0]
		if q.ended && s.links[q.id] == q {
			delete(s.links, q.id)
		}
	}
	// Build the write vector; adjacent pieces of hdrs become one buffer.
	s.iov = s.iov[:0]
	for i := 0; i < len(s.segs); i++ {
		sg := s.segs[i]
		if sg.ext != nil {
			s.iov = append(s.iov, sg.ext)
			continue
		}
		end := sg.end
		for i+1 < len(s.segs) && s.segs[i+1].ext == nil && s.segs[i+1].off == end {
			i++
			end = s.segs[i].end
		}
		s.iov = append(s.iov, s.hdrs[sg.off:end])
	}
	return total
}

// ring is a FIFO of link queues: the round-robin order.
type ring struct {
	buf        []*linkQueue
	head, size int
}

func (r *ring) len() int { return r.size }

func (r *ring) push(q *linkQueue) {
	if r.size == len(r.buf) {
		nb := make([]*linkQueue, max(8, 2*len(r.buf)))
		for i := range r.size {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = q
	r.size++
}

func (r *ring) pop() *linkQueue {
	q := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return q
}
