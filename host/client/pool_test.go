package client_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
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
	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/proto"
)

// backend is an echo interface that counts what it serves and reports the
// health it is told to.
type backend struct {
	opens    atomic.Int64 // data links opened
	received atomic.Int64 // values received
	health   atomic.Uint32
	// onReceive, when set, replaces the echo.
	onReceive func(ctx context.Context, l host.Link, vs []gene.Value) error
}

func (b *backend) Open(ctx context.Context, l host.Link) error {
	b.opens.Add(1)
	return nil
}

func (b *backend) Receive(ctx context.Context, l host.Link, vs []gene.Value) error {
	b.received.Add(int64(len(vs)))
	if b.onReceive != nil {
		return b.onReceive(ctx, l, vs)
	}
	return host.Echo.Receive(ctx, l, vs)
}

func (b *backend) Closed(host.Link, error) {}

func (b *backend) Health() (host.Health, string) {
	h := host.Health(b.health.Load())
	if h == host.Failed {
		return h, "told to fail by the test"
	}
	return h, ""
}

// start serves b as "echo" on the Unix socket path.
func start(t testing.TB, path string, b *backend) *host.Server {
	t.Helper()
	s, _ := startAt(t, "unix://"+path, b)
	return s
}

// startAt serves b as "echo" on address and returns the address bound.
func startAt(t testing.TB, address string, b *backend) (*host.Server, string) {
	t.Helper()
	s := host.New(host.Config{Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: io.Discard})})
	m, err := host.ParseManifest(gene.MustParse(`{^name "echo" ^version "1.0.0" ^direction "send+recv"}`))
	require.NoError(t, err)
	require.NoError(t, s.Register(m, b))
	bound, err := s.Listen(host.ListenerConfig{Address: address})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, bound
}

func sockPath(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name+".sock")
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fastPool is a pool with health polled every 20ms and short backoff.
func fastPool(t testing.TB, addrs []string, policy client.Policy) *client.Pool {
	t.Helper()
	p, err := client.NewPool(context.Background(), addrs, client.PoolConfig{
		Policy:         policy,
		Interface:      "echo",
		HealthInterval: 20 * time.Millisecond,
		HealthTimeout:  time.Second,
		Backoff:        client.Backoff{Base: 5 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

func waitState(t testing.TB, p *client.Pool, i int, want ...client.State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := p.Endpoints()[i].State
		for _, w := range want {
			if st == w {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoint %d never became %v: %+v", i, want, p.Endpoints())
		}
		time.Sleep(time.Millisecond)
	}
}

// openOn opens a data link through p and closes it again.
func openOn(t testing.TB, ctx context.Context, p *client.Pool) {
	t.Helper()
	l, err := p.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	v, err := l.Request(ctx, gene.MustParse(`(ping)`))
	require.NoError(t, err)
	require.True(t, v.Node().Head.IsSymbol("ping"))
	require.NoError(t, l.Close(ctx))
}

func TestPoolFailsOverAndReturnsToTheFirst(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	for _, how := range []string{"Close", "Shutdown"} {
		t.Run(how, func(t *testing.T) {
			ctx := testCtx(t)
			p1, p2 := sockPath(t, "one"), sockPath(t, "two")
			b1, b2 := &backend{}, &backend{}
			s1 := start(t, p1, b1)
			start(t, p2, b2)
			p := fastPool(t, []string{"unix://" + p1, "unix://" + p2}, client.PickFirst)

			for range 5 {
				openOn(t, ctx, p)
			}
			_, err := p.Request(ctx, "echo", gene.MustParse(`(q)`))
			require.NoError(t, err)
			assert.Equal(t, int64(6), b1.opens.Load(), "pick-first puts every link on the first endpoint")
			assert.Zero(t, b2.opens.Load())

			switch how {
			case "Close":
				require.NoError(t, s1.Close())
			case "Shutdown":
				// A link the caller holds keeps the first host draining:
				// meanwhile it must get no new link.
				held, err := p.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
				require.NoError(t, err)
				_, err = held.Request(ctx, gene.MustParse(`(first)`))
				require.NoError(t, err)
				done := make(chan error, 1)
				sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				go func() { done <- s1.Shutdown(sctx) }()
				// Draining, then down once the redial finds no listener.
				waitState(t, p, 0, client.StateDraining, client.StateDown)
				before := b1.opens.Load()
				for range 3 {
					openOn(t, ctx, p)
				}
				assert.Equal(t, before, b1.opens.Load(), "a draining host gets no new links")
				assert.Equal(t, int64(3), b2.opens.Load())
				v, err := held.Request(ctx, gene.MustParse(`(still ^here true)`))
				require.NoError(t, err, "links already open on a draining host keep working")
				assert.True(t, v.Node().Head.IsSymbol("still"))
				require.NoError(t, held.Close(ctx))
				// The pool let go of its own links (health, Request), so
				// the drain ends without reaching its deadline.
				select {
				case err := <-done:
					require.NoError(t, err)
				case <-time.After(5 * time.Second):
					t.Fatal("Shutdown did not finish: the pool still holds links on the draining host")
				}
			}

			n2 := b2.opens.Load()
			for range 4 {
				openOn(t, ctx, p)
			}
			assert.Equal(t, n2+4, b2.opens.Load(), "the second endpoint takes over")
			r, err := p.Request(ctx, "echo", gene.MustParse(`(after ^stop true)`))
			require.NoError(t, err)
			assert.True(t, r.Node().Head.IsSymbol("after"))
			st := p.Endpoints()[0]
			assert.NotEqual(t, client.StateReady, st.State)
			require.Error(t, st.LastError)

			// The first host comes back on the same socket path.
			b1b := &backend{}
			start(t, p1, b1b)
			waitState(t, p, 0, client.StateReady)
			n2 = b2.opens.Load()
			for range 3 {
				openOn(t, ctx, p)
			}
			_, err = p.Request(ctx, "echo", gene.MustParse(`(back)`))
			require.NoError(t, err)
			assert.Equal(t, int64(4), b1b.opens.Load(), "new links go back to the first endpoint")
			assert.Equal(t, n2, b2.opens.Load())
			assert.Equal(t, 2, p.Endpoints()[0].Connects)
		})
	}
}

func TestPoolRoundRobinSpreadsLinks(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ctx := testCtx(t)
	var addrs []string
	var bs []*backend
	for i := range 3 {
		b := &backend{}
		addr := "unix://" + sockPath(t, fmt.Sprint("rr", i))
		if i == 1 {
			addr = "tcp://127.0.0.1:0"
		}
		_, bound := startAt(t, addr, b)
		addrs = append(addrs, bound)
		bs = append(bs, b)
	}
	p := fastPool(t, addrs, client.RoundRobin)
	for i := range 3 {
		waitState(t, p, i, client.StateReady)
	}
	var links []*client.Link
	for range 30 {
		l, err := p.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		links = append(links, l)
	}
	// The host runs its handler's Open after it accepted the link.
	require.Eventually(t, func() bool { return bs[0].opens.Load()+bs[1].opens.Load()+bs[2].opens.Load() == 30 }, 5*time.Second, time.Millisecond)
	for i, b := range bs {
		assert.Equal(t, int64(10), b.opens.Load(), "server %d", i)
	}
	for _, l := range links {
		require.NoError(t, l.Close(ctx))
	}

	// Requests are spread too, concurrently, on one link per endpoint.
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := p.Request(ctx, "echo", gene.MustParse(fmt.Sprintf("(req ^n %d)", i)))
			if assert.NoError(t, err) {
				n, _ := v.Get("n")
				assert.Equal(t, fmt.Sprint(i), n.String())
			}
		}()
	}
	wg.Wait()
	for i, b := range bs {
		assert.Equal(t, int64(20), b.received.Load(), "server %d", i)
		assert.Equal(t, int64(11), b.opens.Load(), "server %d: one Request link", i)
	}
}

func TestPoolAvoidsAFailedHost(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ctx := testCtx(t)
	p1, p2 := sockPath(t, "sick"), sockPath(t, "well")
	b1, b2 := &backend{}, &backend{}
	b1.health.Store(uint32(host.Failed))
	start(t, p1, b1)
	start(t, p2, b2)
	p := fastPool(t, []string{"unix://" + p1, "unix://" + p2}, client.PickFirst)
	waitState(t, p, 0, client.StateFailed)
	assert.Contains(t, p.Endpoints()[0].LastError.Error(), "told to fail by the test")
	for range 5 {
		openOn(t, ctx, p)
	}
	assert.Zero(t, b1.opens.Load(), "a failed host gets no links")
	assert.Equal(t, int64(5), b2.opens.Load())

	b1.health.Store(uint32(host.Serving))
	waitState(t, p, 0, client.StateReady)
	openOn(t, ctx, p)
	assert.Equal(t, int64(1), b1.opens.Load(), "a host that serves again gets links again")

	// A host draining by its own account gets no new links either.
	b1.health.Store(uint32(host.Draining))
	waitState(t, p, 0, client.StateDraining)
	openOn(t, ctx, p)
	assert.Equal(t, int64(1), b1.opens.Load())
	assert.Equal(t, int64(6), b2.opens.Load())
}

func TestPoolWithoutHealthCallsRetriesRefusalsElsewhere(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ctx := testCtx(t)
	p1, p2 := sockPath(t, "refuses"), sockPath(t, "takes")
	b1, b2 := &backend{}, &backend{}
	b1.health.Store(uint32(host.Failed)) // the host refuses links: PLUGIN_FAILED
	s1 := start(t, p1, b1)
	start(t, p2, b2)
	p, err := client.NewPool(ctx, []string{"unix://" + p1, "unix://" + p2}, client.PoolConfig{
		HealthInterval: -1,
		Backoff:        client.Backoff{Base: 5 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Close()) }()
	waitState(t, p, 0, client.StateReady) // no health calls: connected is ready
	for range 3 {
		openOn(t, ctx, p)
	}
	assert.Equal(t, int64(3), b2.opens.Load(), "refused by the first, opened on the second")
	st := p.Endpoints()[0]
	var oe *client.OpenError
	require.ErrorAs(t, st.LastError, &oe)
	assert.Equal(t, proto.CodePluginFailed, oe.Code())

	b1.health.Store(uint32(host.Serving))
	openOn(t, ctx, p)
	assert.Equal(t, int64(1), b1.opens.Load(), "without health calls, the first is tried again by the next Open")

	require.NoError(t, s1.Close())
	waitState(t, p, 0, client.StateDown)
	openOn(t, ctx, p)
	assert.Equal(t, int64(4), b2.opens.Load(), "transport failures are seen without health calls")
}

func TestPoolReconnectsAfterARestart(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ctx := testCtx(t)
	path := sockPath(t, "only")
	s := start(t, path, &backend{})
	p := fastPool(t, []string{"unix://" + path}, client.PickFirst)
	_, err := p.Request(ctx, "echo", gene.MustParse(`(one)`))
	require.NoError(t, err)

	require.NoError(t, s.Close())
	waitState(t, p, 0, client.StateDown)
	// While the host is away, calls wait for it until their context ends.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = p.Open(short, "echo", proto.DirSendRecv, client.LinkOptions{})
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "no endpoint ready")
	assert.Contains(t, err.Error(), path)

	b := &backend{}
	go func() {
		time.Sleep(100 * time.Millisecond)
		start(t, path, b)
	}()
	v, err := p.Request(ctx, "echo", gene.MustParse(`(two)`))
	require.NoError(t, err, "Request waits for the host to come back")
	assert.True(t, v.Node().Head.IsSymbol("two"))
	assert.Equal(t, int64(1), b.received.Load())
	assert.Equal(t, 2, p.Endpoints()[0].Connects)
	assert.Zero(t, p.Endpoints()[0].Failures, "reset by the successful connection")
}

func TestPoolRequestIsRetriedOnAnotherHostWhenTheLinkDies(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ctx := testCtx(t)
	p1, p2 := sockPath(t, "dies"), sockPath(t, "lives")
	b1, b2 := &backend{}, &backend{}
	var s1 *host.Server
	// The first host takes the request and dies before it answers.
	b1.onReceive = func(ctx context.Context, l host.Link, vs []gene.Value) error {
		go s1.Close()
		return nil
	}
	s1 = start(t, p1, b1)
	start(t, p2, b2)
	p := fastPool(t, []string{"unix://" + p1, "unix://" + p2}, client.PickFirst)
	waitState(t, p, 0, client.StateReady)
	v, err := p.Request(ctx, "echo", gene.MustParse(`(charge ^id "c-1" ^amount 5)`))
	require.NoError(t, err)
	id, _ := v.Get("id")
	assert.Equal(t, "c-1", id.Str())
	// At least once: both hosts saw the request.
	assert.Equal(t, int64(1), b1.received.Load())
	assert.Equal(t, int64(1), b2.received.Load())
}

func TestPoolRequestIsNotRetriedWhenTheHandlerFails(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ctx := testCtx(t)
	p1, p2 := sockPath(t, "a"), sockPath(t, "b")
	b1, b2 := &backend{}, &backend{}
	b1.onReceive = func(ctx context.Context, l host.Link, vs []gene.Value) error {
		return fmt.Errorf("cannot do %s", vs[0])
	}
	start(t, p1, b1)
	start(t, p2, b2)
	p := fastPool(t, []string{"unix://" + p1, "unix://" + p2}, client.PickFirst)
	waitState(t, p, 0, client.StateReady)
	_, err := p.Request(ctx, "echo", gene.MustParse(`(bad)`))
	require.Error(t, err)
	assert.Equal(t, proto.CodeHandlerError, proto.CodeOf(err))
	assert.Zero(t, b2.received.Load(), "a request its handler failed on is not sent again")
}

func TestPoolErrors(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ctx := testCtx(t)
	_, err := client.NewPool(ctx, nil, client.PoolConfig{})
	require.ErrorContains(t, err, "no address")
	_, err = client.NewPool(ctx, []string{"unix:///a", "http://b"}, client.PoolConfig{})
	require.ErrorContains(t, err, "address 1")
	_, err = client.NewPool(ctx, []string{"unix:///a", "unix:///a"}, client.PoolConfig{})
	require.ErrorContains(t, err, "repeats address 0")
	_, err = client.NewPool(ctx, []string{"unix:///a"}, client.PoolConfig{Backoff: client.Backoff{Base: time.Second, Max: time.Millisecond}})
	require.ErrorContains(t, err, "below base")

	path := sockPath(t, "e")
	start(t, path, &backend{})
	p := fastPool(t, []string{"unix://" + path}, client.RoundRobin)
	_, err = p.Open(ctx, "nope", proto.DirSendRecv, client.LinkOptions{})
	var oe *client.OpenError
	require.ErrorAs(t, err, &oe, "a refusal about the request is returned, not retried")
	assert.Equal(t, proto.CodeUnknownInterface, oe.Code())
	ctl, err := p.Control(ctx, "echo", client.LinkOptions{})
	require.NoError(t, err)
	st, _, err := ctl.Health(ctx)
	require.NoError(t, err)
	assert.Equal(t, "serving", st)

	// A pool bound to a context closes with it.
	pctx, cancel := context.WithCancel(ctx)
	q, err := client.NewPool(pctx, []string{"unix://" + path}, client.PoolConfig{})
	require.NoError(t, err)
	_, err = q.Request(ctx, "echo", gene.MustParse(`(x)`))
	require.NoError(t, err)
	cancel()
	require.Eventually(t, func() bool { return q.Endpoints()[0].State == client.StateClosed }, 5*time.Second, time.Millisecond)
	_, err = q.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.ErrorIs(t, err, client.ErrPoolClosed)
	require.NoError(t, q.Close())
	require.NoError(t, q.Close(), "Close is idempotent")
}

func TestBackoffCeilingAndJitter(t *testing.T) {
	b := client.Backoff{Base: 10 * time.Millisecond, Max: 300 * time.Millisecond}
	want := []time.Duration{10, 20, 40, 80, 160, 300, 300}
	for n, w := range want {
		assert.Equal(t, w*time.Millisecond, b.Ceiling(n), "attempt %d", n)
	}
	assert.Equal(t, 300*time.Millisecond, b.Ceiling(1000), "no overflow")
	// Full jitter: uniform in [0, ceiling).
	const samples = 4000
	var sum, lo, hi time.Duration = 0, time.Hour, 0
	for range samples {
		d := b.Delay(3)
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.Less(t, d, 80*time.Millisecond)
		sum += d
		lo, hi = min(lo, d), max(hi, d)
	}
	mean := sum / samples
	assert.InDelta(t, float64(40*time.Millisecond), float64(mean), float64(4*time.Millisecond), "mean of U[0,80ms)")
	assert.Less(t, lo, 5*time.Millisecond)
	assert.Greater(t, hi, 75*time.Millisecond)
	assert.Equal(t, client.Backoff{}.Ceiling(0), 100*time.Millisecond, "default base")
	assert.Equal(t, client.Backoff{}.Ceiling(100), 10*time.Second, "default max")
}

// TestPoolBackoffGrowsAndIsJittered steps a pool through its reconnection
// attempts to a host that hangs up on every connection: the backoff's
// clock stops the pool before each attempt until the test has checked it,
// so every attempt is seen with the state it left, and no time passes.
func TestPoolBackoffGrowsAndIsJittered(t *testing.T) {
	leakcheck.Verify(t) // the pool and servers leave no goroutine or socket behind
	ln, err := net.Listen("unix", sockPath(t, "hangup"))
	require.NoError(t, err)
	var accepts atomic.Int64
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close()
		}
	}()
	// A wait is one pause of the pool before an attempt: it stays paused
	// until the test closes resume.
	type wait struct {
		attempt int
		d       time.Duration
		resume  chan struct{}
	}
	waits := make(chan wait)
	backoff := client.Backoff{Base: 10 * time.Millisecond, Max: 320 * time.Millisecond}
	cfg := client.WithBackoffWait(client.PoolConfig{Backoff: backoff}, func(ctx context.Context, attempt int, d time.Duration) bool {
		w := wait{attempt, d, make(chan struct{})}
		select {
		case waits <- w:
		case <-ctx.Done():
			return false
		}
		select {
		case <-w.resume:
			return true
		case <-ctx.Done():
			return false
		}
	})
	p, err := client.NewPool(context.Background(), []string{"unix://" + ln.Addr().String()}, cfg)
	require.NoError(t, err)
	const attempts = 24
	var capped []time.Duration
	for i := range attempts {
		var w wait
		select {
		case w = <-waits:
		case <-time.After(10 * time.Second):
			t.Fatalf("the pool did not pause before attempt %d", i)
		}
		// Each failure is counted before the pause, which follows it.
		st := p.Endpoints()[0]
		require.Equal(t, client.StateDown, st.State, "attempt %d", i)
		require.ErrorContains(t, st.LastError, "handshake")
		require.Equal(t, i+1, st.Failures, "every failed connection counts")
		require.Equal(t, int64(i+1), accepts.Load(), "one connection per attempt")
		// The delay grows with the attempt: drawn below min(Max, Base·2ⁱ).
		require.Equal(t, i, w.attempt)
		require.GreaterOrEqual(t, w.d, time.Duration(0))
		require.Less(t, w.d, backoff.Ceiling(i), "delay before attempt %d", i)
		if backoff.Ceiling(i) == backoff.Max {
			capped = append(capped, w.d)
		}
		close(w.resume)
	}
	require.NoError(t, p.Close())
	ln.Close()
	<-acceptDone
	assert.Equal(t, client.StateClosed, p.Endpoints()[0].State)
	// Full jitter: the delays at the cap are drawn, not all Max (or one
	// value). U[0,320ms) has a standard deviation of 92ms; 19 draws all
	// within 1ms of each other would take odds of about 1e-40.
	require.Len(t, capped, attempts-5)
	spread := slices.Max(capped) - slices.Min(capped)
	assert.Greater(t, spread, time.Millisecond, "delays at the cap are spread: %v", capped)
}
