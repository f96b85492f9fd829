package examples_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// TestCounterJS drives the JavaScript example plugin over the Go client:
// per-link counts, the durable total (across a restart), its control
// operations, and the host validating requests against its manifest.
func TestCounterJS(t *testing.T) {
	plugins, data := pluginDir(t), filepath.Join(t.TempDir(), "data")
	d := serve(t, plugins, data)
	ctx := ctxT(t, 60*time.Second)
	c := dial(t, ctx, d.unix)
	a, err := c.Open(ctx, "counter-js", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	b := openLink(t, ctx, d.tcp, "counter-js")
	request := func(l *client.Link, req string) string {
		t.Helper()
		r, err := l.Request(ctx, gene.MustParse(req))
		require.NoError(t, err, req)
		return gene.Format(r)
	}
	assert.Equal(t, `(count ^link 1 ^total 1 ^id 1)`, request(a, `(add)`))
	assert.Equal(t, `(count ^link 6 ^total 6 ^id 2)`, request(a, `(add ^n 5)`))
	assert.Equal(t, `(count ^link 1 ^total 7 ^id 1)`, request(b, `(add)`))
	assert.Equal(t, `(count ^link 1 ^total 7 ^id "x")`, request(b, `(get ^id "x")`))
	assert.Equal(t, `(count ^link 6 ^total 7 ^id 3)`, request(a, `(get)`))

	ctl, err := c.Control(ctx, "counter-js", client.LinkOptions{})
	require.NoError(t, err)
	call := func(op, arg string) (string, error) {
		a := gene.Void()
		if arg != "" {
			a = gene.MustParse(arg)
		}
		v, err := ctl.Call(ctx, op, a)
		return gene.Format(v), err
	}
	total, err := call("total", "")
	require.NoError(t, err)
	assert.Equal(t, "7", total)
	for _, bad := range []string{`"x"`, `-1`, ""} {
		_, err := call("reset", bad)
		var oe *client.OpError
		require.ErrorAs(t, err, &oe, "reset %s", bad)
		assert.Equal(t, "BAD_ARGS", oe.Code, "reset %s: %v", bad, err)
	}

	// The manifest the host serves is plugin.gene's.
	m, err := ctl.Manifest(ctx)
	require.NoError(t, err)
	for _, path := range [][]string{{"messages", "add", "schema"}, {"messages", "count", "examples"}, {"control", "total", "result"}, {"control", "reset", "args"}} {
		v := m
		for _, k := range path {
			v = mustGet(t, v, k)
		}
	}

	// Links counting at once: one instance serves them all, so the total
	// loses no update.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.Open(ctx, "counter-js", proto.DirSendRecv, client.LinkOptions{})
			if !assert.NoError(t, err) {
				return
			}
			defer l.Close(ctx)
			for j := range 50 {
				r, err := l.Request(ctx, gene.MustParse(`(add ^n 2)`))
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, int64(2*(j+1)), mustInt(t, r, "link"), "link %d", i)
			}
		}()
	}
	wg.Wait()
	total, err = call("total", "")
	require.NoError(t, err)
	assert.Equal(t, "407", total)

	// A request that does not match the manifest never reaches the
	// plugin: the host resets the link, naming the path.
	bad := openLink(t, ctx, d.unix, "counter-js")
	require.NoError(t, bad.Send(ctx, gene.MustParse(`(add ^n 0)`)))
	_, err = bad.Recv(ctx)
	var pe *proto.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, proto.CodeSchemaMismatch, pe.Code)
	assert.Contains(t, pe.Msg, "^n")

	// The total is in the database: it survives a restart; per-link
	// counts start over.
	d.stop()
	d = serve(t, plugins, data)
	ctx = ctxT(t, 30*time.Second)
	c = dial(t, ctx, d.unix)
	ctl, err = c.Control(ctx, "counter-js", client.LinkOptions{})
	require.NoError(t, err)
	total, err = call("total", "")
	require.NoError(t, err)
	assert.Equal(t, "407", total)
	a = openLink(t, ctx, d.unix, "counter-js")
	assert.Equal(t, `(count ^link 1 ^total 408 ^id 1)`, request(a, `(add)`))
	was, err := call("reset", "0")
	require.NoError(t, err)
	assert.Equal(t, "408", was)
	assert.Equal(t, `(count ^link 1 ^total 0 ^id 2)`, request(a, `(get)`))
}

// TestUpperGo drives the Go-to-Wasm example plugin over the Go client:
// replies, per-link counts through a control operation naming the link
// (each link has an instance of its own), an interface-wide operation,
// and validation.
func TestUpperGo(t *testing.T) {
	d := serve(t, pluginDir(t), filepath.Join(t.TempDir(), "data"))
	ctx := ctxT(t, 30*time.Second)
	c := dial(t, ctx, d.unix)
	a, err := c.Open(ctx, "upper-go", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	b, err := c.Open(ctx, "upper-go", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	roundTrip := func(l *client.Link, in string) string {
		t.Helper()
		require.NoError(t, l.Send(ctx, gene.String(in)))
		v, err := l.Recv(ctx)
		require.NoError(t, err)
		require.Equal(t, gene.KindString, v.Kind(), "%s", gene.Format(v))
		return v.Str()
	}
	assert.Equal(t, "HELLO", roundTrip(a, "hello"))
	assert.Equal(t, "GRÜß DICH", roundTrip(a, "grüß dich"))
	assert.Equal(t, "", roundTrip(a, ""))
	assert.Equal(t, "X", roundTrip(b, "x"))

	ctl, err := c.Control(ctx, "upper-go", client.LinkOptions{})
	require.NoError(t, err)
	count := func(l *client.Link) (gene.Value, error) {
		return ctl.Call(ctx, "count", gene.Void(), client.OnLink(l))
	}
	n, err := count(a)
	require.NoError(t, err)
	assert.Equal(t, "3", gene.Format(n))
	n, err = count(b)
	require.NoError(t, err)
	assert.Equal(t, "1", gene.Format(n))

	// count is per link: the interface-wide instance says so.
	_, err = ctl.Call(ctx, "count", gene.Void())
	var oe *client.OpError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "FAILED", oe.Code)
	assert.Contains(t, oe.Message, "per link")

	up, err := ctl.Call(ctx, "upper", gene.String("abc"))
	require.NoError(t, err)
	assert.Equal(t, `"ABC"`, gene.Format(up))
	_, err = ctl.Call(ctx, "upper", gene.Int(5))
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "BAD_ARGS", oe.Code)

	// A closed link's instance is gone with it.
	require.NoError(t, b.Close(ctx))
	_, err = count(b)
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "UNKNOWN_LINK", oe.Code)

	// Only strings go in: the host checks the manifest before the plugin.
	require.NoError(t, a.Send(ctx, gene.Int(42)))
	_, err = a.Recv(ctx)
	var pe *proto.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, proto.CodeSchemaMismatch, pe.Code)
}

func mustInt(t testing.TB, v gene.Value, key string) int64 {
	t.Helper()
	n, ok := mustGet(t, v, key).AsInt()
	require.True(t, ok, "^%s of %s is not an integer", key, gene.Format(v))
	return n
}
