package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Scenario 1: one request in flight at a time, Unix socket; the figure
// is the mean time of a round trip in µs.
func scenarioRoundTrip(ctx context.Context, b *bench) error {
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
		trials = append(trials, trial{p.mode.String() + " unary", func(ctx context.Context) (float64, error) {
			req := p.request()
			n, d, err := closedLoop(ctx, b.cfg.dur, 1, func(int) error {
				return p.call(ctx, cc, req, p.reply())
			})
			return perOpMicros(n, d), err
		}})
	}

	stopResponder, err := natsEchoResponder(np)
	if err != nil {
		return err
	}
	defer stopResponder()
	nc, err := np.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	trials = append(trials, trial{"NATS request/reply", func(ctx context.Context) (float64, error) {
		n, d, err := closedLoop(ctx, b.cfg.dur, 1, func(int) error {
			m, err := nc.Request("echo", payloadBytes, 5*time.Second)
			if err != nil {
				return fmt.Errorf("nats request: %w", err)
			}
			_, err = decodeGene(m.Data)
			return err
		})
		return perOpMicros(n, d), err
	}})

	gh, cleanup, err := genehostRoundTripTrials(ctx, b, 1)
	defer runAll(cleanup)
	if err != nil {
		b.note(fmt.Sprintf("scenario 1: genehost side: %v", err))
	}
	trials = append(trials, gh...)

	m := b.measure(ctx, trials...)
	get := m.get
	const unit = "µs/round trip"
	for _, side := range []struct {
		name, label string
		limit       float64
	}{
		{"genehost native", "1 round trip, native Go handler", 0.4},
		{"genehost JS echo process", "1 round trip, JS echo plugin, ^isolation process", 0.8},
		{"genehost Wasm echo process", "1 round trip, Go-to-Wasm echo plugin, ^isolation process", 0.8},
		{"genehost JS echo none", "1 round trip, JS echo plugin, ^isolation none", 0.5},
		{"genehost Wasm echo none", "1 round trip, Go-to-Wasm echo plugin, ^isolation none", 0.5},
		{"genehost C echo none", "1 round trip, C guest echo plugin (sdk/wasm/c), ^isolation none", 0.4},
	} {
		b.add(row{side.label, unit, get(side.name), "gRPC raw unary", get("gRPC raw unary"), ratioAtMost(side.limit)})
		if side.name == "genehost native" {
			b.add(row{side.label, unit, get(side.name), "gRPC protobuf unary", get("gRPC protobuf unary"), ratioAtMost(side.limit)})
			b.add(row{side.label, unit, get(side.name), "NATS request/reply (TCP)", get("NATS request/reply"), infoOnly})
		}
	}
	return nil
}

// natsEchoResponder answers every request on "echo" with its payload,
// decoding it first as a genehost handler would.
func natsEchoResponder(np *natsPeer) (stop func(), err error) {
	nc, err := np.connect()
	if err != nil {
		return nil, err
	}
	_, err = nc.Subscribe("echo", func(m *nats.Msg) {
		if _, err := decodeGene(m.Data); err != nil {
			return
		}
		_ = m.Respond(m.Data)
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats subscribe: %w", err)
	}
	if err := nc.Flush(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats flush: %w", err)
	}
	return nc.Close, nil
}

// Scenario 2: 32 requests in flight on one transport; the figure is
// requests per second.
func scenarioPipelined(ctx context.Context, b *bench) error {
	const inflight = 32
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

	trials := []trial{}
	for _, p := range []*grpcPeer{raw, pb} {
		cc, err := p.dial()
		if err != nil {
			return err
		}
		defer cc.Close()
		trials = append(trials, trial{p.mode.String() + " unary", func(ctx context.Context) (float64, error) {
			req := p.request()
			n, d, err := closedLoop(ctx, b.cfg.dur, inflight, func(int) error {
				return p.call(ctx, cc, req, p.reply())
			})
			return perSecond(n, d), err
		}})
	}
	gh, cleanup, err := genehostRoundTripTrials(ctx, b, inflight)
	defer runAll(cleanup)
	if err != nil {
		b.note(fmt.Sprintf("scenario 2: genehost side: %v", err))
	}
	trials = append(trials, gh...)

	m := b.measure(ctx, trials...)
	const label, unit = "2 round trip, 32 in flight, one transport", "req/s"
	b.add(row{label, unit, m.get("genehost native"), "gRPC raw unary", m.get("gRPC raw unary"), ratioAtLeast(2)})
	b.add(row{label, unit, m.get("genehost native"), "gRPC protobuf unary", m.get("gRPC protobuf unary"), ratioAtLeast(2)})
	b.add(row{"2 ... 32 links on the transport, one in flight each", unit, m.get("genehost native, link per worker"), "gRPC raw unary", m.get("gRPC raw unary"), ratioAtLeast(2)})
	return nil
}
