package main

import (
	"context"
	"fmt"
)

// Scenario 7: the stream of scenario 3 plus round trips on a second
// link, while the plugin behind them is replaced on disk. Nothing may be
// lost, and the p99 round trip during the reload may be at most 10x the
// steady p99. genehost only: the peers have no hot reload.
func scenarioReload(ctx context.Context, b *bench) error {
	var lost, ratio []float64
	for i := range b.cfg.runs {
		l, r, err := genehostReloadRun(ctx, b)
		if err != nil {
			// A failed run (a link error, a reload that never served)
			// is noted and the other runs still count.
			b.note(fmt.Sprintf("scenario 7: genehost run %d: %v", i+1, err))
			continue
		}
		lost, ratio = append(lost, l), append(ratio, r)
	}
	b.add(row{"7 hot reload under load: values lost", "values", median(lost), "-", median(nil), atMost(0, "0")})
	b.add(row{"7 hot reload under load: p99 reload / p99 steady", "x", median(ratio), "-", median(nil), atMost(10, "<= 10x")})
	return nil
}
