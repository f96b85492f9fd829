package worker

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/gene"
)

// conn is one end of the pipe between the host and a worker. Both ends
// make requests and serve the other's: requests carry ids, replies and
// cancels name the id they are for, so any number of calls are in flight
// at once. Writers take wmu for one whole frame. One goroutine at a time
// reads, the one holding the read baton (reading): readLoop, or, on a
// conn with selfRead (the host's end), a caller waiting for its reply,
// which then reads that reply itself instead of being woken by readLoop
// (a hand-off that wakes another thread on every round trip; see
// readOwn).
type conn struct {
	rw       io.ReadWriteCloser
	maxFrame int
	limits   gene.Limits // bounds the values this end decodes

	// serve handles a request or notification. It runs on the reader
	// goroutine: it must hand anything that may block to a goroutine of
	// its own (requests) or be quick (notifications).
	serve func(f *frame)
	// broken is called once, on the reader goroutine, when reading fails
	// (the other end went away, a malformed frame); it must end with
	// c.abort.
	broken func(err error)

	wmu    sync.Mutex
	wbuf   []byte      // shipped frames not written yet; guarded by wmu
	flushT *time.Timer // writes wbuf shipDelay after its first frame; guarded by wmu
	armed  bool        // flushT is set; guarded by wmu

	// selfRead lets a caller take the read baton when nobody holds it.
	// Set before readLoop starts; the worker's end leaves it false, so
	// its readLoop reads all the time.
	selfRead bool
	br       *bufio.Reader // read by the baton's holder only
	wake     chan struct{} // readLoop should look at the baton (cap 1)
	idleT    *time.Timer   // pokes readLoop readIdle after the baton was put down; guarded by mu
	// dispatching counts callers holding the baton, so that readLoop, whose
	// owner waits for it, ends after them (what they dispatch may start
	// goroutines under the same owner).
	dispatching sync.WaitGroup

	mu       sync.Mutex
	reading  bool // someone holds the read baton
	toLoop   bool // the baton was handed to readLoop (calls are still waiting)
	nextID   uint64
	pending  map[uint64]*pendingCall
	incoming map[uint64]context.CancelFunc // requests being served
	err      error                         // why the conn is done; set before done closes
	done     chan struct{}

	encs sync.Pool
}

// frame is one request or notification received.
type frame struct {
	kind byte
	id   uint64
	op   byte
	body []byte
}

type pendingCall struct {
	done chan struct{}
	op   byte // replyOK or replyErr
	body []byte
}

// newConn makes a conn on rw whose reads spin for up to spin before they
// park (spinReader).
func newConn(rw io.ReadWriteCloser, maxFrame int, limits gene.Limits, spin time.Duration) *conn {
	return &conn{
		rw: rw, maxFrame: maxFrame, limits: limits,
		br:       bufio.NewReaderSize(newSpinReader(rw, spin), 64<<10),
		wake:     make(chan struct{}, 1),
		reading:  true, // readLoop starts with the baton
		pending:  map[uint64]*pendingCall{},
		incoming: map[uint64]context.CancelFunc{},
		done:     make(chan struct{}),
	}
}

// msg returns a buffer for a frame with the header space reserved; the
// caller appends the body and hands it to call, notify or reply, which
// recycle it.
func (c *conn) msg() *enc {
	if e, ok := c.encs.Get().(*enc); ok {
		e.b = e.b[:frameHeader]
		return e
	}
	return &enc{b: make([]byte, frameHeader, 512)}
}

func (c *conn) recycle(e *enc) {
	if cap(e.b) <= 1<<20 {
		c.encs.Put(e)
	}
}

// Shipped frames (see ship) wait at most shipDelay, or until shipFlush
// bytes of them are waiting, before they are written.
const (
	shipDelay = 500 * time.Microsecond
	shipFlush = 64 << 10
)

// header fills e's frame header.
func (c *conn) header(kind byte, id uint64, op byte, e *enc) error {
	b := e.b
	if len(b)-4 > c.maxFrame {
		return fmt.Errorf("worker: a %d-byte message exceeds the frame limit of %d bytes", len(b)-4, c.maxFrame)
	}
	binary.BigEndian.PutUint32(b[0:4], uint32(len(b)-4))
	b[4] = kind
	binary.BigEndian.PutUint64(b[5:13], id)
	b[13] = op
	return nil
}

// write fills e's header and writes the frame, after the shipped frames
// still waiting (in one write with them). A write error closes the pipe,
// so the reader sees it too.
func (c *conn) write(kind byte, id uint64, op byte, e *enc) error {
	if err := c.header(kind, id, op, e); err != nil {
		return err
	}
	c.wmu.Lock()
	var err error
	if len(c.wbuf) > 0 {
		c.wbuf = append(c.wbuf, e.b...)
		err = c.flushLocked()
	} else {
		_, err = c.rw.Write(e.b)
	}
	c.wmu.Unlock()
	return c.wrote(err)
}

func (c *conn) wrote(err error) error {
	if err != nil {
		c.rw.Close()
		return fmt.Errorf("worker: write to the pipe: %w", err)
	}
	return nil
}

// ship queues a notification to be written with the next frame any
// writer writes, or within shipDelay: a callback's sends made without a
// round trip go out with its reply, in one write, in the order they were
// made. It fails only for a frame over the limit; a write that fails
// later closes the pipe.
func (c *conn) ship(op byte, e *enc) error {
	err := c.header(kindNotify, 0, op, e)
	if err == nil {
		c.wmu.Lock()
		c.wbuf = append(c.wbuf, e.b...)
		switch {
		case len(c.wbuf) >= shipFlush:
			err = c.wrote(c.flushLocked())
		case !c.armed:
			c.armed = true
			if c.flushT == nil {
				c.flushT = time.AfterFunc(shipDelay, c.flushShipped)
			} else {
				c.flushT.Reset(shipDelay)
			}
		}
		c.wmu.Unlock()
	}
	c.recycle(e)
	return err
}

// flushShipped writes the shipped frames still waiting (flushT).
func (c *conn) flushShipped() {
	c.wmu.Lock()
	err := c.flushLocked()
	c.wmu.Unlock()
	_ = c.wrote(err) // a broken pipe ends the conn; the reader reports it
}

// flushLocked writes wbuf. c.wmu is held.
func (c *conn) flushLocked() error {
	if c.armed {
		c.armed = false
		c.flushT.Stop()
	}
	if len(c.wbuf) == 0 {
		return nil
	}
	_, err := c.rw.Write(c.wbuf)
	if cap(c.wbuf) > 4*shipFlush {
		c.wbuf = nil
	} else {
		c.wbuf = c.wbuf[:0]
	}
	return err
}

// errHard is returned by call when its hard deadline passed and onHard
// was called, together with the error that ended the wait.
var errHard = errors.New("worker: hard deadline")

// call sends a request and waits for its reply. ctx ending sends a cancel
// to the other end and keeps waiting: the other end always answers (or
// dies). With hard > 0, onHard is called once if no reply came by then,
// and call keeps waiting; its error then also matches errHard. On a
// selfRead conn whose read baton nobody holds, call reads the pipe itself
// until its reply comes (readOwn).
func (c *conn) call(ctx context.Context, op byte, e *enc, hard time.Duration, onHard func()) (*dec, error) {
	p := &pendingCall{done: make(chan struct{})}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		c.recycle(e)
		return nil, err
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = p
	reader := c.selfRead && !c.reading
	if reader {
		c.reading = true
		c.dispatching.Add(1)
	}
	c.mu.Unlock()

	var fired atomic.Bool
	if hard > 0 {
		// A timer of its own rather than a select: a caller reading the
		// pipe is blocked in a read. The kill breaks the pipe, which
		// ends that read.
		t := time.AfterFunc(hard, func() {
			select {
			case <-p.done: // answered meanwhile
			default:
				fired.Store(true)
				onHard()
			}
		})
		defer t.Stop()
	}
	stop := context.AfterFunc(ctx, func() {
		ce := c.msg()
		_ = c.write(kindCancel, id, 0, ce) // a broken pipe fails the call anyway
		c.recycle(ce)
	})
	defer stop()
	err := c.write(kindRequest, id, op, e)
	c.recycle(e)
	if err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		if reader {
			c.putBaton()
			c.dispatching.Done()
		}
		return nil, err
	}
	if reader {
		return c.readOwn(p, &fired)
	}
	select {
	case <-p.done:
		return c.result(p)
	case <-c.done:
		select {
		case <-p.done: // answered just before the end
			return c.result(p)
		default:
		}
		return nil, c.ended(&fired)
	}
}

// ended is the error of a call the conn's end cut short.
func (c *conn) ended(fired *atomic.Bool) error {
	if fired.Load() {
		return errors.Join(c.err, errHard)
	}
	return c.err
}

// readOwn reads and dispatches frames, holding the read baton, until p's
// reply has come, then puts the baton down. Replies to other calls and
// the other end's requests are dispatched as readLoop does.
func (c *conn) readOwn(p *pendingCall, fired *atomic.Bool) (*dec, error) {
	for {
		f, err := c.readFrame()
		if err == nil {
			err = c.dispatch(f)
		}
		if err != nil {
			c.broken(err) // ends with c.abort; the baton stays taken
			<-c.done
			c.dispatching.Done()
			return nil, c.ended(fired)
		}
		select {
		case <-p.done:
			c.putBaton()
			c.dispatching.Done()
			return c.result(p)
		default:
		}
	}
}

// readIdle is how long the read baton may lie unheld before readLoop
// takes it up again: what the other end sends between calls (rare: its
// sends are made in callbacks) waits at most that long. A process's end
// is noticed by its reaper, not by the read.
const readIdle = 5 * time.Millisecond

// putBaton puts the read baton down after a caller's reply came: to
// readLoop at once when other calls wait for replies, otherwise on the
// table, for the next caller or, after readIdle, readLoop.
func (c *conn) putBaton() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) > 0 {
		c.toLoop = true
		c.poke()
		return
	}
	c.reading = false
	c.armIdle()
}

// armIdle starts the readIdle timer. c.mu is held.
func (c *conn) armIdle() {
	if c.idleT == nil {
		c.idleT = time.AfterFunc(readIdle, func() {
			c.mu.Lock()
			c.poke()
			c.mu.Unlock()
		})
		return
	}
	c.idleT.Reset(readIdle)
}

// poke tells readLoop to look at the baton. c.mu is held.
func (c *conn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// result decodes a reply. An answer that came before the pipe broke wins
// over a kill at the hard deadline.
func (c *conn) result(p *pendingCall) (*dec, error) {
	d := &dec{b: p.body, limits: c.limits}
	if p.op == replyErr {
		err := d.remoteErr()
		return nil, err
	}
	return d, nil
}

// notify sends a one-way message.
func (c *conn) notify(op byte, e *enc) error {
	err := c.write(kindNotify, 0, op, e)
	c.recycle(e)
	return err
}

// reply answers request id with e's body (err nil) or err.
func (c *conn) reply(id uint64, e *enc, err error) {
	c.mu.Lock()
	if cancel, ok := c.incoming[id]; ok {
		cancel()
		delete(c.incoming, id)
	}
	c.mu.Unlock()
	op := replyOK
	if err != nil {
		e.b = e.b[:frameHeader]
		e.err(err)
		op = replyErr
	}
	_ = c.write(kindReply, id, op, e) // a broken pipe ends the conn; nobody is left to tell
	c.recycle(e)
}

// serving registers the cancel function of request id until it is
// answered, so that a cancel frame reaches it.
func (c *conn) serving(id uint64, cancel context.CancelFunc) {
	c.mu.Lock()
	c.incoming[id] = cancel
	c.mu.Unlock()
}

// abort ends the conn: the pipe is closed, and every call waiting and
// every later one fails with err. It runs once; later calls do nothing.
func (c *conn) abort(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	if c.idleT != nil {
		c.idleT.Stop()
	}
	for id, cancel := range c.incoming {
		cancel()
		delete(c.incoming, id)
	}
	c.mu.Unlock()
	c.wmu.Lock()
	if c.armed {
		c.armed = false
		c.flushT.Stop()
	}
	c.wbuf = nil
	c.wmu.Unlock()
	c.rw.Close()
	close(c.done)
}

// readLoop reads frames until the pipe fails, then calls broken. On a
// selfRead conn it puts the read baton down once no call waits for a
// reply, and takes it up again when poked (a caller handed it over, or
// it lay unheld for readIdle).
func (c *conn) readLoop() {
	for {
		f, err := c.readFrame()
		if err == nil {
			err = c.dispatch(f)
		}
		if err != nil {
			c.broken(err)
			c.dispatching.Wait()
			return
		}
		if f.kind == kindReply && c.selfRead && !c.idle() {
			c.dispatching.Wait() // the conn ended; callers reading end with it
			return
		}
	}
}

// idle puts the baton down if no call waits for a reply, then waits until
// readLoop holds it again; false when the conn ended.
func (c *conn) idle() bool {
	c.mu.Lock()
	if len(c.pending) > 0 || c.err != nil {
		c.mu.Unlock()
		return true
	}
	c.reading = false
	c.armIdle()
	c.mu.Unlock()
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return false
		}
		c.mu.Lock()
		switch {
		case c.err != nil:
			c.mu.Unlock()
			return false
		case c.toLoop:
			c.toLoop = false // reading stays set: the caller handed it over
		case !c.reading:
			c.reading = true
		default: // a caller holds it
			c.mu.Unlock()
			continue
		}
		c.mu.Unlock()
		return true
	}
}

// readFrame reads one frame; the baton's holder calls it.
func (c *conn) readFrame() (*frame, error) {
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, fmt.Errorf("worker: read from the pipe: %w", err)
	}
	n := int(binary.BigEndian.Uint32(hdr[0:4]))
	if n < frameHeader-4 || n > c.maxFrame {
		return nil, fmt.Errorf("worker: a frame of %d bytes is outside 10..%d", n, c.maxFrame)
	}
	f := &frame{kind: hdr[4], id: binary.BigEndian.Uint64(hdr[5:13]), op: hdr[13]}
	f.body = make([]byte, n-(frameHeader-4))
	if _, err := io.ReadFull(c.br, f.body); err != nil {
		return nil, fmt.Errorf("worker: read from the pipe: %w", err)
	}
	return f, nil
}

// dispatch hands a frame read to whom it is for: a reply to its caller,
// a cancel to the request it names, a request or notification to serve.
func (c *conn) dispatch(f *frame) error {
	switch f.kind {
	case kindReply:
		c.mu.Lock()
		p := c.pending[f.id]
		delete(c.pending, f.id)
		c.mu.Unlock()
		if p != nil {
			p.op, p.body = f.op, f.body
			close(p.done)
		}
	case kindCancel:
		c.mu.Lock()
		cancel := c.incoming[f.id]
		c.mu.Unlock()
		if cancel != nil {
			cancel()
		}
	case kindRequest, kindNotify:
		c.serve(f)
	default:
		return fmt.Errorf("worker: unknown frame kind %d", f.kind)
	}
	return nil
}
