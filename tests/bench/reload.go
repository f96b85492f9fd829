package main

import (
	"context"
	"fmt"
	"math"
)

// Scenario 7: the stream of scenario 3 plus round trips on a second
// link, while the plugin behind them is replaced on disk. Nothing may be
// lost, and the p99 round trip during the reload may be at most 10x the
// steady p99. genehost only: the peers have no hot reload.
func scenarioReload(ctx context.Context, b *bench) error {
	// Every run counts toward the values lost, a failed one included: a
	// run that fails after its load started reports what it sent and
	// never got back, and one that fails before makes the row "not
	// measured" rather than a silent 0.
	var lost float64
	var ratio []float64
	failed := 0
	for i := range b.cfg.runs {
		l, r, err := genehostReloadRun(ctx, b)
		lost += l
		if err != nil {
			failed++
			b.note(fmt.Sprintf("scenario 7: genehost run %d failed (%v values lost in it): %v", i+1, l, err))
			continue
		}
		ratio = append(ratio, r)
	}
	label := fmt.Sprintf("7 hot reload under load: values lost, %d runs", b.cfg.runs)
	if failed > 0 {
		label += fmt.Sprintf(" (%d failed)", failed)
	}
	b.add(row{label, "values", lost, "-", median(nil), atMost(0, "0")})
	r := row{"7 hot reload under load: p99 reload / p99 steady", "x", median(ratio), "-", median(nil), atMost(10, "<= 10x")}
	if failed > 0 {
		// The median of the runs that finished says nothing of those
		// that did not.
		r.gh = math.NaN()
	}
	b.add(r)
	return nil
}
