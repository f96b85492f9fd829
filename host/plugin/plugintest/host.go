// Package plugintest is a plugin.Host for testing runtimes on their own,
// before a real genehost serves them: it records what instances send and
// log, keeps links' credit as the test sets it, and backs Store with a real
// backend: a host/store database in a temporary directory, or NATS
// JetStream (NewOn). Timers, and store watches with changes waiting, are
// reported on a channel for the test to fire with Instance.Timer, because
// only an instance's owner may call into it.
package plugintest

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
)

// Host records the calls of plugin instances.
type Host struct {
	mu      sync.Mutex
	sent    map[plugin.LinkID][]gene.Value
	credit  map[plugin.LinkID]int // remaining sends allowed; absent = unlimited
	closed  map[plugin.LinkID]string
	resumed []plugin.LinkID
	logs    []string
	timerID uint64

	store   store.Backend
	open    func() store.Backend // opens the backend again (reopenStore)
	watches store.Watches
	grants  plugin.Grants
	// Timers receives the id of every timer set, when its delay elapses.
	Timers chan uint64
}

var (
	_ plugin.Host      = (*Host)(nil)
	_ plugin.WatchHost = (*Host)(nil)
)

// New returns a Host with the given grants; the store lives in t.TempDir().
func New(t testing.TB, g plugin.Grants) *Host {
	path := filepath.Join(t.TempDir(), "genehost.db")
	return NewOn(t, g, func() (store.Backend, error) { return store.Open(path, store.Options{}) })
}

// NewOn returns a Host with the given grants whose store is the backend
// open returns; open is called again after the backend is closed, as by a
// host restart, and must find the same state.
func NewOn(t testing.TB, g plugin.Grants, open func() (store.Backend, error)) *Host {
	h := &Host{
		sent:   map[plugin.LinkID][]gene.Value{},
		credit: map[plugin.LinkID]int{},
		closed: map[plugin.LinkID]string{},
		grants: g,
		Timers: make(chan uint64, 64),
	}
	if g.KV {
		h.open = func() store.Backend {
			b, err := open()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		}
		h.store = h.open()
	}
	return h
}

// SetCredit limits how many more values link may send (-1: unlimited).
func (h *Host) SetCredit(link plugin.LinkID, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n < 0 {
		delete(h.credit, link)
	} else {
		h.credit[link] = n
	}
}

// Sent returns the values sent on link so far.
func (h *Host) Sent(link plugin.LinkID) []gene.Value {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]gene.Value(nil), h.sent[link]...)
}

// Closed returns the reason link was closed with, and whether it was.
func (h *Host) Closed(link plugin.LinkID) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.closed[link]
	return r, ok
}

// Resumed returns the links Resume was called for, in order.
func (h *Host) Resumed() []plugin.LinkID {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]plugin.LinkID(nil), h.resumed...)
}

// Logs returns every log line as "level link msg".
func (h *Host) Logs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}

func (h *Host) take(link plugin.LinkID, v gene.Value) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.closed[link]; ok {
		return plugin.ErrLinkClosed
	}
	if n, limited := h.credit[link]; limited {
		if n == 0 {
			return plugin.ErrNoCredit
		}
		h.credit[link] = n - 1
	}
	h.sent[link] = append(h.sent[link], v)
	return nil
}

// Send records v, waiting (polling) for credit until ctx is done.
func (h *Host) Send(ctx context.Context, link plugin.LinkID, v gene.Value) error {
	for {
		err := h.take(link, v)
		if err != plugin.ErrNoCredit {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// TrySend records v or fails with plugin.ErrNoCredit.
func (h *Host) TrySend(link plugin.LinkID, v gene.Value) error { return h.take(link, v) }

// CloseLink records the close.
func (h *Host) CloseLink(link plugin.LinkID, reason string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed[link] = reason
	return nil
}

// Resume records the call.
func (h *Host) Resume(link plugin.LinkID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.resumed = append(h.resumed, link)
}

// Log records the line.
func (h *Host) Log(level string, link plugin.LinkID, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, fmt.Sprintf("%s %d %s", level, link, msg))
}

// Store returns the plugin's namespace if KV is granted.
func (h *Host) Store() (plugin.Store, error) {
	if h.store == nil {
		return nil, plugin.ErrNotGranted
	}
	return h.store.PluginKV("test")
}

// Watch implements plugin.WatchHost: changes waiting on the watch report
// its id on Timers.
func (h *Host) Watch(prefix []byte) (uint64, error) {
	s, err := h.Store()
	if err != nil {
		return 0, err
	}
	return h.WatchStore(s, prefix)
}

// WatchStore is Watch on s, for a Host that embeds this one with a store
// of its own.
func (h *Host) WatchStore(s plugin.Store, prefix []byte) (uint64, error) {
	h.mu.Lock()
	h.timerID++
	id := h.timerID
	h.mu.Unlock()
	if err := h.watches.Open(s.(plugin.StoreWatcher), id, prefix, func() { h.Timers <- id }); err != nil {
		return 0, err
	}
	return id, nil
}

// WatchNext implements plugin.WatchHost.
func (h *Host) WatchNext(id uint64, max int) ([]plugin.Change, bool, error) {
	return h.watches.Next(id, max)
}

// Unwatch implements plugin.WatchHost.
func (h *Host) Unwatch(id uint64) { h.watches.Close(id) }

// SetTimer reports id on Timers after d, if timers are granted.
func (h *Host) SetTimer(d time.Duration) (uint64, error) {
	if !h.grants.Timers {
		return 0, plugin.ErrNotGranted
	}
	h.mu.Lock()
	h.timerID++
	id := h.timerID
	h.mu.Unlock()
	time.AfterFunc(d, func() { h.Timers <- id })
	return id, nil
}

// CancelTimer is a no-op here: tests see every timer fire.
func (h *Host) CancelTimer(id uint64) {}
