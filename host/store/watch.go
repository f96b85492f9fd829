package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/genehost/genehost/host/plugin"
)

// Queue is the waiting changes of one watch: a bounded FIFO that wakes its
// watcher once per batch and says when it dropped changes. Both backends
// feed their watches through it (the embedded one from its writers, the
// NATS one from a JetStream KV watcher), so plugin code sees the same
// semantics on either. Safe for concurrent use.
type Queue struct {
	prefix []byte
	wake   func()
	close  func()

	mu      sync.Mutex
	changes []plugin.Change
	lost    bool
	woken   bool // wake was called and Next has not been since
	closed  bool
}

// NewQueue returns a queue for changes of keys starting with prefix that
// calls wake as plugin.StoreWatcher says, and onClose (may be nil) once
// when closed.
func NewQueue(prefix []byte, wake, onClose func()) *Queue {
	return &Queue{prefix: bytes.Clone(prefix), wake: wake, close: onClose}
}

// Prefix returns the watched prefix.
func (q *Queue) Prefix() []byte { return q.prefix }

// Offer adds c when its key starts with the prefix, dropping it (and
// marking the queue lost) when plugin.WatchBuffer changes wait already.
func (q *Queue) Offer(c plugin.Change) {
	if !bytes.HasPrefix(c.Key, q.prefix) {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if len(q.changes) >= plugin.WatchBuffer {
		q.lost = true
	} else {
		q.changes = append(q.changes, c)
	}
	wake := !q.woken
	q.woken = true
	q.mu.Unlock()
	if wake {
		q.wake()
	}
}

// Next implements plugin.StoreWatch.
func (q *Queue) Next(max int) ([]plugin.Change, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.changes)
	if max > 0 && max < n {
		n = max
	}
	out := make([]plugin.Change, n)
	copy(out, q.changes)
	clear(q.changes[:n])
	q.changes = q.changes[n:]
	if len(q.changes) == 0 {
		q.changes = nil
	}
	lost := q.lost
	q.lost = false
	if len(q.changes) == 0 {
		q.woken = false
	}
	return out, lost
}

// Close implements plugin.StoreWatch.
func (q *Queue) Close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	q.changes = nil
	q.mu.Unlock()
	if q.close != nil {
		q.close()
	}
}

// hub holds the open watches of the embedded database, per namespace.
type hub struct {
	mu sync.Mutex
	ws map[string]map[*Queue]struct{}
}

func (h *hub) add(ns string, q *Queue) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ws == nil {
		h.ws = map[string]map[*Queue]struct{}{}
	}
	if h.ws[ns] == nil {
		h.ws[ns] = map[*Queue]struct{}{}
	}
	h.ws[ns][q] = struct{}{}
}

func (h *hub) remove(ns string, q *Queue) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.ws[ns], q)
	if len(h.ws[ns]) == 0 {
		delete(h.ws, ns)
	}
}

// publish hands committed changes to the namespace's watches, in order.
func (h *hub) publish(ns string, changes []plugin.Change) {
	if len(changes) == 0 {
		return
	}
	h.mu.Lock()
	qs := make([]*Queue, 0, len(h.ws[ns]))
	for q := range h.ws[ns] {
		qs = append(qs, q)
	}
	h.mu.Unlock()
	for _, q := range qs {
		for _, c := range changes {
			q.Offer(c)
		}
	}
}

// Watches are the open store watches of one plugin instance by id: what a
// plugin.WatchHost keeps (host/plugindir's instances, plugintest's host).
// Safe for concurrent use; the zero value is ready.
type Watches struct {
	mu     sync.Mutex
	ws     map[uint64]plugin.StoreWatch
	closed bool
}

// Open opens a watch of sw under id (see plugin.StoreWatcher); it fails
// once CloseAll was called.
func (s *Watches) Open(sw plugin.StoreWatcher, id uint64, prefix []byte, wake func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("the instance is closed")
	}
	w, err := sw.Watch(prefix, wake)
	if err != nil {
		return err
	}
	if s.ws == nil {
		s.ws = map[uint64]plugin.StoreWatch{}
	}
	s.ws[id] = w
	return nil
}

// Has reports whether id is open.
func (s *Watches) Has(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ws[id]
	return ok
}

// Next is plugin.WatchHost.WatchNext.
func (s *Watches) Next(id uint64, max int) ([]plugin.Change, bool, error) {
	s.mu.Lock()
	w, ok := s.ws[id]
	s.mu.Unlock()
	if !ok {
		return nil, false, fmt.Errorf("%d is not an open watch of this instance", id)
	}
	ch, lost := w.Next(max)
	return ch, lost, nil
}

// Close closes watch id (no effect when it is not open).
func (s *Watches) Close(id uint64) {
	s.mu.Lock()
	w, ok := s.ws[id]
	delete(s.ws, id)
	s.mu.Unlock()
	if ok {
		w.Close()
	}
}

// CloseAll closes every watch; Open fails from then on.
func (s *Watches) CloseAll() {
	s.mu.Lock()
	ws := s.ws
	s.ws, s.closed = nil, true
	s.mu.Unlock()
	for _, w := range ws {
		w.Close()
	}
}
