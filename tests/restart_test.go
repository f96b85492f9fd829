package tests

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
	"github.com/genehost/genehost/tests/e2e"
)

// TestKillAndRestartWhileClientsSend: the host is killed (SIGKILL) and
// restarted on the same socket and data while clients keep writing to kv
// and publishing to queue through a client.Pool, which reconnects with
// backoff. Every write the host acknowledged is there afterwards, and
// every acknowledged publish is delivered.
func TestKillAndRestartWhileClientsSend(t *testing.T) {
	plugins := copyPlugins(t)
	data := filepath.Join(t.TempDir(), "data")
	runtime := e2e.ShortDir(t)
	d := serve(t, serveOpts{plugins: plugins, data: data, runtime: runtime})
	addr := d.Unix

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool, err := client.NewPool(ctx, []string{addr}, client.PoolConfig{
		Backoff: client.Backoff{Base: 20 * time.Millisecond, Max: 500 * time.Millisecond}})
	require.NoError(t, err)
	defer pool.Close()

	topic := "restart"
	var (
		mu        sync.Mutex
		kvAcked   []int
		published = map[int64]bool{}
		failures  atomic.Int64
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // kv writer
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			r, err := pool.Request(rctx, "kv", gene.MustParse(fmt.Sprintf(`(set ^key "k/%05d" ^value %d)`, i, i)))
			rcancel()
			if err != nil || r.Node() == nil || !r.Node().Head.IsSymbol("ok") {
				failures.Add(1) // not acknowledged: it may or may not be there
				continue
			}
			mu.Lock()
			kvAcked = append(kvAcked, i)
			mu.Unlock()
		}
	}()
	go func() { // queue producer
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			r, err := pool.Request(rctx, "queue", gene.MustParse(fmt.Sprintf(`(publish ^topic %q ^value %d)`, topic, i)))
			rcancel()
			if err != nil || r.Node() == nil || !r.Node().Head.IsSymbol("published") {
				failures.Add(1)
				continue
			}
			sv, _ := r.Get("seq")
			seq, _ := sv.AsInt()
			mu.Lock()
			published[seq] = true
			mu.Unlock()
		}
	}()

	acked := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(kvAcked)
	}
	require.Eventually(t, func() bool { return acked() >= 20 }, 30*time.Second, 10*time.Millisecond)
	d.Kill()
	before := acked()
	time.Sleep(300 * time.Millisecond) // clients keep trying against a dead socket
	d2 := serve(t, serveOpts{plugins: plugins, data: data, runtime: runtime})
	require.Equal(t, addr, d2.Unix, "the same socket path, reused")
	require.Eventually(t, func() bool { return acked() >= before+20 }, 60*time.Second, 10*time.Millisecond,
		"the pool reconnected and writes go on")
	close(stop)
	wg.Wait()
	t.Logf("kv: %d acknowledged writes, queue: %d acknowledged publishes, %d calls failed around the kill", acked(), len(published), failures.Load())

	// Every acknowledged write is there.
	c, err := client.Dial(ctx, addr, client.Config{})
	require.NoError(t, err)
	defer c.Close()
	l, err := c.Open(ctx, "kv", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	mu.Lock()
	keys := append([]int(nil), kvAcked...)
	mu.Unlock()
	for _, i := range keys {
		r, err := l.Request(ctx, gene.MustParse(fmt.Sprintf(`(get ^key "k/%05d")`, i)))
		require.NoError(t, err)
		v, _ := r.Get("value")
		assert.Equal(t, fmt.Sprint(i), v.String(), "acknowledged write %d", i)
	}

	// Every acknowledged publish is delivered.
	q, err := c.Open(ctx, "queue", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	got := map[int64]bool{}
	var gmu sync.Mutex
	q.Handle(func(v gene.Value) {
		if n := v.Node(); n != nil && n.Head.IsSymbol("message") {
			sv, _ := n.Props.Get("seq")
			seq, _ := sv.AsInt()
			gmu.Lock()
			got[seq] = true
			gmu.Unlock()
			go q.Send(ctx, gene.MustParse(fmt.Sprintf(`(ack ^topic %q ^group "check" ^seq %d)`, topic, seq)))
		}
	}, nil)
	_, err = q.Request(ctx, gene.MustParse(fmt.Sprintf(`(subscribe ^topic %q ^group "check" ^prefetch 256)`, topic)))
	require.NoError(t, err)
	missing := func() []int64 {
		gmu.Lock()
		defer gmu.Unlock()
		var m []int64
		for s := range published {
			if !got[s] {
				m = append(m, s)
			}
		}
		return m
	}
	require.Eventually(t, func() bool { return len(missing()) == 0 }, 30*time.Second, 20*time.Millisecond,
		"acknowledged publishes not delivered: %v", missing())
}
