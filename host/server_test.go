package host_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
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

func manifest(t testing.TB, text string) *host.Manifest {
	t.Helper()
	m, err := host.ParseManifest(gene.MustParse(text))
	require.NoError(t, err)
	return m
}

// serve starts a server with the given interfaces on a Unix socket and a
// TCP port, and returns both addresses.
func serve(t testing.TB, cfg host.Config, ifaces map[string]host.Handler, manifests map[string]string) (*host.Server, string, string) {
	t.Helper()
	// Every scenario ends with the goroutines and descriptors it started
	// gone: the server, its transports and the clients' (checked last,
	// after the cleanups registered below).
	leakcheck.Verify(t)
	if cfg.Logger == nil {
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard})
	}
	s := host.New(cfg)
	for name, h := range ifaces {
		text, ok := manifests[name]
		if !ok {
			text = fmt.Sprintf(`{^name %q ^version "1.0.0" ^direction "send+recv"}`, name)
		}
		require.NoError(t, s.Register(manifest(t, text), h))
	}
	ua, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "g.sock")})
	require.NoError(t, err)
	ta, err := s.Listen(host.ListenerConfig{Address: "tcp://127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, ua, ta
}

func dial(t testing.TB, addr string, cfg client.Config) *client.Conn {
	t.Helper()
	c, err := client.Dial(context.Background(), addr, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEchoOverUnixAndTCPInBothEncodings(t *testing.T) {
	_, ua, ta := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	for _, addr := range []string{ua, ta} {
		for _, enc := range []proto.Encoding{proto.EncodingBinary, proto.EncodingText} {
			t.Run(fmt.Sprintf("%s/%s", addr[:4], enc), func(t *testing.T) {
				ctx := ctxT(t)
				c := dial(t, addr, client.Config{Proto: proto.Config{Encodings: []proto.Encoding{enc}}})
				require.Equal(t, enc, c.Encoding())
				l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
				require.NoError(t, err)
				require.NotEmpty(t, l.ManifestHash())
				vals := []string{`(hello ^n 1 "world")`, `{^a [1 2.5 "x" #"c" nil true]}`, `123456789012345678901234567890`, `"unicode ☃"`}
				for _, s := range vals {
					require.NoError(t, l.Send(ctx, gene.MustParse(s)))
				}
				for _, s := range vals {
					v, err := l.Recv(ctx)
					require.NoError(t, err)
					assert.True(t, gene.Equal(gene.MustParse(s), v), "got %s want %s", v, s)
				}
				require.NoError(t, l.CloseSend(ctx))
				_, err = l.Recv(ctx)
				require.ErrorIs(t, err, io.EOF, "the host ends its direction after the client's END")
				<-l.Done()
				require.NoError(t, l.Err())
			})
		}
	}
}

func TestManyLinksAndTransportsConcurrently(t *testing.T) {
	_, ua, ta := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	const transports, links, values = 4, 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, transports*links)
	for i := range transports {
		addr := ua
		if i%2 == 1 {
			addr = ta
		}
		c := dial(t, addr, client.Config{})
		for j := range links {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := ctxT(t)
				l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
				if err != nil {
					errs <- err
					return
				}
				// Send and receive at once: both sides send whenever they want.
				go func() {
					for k := range values {
						if err := l.Send(ctx, gene.MustParse(fmt.Sprintf("(v ^t %d ^l %d ^k %d)", i, j, k))); err != nil {
							errs <- err
							return
						}
					}
				}()
				for k := range values {
					v, err := l.Recv(ctx)
					if err != nil {
						errs <- err
						return
					}
					got, _ := v.Get("k")
					if n, _ := got.AsInt(); int(n) != k {
						errs <- fmt.Errorf("link %d/%d: value %d out of order: %s", i, j, k, v)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// pusher sends n values as soon as a link opens: one-way from the host.
func pusher(n int) host.Handler {
	return host.HandlerFuncs{OpenFunc: func(ctx context.Context, l host.Link) error {
		go func() {
			for i := range n {
				if err := l.Send(ctx, gene.Int(int64(i))); err != nil {
					return
				}
			}
			l.Close(nil)
		}()
		return nil
	}}
}

func TestDirections(t *testing.T) {
	var sunk atomic.Int64
	sink := host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
		sunk.Add(int64(len(vs)))
		return nil
	}}
	_, ua, _ := serve(t, host.Config{},
		map[string]host.Handler{"feed": pusher(50), "sink": sink, "both": host.Echo},
		map[string]string{
			"feed": `{^name "feed" ^direction "send"}`,
			"sink": `{^name "sink" ^direction "recv"}`,
		})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})

	t.Run("send: host to client only", func(t *testing.T) {
		l, err := c.Open(ctx, "feed", proto.DirSend, client.LinkOptions{})
		require.NoError(t, err)
		for i := range 50 {
			v, err := l.Recv(ctx)
			require.NoError(t, err)
			n, _ := v.AsInt()
			require.Equal(t, int64(i), n)
		}
		_, err = l.Recv(ctx)
		require.ErrorIs(t, err, io.EOF)
		err = l.Send(ctx, gene.Int(1))
		require.Error(t, err)
		assert.Contains(t, err.Error(), `"send" (host to client only)`)
	})
	t.Run("recv: client to host only", func(t *testing.T) {
		l, err := c.Open(ctx, "sink", proto.DirRecv, client.LinkOptions{})
		require.NoError(t, err)
		for i := range 30 {
			require.NoError(t, l.Send(ctx, gene.Int(int64(i))))
		}
		require.NoError(t, l.Close(ctx))
		require.Eventually(t, func() bool { return sunk.Load() == 30 }, 5*time.Second, time.Millisecond)
		_, err = l.Recv(ctx)
		require.Error(t, err)
	})
	t.Run("an interface refuses directions it does not serve", func(t *testing.T) {
		_, err := c.Open(ctx, "feed", proto.DirRecv, client.LinkOptions{})
		var oe *client.OpenError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, proto.CodeWrongDirection, oe.Code())
		assert.Contains(t, err.Error(), `interface "feed" is "send"`)
		// send+recv serves send+recv links only: a narrower link could
		// not carry what its handler sends or receives.
		for _, d := range []proto.Direction{proto.DirSend, proto.DirRecv} {
			_, err := c.Open(ctx, "both", d, client.LinkOptions{})
			require.ErrorAs(t, err, &oe, "%s", d)
			assert.Equal(t, proto.CodeWrongDirection, oe.Code())
			assert.Contains(t, err.Error(), fmt.Sprintf(`interface "both" is "send+recv" (both ways); it has no %q links`, d))
		}
		l, err := c.Open(ctx, "both", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		l.Close(ctx)
	})
	t.Run("unknown interface", func(t *testing.T) {
		_, err := c.Open(ctx, "nope", proto.DirSendRecv, client.LinkOptions{})
		var oe *client.OpenError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, proto.CodeUnknownInterface, oe.Code())
		assert.Contains(t, err.Error(), `no interface "nope"`)
		// The transport is fine afterwards.
		l, err := c.Open(ctx, "both", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		v, err := l.Request(ctx, gene.MustParse(`(q)`))
		require.NoError(t, err)
		assert.True(t, v.Node().Head.IsSymbol("q"))
	})
}

func TestControlLinkAloneAlongsideAndAfter(t *testing.T) {
	m := `{^name "calc" ^version "2.0.0" ^description "adds" ^direction "send+recv"
	       ^control {^add {^doc "adds two ints" ^args (tuple int int) ^result int}}}`
	h := host.HandlerFuncs{
		ReceiveFunc: host.Echo.(host.HandlerFuncs).ReceiveFunc,
		ControlFunc: func(ctx context.Context, l host.Link, op string, arg gene.Value) (gene.Value, error) {
			xs := arg.List()
			a, _ := xs[0].AsInt()
			b, _ := xs[1].AsInt()
			return gene.Int(a + b), nil
		},
	}
	_, ua, ta := serve(t, host.Config{}, map[string]host.Handler{"calc": h}, map[string]string{"calc": m})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})

	// Alone, before any data link.
	ctl, err := c.Control(ctx, "calc", client.LinkOptions{})
	require.NoError(t, err)
	mv, err := ctl.Manifest(ctx)
	require.NoError(t, err)
	name, _ := mv.Get("name")
	assert.Equal(t, "calc", name.Str())
	hash, _ := mv.Get("hash")
	assert.Contains(t, hash.Str(), "sha256:")
	addrs, _ := mv.Get("addresses")
	assert.Len(t, addrs.List(), 2)
	_, err = ctl.Ping(ctx)
	require.NoError(t, err)
	st, _, err := ctl.Health(ctx)
	require.NoError(t, err)
	assert.Equal(t, "serving", st)
	sum, err := ctl.Call(ctx, "add", gene.MustParse("[2 40]"))
	require.NoError(t, err)
	assert.Equal(t, "42", sum.String())

	// Declared operations are checked against their schema.
	_, err = ctl.Call(ctx, "add", gene.MustParse(`[2 "x"]`))
	var oe *client.OpError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "BAD_ARGS", oe.Code)
	assert.Contains(t, oe.Message, "[1]")
	_, err = ctl.Call(ctx, "divide", gene.Void())
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "UNKNOWN_OP", oe.Code)

	// Alongside a data link; the data link's hash matches the manifest's.
	l, err := c.Open(ctx, "calc", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	assert.Equal(t, hash.Str(), l.ManifestHash())
	require.NoError(t, l.Send(ctx, gene.Int(7)))
	_, err = l.Recv(ctx)
	require.NoError(t, err)
	stats, err := ctl.Call(ctx, "stats", gene.Void(), client.OnLink(l))
	require.NoError(t, err)
	vin, _ := stats.Get("values-in")
	assert.Equal(t, "1", vin.String())
	require.NoError(t, l.Close(ctx))

	// After the data link closed.
	stats, err = ctl.Stats(ctx)
	require.NoError(t, err)
	links, _ := stats.Get("links")
	closed, _ := links.Get("closed")
	assert.Equal(t, "1", closed.String())
	_, err = ctl.Call(ctx, "pause", gene.Void(), client.OnLink(l))
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "UNKNOWN_LINK", oe.Code)
	require.NoError(t, ctl.Close(ctx))

	// $sys lists the interfaces and addresses, over TCP too.
	c2 := dial(t, ta, client.Config{})
	sys, err := c2.Control(ctx, host.SysInterface, client.LinkOptions{})
	require.NoError(t, err)
	list, err := sys.Call(ctx, "interfaces", gene.Void())
	require.NoError(t, err)
	require.Len(t, list.List(), 1)
	n, _ := list.List()[0].Get("name")
	assert.Equal(t, "calc", n.Str())
	_, err = c2.Open(ctx, host.SysInterface, proto.DirSendRecv, client.LinkOptions{})
	require.Error(t, err, "$sys has no data sub-interface")
}

func TestPauseAndResumeHoldTheClientBack(t *testing.T) {
	var got atomic.Int64
	h := host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
		got.Add(int64(len(vs)))
		return nil
	}}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"sink": h},
		map[string]string{"sink": `{^name "sink" ^direction "recv" ^flow {^window 8 ^max-window 8}}`})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	l, err := c.Open(ctx, "sink", proto.DirRecv, client.LinkOptions{})
	require.NoError(t, err)
	ctl, err := c.Control(ctx, "sink", client.LinkOptions{})
	require.NoError(t, err)
	require.NoError(t, ctl.Pause(ctx, l))
	sent := 0
	for ; sent < 100; sent++ {
		if err := l.TrySend(gene.Int(int64(sent))); err != nil {
			require.ErrorIs(t, err, client.ErrNoCredit)
			break
		}
	}
	assert.Equal(t, 8, sent, "a paused link takes exactly its window")
	time.Sleep(50 * time.Millisecond)
	assert.Zero(t, got.Load(), "nothing is delivered while paused")
	require.NoError(t, ctl.Resume(ctx, l))
	require.Eventually(t, func() bool { return got.Load() == 8 }, 5*time.Second, time.Millisecond)
	require.NoError(t, l.WaitCredit(ctx, 8))
	require.NoError(t, l.TrySend(gene.Int(99)))
}

func TestFloodIsStoppedByCredit(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int64
	h := host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
		<-release
		got.Add(int64(len(vs)))
		return nil
	}}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"slow": h},
		map[string]string{"slow": `{^name "slow" ^direction "recv" ^flow {^window 16 ^max-window 16 ^window-bytes 65536}}`})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	l, err := c.Open(ctx, "slow", proto.DirRecv, client.LinkOptions{})
	require.NoError(t, err)
	payload := gene.String(string(make([]byte, 1000)))
	sent := 0
	for ; sent < 10000; sent++ {
		if err := l.TrySend(payload); err != nil {
			require.ErrorIs(t, err, client.ErrNoCredit)
			break
		}
	}
	assert.LessOrEqual(t, sent, 16, "the client can only have a window's worth in flight")
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err = l.Send(sctx, payload)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a blocking send waits for credit")
	close(release)
	for i := 0; i < 200; i++ {
		require.NoError(t, l.Send(ctx, payload))
	}
	require.NoError(t, l.Close(ctx))
	require.Eventually(t, func() bool { return got.Load() == int64(sent+200) }, 5*time.Second, time.Millisecond)
}

func TestLossyPoliciesCountDrops(t *testing.T) {
	for _, policy := range []string{"drop-newest", "drop-oldest", "latest-only"} {
		t.Run(policy, func(t *testing.T) {
			sentAll := make(chan struct{})
			h := host.HandlerFuncs{OpenFunc: func(ctx context.Context, l host.Link) error {
				go func() {
					defer close(sentAll)
					for i := range 100 {
						if err := l.Send(ctx, gene.Int(int64(i))); err != nil {
							t.Errorf("lossy send: %v", err)
							return
						}
					}
				}()
				return nil
			}}
			_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"ticks": h},
				map[string]string{"ticks": fmt.Sprintf(`{^name "ticks" ^direction "send" ^flow {^overflow %q ^queue 4}}`, policy)})
			ctx := ctxT(t)
			c := dial(t, ua, client.Config{})
			l, err := c.Open(ctx, "ticks", proto.DirSend, client.LinkOptions{Window: proto.WindowConfig{InitialMsgs: 10, MaxMsgs: 10}})
			require.NoError(t, err)
			<-sentAll // the client reads nothing until the host has sent everything
			var got []int64
			for {
				rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				v, err := l.Recv(rctx)
				cancel()
				if err != nil {
					break
				}
				n, _ := v.AsInt()
				got = append(got, n)
			}
			ctl, err := c.Control(ctx, "ticks", client.LinkOptions{})
			require.NoError(t, err)
			stats, err := ctl.Stats(ctx)
			require.NoError(t, err)
			dv, _ := stats.Get("drops")
			drops, _ := dv.AsInt()
			assert.Equal(t, int64(100), int64(len(got))+drops, "every value is delivered or counted as dropped: got %v", got)
			assert.Positive(t, drops)
			switch policy {
			case "drop-newest":
				assert.Equal(t, int64(0), got[0])
			case "drop-oldest":
				assert.Equal(t, int64(99), got[len(got)-1], "the newest survive")
				assert.Len(t, got, 10+4)
			case "latest-only":
				assert.Equal(t, int64(99), got[len(got)-1])
				assert.Len(t, got, 10+1)
			}
		})
	}
}

func TestStallTimeoutResetsASlowConsumer(t *testing.T) {
	errc := make(chan error, 1)
	h := host.HandlerFuncs{OpenFunc: func(ctx context.Context, l host.Link) error {
		go func() {
			for i := 0; ; i++ {
				if err := l.Send(ctx, gene.Int(int64(i))); err != nil {
					errc <- err
					return
				}
			}
		}()
		return nil
	}}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"feed": h},
		map[string]string{"feed": `{^name "feed" ^direction "send" ^flow {^stall-timeout-ms 200}}`})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	l, err := c.Open(ctx, "feed", proto.DirSend, client.LinkOptions{Window: proto.WindowConfig{InitialMsgs: 4, MaxMsgs: 4}})
	require.NoError(t, err)
	select {
	case err := <-errc:
		assert.Equal(t, proto.CodeSlowConsumer, proto.CodeOf(err))
	case <-time.After(10 * time.Second):
		t.Fatal("the host kept waiting")
	}
	<-l.Done()
	assert.Equal(t, proto.CodeSlowConsumer, proto.CodeOf(l.Err()))
}

func TestHandlerFailureIsolatesTheLink(t *testing.T) {
	h := host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
		for _, v := range vs {
			switch {
			case v.IsSymbol("boom"):
				return errors.New("boom requested")
			case v.IsSymbol("panic"):
				panic("handler panics")
			}
			if err := l.Send(ctx, v); err != nil {
				return err
			}
		}
		return nil
	}}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"fragile": h}, nil)
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	good, err := c.Open(ctx, "fragile", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	for _, trigger := range []string{"boom", "panic"} {
		bad, err := c.Open(ctx, "fragile", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		require.NoError(t, bad.Send(ctx, gene.Symbol(trigger)))
		<-bad.Done()
		require.Equal(t, proto.CodeHandlerError, proto.CodeOf(bad.Err()))
		assert.Contains(t, bad.Err().Error(), `interface "fragile"`)
		v, err := good.Request(ctx, gene.MustParse(`(still ^alive true)`))
		require.NoError(t, err, "other links keep working")
		assert.True(t, v.Node().Head.IsSymbol("still"))
	}
}

func TestSchemaValidationNamesThePath(t *testing.T) {
	m := `{^name "typed" ^direction "send+recv" ^validate true
	       ^messages {^put {^from "client" ^schema (gene ^head put ^props {^key string ^value int ^id (optional int)})}}}`
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"typed": host.Echo}, map[string]string{"typed": m})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	l, err := c.Open(ctx, "typed", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	v, err := l.Request(ctx, gene.MustParse(`(put ^id 1 ^key "a" ^value 1)`))
	require.NoError(t, err)
	require.NotNil(t, v.Node())
	require.NoError(t, l.Send(ctx, gene.MustParse(`(put ^key "a" ^value "one")`)))
	<-l.Done()
	require.Equal(t, proto.CodeSchemaMismatch, proto.CodeOf(l.Err()))
	assert.Contains(t, l.Err().Error(), "^value")
	assert.Contains(t, l.Err().Error(), "value 2 does not match", "the position counts the values delivered")
}

func TestGracefulShutdownDrainsAcceptedValues(t *testing.T) {
	var got atomic.Int64
	h := host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
		time.Sleep(time.Millisecond) // a slow handler: values queue up
		got.Add(int64(len(vs)))
		return nil
	}}
	s, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"sink": h},
		map[string]string{"sink": `{^name "sink" ^direction "recv"}`})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	l, err := c.Open(ctx, "sink", proto.DirRecv, client.LinkOptions{})
	require.NoError(t, err)
	const n = 300
	for i := range n {
		require.NoError(t, l.Send(ctx, gene.Int(int64(i))))
	}
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(ctx) }()
	require.Eventually(t, c.GoingAway, 5*time.Second, time.Millisecond, "the client hears GOAWAY")
	_, err = c.Open(ctx, "sink", proto.DirRecv, client.LinkOptions{})
	require.Error(t, err, "no new links during the drain")
	require.NoError(t, l.Close(ctx))
	require.NoError(t, <-done)
	assert.Equal(t, int64(n), got.Load(), "every value the host accepted was delivered")
	<-c.Done()
	require.NoError(t, c.Err())
}

func TestStatsTellLostLinksFromResets(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	ctx := ctxT(t)
	// One transport vanishes under its link; another resets its link.
	gone, err := client.Dial(ctx, ua, client.Config{})
	require.NoError(t, err)
	_, err = gone.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	gone.Close()
	c := dial(t, ua, client.Config{})
	l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	l.Reset(proto.CodeCancelled, "changed my mind")
	ctl, err := c.Control(ctx, "echo", client.LinkOptions{})
	require.NoError(t, err)
	var stats gene.Value
	require.Eventually(t, func() bool {
		stats, err = ctl.Stats(ctx)
		require.NoError(t, err)
		links, _ := stats.Get("links")
		closed, _ := links.Get("closed")
		n, _ := closed.AsInt()
		return n == 2
	}, 5*time.Second, 10*time.Millisecond)
	links, _ := stats.Get("links")
	lost, _ := links.Get("lost")
	assert.Equal(t, "1", lost.String())
	resets, _ := stats.Get("resets")
	assert.Equal(t, `{^CANCELLED 1}`, resets.String())
}

// TestConcurrentOpensKeepIDsIncreasing: link ids must reach the host in
// increasing order however many goroutines open links at once.
func TestConcurrentOpensKeepIDsIncreasing(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
			if err != nil {
				errs <- err
				return
			}
			l.Close(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.NoError(t, c.Err())
}

func TestInterfaceMaxMessageBytesBoundsEverySend(t *testing.T) {
	got := make(chan [2]error, 1)
	h := host.HandlerFuncs{OpenFunc: func(ctx context.Context, l host.Link) error {
		big := gene.String(strings.Repeat("x", 2000))
		got <- [2]error{l.Send(ctx, big), l.TrySend(big)}
		return nil
	}}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"small": h},
		map[string]string{"small": `{^name "small" ^direction "send" ^flow {^max-message-bytes 1024}}`})
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	_, err := c.Open(ctx, "small", proto.DirSend, client.LinkOptions{})
	require.NoError(t, err)
	errs := <-got
	for _, err := range errs {
		assert.Equal(t, proto.CodeMessageTooLarge, proto.CodeOf(err), "%v", err)
	}
}

// failedHandler is a handler that reports itself failed, as a plugin that
// did not load does.
type failedHandler struct {
	host.HandlerFuncs
	reason string
}

func (h failedHandler) Health() (host.Health, string) { return host.Failed, h.reason }

// TestSysFollowsEveryInterfaceAndFailedHealth: events emitted for an
// interface reach its control links and $sys's, events for a name not
// registered reach $sys only; $sys interfaces gives the reason of an
// unhealthy interface, and its data links are refused with PLUGIN_FAILED
// naming it.
func TestSysFollowsEveryInterfaceAndFailedHealth(t *testing.T) {
	s, ua, _ := serve(t, host.Config{}, map[string]host.Handler{
		"echo":   host.Echo,
		"broken": failedHandler{reason: "handler.js:3:7: SyntaxError"},
	}, nil)
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	sys, err := c.Control(ctx, host.SysInterface, client.LinkOptions{})
	require.NoError(t, err)
	echo, err := c.Control(ctx, "echo", client.LinkOptions{})
	require.NoError(t, err)
	// Both control links are registered once a call on each was answered.
	_, err = sys.Ping(ctx)
	require.NoError(t, err)
	_, err = echo.Ping(ctx)
	require.NoError(t, err)

	next := func(ctl *client.Control) string {
		t.Helper()
		select {
		case ev := <-ctl.Events():
			return gene.Format(ev)
		case <-ctx.Done():
			t.Fatal("no event")
			return ""
		}
	}
	s.Emit("echo", gene.MustParse(`(event ^type "reloaded" ^interface "echo" ^generation 2)`))
	s.Emit("gone", gene.MustParse(`(event ^type "removed" ^interface "gone")`))
	assert.Equal(t, `(event ^type "reloaded" ^interface "echo" ^generation 2)`, next(echo))
	assert.Equal(t, `(event ^type "reloaded" ^interface "echo" ^generation 2)`, next(sys))
	assert.Equal(t, `(event ^type "removed" ^interface "gone")`, next(sys))
	select {
	case ev := <-echo.Events():
		t.Fatalf("echo's control link got an event of another name: %s", gene.Format(ev))
	case <-time.After(50 * time.Millisecond):
	}

	list, err := sys.Call(ctx, "interfaces", gene.Void())
	require.NoError(t, err)
	byName := map[string]gene.Value{}
	for _, i := range list.List() {
		n, _ := i.Get("name")
		byName[n.Str()] = i
	}
	h, _ := byName["broken"].Get("health")
	assert.Equal(t, "failed", h.Str())
	why, _ := byName["broken"].Get("reason")
	assert.Equal(t, "handler.js:3:7: SyntaxError", why.Str())
	_, has := byName["echo"].Get("reason")
	assert.False(t, has, "a serving interface has no reason")

	_, err = c.Open(ctx, "broken", proto.DirSendRecv, client.LinkOptions{})
	var pe *proto.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, proto.CodePluginFailed, pe.Code)
	assert.Contains(t, pe.Msg, "handler.js:3:7: SyntaxError")
}
