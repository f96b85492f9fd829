package main

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// Flood settings of the host in scenario 6: the link window is counted
// in bytes (the message window is set out of reach), so the bound under
// test is floodWindow bytes of values held for a handler that never
// consumes them.
const (
	floodWindow          = 4 << 20
	floodTransportWindow = 8 << 20
)

func init() {
	childServers["genehost-idle"] = func(sock string) (func() int64, func() error, error) {
		var open atomic.Int64
		h, err := startHost(sock, host.Config{})
		if err != nil {
			return nil, nil, err
		}
		err = h.srv.Register(manifest(ifaceIdle, "send+recv"), host.HandlerFuncs{
			OpenFunc:   func(context.Context, host.Link) error { open.Add(1); return nil },
			ClosedFunc: func(host.Link, error) { open.Add(-1) },
		})
		if err != nil {
			return nil, nil, err
		}
		return open.Load, h.Close, nil
	}
	childServers["genehost-flood"] = func(sock string) (func() int64, func() error, error) {
		var open atomic.Int64
		cfg := host.Config{}
		cfg.Proto.DataWindow = proto.WindowConfig{InitialMsgs: 1 << 30, MaxMsgs: 1 << 30, InitialBytes: floodWindow, MaxBytes: floodWindow}
		cfg.Proto.TransportWindow = floodTransportWindow
		cfg.Proto.MaxTransportWindow = floodTransportWindow
		cfg.StallTimeout = -1
		h, err := startHost(sock, cfg)
		if err != nil {
			return nil, nil, err
		}
		err = h.srv.Register(manifest(ifaceFlood, "recv"), host.HandlerFuncs{
			OpenFunc:   func(context.Context, host.Link) error { open.Add(1); return nil },
			ClosedFunc: func(host.Link, error) { open.Add(-1) },
			ReceiveFunc: func(ctx context.Context, l host.Link, _ []gene.Value) error {
				select {
				case <-ctx.Done():
				case <-l.Done():
				}
				return nil
			},
		})
		if err != nil {
			return nil, nil, err
		}
		return open.Load, h.Close, nil
	}
}

// genehostIdleRun is one idle-scale run against a genehost host in a
// child: cfg.transports client connections, then cfg.links send+recv
// links spread over them, none carrying anything.
func genehostIdleRun(ctx context.Context, b *bench) (float64, float64, error) {
	c, err := startChild(ctx, b, "genehost-idle")
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	none, err := c.mem()
	if err != nil {
		return 0, 0, err
	}
	conns := make([]*client.Conn, b.cfg.transports)
	for i := range conns {
		if conns[i], err = client.Dial(ctx, "unix://"+c.sock, client.Config{}); err != nil {
			return 0, 0, err
		}
		defer conns[i].Close()
	}
	connected, err := c.mem()
	if err != nil {
		return 0, 0, err
	}
	for i := range b.cfg.links {
		if _, err := conns[i%len(conns)].Open(ctx, ifaceIdle, proto.DirSendRecv, client.LinkOptions{}); err != nil {
			return 0, 0, fmt.Errorf("genehost link %d: %w", i, err)
		}
	}
	all, err := c.waitLinks(ctx, int64(b.cfg.links))
	if err != nil {
		return 0, 0, err
	}
	if err := c.heapProfile(b, "idle-genehost.heap"); err != nil {
		return 0, 0, err
	}
	t, l := idleFigures(b, none, connected, all)
	return t, l, nil
}

// genehostFloodRun floods one recv link whose handler never consumes,
// with the host in a child, and returns the peak growth of the host's
// live memory and the window that bounds what it may hold.
func genehostFloodRun(ctx context.Context, b *bench) (float64, float64, error) {
	c, err := startChild(ctx, b, "genehost-flood")
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	conn, err := client.Dial(ctx, "unix://"+c.sock, client.Config{})
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	l, err := conn.Open(ctx, ifaceFlood, proto.DirRecv, client.LinkOptions{})
	if err != nil {
		return 0, 0, err
	}
	base, err := c.waitLinks(ctx, 1)
	if err != nil {
		return 0, 0, err
	}
	if err := c.startSampling(); err != nil {
		return 0, 0, err
	}
	fctx, cancel := context.WithTimeout(ctx, b.cfg.dur)
	defer cancel()
	var sent int
	for {
		if err := l.Send(fctx, payload); err != nil {
			if fctx.Err() != nil {
				break
			}
			return 0, 0, fmt.Errorf("genehost flood after %d values: %w", sent, err)
		}
		sent++
	}
	peak, err := c.peak()
	if err != nil {
		return 0, 0, err
	}
	if err := c.heapProfile(b, "flood-genehost.heap"); err != nil {
		return 0, 0, err
	}
	b.logf("  genehost flood: %d values sent before the window closed (%.0f B of payload)", sent, float64(sent*len(payloadBytes)))
	return math.Max(0, float64(peak-base.total())), floodWindow, nil
}
