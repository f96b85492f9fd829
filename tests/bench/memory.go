package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"google.golang.org/grpc"
)

// Scenario 5: cfg.links idle data links spread over cfg.transports
// transports. The host runs in a child process; its live heap plus
// stacks is read with no transport, with the transports connected but no
// link, and with every link open. The figures are bytes per transport
// and bytes per link.
func scenarioIdle(ctx context.Context, b *bench) error {
	var gh, peer [2][]float64 // [0] per transport, [1] per link
	ghRun, ghErr := genehostIdleRun, error(nil)
	for i := range b.cfg.runs {
		if ghErr == nil {
			t, l, err := ghRun(ctx, b)
			if err != nil {
				ghErr = err
				b.note(fmt.Sprintf("scenario 5: genehost run %d: %v", i+1, err))
			} else {
				gh[0], gh[1] = append(gh[0], t), append(gh[1], l)
				b.logf("  genehost idle run %d: %.0f B/transport, %.0f B/link", i+1, t, l)
			}
		}
		t, l, err := grpcIdleRun(ctx, b)
		if err != nil {
			b.note(fmt.Sprintf("scenario 5: gRPC run %d: %v", i+1, err))
			break
		}
		peer[0], peer[1] = append(peer[0], t), append(peer[1], l)
		b.logf("  gRPC idle run %d: %.0f B/transport, %.0f B/link", i+1, t, l)
	}
	label := fmt.Sprintf("5 idle scale, %d links over %d transports", b.cfg.links, b.cfg.transports)
	b.add(row{label, "B/transport", median(gh[0]), "gRPC raw (HTTP/2 conns)", median(peer[0]), atMost(32<<10, "<= 32 KiB")})
	b.add(row{label, "B/link", median(gh[1]), "gRPC raw (idle streams)", median(peer[1]), atMost(4<<10, "<= 4 KiB")})
	return nil
}

// idleFigures turns the three memory samples of an idle-scale run into
// bytes per transport and bytes per link.
func idleFigures(b *bench, none, conns, links memSample) (perTransport, perLink float64) {
	perTransport = float64(conns.total()-none.total()) / float64(b.cfg.transports)
	perLink = float64(links.total()-conns.total()) / float64(b.cfg.links)
	return perTransport, perLink
}

// grpcIdleRun is one idle-scale run against a gRPC server in a child:
// transports are ClientConns (each made ready with one call), links are
// bidirectional streams the server never reads from.
func grpcIdleRun(ctx context.Context, b *bench) (float64, float64, error) {
	c, err := startChild(ctx, b, "grpc")
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &grpcPeer{mode: grpcRaw, path: c.sock}
	none, err := c.mem()
	if err != nil {
		return 0, 0, err
	}
	conns := make([]*grpc.ClientConn, b.cfg.transports)
	for i := range conns {
		if conns[i], err = p.dial(); err != nil {
			return 0, 0, err
		}
		defer conns[i].Close()
		if err := p.call(ctx, conns[i], p.request(), p.reply()); err != nil {
			return 0, 0, fmt.Errorf("grpc first call: %w", err)
		}
	}
	connected, err := c.mem()
	if err != nil {
		return 0, 0, err
	}
	for i := range b.cfg.links {
		if _, err := p.idleStream(ctx, conns[i%len(conns)]); err != nil {
			return 0, 0, fmt.Errorf("grpc stream %d: %w", i, err)
		}
	}
	all, err := c.waitLinks(ctx, int64(b.cfg.links))
	if err != nil {
		return 0, 0, err
	}
	if err := c.heapProfile(b, "idle-grpc.heap"); err != nil {
		return 0, 0, err
	}
	t, l := idleFigures(b, none, connected, all)
	return t, l, nil
}

// Scenario 6: one client floods one link to a handler that never
// consumes, for cfg.dur. The host's live heap plus stacks is sampled
// (after a collection, every 20ms) in a child process; the figure is the
// peak above what it held before the flood.
func scenarioFlood(ctx context.Context, b *bench) error {
	var gh, peer []float64
	var windows float64
	ghErr := error(nil)
	for i := range b.cfg.runs {
		if ghErr == nil {
			grow, w, err := genehostFloodRun(ctx, b)
			if err != nil {
				ghErr = err
				b.note(fmt.Sprintf("scenario 6: genehost run %d: %v", i+1, err))
			} else {
				gh, windows = append(gh, grow), w
				b.logf("  genehost flood run %d: peak +%.0f B (windows %.0f B)", i+1, grow, w)
			}
		}
		grow, err := grpcFloodRun(ctx, b)
		if err != nil {
			b.note(fmt.Sprintf("scenario 6: gRPC run %d: %v", i+1, err))
			break
		}
		peer = append(peer, grow)
		b.logf("  gRPC flood run %d: peak +%.0f B", i+1, grow)
	}
	t := infoOnly
	if windows > 0 {
		t = atMost(2*windows, fmt.Sprintf("< 2x windows (%s)", figure(2*windows, "B")))
	}
	b.add(row{"6 flood, handler never consumes: host peak growth", "B", median(gh), "gRPC raw (server never reads)", median(peer), t})
	return nil
}

// grpcFloodRun floods one gRPC stream whose handler never reads, with the
// server in a child, and returns the peak growth of its live memory.
func grpcFloodRun(ctx context.Context, b *bench) (float64, error) {
	c, err := startChild(ctx, b, "grpc")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	p := &grpcPeer{mode: grpcRaw, path: c.sock}
	cc, err := p.dial()
	if err != nil {
		return 0, err
	}
	defer cc.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := p.idleStream(sctx, cc)
	if err != nil {
		return 0, fmt.Errorf("grpc stream: %w", err)
	}
	base, err := c.waitLinks(ctx, 1)
	if err != nil {
		return 0, err
	}
	if err := c.startSampling(); err != nil {
		return 0, err
	}
	msg := p.request()
	flood := make(chan error, 1)
	go func() {
		for {
			if err := stream.SendMsg(msg); err != nil {
				flood <- err
				return
			}
		}
	}()
	select {
	case err := <-flood:
		return 0, fmt.Errorf("grpc flood ended early: %w", err)
	case <-time.After(b.cfg.dur):
	}
	peak, err := c.peak()
	cancel()
	<-flood
	if err != nil {
		return 0, err
	}
	return math.Max(0, float64(peak-base.total())), nil
}
