package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Scenario 4: one publisher, cfg.subs subscribers each on its own
// transport, every value delivered to every subscriber and decoded
// there; the figure is deliveries per second.
func scenarioFanOut(ctx context.Context, b *bench) error {
	np, err := startNATS()
	if err != nil {
		return err
	}
	defer np.Close()
	pub, err := np.connect()
	if err != nil {
		return err
	}
	defer pub.Close()
	subs := make([]*nats.Conn, b.cfg.subs)
	for i := range subs {
		if subs[i], err = np.connect(); err != nil {
			return err
		}
		defer subs[i].Close()
	}
	trials := []trial{{"NATS fan-out", func(ctx context.Context) (float64, error) {
		return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
			return natsFanOutRun(ctx, pub, subs, 8<<10, d)
		})
	}}}
	gh, cleanup, err := genehostFanOutTrials(ctx, b)
	defer runAll(cleanup)
	if err != nil {
		b.note(fmt.Sprintf("scenario 4: genehost side: %v", err))
	}
	trials = append(trials, gh...)

	m := b.measure(ctx, trials...)
	label := fmt.Sprintf("4 fan-out, queue plugin, %d subscribers", b.cfg.subs)
	b.add(row{label, "deliveries/s", m.get("genehost fan-out"), "NATS (TCP)", m.get("NATS fan-out"), ratioAtLeast(1)})
	return nil
}
