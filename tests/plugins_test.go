package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
	"github.com/genehost/genehost/tests/e2e"
)

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestKVSurvivesKillAndRestart: data written before a SIGKILL is there
// after a restart on the same data directory, and the Unix socket the
// killed process left behind is reused; a live socket is not taken over;
// SIGTERM stops the daemon with exit code 0.
func TestKVSurvivesKillAndRestart(t *testing.T) {
	plugins := copyPlugins(t)
	data := filepath.Join(t.TempDir(), "data")
	runtime := e2e.ShortDir(t)
	d1 := serve(t, serveOpts{plugins: plugins, data: data, runtime: runtime})
	ok(t, d1, "", "call", "-", "kv", `(set ^key "durable" ^value {^n 42 ^tags ["a"]})`)
	d1.Kill()
	sock := filepath.Join(runtime, "genehost", "genehost.sock")
	_, err := os.Stat(sock)
	require.NoError(t, err, "SIGKILL leaves the socket file behind")

	d2 := serve(t, serveOpts{plugins: plugins, data: data, runtime: runtime})
	assert.Equal(t, "(value ^key \"durable\" ^value {^n 42 ^tags [\"a\"]})\n", ok(t, d2, "", "call", "-", "kv", `(get ^key "durable")`))
	assert.Equal(t, "1\n", ok(t, d2, "", "ctl", "-", "kv", "count"))

	// A second daemon on the live socket is refused and says why.
	r := gh(t, nil, "", "serve", "--plugins", t.TempDir(), "--data", t.TempDir(), "--cache", cacheDir, "--listen", "unix://"+sock)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, sock)

	d2.Stop()
	d3 := serve(t, serveOpts{plugins: plugins, data: data, runtime: runtime})
	assert.Equal(t, "1\n", ok(t, d3, "", "ctl", "-", "kv", "reset"))
	assert.Equal(t, "(not-found ^key \"durable\")\n", ok(t, d3, "", "call", "-", "kv", `(get ^key "durable")`))
	d3.Stop()
}

// recvUntil receives on l until a node with head arrives, and returns it;
// other values are collected in skipped.
func recvUntil(t testing.TB, ctx context.Context, l *client.Link, head string, skipped *[]gene.Value) gene.Value {
	t.Helper()
	for {
		v, err := l.Recv(ctx)
		require.NoError(t, err, "waiting for (%s ...)", head)
		if n := v.Node(); n != nil && n.Head.IsSymbol(head) {
			return v
		}
		if skipped != nil {
			*skipped = append(*skipped, v)
		}
	}
}

func intProp(t testing.TB, v gene.Value, k string) int64 {
	t.Helper()
	p, ok := v.Get(k)
	require.True(t, ok, "no ^%s in %s", k, v)
	i, ok := p.AsInt()
	require.True(t, ok, "^%s of %s is not an int", k, v)
	return i
}

// TestQueueRedeliveryAndReset: an unacknowledged message comes again after
// the ack timeout with a higher ^attempt; reset moves the group back so a
// message is delivered again.
func TestQueueRedeliveryAndReset(t *testing.T) {
	d := serve(t, serveOpts{})
	ctx := ctxT(t, 60*time.Second)
	for i := 1; i <= 2; i++ {
		out := ok(t, d, "", "call", "-", "queue", fmt.Sprintf(`(publish ^topic "jobs" ^value (job ^n %d))`, i))
		assert.Equal(t, fmt.Sprintf("(published ^topic \"jobs\" ^seq %d)\n", i), out)
	}
	conn, err := client.Dial(ctx, d.Unix, client.Config{})
	require.NoError(t, err)
	defer conn.Close()
	l, err := conn.Open(ctx, "queue", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	require.NoError(t, l.Send(ctx, gene.MustParse(`(subscribe ^topic "jobs" ^group "workers" ^prefetch 1 ^ack-timeout-ms 300)`)))
	recvUntil(t, ctx, l, "subscribed", nil)
	m := recvUntil(t, ctx, l, "message", nil)
	assert.Equal(t, int64(1), intProp(t, m, "seq"))
	assert.Equal(t, int64(1), intProp(t, m, "attempt"))
	start := time.Now()
	m = recvUntil(t, ctx, l, "message", nil)
	assert.Equal(t, int64(1), intProp(t, m, "seq"), "not acknowledged: delivered again")
	assert.Equal(t, int64(2), intProp(t, m, "attempt"))
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "after the ack timeout")

	require.NoError(t, l.Send(ctx, gene.MustParse(`(ack ^topic "jobs" ^group "workers" ^seq 1)`)))
	m = recvUntil(t, ctx, l, "message", nil)
	assert.Equal(t, int64(2), intProp(t, m, "seq"))
	require.NoError(t, l.Send(ctx, gene.MustParse(`(ack ^topic "jobs" ^group "workers" ^seq 2)`)))
	recvUntil(t, ctx, l, "acked", nil)
	require.NoError(t, l.Close(ctx))

	out := ok(t, d, "", "ctl", "-", "queue", "topics")
	assert.Contains(t, out, `^group "workers" ^acked 2`)

	// reset: the group's next message is 1 again.
	assert.Equal(t, "{^topic \"jobs\" ^group \"workers\" ^seq 1}\n",
		ok(t, d, "", "ctl", "-", "queue", "reset", `{^topic "jobs" ^group "workers" ^seq 1}`))
	out = ok(t, d, "(subscribe ^topic \"jobs\" ^group \"workers\")\n", "connect", "-", "queue", "--count", "2", "--timeout", "20s")
	assert.Contains(t, out, `(subscribed ^topic "jobs" ^group "workers" ^acked 0)`)
	assert.Contains(t, out, `^seq 1 ^value (job ^n 1)`)
}

// TestHTTPGateway: the web example served through --http, by Go's HTTP
// client.
func TestHTTPGateway(t *testing.T) {
	d := serve(t, serveOpts{http: true})
	require.NotEmpty(t, d.HTTP)
	do := func(method, path, ctype, body string) (*http.Response, string) {
		req, err := http.NewRequest(method, d.HTTP+path, strings.NewReader(body))
		require.NoError(t, err)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	resp, body := do("GET", "/api/notes", "", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, "[]", body)

	resp, body = do("POST", "/api/notes", "application/json", `{"text":"buy tea"}`)
	assert.Equal(t, 201, resp.StatusCode, body)
	var note map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &note))
	assert.Equal(t, "buy tea", note["text"])
	assert.NotEmpty(t, resp.Header.Get("Location"))

	resp, body = do("GET", resp.Header.Get("Location"), "", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, "buy tea")

	resp, body = do("GET", "/api/notes?format=gene", "", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, `^text "buy tea"`)

	resp, _ = do("GET", "/api/notes/9999", "", "")
	assert.Equal(t, 404, resp.StatusCode)
	resp, _ = do("PATCH", "/api/notes", "", "")
	assert.Equal(t, 405, resp.StatusCode)

	resp, body = do("GET", "/", "", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, body, "buy tea")

	resp, body = do("GET", "/api/echo?x=1&x=2", "", "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body, `/api/echo`)

	// The handler's notes are durable in the host's store.
	assert.Contains(t, ok(t, d, "", "ctl", "-", "web", "stats"), `^interface "web"`)
}
