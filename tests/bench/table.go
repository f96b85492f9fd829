package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"
)

// bench collects the rows of the table as the scenarios run.
type bench struct {
	cfg   config
	dir   string // temporary directory for sockets and plugins
	rows  []row
	notes []string
}

// row is one line of the table. gh and peer are medians (NaN when not
// measured); the ratio is gh/peer.
type row struct {
	scenario string
	unit     string
	gh       float64
	peerName string
	peer     float64
	target   target
}

// target is what a row must reach. met is nil for a row given for
// information only.
type target struct {
	text      string
	needsPeer bool // the target is a ratio to the peer's figure
	met       func(gh, peer float64) bool
}

// ratioAtMost: genehost's figure is at most x times the peer's (times).
func ratioAtMost(x float64) target {
	return target{fmt.Sprintf("<= %.2gx", x), true, func(gh, peer float64) bool { return gh/peer <= x }}
}

// ratioAtLeast: genehost's figure is at least x times the peer's (rates).
func ratioAtLeast(x float64) target {
	return target{fmt.Sprintf(">= %.2gx", x), true, func(gh, peer float64) bool { return gh/peer >= x }}
}

// atMost: genehost's figure itself is at most limit.
func atMost(limit float64, text string) target {
	return target{text, false, func(gh, _ float64) bool { return gh <= limit }}
}

// infoOnly marks a row without a target.
var infoOnly = target{text: "info"}

func (b *bench) add(r row) { b.rows = append(b.rows, r) }

func (b *bench) note(s string) {
	b.notes = append(b.notes, s)
	b.logf("note: %s", s)
}

func (b *bench) logf(format string, args ...any) {
	if b.cfg.verbose {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
	}
}

// print writes the table as Markdown, then the notes.
func (b *bench) print(w io.Writer) {
	cells := [][]string{{"scenario", "unit", "genehost", "peer", "peer figure", "ratio", "target", "met?"}}
	for _, r := range b.rows {
		ratio, met := "-", "-"
		if !math.IsNaN(r.gh) && !math.IsNaN(r.peer) && r.peer != 0 {
			ratio = fmt.Sprintf("%.2fx", r.gh/r.peer)
		}
		if r.target.met != nil {
			switch {
			case math.IsNaN(r.gh), r.target.needsPeer && math.IsNaN(r.peer):
				met = "not measured"
			case r.target.met(r.gh, r.peer):
				met = "yes"
			default:
				met = "**no**"
			}
		}
		cells = append(cells, []string{r.scenario, r.unit, figure(r.gh, r.unit), r.peerName, figure(r.peer, r.unit), ratio, r.target.text, met})
	}
	width := make([]int, len(cells[0]))
	for _, c := range cells {
		for i, s := range c {
			width[i] = max(width[i], len([]rune(s)))
		}
	}
	line := func(c []string) {
		var sb strings.Builder
		sb.WriteString("|")
		for i, s := range c {
			sb.WriteString(" " + s + strings.Repeat(" ", width[i]-len([]rune(s))) + " |")
		}
		fmt.Fprintln(w, sb.String())
	}
	line(cells[0])
	sep := make([]string, len(width))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, c := range cells[1:] {
		line(c)
	}
	if len(b.notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range b.notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
}

// figure formats a measurement for its unit.
func figure(x float64, unit string) string {
	if math.IsNaN(x) {
		return "-"
	}
	switch {
	case strings.HasPrefix(unit, "µs"):
		return fmt.Sprintf("%.1f", x)
	case strings.HasSuffix(unit, "/s"):
		switch {
		case x >= 1e6:
			return fmt.Sprintf("%.2fM", x/1e6)
		case x >= 1e4:
			return fmt.Sprintf("%.0fk", x/1e3)
		case x >= 1e3:
			return fmt.Sprintf("%.2fk", x/1e3)
		}
		return fmt.Sprintf("%.0f", x)
	case unit == "B" || strings.HasPrefix(unit, "B/"):
		switch {
		case x >= 1<<20:
			return fmt.Sprintf("%.1f MiB", x/(1<<20))
		case x >= 10<<10:
			return fmt.Sprintf("%.1f KiB", x/(1<<10))
		}
		return fmt.Sprintf("%.0f B", x)
	}
	return fmt.Sprintf("%.3g", x)
}

// trial is one side of a comparison: each call is one timed run that
// returns its figure.
type trial struct {
	name string
	run  func(ctx context.Context) (float64, error)
}

// measure runs every trial b.cfg.runs times, interleaved (run 1 of each,
// then run 2 of each, ...), and returns the median figure of each by
// name. A trial that fails is dropped from the later rounds: its figure
// is NaN and the error becomes a note.
func (b *bench) measure(ctx context.Context, trials ...trial) medians {
	got := make(map[string][]float64, len(trials))
	failed := map[string]bool{}
	for i := range b.cfg.runs {
		for _, t := range trials {
			if failed[t.name] || ctx.Err() != nil || !strings.Contains(t.name, b.cfg.trials) {
				continue
			}
			x, err := t.run(ctx)
			if err != nil {
				failed[t.name] = true
				b.note(fmt.Sprintf("%s: run %d failed: %v", t.name, i+1, err))
				continue
			}
			b.logf("  %-40s run %d: %.4g", t.name, i+1, x)
			got[t.name] = append(got[t.name], x)
		}
	}
	med := make(medians, len(trials))
	for _, t := range trials {
		if failed[t.name] || len(got[t.name]) == 0 {
			med[t.name] = math.NaN()
			continue
		}
		med[t.name] = median(got[t.name])
	}
	return med
}

// medians holds the median figure of each trial by name.
type medians map[string]float64

// get returns the median of the named trial, NaN if it did not run.
func (m medians) get(name string) float64 {
	if x, ok := m[name]; ok {
		return x
	}
	return math.NaN()
}

// closedLoop runs op from conc goroutines, each starting the next
// operation when its last one finished, for d after a warm-up of d/5.
// It returns the operations completed in the timed part and its length.
func closedLoop(ctx context.Context, d time.Duration, conc int, op func(worker int) error) (int, time.Duration, error) {
	if _, _, err := loopFor(ctx, d/5, conc, op); err != nil {
		return 0, 0, fmt.Errorf("warm-up: %w", err)
	}
	return loopFor(ctx, d, conc, op)
}

func loopFor(ctx context.Context, d time.Duration, conc int, op func(worker int) error) (int, time.Duration, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		first error
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range conc {
		wg.Go(func() {
			n := 0
			var err error
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if err = op(w); err != nil {
					break
				}
				n++
			}
			mu.Lock()
			total += n
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first == nil {
		first = ctx.Err()
	}
	return total, elapsed, first
}

// perOpMicros is the figure of a closed loop of one: µs per operation.
func perOpMicros(n int, d time.Duration) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(d.Microseconds()) / float64(n)
}

// perSecond is the figure of a rate: operations per second.
func perSecond(n int, d time.Duration) float64 {
	return float64(n) / d.Seconds()
}

// runAll runs cleanup functions, last first.
func runAll(fs []func()) {
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
