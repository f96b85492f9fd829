package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

type counts struct {
	sent, received, lost atomic.Int64
}

func (c *counts) String() string {
	return fmt.Sprintf("sent %d, received %d, lost %d", c.sent.Load(), c.received.Load(), c.lost.Load())
}

func TestSoak(t *testing.T) {
	spec := os.Getenv("GENEHOST_SOAK")
	if spec == "" {
		t.Skip("set GENEHOST_SOAK to a duration (e.g. 60s) to run the soak test")
	}
	dur, err := time.ParseDuration(spec)
	require.NoError(t, err, "GENEHOST_SOAK")

	pluginsDir, err := filepath.Abs("../../plugins")
	require.NoError(t, err)
	db, err := store.Open(filepath.Join(t.TempDir(), "genehost.db"), store.Options{})
	require.NoError(t, err)
	defer db.Close()
	streams := store.NewStreams(db) // the queue runs on the streams capability
	defer streams.Close()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard})
	srv := host.New(host.Config{Logger: logger})
	js := jsrt.New()
	wr, err := wasmrt.New(wasmrt.Config{CacheDir: filepath.Join(t.TempDir(), "wasm")})
	require.NoError(t, err)
	ctx := context.Background()
	dir, err := plugindir.Open(ctx, plugindir.Options{Dir: pluginsDir, CacheDir: filepath.Join(os.TempDir(), "genehost-soak-cache"),
		Logger: logger, Registry: srv, Store: db, Streams: streams, Runtimes: map[string]plugin.Runtime{"js": js, "wasm": wr},
		Isolated: workertest.Runtimes(t, logger)}) // JavaScript in workers, as genehost serve runs it
	require.NoError(t, err)
	sockDir, err := os.MkdirTemp("", "soak")
	require.NoError(t, err)
	defer os.RemoveAll(sockDir)
	addr, err := srv.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(sockDir, "g.sock")})
	require.NoError(t, err)

	var peak atomic.Uint64
	runCtx, stop := context.WithTimeout(ctx, dur)
	defer stop()
	var wg sync.WaitGroup
	spawn := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	spawn(func() { // memory sampler
		var ms runtime.MemStats
		for runCtx.Err() == nil {
			runtime.ReadMemStats(&ms)
			if m := ms.HeapInuse + ms.StackInuse; m > peak.Load() {
				peak.Store(m)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	var reloads atomic.Int64
	spawn(func() { // hot reloads under load
		for runCtx.Err() == nil {
			select {
			case <-runCtx.Done():
				return
			case <-time.After(3 * time.Second):
			}
			for _, name := range []string{"echo", "queue"} {
				if err := dir.Reload(ctx, name); err != nil {
					t.Errorf("reload %s: %v", name, err)
				}
				reloads.Add(1)
			}
		}
	})

	var echo, kv counts
	var churn atomic.Int64
	for w := 0; w < 4; w++ {
		spawn(func() { echoWorker(t, runCtx, addr, w, &echo, &churn) })
	}
	for w := 0; w < 2; w++ {
		spawn(func() { kvWorker(t, runCtx, addr, w, &kv, &churn) })
	}
	var queue counts
	spawn(func() { queueWorkers(t, runCtx, addr, &queue) })
	wg.Wait()

	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	require.NoError(t, srv.Shutdown(sctx))
	cancel()
	dir.Close()
	js.Close(ctx)
	wr.Close(ctx)

	report := fmt.Sprintf("soak %s: echo %s; kv %s; queue %s; %d reloads; %d connections opened; peak host+client memory %.1f MiB",
		dur, &echo, &kv, &queue, reloads.Load(), churn.Load(), float64(peak.Load())/(1<<20))
	t.Log(report)
	fmt.Println(report)
	assert.Zero(t, echo.lost.Load(), "echo is lossless")
	assert.Zero(t, kv.lost.Load(), "kv loses no acknowledged write")
	assert.Zero(t, queue.lost.Load(), "queue delivers every published message")
	assert.Positive(t, echo.received.Load())
	assert.Positive(t, kv.received.Load())
	assert.Positive(t, queue.received.Load())
}

// done reports whether err only says that the run is over.
func done(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || err != nil)
}

// echoWorker: connections come and go; each carries a few links of 50
// values that must all come back in order.
func echoWorker(t *testing.T, ctx context.Context, addr string, w int, c *counts, churn *atomic.Int64) {
	for round := 0; ctx.Err() == nil; round++ {
		conn, err := client.Dial(ctx, addr, client.Config{})
		if err != nil {
			if !done(ctx, err) {
				t.Errorf("echo dial: %v", err)
			}
			return
		}
		churn.Add(1)
		for l := 0; l < 5 && ctx.Err() == nil; l++ {
			link, err := conn.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
			if err != nil {
				if !done(ctx, err) {
					t.Errorf("echo open: %v", err)
				}
				break
			}
			const n = 50
			go func() {
				for i := 0; i < n; i++ {
					if link.Send(context.Background(), gene.MustParse(fmt.Sprintf("(v ^w %d ^r %d ^i %d)", w, round, i))) != nil {
						return
					}
					c.sent.Add(1)
				}
			}()
			for i := 0; i < n; i++ {
				v, err := link.Recv(context.Background())
				if err != nil {
					t.Errorf("echo recv %d of %d: %v", i, n, err)
					c.lost.Add(int64(n - i))
					break
				}
				got, _ := v.Get("i")
				if k, _ := got.AsInt(); int(k) != i {
					t.Errorf("echo out of order: %s at %d", v, i)
				}
				c.received.Add(1)
			}
			link.Close(context.Background())
		}
		conn.Close()
	}
}

// kvWorker writes keys and reads every one back.
func kvWorker(t *testing.T, ctx context.Context, addr string, w int, c *counts, churn *atomic.Int64) {
	for round := 0; ctx.Err() == nil; round++ {
		conn, err := client.Dial(ctx, addr, client.Config{})
		if err != nil {
			if !done(ctx, err) {
				t.Errorf("kv dial: %v", err)
			}
			return
		}
		churn.Add(1)
		link, err := conn.Open(ctx, "kv", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			if !done(ctx, err) {
				t.Errorf("kv open: %v", err)
			}
			conn.Close()
			return
		}
		bg := context.Background()
		for i := 0; i < 100 && ctx.Err() == nil; i++ {
			key := fmt.Sprintf("soak/%d/%d/%d", w, round, i)
			r, err := link.Request(bg, gene.MustParse(fmt.Sprintf(`(set ^key %q ^value %d)`, key, i)))
			if err != nil || !r.Node().Head.IsSymbol("ok") {
				t.Errorf("kv set %s: %v %v", key, r, err)
				continue
			}
			c.sent.Add(1)
			r, err = link.Request(bg, gene.MustParse(fmt.Sprintf(`(get ^key %q)`, key)))
			v, _ := r.Get("value")
			if n, _ := v.AsInt(); err != nil || int(n) != i {
				t.Errorf("kv get %s: %v %v", key, r, err)
				c.lost.Add(1)
				continue
			}
			c.received.Add(1)
		}
		link.Close(bg)
		conn.Close()
	}
}

// queueWorkers: one producer, two consumers of one group; every message
// published must be delivered (at least once) and is acknowledged.
func queueWorkers(t *testing.T, ctx context.Context, addr string, c *counts) {
	bg := context.Background()
	topic := fmt.Sprintf("soak-%d", time.Now().UnixNano())
	var mu sync.Mutex
	published := map[int64]bool{}
	delivered := map[int64]bool{}
	var consumers []*client.Conn
	for i := 0; i < 2; i++ {
		conn, err := client.Dial(bg, addr, client.Config{})
		require.NoError(t, err)
		consumers = append(consumers, conn)
		link, err := conn.Open(bg, "queue", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		link.Handle(func(v gene.Value) {
			n := v.Node()
			if n == nil || !n.Head.IsSymbol("message") {
				return
			}
			sv, _ := n.Props.Get("seq")
			seq, _ := sv.AsInt()
			mu.Lock()
			delivered[seq] = true
			mu.Unlock()
			ack := gene.MustParse(fmt.Sprintf(`(ack ^topic %q ^group "g" ^seq %d)`, topic, seq))
			go link.Send(bg, ack)
		}, nil)
		r, err := link.Request(bg, gene.MustParse(fmt.Sprintf(`(subscribe ^topic %q ^group "g" ^ack-timeout-ms 2000)`, topic)))
		require.NoError(t, err)
		require.True(t, r.Node().Head.IsSymbol("subscribed"), "%s", r)
	}
	conn, err := client.Dial(bg, addr, client.Config{})
	require.NoError(t, err)
	link, err := conn.Open(bg, "queue", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	for i := 0; ctx.Err() == nil; i++ {
		r, err := link.Request(bg, gene.MustParse(fmt.Sprintf(`(publish ^topic %q ^value (job %d))`, topic, i)))
		if err != nil || !r.Node().Head.IsSymbol("published") {
			t.Errorf("publish %d: %v %v", i, r, err)
			break
		}
		sv, _ := r.Get("seq")
		seq, _ := sv.AsInt()
		mu.Lock()
		published[seq] = true
		mu.Unlock()
		c.sent.Add(1)
		time.Sleep(2 * time.Millisecond)
	}
	// Let delivery catch up.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		missing := 0
		for s := range published {
			if !delivered[s] {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	for s := range published {
		if delivered[s] {
			c.received.Add(1)
		} else {
			c.lost.Add(1)
		}
	}
	mu.Unlock()
	conn.Close()
	for _, cc := range consumers {
		cc.Close()
	}
}
