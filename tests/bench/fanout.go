package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Scenario 4: one publisher, cfg.subs subscribers each on its own
// transport, every value delivered to every subscriber and decoded
// there; the figure is deliveries per second. Two rows: the queue's
// durable groups, every message acknowledged, against JetStream
// (file-backed, acked); the queue's topics (nothing kept) against NATS
// core. Both rows again with the host's streams on the same JetStream
// server (serve --nats), against the same peers.
func scenarioFanOut(ctx context.Context, b *bench) error {
	np, err := startNATSWith(filepath.Join(b.dir, "jetstream"))
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
	pubJS, err := pub.JetStream(nats.PublishAsyncMaxPending(16))
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if _, err := pubJS.AddStream(&nats.StreamConfig{Name: "BENCH", Subjects: []string{"bench.>"}, Storage: nats.FileStorage}); err != nil {
		return fmt.Errorf("jetstream stream: %w", err)
	}
	var jsRuns atomic.Int64
	trials := []trial{{"NATS fan-out", func(ctx context.Context) (float64, error) {
		return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
			return natsFanOutRun(ctx, pub, subs, 8<<10, d)
		})
	}}, {"NATS JetStream fan-out", func(ctx context.Context) (float64, error) {
		return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
			return jetStreamFanOutRun(ctx, pubJS, subs, jsRuns.Add(1), fanOutWindow, d)
		})
	}}}
	for _, side := range []struct{ tag, url string }{{"", ""}, {" --nats", np.srv.ClientURL()}} {
		gh, cleanup, err := genehostFanOutTrials(ctx, b, side.tag, side.url)
		defer runAll(cleanup)
		if err != nil {
			b.note(fmt.Sprintf("scenario 4: genehost%s side: %v", side.tag, err))
		}
		trials = append(trials, gh...)
	}

	m := b.measure(ctx, trials...)
	topic := fmt.Sprintf("4 fan-out, topic, %d subscribers", b.cfg.subs)
	b.add(row{"4 fan-out, durable queue, acked", "deliveries/s", m.get("genehost fan-out durable"),
		"NATS JetStream, file, acked (TCP)", m.get("NATS JetStream fan-out"), ratioAtLeast(1)})
	b.add(row{topic, "deliveries/s", m.get("genehost fan-out topic"),
		"NATS (TCP)", m.get("NATS fan-out"), ratioAtLeast(1)})
	// The same with the host's streams on the peer's JetStream server (serve
	// --nats): what genehost adds over using JetStream directly.
	b.add(row{"4 fan-out, durable queue, acked, --nats", "deliveries/s", m.get("genehost --nats fan-out durable"),
		"NATS JetStream, file, acked (TCP)", m.get("NATS JetStream fan-out"), ratioAtLeast(natsOverhead)})
	b.add(row{topic + ", --nats", "deliveries/s", m.get("genehost --nats fan-out topic"),
		"NATS (TCP)", m.get("NATS fan-out"), ratioAtLeast(natsOverhead)})
	return nil
}

// natsOverhead is the --nats rows' target: genehost on a JetStream server
// takes at most 1.5 times as long per delivery as JetStream (or core
// NATS) used directly.
const natsOverhead = 1 / 1.5

// jetStreamFanOutRun is the durable twin of natsFanOutRun, the
// like-for-like peer of genehost's queue: a file-backed JetStream stream,
// one durable consumer per subscriber connection (each gets every
// message), every message acknowledged, at most 16 publishes awaiting
// their acknowledgement, the slowest consumer at most window behind.
// JetStream's file store syncs to disk every 2 minutes by default, not
// per message.
func jetStreamFanOutRun(ctx context.Context, pub nats.JetStreamContext, subs []*nats.Conn, run int64, window uint64, d time.Duration) (float64, error) {
	subject := fmt.Sprintf("bench.%d", run)
	got := make([]atomic.Uint64, len(subs))
	var lastNanos atomic.Int64
	var failure atomic.Value
	for i, nc := range subs {
		js, err := nc.JetStream()
		if err != nil {
			return 0, fmt.Errorf("jetstream: %w", err)
		}
		s, err := js.Subscribe(subject, func(m *nats.Msg) {
			if _, err := decodeGene(m.Data); err != nil {
				failure.CompareAndSwap(nil, err)
			}
			if err := m.Ack(); err != nil {
				failure.CompareAndSwap(nil, fmt.Errorf("jetstream ack: %w", err))
			}
			got[i].Add(1)
			lastNanos.Store(time.Now().UnixNano())
		}, nats.Durable(fmt.Sprintf("r%d-g%d", run, i)), nats.BindStream("BENCH"), nats.ManualAck(), nats.AckExplicit(), nats.DeliverAll(), nats.MaxAckPending(256))
		if err != nil {
			return 0, fmt.Errorf("jetstream subscribe: %w", err)
		}
		defer s.Unsubscribe()
		if err := s.SetPendingLimits(-1, -1); err != nil {
			return 0, fmt.Errorf("nats pending limits: %w", err)
		}
	}
	slowest := func() uint64 {
		low := got[0].Load()
		for i := 1; i < len(got); i++ {
			low = min(low, got[i].Load())
		}
		return low
	}
	start := time.Now()
	deadline := start.Add(d)
	var sent uint64
	for ctx.Err() == nil && time.Now().Before(deadline) {
		for sent-slowest() >= window && ctx.Err() == nil {
			time.Sleep(100 * time.Microsecond)
		}
		if _, err := pub.PublishAsync(subject, payloadBytes, nats.StallWait(30*time.Second)); err != nil {
			return 0, fmt.Errorf("jetstream publish: %w", err)
		}
		sent++
	}
	select {
	case <-pub.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		return 0, fmt.Errorf("jetstream: publishes not acknowledged after 30s")
	}
	for wait := time.Now().Add(60 * time.Second); slowest() < sent; {
		if time.Now().After(wait) || ctx.Err() != nil {
			return 0, fmt.Errorf("jetstream: consumers got %d of %d messages after 60s", slowest(), sent)
		}
		time.Sleep(100 * time.Microsecond)
	}
	if err, ok := failure.Load().(error); ok {
		return 0, err
	}
	return float64(sent) * float64(len(subs)) / time.Duration(lastNanos.Load()-start.UnixNano()).Seconds(), nil
}
