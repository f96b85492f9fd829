package tests

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/store/natsstore/natstest"
	"github.com/genehost/genehost/proto"
	"github.com/genehost/genehost/tests/e2e"
)

// The tests of several hosts sharing plugin state through NATS JetStream
// ('genehost serve --nats'): real genehost binaries, real nats-server
// instances started in the test process (natstest).

// kvLink opens a kv link on the host at addr.
func kvLink(t *testing.T, addr string) *client.Link { return openLink(t, addr, "kv") }

// openLink opens a send+recv link to iface on the host at addr.
func openLink(t *testing.T, addr, iface string) *client.Link {
	t.Helper()
	c, err := client.Dial(t.Context(), addr, client.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	l, err := c.Open(t.Context(), iface, proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	return l
}

// ask sends req on l and returns the reply as text.
func ask(t *testing.T, l *client.Link, req string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	r, err := l.Request(ctx, gene.MustParse(req))
	require.NoError(t, err, req)
	if n := r.Node(); n != nil { // leave out the ^id Request added
		n.Props = slices.DeleteFunc(slices.Clone(n.Props), func(p gene.Prop) bool { return p.Key == "id" })
	}
	return gene.Format(r)
}

// canon is text written as genehost writes it.
func canon(text string) string { return gene.Format(gene.MustParse(text)) }

// serveNATS starts a host whose plugin state lives at the NATS servers
// urls (comma-separated).
func serveNATS(t *testing.T, urls string, args ...string) *e2e.Daemon {
	t.Helper()
	d := serve(t, serveOpts{args: append([]string{"--nats", urls}, args...)})
	require.True(t, d.WaitLog("plugin state in NATS JetStream", 10*time.Second), "log: %s", d.Log.String())
	return d
}

// TestNATSTwoHostsShareKV: two hosts started with --nats on one JetStream
// server serve one key-value store: a put on A is read on B, an atomic
// increment from both loses nothing, and a watch on B sees A's puts; and
// one queue: a message published through A is delivered through B.
func TestNATSTwoHostsShareKV(t *testing.T) {
	srv := natstest.Start(t)
	a, b := serveNATS(t, srv.URL()), serveNATS(t, srv.URL())
	la, lb := kvLink(t, a.Unix), kvLink(t, b.TCP)

	require.Equal(t, canon(`(ok ^key "greeting")`), ask(t, la, `(set ^key "greeting" ^value {^text "hi" ^from "A"})`))
	require.Equal(t, canon(`(value ^key "greeting" ^value {^text "hi" ^from "A"})`), ask(t, lb, `(get ^key "greeting")`))
	require.Equal(t, canon(`(ok ^key "greeting" ^existed true)`), ask(t, lb, `(del ^key "greeting")`))
	require.Equal(t, canon(`(not-found ^key "greeting")`), ask(t, la, `(get ^key "greeting")`))

	// Counters and compare-and-swap are atomic across the hosts.
	var wg sync.WaitGroup
	for _, l := range []*client.Link{la, lb} {
		wg.Go(func() {
			for range 10 {
				ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
				r, err := l.Request(ctx, gene.MustParse(`(incr ^key "hits")`))
				cancel()
				if assert.NoError(t, err) {
					assert.True(t, r.Node().Head.IsSymbol("value"), gene.Format(r))
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, canon(`(value ^key "hits" ^value 20)`), ask(t, lb, `(get ^key "hits")`))
	require.Equal(t, canon(`(conflict ^key "hits" ^value 20)`), ask(t, la, `(cas ^key "hits" ^expect 19 ^value 0)`))
	require.Equal(t, canon(`(ok ^key "hits")`), ask(t, lb, `(cas ^key "hits" ^expect 20 ^value 0)`))

	// A watch on B sees what A writes.
	watcher := kvLink(t, b.Unix)
	recv := func(want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		v, err := watcher.Recv(ctx)
		require.NoError(t, err, "waiting for %s", want)
		require.Equal(t, canon(want), gene.Format(v))
	}
	require.NoError(t, watcher.Send(t.Context(), gene.MustParse(`(watch ^prefix "user/")`)))
	recv(`(watching ^prefix "user/")`)
	require.Equal(t, canon(`(ok ^key "user/ada")`), ask(t, la, `(set ^key "user/ada" ^value 1815)`))
	require.Equal(t, canon(`(ok ^key "other")`), ask(t, la, `(set ^key "other" ^value 0)`))
	require.Equal(t, canon(`(ok ^key "user/ada" ^existed true)`), ask(t, la, `(del ^key "user/ada")`))
	recv(`(changed ^key "user/ada" ^value 1815 ^prefix "user/")`)
	recv(`(deleted ^key "user/ada" ^prefix "user/")`)

	// The queue's messages too: published through A, consumed through B.
	qa := openLink(t, a.Unix, "queue")
	qb := openLink(t, b.Unix, "queue")
	require.Equal(t, canon(`(published ^topic "orders" ^seq 1)`), ask(t, qa, `(publish ^topic "orders" ^value {^item "tea"})`))
	require.NoError(t, qb.Send(t.Context(), gene.MustParse(`(subscribe ^topic "orders" ^group "nats-test")`)))
	for _, want := range []string{`(subscribed ^topic "orders" ^group "nats-test" ^acked 0)`,
		`(message ^topic "orders" ^group "nats-test" ^seq 1 ^value {^item "tea"} ^attempt 1)`} {
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		v, err := qb.Recv(ctx)
		cancel()
		require.NoError(t, err, "waiting for %s", want)
		require.Equal(t, canon(want), gene.Format(v))
	}

	// The state is in JetStream: the bucket is there, named after the plugin.
	be, err := natsstore.Open(t.Context(), natsstore.Config{Servers: []string{srv.URL()}})
	require.NoError(t, err)
	defer be.Close()
	kv, err := be.JetStream().KeyValue(t.Context(), natsstore.Bucket("kv"))
	require.NoError(t, err)
	enc, err := natsstore.EncodeKey([]byte("d/hits"))
	require.NoError(t, err)
	e, err := kv.Get(t.Context(), enc)
	require.NoError(t, err)
	v, _, err := gene.DecodeBinaryDoc(e.Value(), gene.BinaryOptions{})
	require.NoError(t, err)
	require.Equal(t, "0", gene.Format(v))
}

// writeThroughPool writes (set ^key "k/N" ^value N) through pool until
// stop is closed, on two goroutines, and returns the N it acknowledged.
type poolWriter struct {
	mu     sync.Mutex
	acked  []int
	failed int
	stop   chan struct{}
	wg     sync.WaitGroup
}

func writeThroughPool(ctx context.Context, pool *client.Pool, writers int) *poolWriter {
	w := &poolWriter{stop: make(chan struct{})}
	for g := range writers {
		w.wg.Go(func() {
			for i := g; ; i += writers {
				select {
				case <-w.stop:
					return
				default:
				}
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				r, err := pool.Request(rctx, "kv", gene.MustParse(fmt.Sprintf(`(set ^key "k/%06d" ^value %d)`, i, i)))
				cancel()
				w.mu.Lock()
				if err != nil || r.Node() == nil || !r.Node().Head.IsSymbol("ok") {
					w.failed++ // not acknowledged: it may or may not be there
				} else {
					w.acked = append(w.acked, i)
				}
				w.mu.Unlock()
			}
		})
	}
	return w
}

func (w *poolWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

func (w *poolWriter) finish() []int {
	close(w.stop)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.acked...)
}

// requireAllThere reads every acknowledged key back through l.
func requireAllThere(t *testing.T, l *client.Link, acked []int) {
	t.Helper()
	for _, i := range acked {
		require.Equal(t, canon(fmt.Sprintf(`(value ^key "k/%06d" ^value %d)`, i, i)), ask(t, l, fmt.Sprintf(`(get ^key "k/%06d")`, i)),
			"acknowledged write %d", i)
	}
}

// TestNATSKillOneHostWhilePoolWrites: two hosts share state through NATS;
// pooled clients write through both (round robin); one host is killed
// with SIGKILL. Nothing acknowledged is lost and the writers carry on
// through the other host.
func TestNATSKillOneHostWhilePoolWrites(t *testing.T) {
	srv := natstest.Start(t)
	a, b := serveNATS(t, srv.URL()), serveNATS(t, srv.URL())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pool, err := client.NewPool(ctx, []string{a.Unix, b.Unix}, client.PoolConfig{
		Policy: client.RoundRobin, HealthInterval: 100 * time.Millisecond,
		Backoff: client.Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}})
	require.NoError(t, err)
	defer pool.Close()

	w := writeThroughPool(ctx, pool, 4)
	require.Eventually(t, func() bool { return w.count() >= 20 }, 30*time.Second, 5*time.Millisecond)
	a.Kill()
	before := w.count()
	require.Eventually(t, func() bool { return w.count() >= before+40 }, 30*time.Second, 5*time.Millisecond,
		"the writers carry on through the other host")
	acked := w.finish()
	t.Logf("%d writes acknowledged, %d not (around the kill)", len(acked), w.failed)
	requireAllThere(t, kvLink(t, b.Unix), acked)
}

// TestNATSClusterLosesANode: a host keeps its state in a 3-node JetStream
// cluster with 3 replicas; pooled clients write; the server leading the
// bucket's stream is shut down. Writes go on once the other two elect a
// leader, and every acknowledged write is there.
func TestNATSClusterLosesANode(t *testing.T) {
	cl := natstest.StartCluster(t, 3)
	h := serveNATS(t, cl.URLs(), "--nats-replicas", "3")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pool, err := client.NewPool(ctx, []string{h.Unix}, client.PoolConfig{})
	require.NoError(t, err)
	defer pool.Close()

	w := writeThroughPool(ctx, pool, 4)
	require.Eventually(t, func() bool { return w.count() >= 20 }, 30*time.Second, 5*time.Millisecond)
	stream := "KV_" + natsstore.Bucket("kv")
	var leader *natstest.Server
	for _, s := range cl.Servers {
		if s.JetStreamIsStreamLeader("$G", stream) {
			leader = s
		}
	}
	require.NotNil(t, leader, "a server leads %s", stream)
	leader.Shutdown()
	leader.WaitForShutdown()
	before := w.count()
	require.Eventually(t, func() bool { return w.count() >= before+40 }, 30*time.Second, 5*time.Millisecond,
		"writes go on with two of three servers")
	acked := w.finish()
	t.Logf("%d writes acknowledged, %d not (around the loss of %s)", len(acked), w.failed, leader.Name())
	requireAllThere(t, kvLink(t, h.Unix), acked)
}

// TestNATSServeFlags: --nats options that cannot work are refused before
// anything starts, each naming the flag; an unreachable server fails with
// its address.
func TestNATSServeFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--nats-creds", "x.creds"}, 2, "apply to --nats"},
		{[]string{"--nats", "127.0.0.1:4222"}, 2, "want URLs such as nats://127.0.0.1:4222"},
		{[]string{"--nats", ","}, 2, "names no server"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--nats-user", "u"}, 2, "--nats-user and --nats-password go together"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--nats-tls-cert", "c.pem"}, 2, "--nats-tls-cert and --nats-tls-key go together"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--nats-replicas", "0"}, 2, "--nats-replicas 0"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--nats-token", "env:GENEHOST_TEST_UNSET"}, 2, "--nats-token: environment variable GENEHOST_TEST_UNSET is not set"},
		{[]string{"--nats", "nats://127.0.0.1:1"}, 1, "--nats: natsstore: connect to nats://127.0.0.1:1"},
	} {
		r := gh(t, nil, "", append([]string{"serve", "--plugins", t.TempDir(), "--listen", "tcp://127.0.0.1:0"}, c.args...)...)
		assert.Equal(t, c.code, r.code, "%v: %s", c.args, r.err)
		assert.Contains(t, r.err, c.want, "%v", c.args)
	}
}
