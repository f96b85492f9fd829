package host

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// Default global limits, sized for a 2-core machine with 24 GiB of memory
// that also runs the plugins' worker processes (each capped on its own,
// ABI.md) and the page cache of the data directory.
const (
	// DefaultMaxConns is the default of Config.MaxConns: transports open
	// at once, handshakes included.
	DefaultMaxConns = 4096
	// DefaultMaxLinks is the default of Config.MaxLinks: links open at
	// once across every transport (data and control).
	DefaultMaxLinks = 20000
	// DefaultMemoryBudget is the default of Config.MemoryBudget: half the
	// machine, the other half left to worker processes and the kernel.
	DefaultMemoryBudget = 12 << 30
	// DefaultRefusalLogInterval is the default of
	// Config.RefusalLogInterval.
	DefaultRefusalLogInterval = 10 * time.Second
	// MinMemoryBudget is the smallest memory budget Validate accepts.
	MinMemoryBudget = 32 << 20
)

const (
	// sysLinkReserve is how many $sys control links may open beyond
	// MaxLinks, so an operator can still read the host's stats at the
	// limit.
	sysLinkReserve = 16
	// maxRefusers bounds the goroutines that tell refused connections why
	// (GOAWAY); past it a refused connection is closed at once.
	maxRefusers = 64
	// refuseTimeout bounds how long a refused connection may take to send
	// its preface and HELLO before it gets its GOAWAY.
	refuseTimeout = 2 * time.Second
	// memorySampleEvery is how stale the memory reading may be.
	memorySampleEvery = 50 * time.Millisecond
	// memoryGCEvery is how often, while shedding, a GC is forced so that
	// garbage left by load that has gone does not keep the host shedding.
	memoryGCEvery = time.Second
)

// Refusal reasons, the keys of the $sys stats ^refused map.
const (
	refuseConns  = "max-conns"
	refuseLinks  = "max-links"
	refuseMemory = "memory"
	refuseAccept = "accept-errors"
)

// Validate checks c: negative limits, a memory budget below
// MinMemoryBudget, a soft limit above the budget, and c.Proto.
func (c Config) Validate() error {
	var errs []error
	neg := func(name string, v int64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("host: %s is %d; it must not be negative (0: the default)", name, v))
		}
	}
	neg("MaxConns", int64(c.MaxConns))
	neg("MaxLinks", int64(c.MaxLinks))
	neg("MemoryBudget", c.MemoryBudget)
	neg("MemorySoftLimit", c.MemorySoftLimit)
	neg("HandshakeTimeout", int64(c.HandshakeTimeout))
	neg("RefusalLogInterval", int64(c.RefusalLogInterval))
	if c.MemoryBudget > 0 && c.MemoryBudget < MinMemoryBudget {
		errs = append(errs, fmt.Errorf("host: MemoryBudget is %s; it must be at least %s", formatBytes(c.MemoryBudget), formatBytes(MinMemoryBudget)))
	}
	budget := c.MemoryBudget
	if budget == 0 {
		budget = DefaultMemoryBudget
	}
	if c.MemorySoftLimit > budget {
		errs = append(errs, fmt.Errorf("host: MemorySoftLimit %s is above the memory budget %s", formatBytes(c.MemorySoftLimit), formatBytes(budget)))
	}
	if err := c.Proto.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// limitDefaults fills the zero limits of c.
func limitDefaults(c *Config) {
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxLinks == 0 {
		c.MaxLinks = DefaultMaxLinks
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = DefaultMemoryBudget
	}
	if c.MemorySoftLimit == 0 {
		c.MemorySoftLimit = c.MemoryBudget / 10 * 8
	}
	if c.RefusalLogInterval == 0 {
		c.RefusalLogInterval = DefaultRefusalLogInterval
	}
}

// limiter enforces the global limits of one Server.
type limiter struct {
	cfg     *Config
	conns   atomic.Int64 // transports, handshakes included
	links   atomic.Int64 // links accepted and not yet closed
	win     windowPool
	mem     memoryGauge
	refused *refusalLog
	refuser chan struct{} // semaphore of the goroutines refusing connections
}

func newLimiter(cfg *Config, log hclog.Logger) *limiter {
	l := &limiter{cfg: cfg, refused: newRefusalLog(log, cfg.RefusalLogInterval), refuser: make(chan struct{}, maxRefusers)}
	// A quarter of the budget may be promised to peers as transport
	// windows: bytes they may send before the host reads them.
	l.win.budget = cfg.MemoryBudget / 4
	l.win.floor = max(int64(proto.MinWindow), l.win.budget/(2*int64(cfg.MaxConns)))
	l.mem.soft = cfg.MemorySoftLimit
	return l
}

// acquireConn counts a new connection, or reports why it is refused.
func (l *limiter) acquireConn() *proto.Error {
	if n := l.conns.Add(1); n > int64(l.cfg.MaxConns) {
		l.conns.Add(-1)
		why := fmt.Sprintf("over --max-conns %d", l.cfg.MaxConns)
		l.refused.note(refuseConns, "connections", why)
		return proto.Errorf(proto.CodeUnavailable, "the host has %d connections open, its limit (%s); retry later", l.cfg.MaxConns, "--max-conns")
	}
	return nil
}

func (l *limiter) releaseConn() { l.conns.Add(-1) }

// linkSlot is one link counted against MaxLinks; release is idempotent.
type linkSlot struct {
	l    *limiter
	once sync.Once
}

func (t *linkSlot) release() {
	if t == nil {
		return
	}
	t.once.Do(func() { t.l.links.Add(-1) })
}

// acquireLink counts a new link, or refuses it: TOO_MANY_LINKS past
// MaxLinks ($sys control links have a small reserve beyond it), and
// UNAVAILABLE while the host is over its memory soft limit ($sys excepted,
// so the host can still be observed).
func (l *limiter) acquireLink(s *Server, sys bool) (*linkSlot, error) {
	max := int64(l.cfg.MaxLinks)
	if sys {
		max += sysLinkReserve
	}
	if n := l.links.Add(1); n > max {
		l.links.Add(-1)
		l.refused.note(refuseLinks, "links", fmt.Sprintf("over --max-links %d", l.cfg.MaxLinks))
		return nil, proto.Errorf(proto.CodeTooManyLinks, "the host has %d links open, its limit (--max-links %d); retry later", l.cfg.MaxLinks, l.cfg.MaxLinks)
	}
	if !sys {
		if m := l.mem.read(s); m.shedding {
			l.links.Add(-1)
			why := fmt.Sprintf("memory %s over the soft limit %s (--memory-budget %s)", formatBytes(m.used()), formatBytes(l.mem.soft), formatBytes(l.cfg.MemoryBudget))
			l.refused.note(refuseMemory, "links", why)
			return nil, proto.Errorf(proto.CodeUnavailable, "the host is shedding load: %s; retry later", why)
		}
	}
	return &linkSlot{l: l}, nil
}

// windowPool divides the bytes the host may promise as transport windows
// (a quarter of the memory budget) among transports: each is guaranteed
// floor (the pool's half shared by MaxConns), and gets an eighth of what
// is left of the other half on top, up to the window configured; so grants
// shrink as the pool fills and never add up past it. A transport keeps its
// window for its life: it does not grow past what it was given.
type windowPool struct {
	mu       sync.Mutex
	budget   int64 // bytes of transport windows in all
	floor    int64 // guaranteed per transport
	reserved int64 // granted now
	extra    int64 // granted above floor
	conns    int64
}

// take reserves the window of a new transport that would like want
// bytes, and returns its size.
func (p *windowPool) take(want int64) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := min(want, p.floor)
	if want > p.floor {
		free := p.budget/2 - p.extra
		w += min(want-p.floor, max(free/8, 0))
	}
	p.reserved += w
	p.extra += w - min(w, p.floor)
	p.conns++
	return w
}

// give returns a window taken with take.
func (p *windowPool) give(w int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reserved -= w
	p.extra -= w - min(w, p.floor)
	p.conns--
}

func (p *windowPool) snapshot() (reserved, budget int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reserved, p.budget
}

// memoryReading is one sample of the host's memory.
type memoryReading struct {
	heap     int64 // Go heap objects and goroutine stacks (runtime/metrics)
	windows  int64 // transport-window bytes peers may still send unread
	at       time.Time
	shedding bool
}

func (m memoryReading) used() int64 { return m.heap + m.windows }

// memoryGauge samples the host's memory at most every memorySampleEvery,
// on the goroutines that ask (no goroutine of its own), and decides on
// load shedding with hysteresis: on at the soft limit, off below 90% of it.
type memoryGauge struct {
	soft   int64
	mu     sync.Mutex // held while sampling
	last   atomic.Pointer[memoryReading]
	lastGC time.Time // guarded by mu
	// sample replaces the runtime/metrics reading in tests.
	sample func() int64
}

var memoryMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/stacks:bytes"}

func goMemory() int64 {
	ss := make([]metrics.Sample, len(memoryMetrics))
	for i, n := range memoryMetrics {
		ss[i].Name = n
	}
	metrics.Read(ss)
	var sum int64
	for _, s := range ss {
		if s.Value.Kind() == metrics.KindUint64 {
			sum += int64(s.Value.Uint64())
		}
	}
	return sum
}

// read returns a recent reading, sampling when the last one is stale and
// no other goroutine is sampling.
func (g *memoryGauge) read(s *Server) memoryReading {
	last := g.last.Load()
	if last != nil && time.Since(last.at) < memorySampleEvery {
		return *last
	}
	if !g.mu.TryLock() {
		if last != nil {
			return *last
		}
		g.mu.Lock()
	}
	defer g.mu.Unlock()
	if l := g.last.Load(); l != nil && time.Since(l.at) < memorySampleEvery {
		return *l
	}
	was := last != nil && last.shedding
	r := g.sampleNow(s)
	if was && r.used() >= g.soft && time.Since(g.lastGC) >= memoryGCEvery {
		// Garbage is counted until the next GC, and a host that sheds
		// load may allocate too little to start one: collect, so that the
		// reading shows what is live.
		runtime.GC()
		g.lastGC = time.Now()
		r = g.sampleNow(s)
	}
	if was {
		r.shedding = r.used() >= g.soft/10*9
	} else {
		r.shedding = r.used() >= g.soft
	}
	if r.shedding != was {
		if r.shedding {
			s.log.Warn("memory over its soft limit: shedding load (new links refused with UNAVAILABLE)",
				"used", formatBytes(r.used()), "heap", formatBytes(r.heap), "windows", formatBytes(r.windows), "soft-limit", formatBytes(g.soft))
		} else {
			s.log.Info("memory back under its soft limit: accepting new links",
				"used", formatBytes(r.used()), "heap", formatBytes(r.heap), "windows", formatBytes(r.windows), "soft-limit", formatBytes(g.soft))
		}
	}
	g.last.Store(&r)
	return r
}

func (g *memoryGauge) sampleNow(s *Server) memoryReading {
	r := memoryReading{at: time.Now()}
	if g.sample != nil {
		r.heap = g.sample()
	} else {
		r.heap = goMemory()
	}
	s.mu.Lock()
	sessions := make([]*session.Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		st := ss.Stats().RecvWin
		if st.Granted.Bytes > st.Received.Bytes {
			r.windows += int64(st.Granted.Bytes - st.Received.Bytes)
		}
	}
	return r
}

// refusalLog logs refusals once per interval per reason, with counts:
// the first at once, the others counted and logged together when the
// interval has passed ("refused 312 links in the last 10s: over
// --max-links 20000"), so a flood of refusals cannot flood the log.
type refusalLog struct {
	log      hclog.Logger
	interval time.Duration
	mu       sync.Mutex
	reasons  map[string]*refusalCount
	closed   bool
}

type refusalCount struct {
	total   uint64
	pending uint64 // counted since the last line
	what    string // "links", "connections"
	why     string // the latest reason text
	logged  time.Time
	timer   *time.Timer
}

func newRefusalLog(log hclog.Logger, interval time.Duration) *refusalLog {
	return &refusalLog{log: log, interval: interval, reasons: make(map[string]*refusalCount)}
}

func (r *refusalLog) note(reason, what, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.reasons[reason]
	if c == nil {
		c = &refusalCount{}
		r.reasons[reason] = c
	}
	c.total++
	c.what, c.why = what, why
	if r.closed {
		return
	}
	if c.timer == nil && time.Since(c.logged) >= r.interval {
		c.logged = time.Now()
		r.log.Warn(refusalLine(reason, what, 1, 0, why) + fmt.Sprintf(" (more are counted and logged every %s)", r.interval))
		return
	}
	c.pending++
	if c.timer == nil {
		c.timer = time.AfterFunc(time.Until(c.logged.Add(r.interval)), func() { r.flush(reason) })
	}
}

func (r *refusalLog) flush(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.reasons[reason]
	c.timer = nil
	if r.closed || c.pending == 0 {
		return
	}
	r.log.Warn(refusalLine(reason, c.what, c.pending, time.Since(c.logged), c.why))
	c.pending = 0
	c.logged = time.Now()
}

// counts returns the refusals so far by reason.
func (r *refusalLog) counts() map[string]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]uint64, len(r.reasons))
	for k, c := range r.reasons {
		out[k] = c.total
	}
	return out
}

// close stops the pending timers, logging what they would have.
func (r *refusalLog) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	for reason, c := range r.reasons {
		if c.timer != nil {
			c.timer.Stop()
			c.timer = nil
		}
		if c.pending > 0 {
			r.log.Warn(refusalLine(reason, c.what, c.pending, time.Since(c.logged), c.why))
			c.pending = 0
		}
	}
}

// refusalLine is one log line: n refusals of what over the last period
// (0: a single one, just now).
func refusalLine(reason, what string, n uint64, period time.Duration, why string) string {
	if reason == refuseAccept {
		if period == 0 {
			return "accept failed: " + why
		}
		return fmt.Sprintf("accept failed %d times in the last %s: %s", n, period.Round(time.Second), why)
	}
	if period == 0 {
		one := map[string]string{"links": "a link", "connections": "a connection"}[what]
		return fmt.Sprintf("refused %s: %s", one, why)
	}
	return fmt.Sprintf("refused %d %s in the last %s: %s", n, what, period.Round(time.Second), why)
}

// refuseConn tells a connection refused at accept why, as a host that
// refuses a handshake does (PROTOCOL.md section 5): it reads the client's
// preface and HELLO (so closing does not reset the connection under the
// answer), writes its preface and GOAWAY with the code, and closes. At
// most maxRefusers run at once; past them the connection is closed at once.
func (s *Server) refuseConn(conn net.Conn, perr *proto.Error) {
	select {
	case s.lim.refuser <- struct{}{}:
	default:
		conn.Close()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.lim.refuser }()
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(refuseTimeout))
		r := proto.NewReader(conn)
		if _, err := r.ReadPreface(); err != nil {
			if errors.Is(err, proto.ErrBadPreface) {
				_, _ = io.WriteString(conn, proto.BadPrefaceReply)
			}
			return
		}
		if _, err := r.ReadFrame(); err != nil {
			return
		}
		out := append(proto.Preface[:len(proto.Preface):len(proto.Preface)], proto.AppendGoAwayFrame(nil, proto.GoAway{Code: perr.Code, Text: perr.Msg})...)
		_, _ = conn.Write(out)
	}()
}

// acceptFailed counts and logs (once per interval) an accept error.
func (s *Server) acceptFailed(err error, delay time.Duration) {
	s.lim.refused.note(refuseAccept, "accepts", fmt.Sprintf("%v; retrying after up to %s, open connections are served meanwhile", err, delay))
}

// sysStats is the result of $sys stats: the global limits, what is in
// use, and the refusals by reason.
func (s *Server) sysStats() gene.Value {
	m := s.lim.mem.read(s)
	reserved, winBudget := s.lim.win.snapshot()
	counts := s.lim.refused.counts()
	reasons := []string{refuseConns, refuseLinks, refuseMemory, refuseAccept}
	for k := range counts {
		known := false
		for _, r := range reasons {
			known = known || r == k
		}
		if !known {
			reasons = append(reasons, k)
		}
	}
	sort.Strings(reasons[4:])
	var refused gene.Props
	for _, k := range reasons {
		refused = append(refused, gene.Prop{Key: k, Value: gene.Int(int64(counts[k]))})
	}
	i := func(v int64) gene.Value { return gene.Int(v) }
	return gene.PropMap(
		gene.Prop{Key: "conns", Value: gene.PropMap(
			gene.Prop{Key: "open", Value: i(s.lim.conns.Load())},
			gene.Prop{Key: "max", Value: i(int64(s.cfg.MaxConns))})},
		gene.Prop{Key: "links", Value: gene.PropMap(
			gene.Prop{Key: "open", Value: i(s.lim.links.Load())},
			gene.Prop{Key: "max", Value: i(int64(s.cfg.MaxLinks))})},
		gene.Prop{Key: "memory", Value: gene.PropMap(
			gene.Prop{Key: "used", Value: i(m.used())},
			gene.Prop{Key: "heap", Value: i(m.heap)},
			gene.Prop{Key: "windows", Value: i(m.windows)},
			gene.Prop{Key: "soft-limit", Value: i(s.cfg.MemorySoftLimit)},
			gene.Prop{Key: "budget", Value: i(s.cfg.MemoryBudget)},
			gene.Prop{Key: "shedding", Value: gene.Bool(m.shedding)})},
		gene.Prop{Key: "windows", Value: gene.PropMap(
			gene.Prop{Key: "granted", Value: i(reserved)},
			gene.Prop{Key: "budget", Value: i(winBudget)})},
		gene.Prop{Key: "refused", Value: gene.PropMap(refused...)},
	)
}

// formatBytes writes n in the largest binary unit that keeps it >= 1.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n), 0
	for ; (f >= unit || f <= -unit) && u < 4; u++ {
		f /= unit
	}
	return fmt.Sprintf("%.3g %ciB", f, "KMGT"[u-1])
}
