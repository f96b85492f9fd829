package httpgw_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/httpgw"
)

// startHost serves the given handlers (all send+recv) on a Unix socket.
func startHost(t *testing.T, handlers map[string]host.Handler) string {
	t.Helper()
	s := host.New(host.Config{Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard})})
	for name, h := range handlers {
		m, err := host.ParseManifest(gene.MustParse(`{^name "` + name + `" ^version "1.0.0" ^direction "send+recv"}`))
		require.NoError(t, err)
		require.NoError(t, s.Register(m, h))
	}
	addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "g.sock")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return addr
}

// withID is resp with the ^id of req.
func withID(req, resp gene.Value) gene.Value {
	n := *resp.Node()
	n.Props = append(gene.Props(nil), n.Props...)
	id, _ := req.Get("id")
	n.Props.Set("id", id)
	return gene.NodeValue(&n)
}

// respond answers every request with what f returns.
func respond(f func(req gene.Value) gene.Value) host.Handler {
	return host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, values []gene.Value) error {
		for _, v := range values {
			if err := l.Send(ctx, f(v)); err != nil {
				return err
			}
		}
		return nil
	}}
}

func gateway(t *testing.T, cfg httpgw.Config) *httptest.Server {
	t.Helper()
	gw, err := httpgw.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		srv.Close()
		gw.Close()
	})
	return srv
}

func TestRequestAndResponseValues(t *testing.T) {
	seen := make(chan gene.Value, 1)
	addr := startHost(t, map[string]host.Handler{"web": respond(func(req gene.Value) gene.Value {
		seen <- req
		return withID(req, gene.MustParse(`(response ^status 201 ^headers {^content-type "text/plain" ^x-multi ["a" "b"]} ^body "made")`))
	})})
	srv := gateway(t, httpgw.Config{Addr: addr})

	req, err := http.NewRequest("POST", srv.URL+"/things/1?name=Ada&tag=x&tag=y&bad%20key=1", strings.NewReader(`{"a": 1}`))
	require.NoError(t, err)
	req.Header.Set("X-Token", "s3cret")
	req.Header.Set("Proxy-Authorization", "hop")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, "made", string(body))
	assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
	assert.Equal(t, []string{"a", "b"}, resp.Header.Values("X-Multi"))

	v := <-seen
	get := func(path ...string) gene.Value {
		cur := v
		for _, k := range path {
			var ok bool
			cur, ok = cur.Get(k)
			require.True(t, ok, "no ^%s in %s", k, v)
		}
		return cur
	}
	assert.True(t, v.Node().Head.IsSymbol("request"))
	assert.Equal(t, "POST", get("method").Str())
	assert.Equal(t, "/things/1", get("path").Str())
	assert.Equal(t, "Ada", get("query", "name").Str())
	assert.Equal(t, `["x" "y"]`, gene.Format(get("query", "tag")))
	assert.Equal(t, "s3cret", get("headers", "x-token").Str())
	assert.Equal(t, `{"a": 1}`, get("body").Str())
	assert.Equal(t, "tag=x&tag=y&bad%20key=1", get("raw-query").Str()[len("name=Ada&"):])
	_, has := get("query").Get("bad key")
	assert.False(t, has, "a name that cannot be a prop key is only in ^raw-query")
	_, has = get("headers").Get("proxy-authorization")
	assert.False(t, has, "hop-by-hop headers are left out")
	_, has = get("headers").Get("host")
	assert.False(t, has, "Host is in ^host")
	assert.Equal(t, strings.TrimPrefix(srv.URL, "http://"), get("host").Str())
	assert.NotEmpty(t, get("remote").Str())
	_, isInt := get("id").AsInt()
	assert.True(t, isInt)
}

func TestBinaryBodies(t *testing.T) {
	addr := startHost(t, map[string]host.Handler{"api": respond(func(req gene.Value) gene.Value {
		b, _ := req.Get("body")
		return withID(req, gene.NodeValue(&gene.Node{Head: gene.Symbol("response"), HasHead: true, Props: gene.Props{
			{Key: "body", Value: gene.Bytes(append([]byte(b.Kind().String()+":"), b.Bytes()...))},
		}}))
	})})
	srv := gateway(t, httpgw.Config{Addr: addr, Interface: "api"})
	resp, err := http.Post(srv.URL+"/", "application/octet-stream", bytes.NewReader([]byte{0xff, 0x00, 0xfe}))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, append([]byte("bytes:"), 0xff, 0x00, 0xfe), body)
}

func TestDefaultsAndHead(t *testing.T) {
	addr := startHost(t, map[string]host.Handler{"web": respond(func(req gene.Value) gene.Value {
		return withID(req, gene.MustParse(`(response ^body "hi")`))
	})})
	srv := gateway(t, httpgw.Config{Addr: addr})
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Equal(t, "2", resp.Header.Get("Content-Length"))
	assert.Equal(t, "hi", string(body))
	resp, err = http.Head(srv.URL)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, body)
}

func TestErrorsMapToStatuses(t *testing.T) {
	addr := startHost(t, map[string]host.Handler{
		"silent": host.HandlerFuncs{}, // consumes, never answers
		"broken": host.HandlerFuncs{ReceiveFunc: func(context.Context, host.Link, []gene.Value) error {
			return errors.New("handler exploded")
		}},
		"wrong":   respond(func(gene.Value) gene.Value { return gene.MustParse(`(error ^code "x")`) }),
		"badst":   respond(func(r gene.Value) gene.Value { return withID(r, gene.MustParse(`(response ^status 600)`)) }),
		"badhdr":  respond(func(r gene.Value) gene.Value { return withID(r, gene.MustParse(`(response ^headers {^x 1})`)) }),
		"badbody": respond(func(r gene.Value) gene.Value { return withID(r, gene.MustParse(`(response ^body {^a 1})`)) }),
		"noid":    respond(func(gene.Value) gene.Value { return gene.MustParse(`(response ^body "x")`) }),
		"otherid": respond(func(gene.Value) gene.Value { return gene.MustParse(`(response ^id 999999 ^body "x")`) }),
		"closer":  host.HandlerFuncs{ReceiveFunc: func(_ context.Context, l host.Link, _ []gene.Value) error { return l.Close(nil) }},
	})
	cases := []struct {
		iface  string
		status int
		text   string
	}{
		{"silent", 504, "did not answer"},
		{"broken", 502, "handler exploded"},
		{"wrong", 502, "not a (response"},
		{"badst", 502, "not an HTTP status"},
		{"badhdr", 502, "not a string or a list"},
		{"badbody", 502, "not a string or bytes"},
		{"noid", 502, "without the request's ^id"},
		{"otherid", 504, "did not answer"},
		{"closer", 502, "without a response"},
		{"nothere", 502, "no interface"},
	}
	for _, c := range cases {
		t.Run(c.iface, func(t *testing.T) {
			srv := gateway(t, httpgw.Config{Addr: addr, Interface: c.iface, Timeout: 300 * time.Millisecond})
			resp, err := http.Get(srv.URL + "/x")
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, c.status, resp.StatusCode)
			assert.Contains(t, string(body), c.text)
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
		})
	}
}

func TestBodyLimit(t *testing.T) {
	addr := startHost(t, map[string]host.Handler{"web": respond(func(r gene.Value) gene.Value { return withID(r, gene.MustParse(`(response)`)) })})
	srv := gateway(t, httpgw.Config{Addr: addr, MaxBodyBytes: 10})
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader(strings.Repeat("x", 11)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 413, resp.StatusCode)
	resp, err = http.Post(srv.URL+"/", "text/plain", strings.NewReader(strings.Repeat("x", 10)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

// TestReconnects: a host that goes away and comes back on the same socket
// is dialled again.
func TestReconnects(t *testing.T) {
	sock := "unix://" + filepath.Join(t.TempDir(), "g.sock")
	start := func(body string) *host.Server {
		s := host.New(host.Config{Logger: hclog.NewNullLogger()})
		m, err := host.ParseManifest(gene.MustParse(`{^name "web" ^direction "send+recv"}`))
		require.NoError(t, err)
		require.NoError(t, s.Register(m, respond(func(req gene.Value) gene.Value {
			return withID(req, gene.NodeValue(&gene.Node{Head: gene.Symbol("response"), HasHead: true, Props: gene.Props{{Key: "body", Value: gene.String(body)}}}))
		})))
		_, err = s.Listen(host.ListenerConfig{Address: sock})
		require.NoError(t, err)
		return s
	}
	get := func(srv *httptest.Server) (int, string) {
		resp, err := http.Get(srv.URL)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	s1 := start("one")
	srv := gateway(t, httpgw.Config{Addr: sock})
	st, b := get(srv)
	assert.Equal(t, 200, st)
	assert.Equal(t, "one", b)
	s1.Close()
	st, _ = get(srv)
	assert.Equal(t, 502, st)
	s2 := start("two")
	defer s2.Close()
	st, b = get(srv)
	assert.Equal(t, 200, st)
	assert.Equal(t, "two", b)
}

func TestConcurrentRequests(t *testing.T) {
	addr := startHost(t, map[string]host.Handler{"web": respond(func(req gene.Value) gene.Value {
		p, _ := req.Get("path")
		return withID(req, gene.NodeValue(&gene.Node{Head: gene.Symbol("response"), HasHead: true, Props: gene.Props{{Key: "body", Value: p}}}))
	})})
	srv := gateway(t, httpgw.Config{Addr: addr})
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			path := "/p" + string(rune('a'+i%26))
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != path {
				errs <- errors.New("got " + string(b) + " for " + path)
				return
			}
			errs <- nil
		}()
	}
	for range 32 {
		require.NoError(t, <-errs)
	}
	// Every request's link was closed in order: none was reset.
	conn, err := client.Dial(context.Background(), addr, client.Config{})
	require.NoError(t, err)
	defer conn.Close()
	ctl, err := conn.Control(context.Background(), "web", client.LinkOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := ctl.Stats(context.Background())
		require.NoError(t, err)
		links, _ := st.Get("links")
		closed, _ := links.Get("closed")
		n, _ := closed.AsInt()
		return n == 32
	}, 5*time.Second, 10*time.Millisecond)
	st, err := ctl.Stats(context.Background())
	require.NoError(t, err)
	resets, _ := st.Get("resets")
	assert.Equal(t, "{}", gene.Format(resets))
}
