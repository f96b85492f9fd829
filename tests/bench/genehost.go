package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// ghHost is an in-process genehost host on a Unix socket with the Go
// interfaces the scenarios use.
type ghHost struct {
	srv  *host.Server
	addr string
	sink *sinkHandler
}

// The bench's Go interfaces.
const (
	ifaceEcho  = "go-echo" // send+recv: every value comes back (host.Echo)
	ifaceSink  = "sink"    // recv: values are counted and dropped
	ifaceIdle  = "idle"    // send+recv: links are counted, values ignored
	ifaceFlood = "flood"   // recv: Receive never returns while the link lives
)

func manifest(name, dir string) *host.Manifest {
	m, err := host.ParseManifest(gene.MustParse(fmt.Sprintf(`{^name %q ^direction %q}`, name, dir)))
	if err != nil {
		panic(fmt.Sprintf("bench manifest %s: %v", name, err))
	}
	return m
}

// startHost starts a host with cfg on a new socket at path.
func startHost(path string, cfg host.Config) (*ghHost, error) {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	h := &ghHost{srv: host.New(cfg), sink: newSinkHandler()}
	for _, r := range []struct {
		m *host.Manifest
		h host.Handler
	}{
		{manifest(ifaceEcho, "send+recv"), host.Echo},
		{manifest(ifaceSink, "recv"), h.sink},
	} {
		if err := h.srv.Register(r.m, r.h); err != nil {
			return nil, err
		}
	}
	addr, err := h.srv.Listen(host.ListenerConfig{Address: "unix://" + path})
	if err != nil {
		return nil, err
	}
	h.addr = addr
	return h, nil
}

func (h *ghHost) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		return h.srv.Close()
	}
	return nil
}

func (h *ghHost) dial(ctx context.Context) (*client.Conn, error) {
	return client.Dial(ctx, h.addr, client.Config{})
}

// connect dials the host h serves. The cleanups close h, and the
// connection when there is one; on error h is still to be closed.
func connect(ctx context.Context, h interface {
	Close() error
	dial(context.Context) (*client.Conn, error)
}) (*client.Conn, []func(), error) {
	cleanup := []func(){func() { h.Close() }}
	conn, err := h.dial(ctx)
	if err != nil {
		return nil, cleanup, err
	}
	return conn, append(cleanup, func() { conn.Close() }), nil
}

// sinkHandler counts what each sink link received (decoded by the host)
// and reports the count when the link closes.
type sinkHandler struct {
	mu     sync.Mutex
	counts map[uint64]*atomic.Int64
	closed chan sinkResult
}

type sinkResult struct {
	n   int64
	err error
}

func newSinkHandler() *sinkHandler {
	return &sinkHandler{counts: map[uint64]*atomic.Int64{}, closed: make(chan sinkResult, 16)}
}

func (s *sinkHandler) Open(_ context.Context, l host.Link) error {
	s.mu.Lock()
	s.counts[l.ID()] = new(atomic.Int64)
	s.mu.Unlock()
	return nil
}

func (s *sinkHandler) Receive(_ context.Context, l host.Link, values []gene.Value) error {
	s.mu.Lock()
	c := s.counts[l.ID()]
	s.mu.Unlock()
	c.Add(int64(len(values)))
	return nil
}

func (s *sinkHandler) Closed(l host.Link, err error) {
	s.mu.Lock()
	c := s.counts[l.ID()]
	delete(s.counts, l.ID())
	s.mu.Unlock()
	s.closed <- sinkResult{c.Load(), err}
}

// genehostRoundTripTrials measures round trips on the in-process host:
// with inflight 1, Send then Recv on one send+recv link; with more,
// inflight goroutines share one link and correlate with Request (^id),
// and, as a second trial, each has its own link of the same transport.
// With inflight 1 the JS and Go-to-Wasm echo plugins are measured too.
func genehostRoundTripTrials(ctx context.Context, b *bench, inflight int) ([]trial, []func(), error) {
	h, err := startHost(filepath.Join(b.dir, fmt.Sprintf("gh-rt-%d.sock", inflight)), host.Config{})
	if err != nil {
		return nil, nil, err
	}
	conn, cleanup, err := connect(ctx, h)
	if err != nil {
		return nil, cleanup, err
	}
	trials := []trial{}
	native, err := roundTripTrial(ctx, b, "genehost native", conn, ifaceEcho, inflight)
	if err != nil {
		return nil, cleanup, err
	}
	trials = append(trials, native)
	if inflight > 1 {
		links := make([]*client.Link, inflight)
		for i := range links {
			if links[i], err = conn.Open(ctx, ifaceEcho, proto.DirSendRecv, client.LinkOptions{}); err != nil {
				return nil, cleanup, err
			}
		}
		trials = append(trials, trial{"genehost native, link per worker", func(ctx context.Context) (float64, error) {
			n, d, err := closedLoop(ctx, b.cfg.dur, inflight, func(w int) error {
				if err := links[w].Send(ctx, payload); err != nil {
					return err
				}
				_, err := links[w].Recv(ctx)
				return err
			})
			return perSecond(n, d), err
		}})
		return trials, cleanup, nil
	}
	plugins, more, err := pluginRoundTripTrials(ctx, b)
	cleanup = append(cleanup, more...)
	if err != nil {
		b.note(fmt.Sprintf("scenario 1: plugins: %v", err))
	}
	return append(trials, plugins...), cleanup, nil
}

// roundTripTrial opens one send+recv link on iface and makes a trial of
// round trips on it.
func roundTripTrial(ctx context.Context, b *bench, name string, conn *client.Conn, iface string, inflight int) (trial, error) {
	l, err := conn.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return trial{}, err
	}
	if inflight == 1 {
		return trial{name, func(ctx context.Context) (float64, error) {
			n, d, err := closedLoop(ctx, b.cfg.dur, 1, func(int) error {
				if err := l.Send(ctx, payload); err != nil {
					return err
				}
				_, err := l.Recv(ctx)
				return err
			})
			return perOpMicros(n, d), err
		}}, nil
	}
	// The payload with an ^id per worker, so Request adds nothing.
	reqs := make([]gene.Value, inflight)
	for i := range reqs {
		reqs[i] = withID(payload, i)
	}
	return trial{name, func(ctx context.Context) (float64, error) {
		n, d, err := closedLoop(ctx, b.cfg.dur, inflight, func(w int) error {
			_, err := l.Request(ctx, reqs[w])
			return err
		})
		return perSecond(n, d), err
	}}, nil
}

// withID returns a copy of node v with ^id set to id.
func withID(v gene.Value, id int) gene.Value {
	n := *v.Node()
	n.Props = append(gene.Props(nil), n.Props...)
	n.Props.Set("id", gene.Int(int64(id)))
	return gene.NodeValue(&n)
}

// pluginRoundTripTrials are the shipped JS echo plugin and the bench's
// Go-to-Wasm echo in both isolation modes, and the C guest echo in the
// host, served from a plugin directory by an in-process host.
func pluginRoundTripTrials(ctx context.Context, b *bench) ([]trial, []func(), error) {
	p, err := startPlugins(ctx, b, "rt", false, "echo@process", "echo@none", "wasm-echo@process", "wasm-echo@none", "c-echo@none")
	if err != nil {
		return nil, nil, err
	}
	conn, cleanup, err := connect(ctx, p)
	if err != nil {
		return nil, cleanup, err
	}
	var trials []trial
	for _, pl := range echoPlugins {
		t, err := roundTripTrial(ctx, b, pl.trial, conn, isolatedName(pl.plugin, pl.iso), 1)
		if err != nil {
			return trials, cleanup, fmt.Errorf("%s: %w", pl.trial, err)
		}
		trials = append(trials, t)
	}
	return trials, cleanup, nil
}

// echoPlugin is an echo plugin in one isolation mode, as a trial names it.
type echoPlugin struct{ trial, plugin, iso string }

// echoPlugins are the plugin echoes of scenario 1.
var echoPlugins = []echoPlugin{
	{"genehost JS echo process", "echo", "process"},
	{"genehost Wasm echo process", "wasm-echo", "process"},
	{"genehost JS echo none", "echo", "none"},
	{"genehost Wasm echo none", "wasm-echo", "none"},
	{"genehost C echo none", "c-echo", "none"},
}

// streamPlugins are the plugins a stream goes through in scenario 3.
var streamPlugins = []echoPlugin{
	{"genehost JS echo stream process", "echo", "process"},
	{"genehost Wasm echo stream process", "wasm-echo", "process"},
	{"genehost JS echo stream none", "echo", "none"},
	{"genehost Wasm echo stream none", "wasm-echo", "none"},
}

// pluginStreamTrials stream values through the JS and the Go-to-Wasm
// echo plugin in each isolation mode: the client sends for the run's
// length while a goroutine receives what the plugin sends back; the
// figure is values per second from the first send to the last value
// back. The client's credit (the link's window) bounds what is in
// flight.
func pluginStreamTrials(ctx context.Context, b *bench) ([]trial, []func(), error) {
	p, err := startPlugins(ctx, b, "plugin-stream", false, "echo@process", "echo@none", "wasm-echo@process", "wasm-echo@none")
	if err != nil {
		return nil, nil, err
	}
	conn, cleanup, err := connect(ctx, p)
	if err != nil {
		return nil, cleanup, err
	}
	var trials []trial
	for _, pl := range streamPlugins {
		iface := isolatedName(pl.plugin, pl.iso)
		trials = append(trials, trial{pl.trial, func(ctx context.Context) (float64, error) {
			return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
				return pluginStreamRun(ctx, conn, iface, d)
			})
		}})
	}
	return trials, cleanup, nil
}

func pluginStreamRun(ctx context.Context, conn *client.Conn, iface string, d time.Duration) (float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l, err := conn.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{})
	if err != nil {
		return 0, err
	}
	defer l.Close(context.WithoutCancel(ctx))
	var got, last atomic.Int64 // values back; when the latest came (UnixNano)
	recvErr := make(chan error, 1)
	go func() {
		for {
			if _, err := l.Recv(ctx); err != nil {
				recvErr <- err
				return
			}
			last.Store(time.Now().UnixNano())
			got.Add(1)
		}
	}()
	defer func() { cancel(); <-recvErr }()
	start := time.Now()
	deadline := start.Add(d)
	var sent int64
	for ctx.Err() == nil && time.Now().Before(deadline) {
		for range 64 {
			if err := l.Send(ctx, payload); err != nil {
				return 0, err
			}
		}
		sent += 64
	}
	wait := time.Now().Add(30 * time.Second)
	for got.Load() < sent {
		select {
		case err := <-recvErr:
			recvErr <- err // for the deferred wait
			return 0, fmt.Errorf("%s: %d of %d values back: %w", iface, got.Load(), sent, err)
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(wait) {
			return 0, fmt.Errorf("%s: %d of %d values back after 30s", iface, got.Load(), sent)
		}
	}
	return float64(sent) / time.Unix(0, last.Load()).Sub(start).Seconds(), nil
}

// genehostStreamTrials streams to the sink interface: Send for the run's
// length, CloseSend, and the figure is counted when the host's handler
// has seen the link close in order with every value.
func genehostStreamTrials(ctx context.Context, b *bench) ([]trial, []func(), error) {
	h, err := startHost(filepath.Join(b.dir, "gh-stream.sock"), host.Config{})
	if err != nil {
		return nil, nil, err
	}
	conn, cleanup, err := connect(ctx, h)
	if err != nil {
		return nil, cleanup, err
	}
	return []trial{{"genehost stream", func(ctx context.Context) (float64, error) {
		return warmThen(b.cfg.dur, func(d time.Duration) (float64, error) {
			return genehostStreamRun(ctx, h, conn, d)
		})
	}}}, cleanup, nil
}

func genehostStreamRun(ctx context.Context, h *ghHost, conn *client.Conn, d time.Duration) (float64, error) {
	l, err := conn.Open(ctx, ifaceSink, proto.DirRecv, client.LinkOptions{})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	deadline := start.Add(d)
	var sent int64
	for ctx.Err() == nil && time.Now().Before(deadline) {
		for range 64 {
			if err := l.Send(ctx, payload); err != nil {
				return 0, err
			}
		}
		sent += 64
	}
	if err := l.CloseSend(ctx); err != nil {
		return 0, err
	}
	var r sinkResult
	select {
	case r = <-h.sink.closed:
	case <-time.After(30 * time.Second):
		return 0, fmt.Errorf("genehost: the sink link did not close within 30s")
	}
	elapsed := time.Since(start)
	if r.err != nil && !errors.Is(r.err, io.EOF) {
		return 0, fmt.Errorf("genehost sink link: %w", r.err)
	}
	if r.n != sent {
		return 0, fmt.Errorf("genehost: the handler got %d of %d values", r.n, sent)
	}
	return float64(sent) / elapsed.Seconds(), nil
}
