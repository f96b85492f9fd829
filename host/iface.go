package host

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/logtext"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// Health is an interface's state as the health operation reports it.
type Health uint8

const (
	// Serving: links are accepted and served.
	Serving Health = iota
	// Draining: the host is shutting down; open links finish, new ones
	// are refused.
	Draining
	// Failed: the interface's handler cannot serve (a plugin that keeps
	// crashing); new links are refused with PLUGIN_FAILED.
	Failed
)

func (h Health) String() string {
	switch h {
	case Serving:
		return "serving"
	case Draining:
		return "draining"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("health(%d)", uint8(h))
}

// HealthReporter is implemented by handlers that know their own health
// (a plugin adapter); the host asks it for health and before accepting a
// link.
type HealthReporter interface {
	Health() (Health, string)
}

// StatsReporter is implemented by handlers that add entries to the stats
// of their interface (plugin version, reload generation, last error). The
// prop map returned is merged into the stats result.
type StatsReporter interface {
	Stats() gene.Value
}

// iface is one registered interface.
type iface struct {
	s    *Server
	name string

	mu     sync.Mutex
	m      *Manifest
	h      Handler
	links  map[uint64]*link
	ctls   map[*controlLink]struct{}
	resets map[proto.Code]uint64
	last   string // last handler error
	lastAt time.Time

	opened, closed      atomic.Uint64
	valuesIn, bytesIn   atomic.Uint64
	valuesOut, bytesOut atomic.Uint64
	drops, stalls       atomic.Uint64
	lost                atomic.Uint64 // links whose transport closed under them
	eventsDropped       atomic.Uint64
	errs                atomic.Uint64
	handlerNanos        atomic.Int64
}

func newIface(s *Server, m *Manifest, h Handler) *iface {
	return &iface{s: s, name: m.Name, m: m, h: h,
		links:  make(map[uint64]*link),
		ctls:   make(map[*controlLink]struct{}),
		resets: make(map[proto.Code]uint64),
	}
}

func (ifc *iface) current() (*Manifest, Handler) {
	ifc.mu.Lock()
	defer ifc.mu.Unlock()
	return ifc.m, ifc.h
}

func (ifc *iface) replace(m *Manifest, h Handler) {
	ifc.mu.Lock()
	ifc.m, ifc.h = m, h
	ifc.mu.Unlock()
}

// health combines the server's state and the handler's own.
func (ifc *iface) health() (Health, string) {
	if ifc.s.isClosing() {
		return Draining, "the host is shutting down"
	}
	_, h := ifc.current()
	if hr, ok := h.(HealthReporter); ok {
		return hr.Health()
	}
	return Serving, ""
}

// acceptData decides on a data link. Its direction must be the
// interface's own (PROTOCOL.md section 6.4): the handler is written for
// that direction, so a narrower link (an echo that could not answer) is
// refused here, before the handler sees anything. A failed interface
// refuses every data link, whatever its direction.
func (ifc *iface) acceptData(sl *session.Link) (session.AcceptOptions, error) {
	o := sl.Open()
	m, h := ifc.current()
	if st, why := ifc.health(); st == Failed {
		return session.AcceptOptions{}, proto.Errorf(proto.CodePluginFailed, "interface %q is failed: %s", m.Name, why)
	}
	if o.Direction != m.Direction {
		return session.AcceptOptions{}, proto.Errorf(proto.CodeWrongDirection,
			"interface %q is %s; it has no %q links (a data link has its interface's direction)", m.Name, m.Direction.Describe(), o.Direction)
	}
	l := newLink(ifc, m, h, sl)
	sl.Attach(l)
	f := m.Flow
	return session.AcceptOptions{
		Window: proto.WindowConfig{
			InitialMsgs: f.Window, MaxMsgs: f.MaxWindow,
			InitialBytes: f.WindowBytes, MaxBytes: f.MaxWindowBytes,
		},
		ManifestHash: m.Hash(),
	}, nil
}

func (ifc *iface) addLink(l *link) {
	ifc.mu.Lock()
	ifc.links[l.id] = l
	ifc.mu.Unlock()
	ifc.opened.Add(1)
}

func (ifc *iface) removeLink(l *link, err error) {
	ifc.mu.Lock()
	delete(ifc.links, l.id)
	var pe *proto.Error
	switch {
	case err == nil:
	case errors.As(err, &pe):
		ifc.resets[pe.Code]++
	default:
		// The transport went away under the link (the client vanished
		// or closed without ending it): not a reset with a code.
		ifc.lost.Add(1)
	}
	ifc.mu.Unlock()
	ifc.closed.Add(1)
	st := l.sl.Stats()
	ifc.stalls.Add(st.Stalls)
}

func (ifc *iface) recordError(err error) {
	ifc.errs.Add(1)
	ifc.mu.Lock()
	ifc.last = logtext.Err(err) // shown in stats; a plugin's message may be huge
	ifc.lastAt = time.Now()
	ifc.mu.Unlock()
}

func (ifc *iface) resetAll(err *proto.Error) {
	ifc.mu.Lock()
	links := make([]*link, 0, len(ifc.links))
	for _, l := range ifc.links {
		links = append(links, l)
	}
	ctls := make([]*controlLink, 0, len(ifc.ctls))
	for c := range ifc.ctls {
		ctls = append(ctls, c)
	}
	ifc.mu.Unlock()
	for _, l := range links {
		l.sl.Reset(err)
	}
	for _, c := range ctls {
		c.l.Reset(err)
	}
}

func (ifc *iface) emit(ev gene.Value) {
	ifc.mu.Lock()
	ctls := make([]*controlLink, 0, len(ifc.ctls))
	for c := range ifc.ctls {
		ctls = append(ctls, c)
	}
	ifc.mu.Unlock()
	for _, c := range ctls {
		if err := c.l.TrySend(ev); err != nil {
			ifc.eventsDropped.Add(1)
		}
	}
}

// stats is the result of the stats operation.
func (ifc *iface) stats() gene.Value {
	m, h := ifc.current()
	ifc.mu.Lock()
	var send, recv, both int64
	stalls := ifc.stalls.Load()
	for _, l := range ifc.links {
		switch l.sl.Open().Direction {
		case proto.DirSend:
			send++
		case proto.DirRecv:
			recv++
		default:
			both++
		}
		stalls += l.sl.Stats().Stalls
	}
	codes := make([]proto.Code, 0, len(ifc.resets))
	for c := range ifc.resets {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool { return codes[i] < codes[j] })
	var resets gene.Props
	for _, c := range codes {
		resets = append(resets, gene.Prop{Key: c.String(), Value: gene.Int(int64(ifc.resets[c]))})
	}
	last, lastAt := ifc.last, ifc.lastAt
	controls := len(ifc.ctls)
	ifc.mu.Unlock()
	st, why := ifc.health()
	ps := gene.Props{
		{Key: "interface", Value: gene.String(ifc.name)},
		{Key: "version", Value: gene.String(m.Version)},
		{Key: "health", Value: gene.String(st.String())},
		{Key: "links", Value: gene.PropMap(
			gene.Prop{Key: "send", Value: gene.Int(send)},
			gene.Prop{Key: "recv", Value: gene.Int(recv)},
			gene.Prop{Key: "send+recv", Value: gene.Int(both)},
			gene.Prop{Key: "control", Value: gene.Int(int64(controls))},
			gene.Prop{Key: "opened", Value: gene.Int(int64(ifc.opened.Load()))},
			gene.Prop{Key: "closed", Value: gene.Int(int64(ifc.closed.Load()))},
			gene.Prop{Key: "lost", Value: gene.Int(int64(ifc.lost.Load()))},
		)},
		{Key: "values-in", Value: gene.Int(int64(ifc.valuesIn.Load()))},
		{Key: "values-out", Value: gene.Int(int64(ifc.valuesOut.Load()))},
		{Key: "bytes-in", Value: gene.Int(int64(ifc.bytesIn.Load()))},
		{Key: "bytes-out", Value: gene.Int(int64(ifc.bytesOut.Load()))},
		{Key: "drops", Value: gene.Int(int64(ifc.drops.Load()))},
		{Key: "credit-stalls", Value: gene.Int(int64(stalls))},
		{Key: "events-dropped", Value: gene.Int(int64(ifc.eventsDropped.Load()))},
		{Key: "resets", Value: gene.PropMap(resets...)},
		{Key: "handler-ms", Value: gene.Float(float64(ifc.handlerNanos.Load()) / 1e6)},
		{Key: "handler-errors", Value: gene.Int(int64(ifc.errs.Load()))},
	}
	if why != "" {
		ps = append(ps, gene.Prop{Key: "health-reason", Value: gene.String(why)})
	}
	if last != "" {
		ps = append(ps, gene.Prop{Key: "last-error", Value: gene.String(last)},
			gene.Prop{Key: "last-error-at", Value: gene.String(lastAt.UTC().Format(time.RFC3339Nano))})
	}
	if sr, ok := h.(StatsReporter); ok {
		for _, p := range sr.Stats().Props() {
			ps.Set(p.Key, p.Value)
		}
	}
	return gene.PropMap(ps...)
}
