package plugins_test

import (
	"context"
	"sync"

	"github.com/genehost/genehost/host/plugin"
)

// The rig's streams are the embedded backend over the rig's database
// (store.Streams), with each attached link a rigSink that records into
// the recording host as the host's links would carry them. A sink's
// first delivery waits until the rig is between calls into the instance
// (the rig holds gate during each), as plugindir's does, so a reply sent
// in the callback that attached goes first.

// rigLinks are the rig's open links, for the streams to see them go.
type rigLinks struct {
	gate sync.Mutex // held while the rig calls into the instance
	mu   sync.Mutex
	done map[plugin.LinkID]chan struct{}
}

func (l *rigLinks) doneOf(id plugin.LinkID) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done == nil {
		l.done = map[plugin.LinkID]chan struct{}{}
	}
	c := l.done[id]
	if c == nil {
		c = make(chan struct{})
		l.done[id] = c
	}
	return c
}

// closeLink marks link gone for the streams.
func (l *rigLinks) closeLink(id plugin.LinkID) {
	c := l.doneOf(id)
	select {
	case <-c:
	default:
		close(c)
	}
}

var _ plugin.StreamsHost = (*testHost)(nil)

func (h *testHost) Streams() (plugin.Streams, error) {
	if h.db == nil {
		return nil, plugin.ErrNotGranted
	}
	h.db.mu.Lock()
	b := h.db.streams
	h.db.mu.Unlock()
	st, err := b.Streams(h.name)
	if err != nil {
		return nil, err
	}
	return rigStreams{StreamStore: st, h: h}, nil
}

type rigStreams struct {
	plugin.StreamStore
	h *testHost
}

func (s rigStreams) Attach(link plugin.LinkID, stream, group string, o plugin.AttachOptions) (uint64, error) {
	return s.StreamStore.Attach(&rigSink{h: s.h, id: link}, stream, group, o)
}

func (s rigStreams) Subscribe(link plugin.LinkID, topic string) error {
	return s.StreamStore.Subscribe(&rigSink{h: s.h, id: link}, topic)
}

type rigSink struct {
	h     *testHost
	id    plugin.LinkID
	ready bool // only the pump's goroutine calls Send
}

func (k *rigSink) ID() plugin.LinkID     { return k.id }
func (k *rigSink) Done() <-chan struct{} { return k.h.links.doneOf(k.id) }

func (k *rigSink) Send(ctx context.Context, d *plugin.Delivery) error {
	if !k.ready {
		k.h.links.gate.Lock()
		k.h.links.gate.Unlock() //nolint:staticcheck // waits for the call in progress
		k.ready = true
	}
	v, err := d.Message()
	if err != nil {
		return err
	}
	return k.h.Host.Send(ctx, k.id, v)
}

func (k *rigSink) TrySend(d *plugin.Delivery) error {
	if !k.h.links.gate.TryLock() {
		return plugin.ErrNoCredit
	}
	k.h.links.gate.Unlock()
	v, err := d.Message()
	if err != nil {
		return err
	}
	return k.h.Host.TrySend(k.id, v)
}
