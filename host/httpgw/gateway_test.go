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
		id, _ := req.Get("id")
		n := *gene.MustParse(`(response ^status 201 ^headers {^content-type "text/plain" ^x-multi ["a" "b"]} ^body "made")`).Node()
		n.Props.Set("id", id)
		return gene.NodeValue(&n)
	})})
	srv := gateway(t, httpgw.Config{Addr: addr})

	req, err := http.NewRequest("POST", srv.URL+"/things/1?name=Ada&tag=x&tag=y", strings.NewReader(`{"a": 1}`))
	require.NoError(t, err)
	req.Header.Set("X-Token", "s3cret")
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
	_, isInt := get("id").AsInt()
	assert.True(t, isInt)
}

func TestBinaryBodyAndJSONResponse(t *testing.T) {
	addr := startHost(t, map[string]host.Handler{"api": respond(func(req gene.Value) gene.Value {
		b, _ := req.Get("body")
		return gene.NodeValue(&gene.Node{Head: gene.Symbol("response"), HasHead: true, Props: gene.Props{
			{Key: "body", Value: gene.PropMap(gene.Prop{Key: "kind", Value: gene.String(b.Kind().String())}, gene.Prop{Key: "len", Value: gene.Int(int64(len(b.Bytes())))})},
		}})
	})})
	srv := gateway(t, httpgw.Config{Addr: addr, Interface: "api"})
	resp, err := http.Post(srv.URL+"/", "application/octet-stream", bytes.NewReader([]byte{0xff, 0x00, 0xfe}))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"kind": "bytes", "len": 3}`, string(body))
}

func TestErrorsMapToStatuses(t *testing.T) {
	addr := startHost(t, map[string]host.Handler{
		"silent": host.HandlerFuncs{}, // consumes, never answers
		"broken": host.HandlerFuncs{ReceiveFunc: func(context.Context, host.Link, []gene.Value) error {
			return errors.New("handler exploded")
		}},
		"wrong":  respond(func(gene.Value) gene.Value { return gene.MustParse(`(error ^code "x")`) }),
		"badst":  respond(func(gene.Value) gene.Value { return gene.MustParse(`(response ^status "ok")`) }),
		"closer": host.HandlerFuncs{ReceiveFunc: func(_ context.Context, l host.Link, _ []gene.Value) error { return l.Close(nil) }},
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
	addr := startHost(t, map[string]host.Handler{"web": respond(func(gene.Value) gene.Value { return gene.MustParse(`(response)`) })})
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
		require.NoError(t, s.Register(m, respond(func(gene.Value) gene.Value {
			return gene.NodeValue(&gene.Node{Head: gene.Symbol("response"), HasHead: true, Props: gene.Props{{Key: "body", Value: gene.String(body)}}})
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
		return gene.NodeValue(&gene.Node{Head: gene.Symbol("response"), HasHead: true, Props: gene.Props{{Key: "body", Value: p}}})
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
}
