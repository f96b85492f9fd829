package plugindir

import (
	"context"
	"fmt"
	"sync"
	"time"

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

// get waits for a free instance.
func (p *pool) get(ctx context.Context) (*inst, error) {
	select {
	case x := <-p.free:
		return x, nil
	default:
	}
	select {
	case x := <-p.free:
		return x, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.v.ctx.Done():
		return nil, ErrClosed
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

// rebuild makes one instance to replace a discarded one, retrying with
// the crash backoff until it succeeds or the version shuts down.
func (p *pool) rebuild() {
	defer p.v.wg.Done()
	for {
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
		p.v.log.Error("rebuilding a pool instance failed", "error", err)
		if p.v.crashes.record(time.Now(), fmt.Errorf("rebuild a pool instance: %w", err)) {
			p.v.failed()
		}
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
