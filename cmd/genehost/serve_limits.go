package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/host"
)

// limitFlags are serve's global limits: connections, links, memory.
type limitFlags struct {
	maxConns  int
	maxLinks  int
	budget    byteSize
	softLimit byteSize
}

var limitsHelp = fmt.Sprintf(`

Global limits (defaults sized for a 2-core machine with 24 GiB). At most
--max-conns connections (default %d): one more gets the host's GOAWAY
UNAVAILABLE naming the limit. At most --max-links links (default %d)
across all connections: an OPEN past it is rejected TOO_MANY_LINKS naming
the limit (a few $sys control links may still open, to look). The host
plans for --memory-budget bytes (default %s; the Go runtime's memory limit
is set to it unless GOMEMLIMIT is): a quarter of it may be promised to
clients as transport windows, so a new connection's window (and with it
its largest value) shrinks as that share fills. While the Go heap plus the
window bytes clients may still send is over --memory-soft-limit (default
80%% of the budget) new links are rejected UNAVAILABLE ("shedding load"),
and accepted again once it is under 90%% of it. Refusals are logged once
per 10s with their count; 'genehost ctl ADDR $sys stats' shows the counts,
the limits and the refusals by reason. Sizes take a unit: 512MiB, 12GiB.`,
	host.DefaultMaxConns, host.DefaultMaxLinks, byteSize(host.DefaultMemoryBudget))

func (f *limitFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.maxConns, "max-conns", host.DefaultMaxConns, "connections open at once; more get GOAWAY UNAVAILABLE")
	fs.IntVar(&f.maxLinks, "max-links", host.DefaultMaxLinks, "links open at once across all connections; more are rejected TOO_MANY_LINKS")
	f.budget = host.DefaultMemoryBudget
	fs.Var(&f.budget, "memory-budget", "memory the host plans for (transport windows get a quarter; the Go memory limit)")
	fs.Var(&f.softLimit, "memory-soft-limit", "new links are rejected UNAVAILABLE while memory is over it (default 80% of --memory-budget)")
}

// apply sets the limits on cfg, checked by the caller with cfg.Validate.
func (f *limitFlags) apply(cfg *host.Config) error {
	if f.maxConns <= 0 {
		return fmt.Errorf("--max-conns %d: want a positive number", f.maxConns)
	}
	if f.maxLinks <= 0 {
		return fmt.Errorf("--max-links %d: want a positive number", f.maxLinks)
	}
	cfg.MaxConns, cfg.MaxLinks = f.maxConns, f.maxLinks
	cfg.MemoryBudget, cfg.MemorySoftLimit = int64(f.budget), int64(f.softLimit)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("--max-conns, --max-links, --memory-budget, --memory-soft-limit: %w", err)
	}
	return nil
}

// setMemoryLimit gives the Go runtime the budget as its memory limit,
// unless GOMEMLIMIT set one: the GC then works harder before the host
// reaches it. It is not enough alone (live memory can exceed it), hence
// the shedding.
func (f *limitFlags) setMemoryLimit(log hclog.Logger) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		log.Info("GOMEMLIMIT is set: the Go memory limit is left to it", "GOMEMLIMIT", v, "memory-budget", f.budget.String())
		return
	}
	debug.SetMemoryLimit(int64(f.budget))
}

// byteSize is a flag holding a number of bytes, written with an optional
// unit: B, KiB, MiB, GiB, TiB (or K, M, G, T, KB, MB, GB, TB, all binary).
type byteSize int64

func (b byteSize) String() string {
	if b == 0 {
		return "0"
	}
	n := int64(b)
	for _, u := range []struct {
		name  string
		shift uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.name)
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	shift := map[string]uint{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20,
		"G": 30, "GB": 30, "GIB": 30, "T": 40, "TB": 40, "TIB": 40}
	sh, ok := shift[unit]
	v, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || v < 0 || v*float64(int64(1)<<sh) >= 1<<62 {
		return fmt.Errorf("want a size such as 512MiB or 12GiB, got %q", s)
	}
	*b = byteSize(v * float64(int64(1)<<sh))
	return nil
}
