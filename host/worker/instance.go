package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// Instance is the host's proxy of an instance in a worker: callbacks are
// requests to the worker, and the worker's calls of plugin.Host for it
// are served with h.
type Instance struct {
	m  *Module
	p  *proc
	id uint64
	h  plugin.Host
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

// call makes a callback request, killing the worker if no answer came
// within hard.
func (x *Instance) call(ctx context.Context, op byte, what string, link plugin.LinkID, e *enc, hard time.Duration) (*dec, error) {
	if err := x.p.lostErr(false); err != nil {
		x.p.c.recycle(e)
		return nil, err
	}
	d, err := x.p.c.call(ctx, op, e, hard, func() {
		on := ""
		if link != 0 {
			on = fmt.Sprintf(" on link %d", link)
		}
		x.p.kill(fmt.Sprintf("plugin %q %s%s did not answer within CallTimeout %s + %s (plugin code that cannot be interrupted)",
			x.m.src.Name, what, on, x.m.limits.CallTimeout, x.m.r.cfg.Grace), "")
	})
	if err != nil && errors.Is(err, errHard) {
		return nil, x.p.lostErr(true)
	}
	return d, err
}

func (x *Instance) hard() time.Duration { return x.m.limits.CallTimeout + x.m.r.cfg.Grace }

// Open implements plugin.Instance.
func (x *Instance) Open(ctx context.Context, link plugin.LinkInfo) error {
	e := x.msg(ctx)
	e.linkInfo(link)
	_, err := x.call(ctx, opOpen, "Open", link.ID, e, x.hard())
	return err
}

// Receive implements plugin.Instance: the batch is one request.
func (x *Instance) Receive(ctx context.Context, link plugin.LinkID, values []gene.Value) (plugin.Flow, error) {
	e := x.msg(ctx)
	e.uvarint(uint64(link))
	e.uvarint(uint64(len(values)))
	for _, v := range values {
		e.value(v)
	}
	d, err := x.call(ctx, opReceive, "Receive", link, e, x.hard())
	if err != nil {
		return plugin.Continue, err
	}
	flow := plugin.Flow(d.u8())
	return flow, d.err
}

// Control implements plugin.Instance.
func (x *Instance) Control(ctx context.Context, link plugin.LinkID, op string, arg gene.Value) (gene.Value, error) {
	e := x.msg(ctx)
	e.uvarint(uint64(link))
	e.str(op)
	e.value(arg)
	d, err := x.call(ctx, opControl, "Control", link, e, x.hard())
	if err != nil {
		return gene.Value{}, err
	}
	v := d.value()
	return v, d.err
}

// Closed implements plugin.Instance; the cause keeps its text, sentinels
// and proto code.
func (x *Instance) Closed(ctx context.Context, link plugin.LinkID, cause error) {
	e := x.msg(ctx)
	e.uvarint(uint64(link))
	e.bool(cause != nil)
	if cause != nil {
		e.err(cause)
	}
	if _, err := x.call(ctx, opClosed, "Closed", link, e, x.hard()); err != nil {
		x.p.log.Debug("Closed failed", "link", uint64(link), "error", err)
	}
}

// Timer implements plugin.Instance.
func (x *Instance) Timer(ctx context.Context, id uint64) {
	e := x.msg(ctx)
	e.uvarint(id)
	if _, err := x.call(ctx, opTimer, "Timer", 0, e, x.hard()); err != nil {
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
	_, err := x.call(ctx, opClose, "Close", 0, x.msg(ctx), x.hard()+UnwindTimeout)
	if errors.Is(err, plugin.ErrInstanceLost) {
		return nil
	}
	return err
}

// serve handles a request or notification from the worker: a call of
// plugin.Host or plugin.Store made by plugin code, answered with the real
// ones. Notifications (Log, Resume, CancelTimer) and the requests that
// never block (TrySend, SetTimer, the Store grant) are served at once, in
// order, on the reader; the others each on a goroutine of their own,
// owned by p.wg (Send waits for credit; CloseLink makes the host call
// Closed, a request to this worker whose answer the reader must read).
func (p *proc) serve(f *frame) {
	d := &dec{b: f.body, limits: p.c.limits}
	x := p.inst(d.uvarint())
	if f.kind == kindNotify {
		if x != nil && d.err == nil {
			x.notified(f.op, d)
		}
		return
	}
	if x != nil && d.err == nil {
		switch f.op {
		case opHostTrySend, opHostSetTmr, opHostStore:
			// Calls that never block are served at once, saving a
			// goroutine hand-off on the path of every value a plugin
			// sends.
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
	}()
}

// trySend serves a Send request at once when the link has credit for
// the value, and reports whether it did; otherwise d is left as it was
// for the blocking Send.
func (x *Instance) trySend(f *frame, d *dec) bool {
	r := *d
	r.varint() // the deadline, for the blocking Send
	link, v := plugin.LinkID(r.uvarint()), r.value()
	if r.err != nil {
		return false
	}
	err := x.h.TrySend(link, v)
	if errors.Is(err, plugin.ErrNoCredit) {
		return false
	}
	x.p.c.reply(f.id, x.p.c.msg(), err)
	return true
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
		cctx, cancel := d.context(ctx)
		defer cancel()
		link, v := plugin.LinkID(d.uvarint()), d.value()
		if d.err != nil {
			return d.err
		}
		return x.h.Send(cctx, link, v)
	case opHostTrySend:
		link, v := plugin.LinkID(d.uvarint()), d.value()
		if d.err != nil {
			return d.err
		}
		return x.h.TrySend(link, v)
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
