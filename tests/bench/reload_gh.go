package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// reloadSettle is how long after the new version serves the reload
// window lasts: links opened then make the new version's first instances.
const reloadSettle = 250 * time.Millisecond

// genehostReloadRun is one run of scenario 7 on the shipped JS echo,
// served from a watched plugin directory:
//
//   - the load: values streamed to echo as fast as credit allows and
//     counted as they come back, on a link reopened every 100ms so that
//     links span the reload (old version) and start after it (new one);
//   - the probes: round trips, one in flight, on a second link reopened
//     every 200ms, each timed;
//   - after cfg.dur of steady state, handler.js is rewritten (a new
//     comment, so its content hash changes) and the watcher reloads it.
//
// It returns the values lost (sent and never echoed, on every link) and
// the p99 round trip from the write until reloadSettle after the new
// generation serves, over the p99 of the steady state before it. A run
// that fails still returns the values it lost; one that fails before
// its load starts returns NaN for them.
func genehostReloadRun(ctx context.Context, b *bench) (float64, float64, error) {
	p, err := startPlugins(ctx, b, fmt.Sprintf("reload-%d", time.Now().UnixNano()), true, "echo")
	if err != nil {
		return math.NaN(), 0, err
	}
	defer p.Close()
	gen0, _ := p.generation("echo")
	conn, err := p.dial(ctx)
	if err != nil {
		return math.NaN(), 0, err
	}
	defer conn.Close()
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()

	var (
		wg              sync.WaitGroup
		sent, echoed    atomic.Int64
		loadErr, rttErr error
		mu              sync.Mutex
		rtts            []timedRTT
	)
	lost := func() float64 { return float64(sent.Load() - echoed.Load()) }
	wg.Go(func() { loadErr = reloadLoad(lctx, conn, &sent, &echoed) })
	wg.Go(func() {
		rttErr = reloadProbes(lctx, conn, func(at time.Time, d time.Duration) {
			mu.Lock()
			rtts = append(rtts, timedRTT{at, d})
			mu.Unlock()
		})
	})

	steadyFrom := time.Now().Add(b.cfg.dur / 5)
	time.Sleep(b.cfg.dur)
	wrote := time.Now()
	js := filepath.Join(p.path, "echo", "handler.js")
	src, err := os.ReadFile(js)
	if err == nil {
		err = os.WriteFile(js, fmt.Appendf(src, "\n// reloaded by the benchmark at %s\n", wrote.Format(time.RFC3339Nano)), 0o644)
	}
	if err != nil {
		stopLoad()
		wg.Wait()
		return lost(), 0, fmt.Errorf("edit handler.js: %w", err)
	}
	var served time.Time
	for deadline := wrote.Add(30 * time.Second); served.IsZero(); {
		if gen, _ := p.generation("echo"); gen > gen0 {
			served = time.Now()
			break
		}
		if time.Now().After(deadline) {
			stopLoad()
			wg.Wait()
			_, lastErr := p.generation("echo")
			return lost(), 0, fmt.Errorf("echo was not reloaded within 30s (%s)", lastErr)
		}
		time.Sleep(time.Millisecond)
	}
	until := served.Add(reloadSettle)
	time.Sleep(time.Until(until) + b.cfg.dur/5)
	stopLoad()
	wg.Wait()
	if loadErr != nil {
		return lost(), 0, fmt.Errorf("load: %w", loadErr)
	}
	if rttErr != nil {
		return lost(), 0, fmt.Errorf("probes: %w", rttErr)
	}

	var steady, during []time.Duration
	for _, r := range rtts {
		switch {
		case r.at.After(steadyFrom) && r.at.Before(wrote):
			steady = append(steady, r.d)
		case !r.at.Before(wrote) && r.at.Before(until):
			during = append(during, r.d)
		}
	}
	if len(steady) < 20 || len(during) < 5 {
		return lost(), 0, fmt.Errorf("too few probes: %d steady, %d during the reload", len(steady), len(during))
	}
	ps, pd := percentile(steady, 99), percentile(during, 99)
	b.logf("  reload: %v to serve the new version; p99 steady %v (%d probes), during %v (%d probes); %d values sent, %d echoed",
		served.Sub(wrote).Round(time.Millisecond), ps, len(steady), pd, len(during), sent.Load(), echoed.Load())
	return lost(), float64(pd) / float64(ps), nil
}

type timedRTT struct {
	at time.Time // when the round trip started
	d  time.Duration
}

// reloadLoad streams to echo on links of 100ms each until ctx is done,
// closing each in order and counting what comes back.
func reloadLoad(ctx context.Context, conn *client.Conn, sent, echoed *atomic.Int64) error {
	for ctx.Err() == nil {
		l, err := conn.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		recvDone := make(chan error, 1)
		go func() {
			for {
				_, err := l.Recv(context.Background())
				if errors.Is(err, io.EOF) {
					recvDone <- nil
					return
				}
				if err != nil {
					recvDone <- err
					return
				}
				echoed.Add(1)
			}
		}()
		end := time.Now().Add(100 * time.Millisecond)
		var sendErr error
		for ctx.Err() == nil && time.Now().Before(end) {
			if sendErr = l.Send(ctx, payload); sendErr != nil {
				break
			}
			sent.Add(1)
		}
		if sendErr != nil && ctx.Err() == nil {
			return fmt.Errorf("send: %w", sendErr)
		}
		// Close in order even when the run is over: what was sent must
		// come back.
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = l.CloseSend(cctx)
		if err == nil {
			select {
			case err = <-recvDone:
			case <-cctx.Done():
				err = fmt.Errorf("echo did not end its direction within 30s")
			}
		}
		cancel()
		if err != nil {
			return fmt.Errorf("link %d: %w", l.ID(), err)
		}
	}
	return nil
}

// reloadProbes makes timed round trips on links of 200ms each.
func reloadProbes(ctx context.Context, conn *client.Conn, record func(time.Time, time.Duration)) error {
	for ctx.Err() == nil {
		l, err := conn.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		end := time.Now().Add(200 * time.Millisecond)
		for ctx.Err() == nil && time.Now().Before(end) {
			start := time.Now()
			if err := l.Send(ctx, payload); err != nil {
				break
			}
			if _, err := l.Recv(ctx); err != nil {
				if ctx.Err() != nil {
					break
				}
				return err
			}
			record(start, time.Since(start))
		}
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		l.Close(cctx)
		cancel()
	}
	return nil
}
