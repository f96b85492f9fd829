package worker

import (
	"fmt"

	"github.com/genehost/genehost/host/plugin"
)

// Store watches (plugin.WatchHost) forwarded from a worker to the host: the
// watch lives in the host, whose wakes reach the worker's instance as
// Timer callbacks like any timer.
const (
	opKVWatch     byte = 60 // instance, prefix -> id
	opKVWatchNext byte = 61 // instance, id, max -> n, (deleted, key, value)*n, lost
	opKVUnwatch   byte = 62 // instance, id -> nothing
)

func isWatchOp(op byte) bool { return op >= opKVWatch && op <= opKVUnwatch }

var _ plugin.WatchHost = (*wHost)(nil)

// Watch implements plugin.WatchHost in the worker.
func (h *wHost) Watch(prefix []byte) (uint64, error) {
	e := h.msg()
	e.bytes(prefix)
	r, err := h.call(opKVWatch, e)
	if err != nil {
		return 0, err
	}
	id := r.uvarint()
	return id, r.err
}

// WatchNext implements plugin.WatchHost in the worker.
func (h *wHost) WatchNext(id uint64, max int) ([]plugin.Change, bool, error) {
	e := h.msg()
	e.uvarint(id)
	e.varint(int64(max))
	r, err := h.call(opKVWatchNext, e)
	if err != nil {
		return nil, false, err
	}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.fail("more changes than bytes")
	}
	var cs []plugin.Change
	for i := uint64(0); i < n && r.err == nil; i++ {
		c := plugin.Change{Deleted: r.bool(), Key: r.bytes()}
		if v := r.bytes(); !c.Deleted {
			c.Value = v
		}
		cs = append(cs, c)
	}
	lost := r.bool()
	return cs, lost, r.err
}

// Unwatch implements plugin.WatchHost in the worker.
func (h *wHost) Unwatch(id uint64) {
	e := h.msg()
	e.uvarint(id)
	_, _ = h.call(opKVUnwatch, e) // nothing to do about a failure: the watch dies with the instance
}

// watchCall serves one plugin.WatchHost request of the worker (host side).
func (x *Instance) watchCall(op byte, d *dec, e *enc) error {
	wh, ok := x.h.(plugin.WatchHost)
	if !ok {
		return fmt.Errorf("%w: this host does not deliver store watches", plugin.ErrNotGranted)
	}
	switch op {
	case opKVWatch:
		prefix := d.bytes()
		if d.err != nil {
			return d.err
		}
		id, err := wh.Watch(prefix)
		e.uvarint(id)
		return err
	case opKVWatchNext:
		id, max := d.uvarint(), int(d.varint())
		if d.err != nil {
			return d.err
		}
		cs, lost, err := wh.WatchNext(id, max)
		if err != nil {
			return err
		}
		e.uvarint(uint64(len(cs)))
		for _, c := range cs {
			e.bool(c.Deleted)
			e.bytes(c.Key)
			e.bytes(c.Value)
		}
		e.bool(lost)
		return nil
	case opKVUnwatch:
		id := d.uvarint()
		if d.err != nil {
			return d.err
		}
		wh.Unwatch(id)
		return nil
	}
	return fmt.Errorf("worker: unknown watch call %d", op)
}
