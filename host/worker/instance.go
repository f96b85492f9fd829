package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// Instance is the host's proxy of an instance in a worker: callbacks are
// requests to the worker, and the worker's calls of plugin.Host for it
// are served with h.
type Instance struct {
	m     *Module
	p     *proc
	id    uint64
	h     plugin.Host
	rooms plugin.RoomHost // h's, nil when it has none: every send is then a request

	mu    sync.Mutex
	hot   []plugin.LinkID // links sent on lately, whose room callbacks carry (at most maxRooms-1)
	cb    context.Context // the callback in flight, nil between callbacks
	cbEnd time.Time       // when its CallTimeout ends in the worker
	// queue holds, in order, what the worker sent for this instance behind
	// a shipped send that found no credit after all: further shipped sends
	// and requests. A goroutine (drain) works through it while drained is
	// open; the callback's answer is returned once it is done.
	queue   []queued
	drained chan struct{}
}

// queued is a shipped send (f nil) or a request waiting in an
// instance's queue.
type queued struct {
	link   plugin.LinkID
	v      gene.Value
	f      *frame
	d      *dec
	ctx    context.Context
	cancel context.CancelFunc
}

var (
	_ plugin.Instance = (*Instance)(nil)
	_ plugin.Lost     = (*Instance)(nil)
)

// Lost returns why the instance's worker is gone, nil while it runs.
func (x *Instance) Lost() error { return x.p.lostErr(false) }

// msg starts a callback request: instance id and ctx's deadline.
func (x *Instance) msg(ctx context.Context) *enc {
	e := x.p.c.msg()
	e.uvarint(x.id)
	e.deadline(ctx)
	return e
}

// cbMsg starts a callback request: instance id, ctx's deadline, and the
// room of link (0: none) and of the links sent on lately.
func (x *Instance) cbMsg(ctx context.Context, link plugin.LinkID) *enc {
	e := x.msg(ctx)
	if x.rooms == nil {
		e.uvarint(0)
		return e
	}
	var links [maxRooms]plugin.LinkID
	var rooms [maxRooms]plugin.Room
	n := 0
	add := func(l plugin.LinkID) bool {
		if r, ok := x.rooms.Room(l); ok {
			links[n], rooms[n] = l, r
			n++
			return true
		}
		return false
	}
	if link != 0 {
		add(link)
	}
	x.mu.Lock()
	x.hot = slices.DeleteFunc(x.hot, func(l plugin.LinkID) bool {
		return l != link && n < maxRooms && !add(l) // a link with no room (closed) is forgotten
	})
	x.mu.Unlock()
	e.uvarint(uint64(n))
	for i := range n {
		e.uvarint(uint64(links[i]))
		e.room(rooms[i])
	}
	return e
}

// sentOn notes that the instance sent on link: its room goes with the
// next callbacks.
func (x *Instance) sentOn(link plugin.LinkID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if slices.Contains(x.hot, link) {
		return
	}
	if len(x.hot) >= maxRooms-1 {
		x.hot = slices.Delete(x.hot, 0, 1)
	}
	x.hot = append(x.hot, link)
}

// appendRoom writes the room of link after a send's answer.
func (x *Instance) appendRoom(e *enc, link plugin.LinkID) {
	var r plugin.Room
	ok := false
	if x.rooms != nil {
		r, ok = x.rooms.Room(link)
	}
	e.bool(ok)
	if ok {
		e.room(r)
		x.sentOn(link)
	}
}

// call makes a callback request, killing the worker if no answer came
// within hard. The answer is returned once every send the callback
// shipped has been applied.
func (x *Instance) call(ctx context.Context, op byte, what string, link plugin.LinkID, e *enc, hard time.Duration) (*dec, error) {
	if err := x.p.lostErr(false); err != nil {
		x.p.c.recycle(e)
		return nil, err
	}
	start := time.Now()
	x.mu.Lock()
	x.cb, x.cbEnd = ctx, start.Add(x.m.limits.CallTimeout)
	x.mu.Unlock()
	defer x.settle()
	d, err := x.p.c.call(ctx, op, e, hard, func() {
		on := ""
		if link != 0 {
			on = fmt.Sprintf(" on link %d", link)
		}
		bound := fmt.Sprintf("CallTimeout %s", x.m.limits.CallTimeout)
		if dl, ok := ctx.Deadline(); ok && dl.Before(start.Add(x.m.limits.CallTimeout)) {
			bound = fmt.Sprintf("its caller's deadline (%s)", dl.Sub(start).Round(time.Millisecond))
		}
		x.p.kill(fmt.Sprintf("plugin %q %s%s did not answer within %s + %s (plugin code that cannot be interrupted)",
			x.m.src.Name, what, on, bound, x.m.r.cfg.Grace), "")
	})
	if err != nil && errors.Is(err, errHard) {
		return nil, x.p.lostErr(true)
	}
	return d, err
}

// hard is how long a callback under ctx may go unanswered before the
// worker is killed: its deadline (CallTimeout, or the caller's deadline
// when earlier, as a runtime in the host bounds it) plus the grace. The
// worker cannot always stop plugin code itself (a Wasm guest there runs
// without wazero's termination checks: wasmrt.Config.KilledOnOverrun).
func (x *Instance) hard(ctx context.Context) time.Duration {
	d := x.m.limits.CallTimeout
	if dl, ok := ctx.Deadline(); ok {
		d = max(0, min(d, time.Until(dl)))
	}
	return d + x.m.r.cfg.Grace
}

// settle waits until the sends the callback shipped are applied (or the
// worker is gone), then ends the callback.
func (x *Instance) settle() {
	x.mu.Lock()
	ch := x.drained
	x.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-x.p.dead:
		}
	}
	x.mu.Lock()
	x.cb = nil
	x.mu.Unlock()
}

// Open implements plugin.Instance.
func (x *Instance) Open(ctx context.Context, link plugin.LinkInfo) error {
	e := x.cbMsg(ctx, link.ID)
	e.linkInfo(link)
	_, err := x.call(ctx, opOpen, "Open", link.ID, e, x.hard(ctx))
	return err
}

// Receive implements plugin.Instance: the batch is one request.
func (x *Instance) Receive(ctx context.Context, link plugin.LinkID, values []gene.Value) (plugin.Flow, error) {
	e := x.cbMsg(ctx, link)
	e.uvarint(uint64(link))
	e.uvarint(uint64(len(values)))
	for _, v := range values {
		e.value(v)
	}
	d, err := x.call(ctx, opReceive, "Receive", link, e, x.hard(ctx))
	if err != nil {
		return plugin.Continue, err
	}
	flow := plugin.Flow(d.u8())
	return flow, d.err
}

// Control implements plugin.Instance.
func (x *Instance) Control(ctx context.Context, link plugin.LinkID, op string, arg gene.Value) (gene.Value, error) {
	e := x.cbMsg(ctx, link)
	e.uvarint(uint64(link))
	e.str(op)
	e.value(arg)
	d, err := x.call(ctx, opControl, "Control", link, e, x.hard(ctx))
	if err != nil {
		return gene.Value{}, err
	}
	v := d.value()
	return v, d.err
}

// Closed implements plugin.Instance; the cause keeps its text, sentinels
// and proto code.
func (x *Instance) Closed(ctx context.Context, link plugin.LinkID, cause error) {
	e := x.cbMsg(ctx, 0) // the link is closed
	e.uvarint(uint64(link))
	e.bool(cause != nil)
	if cause != nil {
		e.err(cause)
	}
	if _, err := x.call(ctx, opClosed, "Closed", link, e, x.hard(ctx)); err != nil {
		x.p.log.Debug("Closed failed", "link", uint64(link), "error", err)
	}
}

// Timer implements plugin.Instance.
func (x *Instance) Timer(ctx context.Context, id uint64) {
	e := x.cbMsg(ctx, 0)
	e.uvarint(id)
	if _, err := x.call(ctx, opTimer, "Timer", 0, e, x.hard(ctx)); err != nil {
		x.p.log.Debug("Timer failed", "timer", id, "error", err)
	}
}

// Close implements plugin.Instance. An instance whose worker is gone has
// nothing left to free.
func (x *Instance) Close(ctx context.Context) error {
	defer x.p.removeInst(x.id)
	if x.p.lostErr(false) != nil {
		return nil
	}
	_, err := x.call(ctx, opClose, "Close", 0, x.msg(ctx), x.hard(ctx)+UnwindTimeout)
	if errors.Is(err, plugin.ErrInstanceLost) {
		return nil
	}
	return err
}

// serve handles a request or notification from the worker: a call of
// plugin.Host or plugin.Store made by plugin code, answered with the real
// ones. Shipped sends, notifications (Log, Resume, CancelTimer) and the
// requests that never block (TrySend, SetTimer, the Store grant) are
// served at once, in order, on the reader; the others each on a
// goroutine of their own, owned by p.wg (Send waits for credit;
// CloseLink makes the host call Closed, a request to this worker whose
// answer the reader must read). While an instance's queue is not empty
// (a shipped send waits for credit), its shipped sends and requests join
// the queue instead, so they are served in the order they were made.
func (p *proc) serve(f *frame) {
	d := &dec{b: f.body, limits: p.c.limits}
	x := p.inst(d.uvarint())
	if f.kind == kindNotify {
		switch {
		case x == nil || d.err != nil:
			if f.op == opHostShip {
				p.log.Debug("a send of a closed instance is dropped", "error", d.err)
			}
		case f.op == opHostShip:
			x.shipped(f, d)
		default:
			x.notified(f.op, d)
		}
		return
	}
	if x != nil && d.err == nil {
		if x.enqueue(f, d) {
			return
		}
		switch f.op {
		case opHostTrySend, opHostSetTmr, opHostStore:
			// Calls that never block are served at once, saving a
			// goroutine hand-off.
			e := p.c.msg()
			p.c.reply(f.id, e, x.hostCall(p.ctx, f.op, d, e))
			return
		case opHostSend:
			// A Send the link has credit for is a TrySend.
			if x.trySend(f, d) {
				return
			}
		}
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.c.serving(f.id, cancel)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.answer(x, f, d, ctx, cancel)
	}()
}

// answer serves request f of instance x (nil: closed) and replies.
func (p *proc) answer(x *Instance, f *frame, d *dec, ctx context.Context, cancel context.CancelFunc) {
	defer cancel()
	e := p.c.msg()
	var err error
	switch {
	case d.err != nil:
		err = d.err
	case x == nil:
		err = fmt.Errorf("worker: plugin %q: the instance is closed: %w", p.name, plugin.ErrLinkClosed)
	default:
		err = x.hostCall(ctx, f.op, d, e)
	}
	p.c.reply(f.id, e, err)
}

// trySend serves a Send request at once when the link has credit for
// the value, and reports whether it did; otherwise d is left as it was
// for the blocking Send.
func (x *Instance) trySend(f *frame, d *dec) bool {
	r := *d
	link, v := plugin.LinkID(r.uvarint()), r.value()
	if r.err != nil {
		return false
	}
	err := x.h.TrySend(link, v)
	if errors.Is(err, plugin.ErrNoCredit) {
		return false
	}
	e := x.p.c.msg()
	if err == nil {
		x.appendRoom(e, link)
	}
	x.p.c.reply(f.id, e, err)
	return true
}

// shipped applies a send the worker made without asking, within the room
// the host told it. Should the link have less room than that by now
// (another instance sent on it, the transport window shrank), the value
// is not dropped: it waits for credit as Send does, on the instance's
// queue, and everything the worker sends for the instance after it waits
// behind it.
func (x *Instance) shipped(f *frame, d *dec) {
	if x.enqueue(f, d) {
		return
	}
	link, v := plugin.LinkID(d.uvarint()), d.value()
	if d.err != nil {
		x.p.log.Warn("a malformed send from the worker is dropped", "error", d.err)
		return
	}
	err := x.h.TrySend(link, v)
	switch {
	case err == nil:
	case errors.Is(err, plugin.ErrNoCredit):
		x.mu.Lock()
		x.queue = append(x.queue, queued{link: link, v: v})
		x.drained = make(chan struct{})
		x.mu.Unlock()
		x.p.wg.Add(1)
		go x.drain()
	default:
		x.shipFailed(link, err)
	}
}

// shipFailed logs a shipped send that failed on the host: the link
// closed (or stopped sending) after the host gave its room, a race a
// send in the host can lose as well, only here the plugin has gone on.
func (x *Instance) shipFailed(link plugin.LinkID, err error) {
	x.p.log.Debug("a send the plugin made without waiting failed on the host", "link", uint64(link), "error", err)
}

// enqueue appends f to the instance's queue if the queue is being worked
// through, reporting whether it did. A request's context is registered
// now, so that the worker's cancel reaches it while it waits.
func (x *Instance) enqueue(f *frame, d *dec) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.drained == nil {
		return false
	}
	q := queued{f: f, d: d}
	if f.kind == kindRequest {
		q.ctx, q.cancel = context.WithCancel(x.p.ctx)
		x.p.c.serving(f.id, q.cancel)
	}
	x.queue = append(x.queue, q)
	return true
}

// drain works through the instance's queue in order, owned by p.wg: a
// shipped send waits for credit with Send under the deadline of the
// callback that made it (so the host's own budget applies: plugindir
// resets a link that returns no credit in time SLOW_CONSUMER), a request
// is served as on its own goroutine.
func (x *Instance) drain() {
	defer x.p.wg.Done()
	for {
		x.mu.Lock()
		if len(x.queue) == 0 {
			close(x.drained)
			x.drained = nil
			x.queue = nil
			x.mu.Unlock()
			return
		}
		q := x.queue[0]
		x.queue[0] = queued{}
		x.queue = x.queue[1:]
		cb, end := x.cb, x.cbEnd
		x.mu.Unlock()
		switch {
		case q.f == nil:
			x.sendLate(cb, end, q.link, q.v)
		case q.f.kind == kindRequest:
			x.p.answer(x, q.f, q.d, q.ctx, q.cancel)
		default: // a shipped send that came behind
			link, v := plugin.LinkID(q.d.uvarint()), q.d.value()
			if q.d.err != nil {
				x.p.log.Warn("a malformed send from the worker is dropped", "error", q.d.err)
				continue
			}
			x.sendLate(cb, end, link, v)
		}
	}
}

// sendLate sends v with Send, waiting for credit until the callback that
// shipped it (cb, nil when none runs) ends or its CallTimeout passes.
func (x *Instance) sendLate(cb context.Context, end time.Time, link plugin.LinkID, v gene.Value) {
	if cb == nil {
		cb, end = x.p.ctx, time.Now().Add(x.m.limits.CallTimeout)
	}
	ctx, cancel := context.WithDeadline(x.p.ctx, end)
	defer cancel()
	stop := context.AfterFunc(cb, cancel)
	defer stop()
	if err := x.h.Send(ctx, link, v); err != nil {
		x.shipFailed(link, err)
	}
}

func (x *Instance) notified(op byte, d *dec) {
	switch op {
	case opHostResume:
		link := plugin.LinkID(d.uvarint())
		if d.err == nil {
			x.h.Resume(link)
		}
	case opHostLog:
		level, link, msg := d.str(), plugin.LinkID(d.uvarint()), d.str()
		if d.err == nil {
			x.h.Log(level, link, msg)
		}
	case opHostCnclTmr:
		id := d.uvarint()
		if d.err == nil {
			x.h.CancelTimer(id)
		}
	}
}

// hostCall serves one plugin.Host or plugin.Store request of the worker.
func (x *Instance) hostCall(ctx context.Context, op byte, d *dec, e *enc) error {
	switch op {
	case opHostSend:
		link, v := plugin.LinkID(d.uvarint()), d.value()
		cctx, cancel := d.context(ctx)
		defer cancel()
		if d.err != nil {
			return d.err
		}
		if err := x.h.Send(cctx, link, v); err != nil {
			return err
		}
		x.appendRoom(e, link)
		return nil
	case opHostTrySend:
		link, v := plugin.LinkID(d.uvarint()), d.value()
		if d.err != nil {
			return d.err
		}
		if err := x.h.TrySend(link, v); err != nil {
			return err
		}
		x.appendRoom(e, link)
		return nil
	case opHostClose:
		link, reason := plugin.LinkID(d.uvarint()), d.str()
		if d.err != nil {
			return d.err
		}
		return x.h.CloseLink(link, reason)
	case opHostSetTmr:
		dur := time.Duration(d.varint())
		if d.err != nil {
			return d.err
		}
		id, err := x.h.SetTimer(dur)
		e.uvarint(id)
		return err
	case opHostStore:
		_, err := x.h.Store()
		return err
	}
	if isStreamOp(op) {
		return x.streamCall(op, d, e)
	}
	if isWatchOp(op) {
		return x.watchCall(op, d, e)
	}
	s, err := x.h.Store()
	if err != nil {
		return err
	}
	switch op {
	case opKVGet:
		k := d.bytes()
		if d.err != nil {
			return d.err
		}
		v, err := s.Get(k)
		e.bytes(v)
		return err
	case opKVPut:
		k, v := d.bytes(), d.bytes()
		if d.err != nil {
			return d.err
		}
		return s.Put(k, v)
	case opKVDelete:
		k := d.bytes()
		if d.err != nil {
			return d.err
		}
		ok, err := s.Delete(k)
		e.bool(ok)
		return err
	case opKVScan:
		return x.scan(s, d, e)
	case opKVReset:
		return s.Reset()
	case opKVBatch:
		n := d.uvarint()
		if d.err == nil && n > uint64(len(d.b)) {
			d.fail("more ops than bytes")
		}
		if d.err != nil {
			return d.err
		}
		ops := make([]plugin.StoreOp, n)
		for i := range ops {
			ops[i] = plugin.StoreOp{Delete: d.bool(), Key: d.bytes(), Value: d.bytes()}
		}
		if d.err != nil {
			return d.err
		}
		res, err := s.Batch(ops)
		if err != nil {
			return err
		}
		e.uvarint(uint64(len(res)))
		for _, b := range res {
			e.bool(b)
		}
		return nil
	case opKVCAS:
		k, expect, next := d.bytes(), d.optBytes(), d.optBytes()
		if d.err != nil {
			return d.err
		}
		ok, cur, err := s.CompareAndSwap(k, expect, next)
		e.bool(ok)
		e.optBytes(cur)
		return err
	case opKVIncr:
		k, by := d.bytes(), d.varint()
		if d.err != nil {
			return d.err
		}
		n, err := s.Incr(k, by)
		e.varint(n)
		return err
	}
	return fmt.Errorf("worker: unknown host call %d", op)
}

// scan answers one chunk of a Scan: at most scanChunkBytes of entries,
// and whether more may follow.
func (x *Instance) scan(s plugin.Store, d *dec, e *enc) error {
	prefix, after, limit := d.bytes(), d.optBytes(), int(d.varint())
	if d.err != nil {
		return d.err
	}
	type kv struct{ k, v []byte }
	var got []kv
	size, more := 0, false
	err := s.Scan(prefix, after, limit, func(k, v []byte) bool {
		if size > 0 && size+len(k)+len(v) > scanChunkBytes {
			more = true
			return false
		}
		got = append(got, kv{append([]byte{}, k...), append([]byte{}, v...)})
		size += len(k) + len(v)
		return true
	})
	if err != nil {
		return err
	}
	e.uvarint(uint64(len(got)))
	for _, p := range got {
		e.bytes(p.k)
		e.bytes(p.v)
	}
	e.bool(more)
	return nil
}
