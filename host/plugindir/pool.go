package plugindir

import (
	"context"
	"sync"
	"time"

	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/host/plugin"
)

// pool is the instances of a Pool plugin version. A caller takes a free
// instance with get and gives it back with put, so one instance serves
// one callback at a time while a link's values, delivered by the host one
// batch at a time, never run concurrently. An instance whose callback
// failed is discarded and rebuilt in the background after the crash
// backoff.
type pool struct {
	v    *version
	free chan *inst

	mu  sync.Mutex
	all map[*inst]struct{} // live instances; guarded by mu
}

func newPool(ctx context.Context, v *version, n int) (*pool, error) {
	p := &pool{v: v, free: make(chan *inst, n), all: map[*inst]struct{}{}}
	for i := 0; i < n; i++ {
		x, err := v.newInst(ctx)
		if err != nil {
			p.close()
			return nil, err
		}
		p.all[x] = struct{}{}
		p.free <- x
	}
	return p, nil
}

// get waits for a free instance. An instance found lost meanwhile (its
// worker process died between callbacks) is discarded and rebuilt, and
// get takes the next one: a crash already counted does not fail the
// callback of whoever comes next.
func (p *pool) get(ctx context.Context) (*inst, error) {
	for {
		var x *inst
		select {
		case x = <-p.free:
		default:
			select {
			case x = <-p.free:
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-p.v.ctx.Done():
				return nil, ErrClosed
			}
		}
		lost := x.lost()
		if lost == nil {
			return x, nil
		}
		p.v.faults.crash(time.Now(), lost)
		p.v.log.Warn("a pool instance was lost between callbacks; rebuilding it", "error", logtext.Err(lost))
		p.put(x, "nothing (it was idle)", 0, lost)
	}
}

// put gives x back; when its callback failed (failed != nil) x is
// discarded and a replacement is built after the backoff. serving is what
// x was doing when it failed ("link 7", "a control operation"); every
// other link x handled that is still open is reset, since what x kept for
// it is gone with x.
func (p *pool) put(x *inst, serving string, crashed plugin.LinkID, failed error) {
	if failed == nil {
		p.free <- x
		return
	}
	p.mu.Lock()
	delete(p.all, x)
	p.mu.Unlock()
	var held []plugin.LinkID
	if x.lock() {
		for id := range x.seen {
			if id != crashed {
				held = append(held, id)
			}
		}
		x.mu.Unlock()
	}
	x.close()
	p.v.wg.Add(1)
	go p.rebuild()
	p.v.resetHeld(held, serving, failed)
}

// rebuild makes one instance to replace a discarded one, after the crash
// backoff, retrying with a doubling wait until it succeeds or the version
// shuts down.
func (p *pool) rebuild() {
	defer p.v.wg.Done()
	wait := p.v.faults.rebuildWait(time.Now())
	for {
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-p.v.ctx.Done():
				t.Stop()
				return
			}
		}
		x, err := p.v.newInst(p.v.ctx)
		if err == nil {
			p.mu.Lock()
			if p.v.ctx.Err() != nil {
				p.mu.Unlock()
				x.close()
				return
			}
			p.all[x] = struct{}{}
			p.mu.Unlock()
			p.free <- x
			return
		}
		if p.v.ctx.Err() != nil {
			return
		}
		p.v.log.Error("rebuilding a pool instance failed", "error", logtext.Err(err))
		wait = min(max(2*wait, backoffMin), backoffMax)
	}
}

// each calls fn with every live instance, each under its lock.
func (p *pool) each(fn func(*inst)) {
	p.mu.Lock()
	xs := make([]*inst, 0, len(p.all))
	for x := range p.all {
		xs = append(xs, x)
	}
	p.mu.Unlock()
	for _, x := range xs {
		if x.lock() {
			fn(x)
			x.mu.Unlock()
		}
	}
}

// close frees every instance. The version's context is done by then, so
// no rebuild adds more.
func (p *pool) close() {
	p.mu.Lock()
	xs := p.all
	p.all = map[*inst]struct{}{}
	p.mu.Unlock()
	for x := range xs {
		x.close()
	}
}
