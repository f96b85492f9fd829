package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
)

// Scenario 3: a one-way stream of small values, every one decoded by the
// receiver; the figure is values per second from the first send to the
// last value received.
func scenarioStream(ctx context.Context, b *bench) error {
	raw, err := startGRPC(b.dir, grpcRaw)
	if err != nil {
		return err
	}
	defer raw.Close()
	pb, err := startGRPC(b.dir, grpcProto)
	if err != nil {
		return err
	}
	defer pb.Close()
	np, err := startNATS()
	if err != nil {
		return err
	}
	defer np.Close()

	trials := []trial{}
	for _, p := range []*grpcPeer{raw, pb} {
		cc, err := p.dial()
		if err != nil {
			return err
		}
		defer cc.Close()
		trials = append(trials, trial{p.mode.String() + " client stream", func(ctx context.Context) (float64, error) {
			return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) { return grpcStreamRun(ctx, p, cc, d) })
		}})
	}
	pub, err := np.connect()
	if err != nil {
		return err
	}
	defer pub.Close()
	sub, err := np.connect()
	if err != nil {
		return err
	}
	defer sub.Close()
	trials = append(trials, trial{"NATS pub->sub", func(ctx context.Context) (float64, error) {
		return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
			return natsFanOutRun(ctx, pub, []*nats.Conn{sub}, 64<<10, d)
		})
	}})
	gh, cleanup, err := genehostStreamTrials(ctx, b)
	defer runAll(cleanup)
	if err != nil {
		b.note(fmt.Sprintf("scenario 3: genehost side: %v", err))
	}
	trials = append(trials, gh...)
	pl, cleanup, err := pluginStreamTrials(ctx, b)
	defer runAll(cleanup)
	if err != nil {
		b.note(fmt.Sprintf("scenario 3: plugin stream: %v", err))
	}
	trials = append(trials, pl...)

	m := b.measure(ctx, trials...)
	const label, unit = "3 one-way stream, decoded on receive", "values/s"
	b.add(row{label, unit, m.get("genehost stream"), "gRPC raw client stream", m.get("gRPC raw client stream"), ratioAtLeast(2)})
	b.add(row{label, unit, m.get("genehost stream"), "NATS pub->sub (TCP)", m.get("NATS pub->sub"), ratioAtLeast(1.5)})
	b.add(row{label, unit, m.get("genehost stream"), "gRPC protobuf client stream", m.get("gRPC protobuf client stream"), ratioAtLeast(1)})
	for _, pl := range streamPlugins {
		lang := "JS echo"
		if pl.plugin == "wasm-echo" {
			lang = "Go-to-Wasm echo"
		}
		b.add(row{"3 stream through the " + lang + " plugin, ^isolation " + pl.iso, unit, m.get(pl.trial),
			"gRPC raw client stream", m.get("gRPC raw client stream"), infoOnly})
	}
	return nil
}

// warmThen runs f once for a fifth of d as a warm-up, then for d, and
// returns the second figure.
func warmThen(d time.Duration, f func(d time.Duration) (float64, error)) (float64, error) {
	if _, err := f(d / 5); err != nil {
		return 0, fmt.Errorf("warm-up: %w", err)
	}
	return f(d)
}

// grpcStreamRun sends on one client stream for d, then half-closes and
// waits for the server's count of what it received and decoded.
func grpcStreamRun(ctx context.Context, p *grpcPeer, cc *grpc.ClientConn, d time.Duration) (float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := p.sinkStream(ctx, cc)
	if err != nil {
		return 0, fmt.Errorf("grpc open stream: %w", err)
	}
	msg := p.request()
	start := time.Now()
	deadline := start.Add(d)
	var sent uint64
	for ctx.Err() == nil && time.Now().Before(deadline) {
		for range 64 {
			if err := stream.SendMsg(msg); err != nil {
				return 0, fmt.Errorf("grpc send: %w", err)
			}
		}
		sent += 64
	}
	if err := stream.CloseSend(); err != nil {
		return 0, fmt.Errorf("grpc close send: %w", err)
	}
	var c count
	if err := stream.RecvMsg(&c); err != nil {
		return 0, fmt.Errorf("grpc receive count: %w", err)
	}
	elapsed := time.Since(start)
	if c.n != sent {
		return 0, fmt.Errorf("grpc: server got %d of %d messages", c.n, sent)
	}
	return float64(sent) / elapsed.Seconds(), nil
}

// natsFanOutRun publishes for d to every subscriber connection in subs
// (one subscription each on a fresh subject) and waits until each has
// received and decoded every message. At most window messages are
// outstanding for the slowest subscriber, so the run is lossless and its
// memory bounded, as credit makes genehost's. The figure is deliveries
// (messages times subscribers) per second.
func natsFanOutRun(ctx context.Context, pub *nats.Conn, subs []*nats.Conn, window uint64, d time.Duration) (float64, error) {
	subject := nats.NewInbox()
	got := make([]atomic.Uint64, len(subs))
	var lastNanos atomic.Int64 // wall clock of the latest delivery
	var decodeErr atomic.Value
	for i, nc := range subs {
		s, err := nc.Subscribe(subject, func(m *nats.Msg) {
			if _, err := decodeGene(m.Data); err != nil {
				decodeErr.CompareAndSwap(nil, err)
			}
			got[i].Add(1)
			lastNanos.Store(time.Now().UnixNano())
		})
		if err != nil {
			return 0, fmt.Errorf("nats subscribe: %w", err)
		}
		defer s.Unsubscribe()
		if err := s.SetPendingLimits(-1, -1); err != nil {
			return 0, fmt.Errorf("nats pending limits: %w", err)
		}
		if err := nc.Flush(); err != nil {
			return 0, fmt.Errorf("nats flush: %w", err)
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
		for range 256 {
			if err := pub.Publish(subject, payloadBytes); err != nil {
				return 0, fmt.Errorf("nats publish: %w", err)
			}
		}
		sent += 256
		for sent-slowest() > window && ctx.Err() == nil {
			if err := pub.FlushTimeout(30 * time.Second); err != nil {
				return 0, fmt.Errorf("nats flush: %w", err)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	if err := pub.FlushTimeout(30 * time.Second); err != nil {
		return 0, fmt.Errorf("nats flush: %w", err)
	}
	for wait := time.Now().Add(30 * time.Second); slowest() < sent; {
		if time.Now().After(wait) || ctx.Err() != nil {
			return 0, fmt.Errorf("nats: subscribers got %d of %d messages after 30s", slowest(), sent)
		}
		time.Sleep(100 * time.Microsecond)
	}
	if err, ok := decodeErr.Load().(error); ok {
		return 0, err
	}
	elapsed := time.Duration(lastNanos.Load() - start.UnixNano())
	return float64(sent) * float64(len(subs)) / elapsed.Seconds(), nil
}
