package host_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// syncLog is a log output tests can read while the server writes it.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func requireCode(t *testing.T, err error, code proto.Code, text string) {
	t.Helper()
	var pe *proto.Error
	require.True(t, errors.As(err, &pe), "want a %s refusal, got %v", code, err)
	require.Equal(t, code, pe.Code, "%v", err)
	require.Contains(t, pe.Msg, text)
}

func roundTrip(t *testing.T, l *client.Link) {
	t.Helper()
	ctx := ctxT(t)
	require.NoError(t, l.Send(ctx, gene.MustParse(`(ping ^n 1)`)))
	v, err := l.Recv(ctx)
	require.NoError(t, err)
	require.True(t, gene.Equal(gene.MustParse(`(ping ^n 1)`), v))
}

func sysStats(t *testing.T, c *client.Conn) gene.Value {
	t.Helper()
	ctx := ctxT(t)
	ctl, err := c.Control(ctx, host.SysInterface, client.LinkOptions{})
	require.NoError(t, err)
	defer ctl.Close(ctx)
	st, err := ctl.Call(ctx, "stats", gene.Void())
	require.NoError(t, err)
	return st
}

func stat(t *testing.T, st gene.Value, path ...string) gene.Value {
	t.Helper()
	v := st
	for _, k := range path {
		var ok bool
		v, ok = v.Get(k)
		require.True(t, ok, "stats have no %v: %s", path, st)
	}
	return v
}

func TestConfigValidateChecksTheLimits(t *testing.T) {
	require.NoError(t, host.Config{}.Validate())
	for _, tc := range []struct {
		cfg  host.Config
		want string
	}{
		{host.Config{MaxConns: -1}, "MaxConns is -1"},
		{host.Config{MaxLinks: -5}, "MaxLinks is -5"},
		{host.Config{MemoryBudget: -1}, "MemoryBudget is -1"},
		{host.Config{MemoryBudget: 1 << 20}, "at least 32 MiB"},
		{host.Config{MemoryBudget: 64 << 20, MemorySoftLimit: 65 << 20}, "above the memory budget"},
		{host.Config{RefusalLogInterval: -time.Second}, "RefusalLogInterval"},
		{host.Config{Proto: proto.Config{LinkQueue: -1}}, "LinkQueue"},
	} {
		err := tc.cfg.Validate()
		require.ErrorContains(t, err, tc.want)
		_, err = host.New(tc.cfg).Listen(host.ListenerConfig{Address: "tcp://127.0.0.1:0"})
		require.ErrorContains(t, err, tc.want, "Listen refuses a server whose config is invalid")
	}
}

func TestMaxConnsRefusesWithGoAwayUnavailable(t *testing.T) {
	_, ua, ta := serve(t, host.Config{MaxConns: 2}, map[string]host.Handler{"echo": host.Echo}, nil)
	ctx := ctxT(t)
	c1 := dial(t, ua, client.Config{})
	c2 := dial(t, ta, client.Config{})
	l1, err := c1.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	for _, addr := range []string{ua, ta} {
		_, err := client.Dial(ctx, addr, client.Config{})
		requireCode(t, err, proto.CodeUnavailable, "its limit (--max-conns)")
	}
	roundTrip(t, l1) // existing clients are served
	st := sysStats(t, c2)
	require.Equal(t, int64(2), statInt(t, st, "conns", "open"))
	require.Equal(t, int64(2), statInt(t, st, "conns", "max"))
	require.Equal(t, int64(2), statInt(t, st, "refused", "max-conns"))
	require.NoError(t, c2.Close())
	require.Eventually(t, func() bool {
		c, err := client.Dial(ctx, ta, client.Config{})
		if err != nil {
			return false
		}
		c.Close()
		return true
	}, 5*time.Second, 20*time.Millisecond, "a connection is accepted again once one closed")
}

func TestMaxLinksRejectsWithTooManyLinks(t *testing.T) {
	_, ua, ta := serve(t, host.Config{MaxLinks: 3}, map[string]host.Handler{"echo": host.Echo}, nil)
	ctx := ctxT(t)
	c1 := dial(t, ua, client.Config{})
	c2 := dial(t, ta, client.Config{})
	var links []*client.Link
	for _, c := range []*client.Conn{c1, c2, c1} {
		l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		require.NoError(t, err)
		links = append(links, l)
	}
	_, err := c2.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	requireCode(t, err, proto.CodeTooManyLinks, "--max-links 3")
	_, err = c1.Control(ctx, "echo", client.LinkOptions{})
	requireCode(t, err, proto.CodeTooManyLinks, "--max-links 3")
	for _, l := range links {
		roundTrip(t, l)
	}
	st := sysStats(t, c2) // $sys has a reserve beyond the limit
	require.Equal(t, int64(4), statInt(t, st, "links", "open"), "three echo links and this $sys link")
	require.Equal(t, int64(3), statInt(t, st, "links", "max"))
	require.Equal(t, int64(2), statInt(t, st, "refused", "max-links"))
	require.NoError(t, links[0].CloseSend(ctx))
	<-links[0].Done()
	require.Eventually(t, func() bool {
		l, err := c2.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			return false
		}
		roundTrip(t, l)
		return true
	}, 5*time.Second, 20*time.Millisecond, "a link opens again once one closed")
}

func TestMemorySheddingRefusesNewLinksAndRecovers(t *testing.T) {
	var heap atomic.Int64
	heap.Store(10 << 20)
	s, ua, _ := serve(t, host.Config{MemoryBudget: 64 << 20, MemorySoftLimit: 48 << 20}, map[string]host.Handler{"echo": host.Echo}, nil)
	host.SetMemorySample(s, heap.Load)
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)

	heap.Store(60 << 20)
	require.Eventually(t, func() bool {
		_, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		if err == nil {
			return false
		}
		requireCode(t, err, proto.CodeUnavailable, "shedding load")
		require.Contains(t, err.Error(), "--memory-budget 64 MiB")
		return true
	}, 5*time.Second, 60*time.Millisecond)
	roundTrip(t, l) // open links keep working
	st := sysStats(t, c)
	require.True(t, statBool(t, st, "memory", "shedding"))
	require.GreaterOrEqual(t, statInt(t, st, "refused", "memory"), int64(1))

	heap.Store(44 << 20) // under the soft limit, not under 90% of it
	time.Sleep(100 * time.Millisecond)
	_, err = c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	requireCode(t, err, proto.CodeUnavailable, "shedding load")

	heap.Store(10 << 20)
	require.Eventually(t, func() bool {
		l2, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		if err != nil {
			return false
		}
		roundTrip(t, l2)
		return true
	}, 5*time.Second, 60*time.Millisecond, "links are accepted again once memory drops")
}

func TestTransportWindowsShareAQuarterOfTheBudget(t *testing.T) {
	const budget, maxConns = 64 << 20, 8
	_, ua, _ := serve(t, host.Config{MemoryBudget: budget, MaxConns: maxConns}, map[string]host.Handler{"echo": host.Echo}, nil)
	// The largest value a transport carries is bounded by the window
	// the host grants it (PROTOCOL.md 5.2): it shows the grant.
	var conns []*client.Conn
	total, prev := 0, 1<<62
	for range maxConns {
		c := dial(t, ua, client.Config{})
		w := c.Limits().MaxMessageBytes
		require.LessOrEqual(t, w, prev, "grants shrink as the pool fills")
		require.GreaterOrEqual(t, w, budget/4/(2*maxConns), "each transport gets at least its share")
		total += w
		prev = w
		conns = append(conns, c)
	}
	require.LessOrEqual(t, total, budget/4, "transport windows never add up past a quarter of the budget")
	first := conns[0].Limits().MaxMessageBytes
	st := sysStats(t, conns[0])
	require.LessOrEqual(t, statInt(t, st, "windows", "granted"), int64(budget/4))
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	require.Eventually(t, func() bool {
		c, err := client.Dial(context.Background(), ua, client.Config{})
		if err != nil {
			return false
		}
		defer c.Close()
		return c.Limits().MaxMessageBytes == first
	}, 5*time.Second, 20*time.Millisecond, "windows return to the pool when their transports close")
}

func TestRefusalsAreLoggedOncePerIntervalWithCounts(t *testing.T) {
	out := &syncLog{}
	log := hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: out})
	_, ua, _ := serve(t, host.Config{Logger: log, MaxLinks: 1, RefusalLogInterval: 300 * time.Millisecond}, map[string]host.Handler{"echo": host.Echo}, nil)
	ctx := ctxT(t)
	c := dial(t, ua, client.Config{})
	_, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	for range 40 {
		_, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
		requireCode(t, err, proto.CodeTooManyLinks, "--max-links 1")
	}
	require.Eventually(t, func() bool {
		return strings.Contains(out.String(), "refused 39 links in the last")
	}, 5*time.Second, 20*time.Millisecond, "log:\n%s", out.String())
	require.Equal(t, 1, strings.Count(out.String(), "refused a link: over --max-links 1"), "log:\n%s", out.String())
	require.Equal(t, 2, strings.Count(out.String(), "refused"), "log:\n%s", out.String())
}

func statInt(t *testing.T, st gene.Value, path ...string) int64 {
	t.Helper()
	n, ok := stat(t, st, path...).AsInt()
	require.True(t, ok, "%v is not an integer in %s", path, st)
	return n
}

func statBool(t *testing.T, st gene.Value, path ...string) bool {
	t.Helper()
	b, ok := stat(t, st, path...).AsBool()
	require.True(t, ok, "%v is not a boolean in %s", path, st)
	return b
}
