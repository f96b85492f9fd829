package plugindir

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/plugin"
)

// entry is one plugin name across its generations: the version that new
// links get, the error of the last failed reload, and the open links of
// every version (a plugin's instances may send on any of its links).
type entry struct {
	d    *Dir
	name string

	timerID atomic.Uint64 // timer ids, unique per plugin

	mu        sync.RWMutex
	cur       *version                     // serving; nil when none loaded; guarded by mu
	gen       uint64                       // generations loaded so far; guarded by mu
	reloadErr string                       // last failed load, "" after a good one; guarded by mu
	links     map[plugin.LinkID]*linkState // guarded by mu
	live      map[*version]struct{}        // versions not shut down yet; guarded by mu
}

// versions returns the versions not shut down yet.
func (e *entry) versions() []*version {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*version, 0, len(e.live))
	for v := range e.live {
		out = append(out, v)
	}
	return out
}

func (e *entry) current() *version {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cur
}

func (e *entry) reloadError() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.reloadErr
}

func (e *entry) addLink(id plugin.LinkID, ls *linkState) {
	e.mu.Lock()
	e.links[id] = ls
	e.mu.Unlock()
}

func (e *entry) removeLink(id plugin.LinkID) *linkState {
	e.mu.Lock()
	defer e.mu.Unlock()
	ls := e.links[id]
	delete(e.links, id)
	return ls
}

func (e *entry) linkState(id plugin.LinkID) *linkState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.links[id]
}

// link returns the host link a plugin instance asked for.
func (e *entry) link(id plugin.LinkID) (host.Link, error) {
	ls := e.linkState(id)
	if ls == nil {
		return nil, fmt.Errorf("%w: plugin %q has no open link %d", plugin.ErrLinkClosed, e.name, id)
	}
	return ls.l, nil
}

// closeLinksOf resets the links still open on a version that is shutting
// down (the Dir is closing, or the plugin was removed).
func (e *entry) closeLinksOf(v *version) {
	e.mu.RLock()
	var ls []host.Link
	for _, s := range e.links {
		if s.v == v {
			ls = append(ls, s.l)
		}
	}
	e.mu.RUnlock()
	for _, l := range ls {
		l.Close(errors.New("plugin " + e.name + " was unloaded"))
	}
}
