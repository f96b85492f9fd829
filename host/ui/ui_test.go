package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/host/ui"
)

const kvManifest = `{^name "kv" ^version "2.1.0" ^description "A small store." ^direction "send+recv"
 ^defs {^Key (string ^min-len 1 ^max-len 64)}
 ^messages {
   ^get {^from "client" ^doc "Read a key." ^schema (gene ^head get ^props {^key (ref Key) ^id (optional any)} ^body (tuple))
         ^examples [(get ^key "a")] ^replies ["value"]}
   ^value {^from "server" ^schema (gene ^head value ^props {^key (ref Key) ^value any} ^body (tuple))}}
 ^control {^count {^doc "How many keys." ^result (int ^min 0)}
           ^bump {^args {^by int} ^result int}}
 ^flow {^window 16 ^overflow "block" ^ordering "per-link"}}`

// explorer serves a host with an echo interface and kv (a Go handler
// that answers get and the control operations; kv needs a token) and an
// explorer in front of it.
func explorer(t *testing.T) *httptest.Server {
	t.Helper()
	leakcheck.Verify(t)
	s := host.New(host.Config{
		Logger:    hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard}),
		Authorize: host.Tokens(map[string]string{"kv": "s3cret"}),
	})
	m, err := host.ParseManifest(gene.MustParse(`{^name "echo" ^version "1.0.0" ^direction "send+recv"}`))
	require.NoError(t, err)
	require.NoError(t, s.Register(m, host.Echo))
	m, err = host.ParseManifest(gene.MustParse(kvManifest))
	require.NoError(t, err)
	require.NoError(t, s.Register(m, host.HandlerFuncs{
		ReceiveFunc: func(ctx context.Context, l host.Link, values []gene.Value) error {
			for _, v := range values {
				k, _ := v.Get("key")
				if err := l.Send(ctx, gene.MustParse(`(value ^key `+gene.Format(k)+` ^value 42)`)); err != nil {
					return err
				}
			}
			return nil
		},
		ControlFunc: func(ctx context.Context, l host.Link, op string, arg gene.Value) (gene.Value, error) {
			if op == "bump" {
				by, _ := arg.Get("by")
				n, _ := by.AsInt()
				return gene.Int(n + 1), nil
			}
			return gene.Int(3), nil
		},
	}))
	addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "g.sock")})
	require.NoError(t, err)
	x, err := ui.New(ui.Config{Addr: addr})
	require.NoError(t, err)
	ts := httptest.NewServer(x)
	t.Cleanup(func() {
		ts.Close()
		x.Close()
		s.Close()
	})
	return ts
}

func get(t *testing.T, url, token string, into any) int {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set(ui.TokenHeader, token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	if into != nil {
		require.NoError(t, json.NewDecoder(res.Body).Decode(into))
	}
	return res.StatusCode
}

func TestExplorerAPI(t *testing.T) {
	ts := explorer(t)

	// The page and its assets are embedded.
	res, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Contains(t, string(page), "<title>genehost explorer</title>")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "default-src 'self'")
	for _, asset := range []string{"/app.js", "/style.css"} {
		res, err := http.Get(ts.URL + asset)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, asset)
	}

	// $sys lists only what the token opens.
	var list []map[string]any
	require.Equal(t, 200, get(t, ts.URL+"/api/interfaces", "", &list))
	require.Len(t, list, 1)
	assert.Equal(t, "echo", list[0]["name"])
	require.Equal(t, 200, get(t, ts.URL+"/api/interfaces", "s3cret", &list))
	assert.Len(t, list, 2)

	// kv without its token: 401 UNAUTHORIZED, which makes the page ask.
	var e map[string]string
	assert.Equal(t, http.StatusUnauthorized, get(t, ts.URL+"/api/iface/kv", "", &e))
	assert.Equal(t, "UNAUTHORIZED", e["code"])
	assert.Equal(t, http.StatusUnauthorized, get(t, ts.URL+"/api/iface/kv", "wrong", &e))
	assert.Equal(t, http.StatusNotFound, get(t, ts.URL+"/api/iface/nope", "", &e))
	assert.Equal(t, "UNKNOWN_INTERFACE", e["code"])

	var v ui.View
	require.Equal(t, 200, get(t, ts.URL+"/api/iface/kv", "s3cret", &v))
	assert.Equal(t, "2.1.0", v.Version)
	assert.Equal(t, []ui.Exchange{{Request: "get", Replies: []string{"value"}}}, v.Requests)
	require.Len(t, v.Messages, 3, "get, value and the standard error reply")
	assert.Equal(t, "(get ^key Key ^id? any)", v.Messages[0].Type)
	assert.Equal(t, []string{"get"}, v.Messages[1].RepliesTo)
	assert.Equal(t, `(get ^key "a")`, v.Messages[0].Examples[0].Gene)
	assert.Equal(t, `{"$node":{"$sym":"get"},"$props":{"key":"a"}}`, v.Messages[0].Examples[0].JSON)
	assert.Equal(t, []ui.Def{{Name: "Key", Type: "string 1..64", Schema: "(string ^min-len 1 ^max-len 64)"}}, v.Defs)
	assert.Equal(t, []ui.Op{{Name: "count", Doc: "How many keys.", Result: "int >= 0"}, {Name: "bump", Args: "{^by int}", Result: "int"}}, v.Control)
	assert.Contains(t, v.Flow, ui.Setting{Key: "overflow", Value: "block"})

	// Control operations, argument as Gene or JSON; errors keep their code.
	control := func(body, token string) (int, map[string]any) {
		req, err := http.NewRequest("POST", ts.URL+"/api/iface/kv/control", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set(ui.TokenHeader, token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	st, out := control(`{"op":"count"}`, "s3cret")
	assert.Equal(t, 200, st)
	assert.Equal(t, "3", out["gene"])
	st, out = control(`{"op":"bump","arg":"{^by 41}"}`, "s3cret")
	assert.Equal(t, 200, st)
	assert.Equal(t, "42", out["gene"])
	st, out = control(`{"op":"bump","arg":"{\"by\": 9}","format":"json"}`, "s3cret")
	assert.Equal(t, 200, st)
	assert.Equal(t, "10", out["gene"])
	st, out = control(`{"op":"bump","arg":"{^by \"x\"}"}`, "s3cret")
	assert.Equal(t, http.StatusUnprocessableEntity, st)
	assert.Equal(t, "BAD_ARGS", out["code"])
	st, out = control(`{"op":"bump","arg":"{^by"}`, "s3cret")
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "BAD_INPUT", out["code"])
	st, _ = control(`{"op":"count"}`, "")
	assert.Equal(t, http.StatusUnauthorized, st)

	// Downloads: the Gene manifest and the AsyncAPI document.
	req, _ := http.NewRequest("GET", ts.URL+"/api/iface/kv/asyncapi.json", nil)
	req.Header.Set(ui.TokenHeader, "s3cret")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&doc))
	res.Body.Close()
	assert.Equal(t, "3.0.0", doc["asyncapi"])
	assert.Contains(t, res.Header.Get("Content-Disposition"), "kv.asyncapi.json")
	req, _ = http.NewRequest("GET", ts.URL+"/api/iface/kv/manifest.gene", nil)
	req.Header.Set(ui.TokenHeader, "s3cret")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	text, _ := io.ReadAll(res.Body)
	res.Body.Close()
	served, err := gene.Parse(text)
	require.NoError(t, err, "the Gene manifest download reads back")
	name, _ := served.Get("name")
	assert.Equal(t, "kv", name.Str())
	assert.Contains(t, res.Header.Get("Content-Disposition"), "kv.manifest.gene")
	var stats map[string]any
	require.Equal(t, 200, get(t, ts.URL+"/api/iface/kv/stats", "s3cret", &stats))
	assert.Equal(t, "serving", stats["health"].(map[string]any)["status"])
}

// TestExplorerConsole bridges a WebSocket to a data link: values typed as
// Gene and JSON go out, replies come back with times, bad input is
// reported without ending the link, and a missing token ends the console
// with UNAUTHORIZED.
func TestExplorerConsole(t *testing.T) {
	ts := explorer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/api/iface/kv/link"
	open := func(token string) *websocket.Conn {
		c, _, err := websocket.Dial(ctx, wsURL, nil)
		require.NoError(t, err)
		t.Cleanup(func() { c.CloseNow() })
		b, _ := json.Marshal(map[string]string{"type": "open", "dir": "send+recv", "token": token})
		require.NoError(t, c.Write(ctx, websocket.MessageText, b))
		return c
	}
	next := func(c *websocket.Conn) map[string]any {
		_, b, err := c.Read(ctx)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	send := func(c *websocket.Conn, text, format string) {
		b, _ := json.Marshal(map[string]string{"type": "send", "text": text, "format": format})
		require.NoError(t, c.Write(ctx, websocket.MessageText, b))
	}

	c := open("")
	m := next(c)
	assert.Equal(t, "closed", m["type"])
	assert.Equal(t, "UNAUTHORIZED", m["code"])

	c = open("s3cret")
	assert.Equal(t, "open", next(c)["type"])
	send(c, `(get ^key "a")`, "gene")
	assert.Equal(t, `(get ^key "a")`, next(c)["gene"])
	m = next(c)
	assert.Equal(t, "recv", m["type"])
	assert.Equal(t, `(value ^key "a" ^value 42)`, m["gene"])
	assert.InDelta(t, float64(time.Now().UnixMilli()), m["at"], 60_000)
	send(c, `(get ^key`, "gene")
	m = next(c)
	assert.Equal(t, "error", m["type"])
	assert.Equal(t, "BAD_INPUT", m["code"])
	send(c, `{"$node": {"$sym": "get"}, "$props": {"key": "b"}}`, "json")
	assert.Equal(t, "sent", next(c)["type"])
	assert.Equal(t, `(value ^key "b" ^value 42)`, next(c)["gene"])
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"type":"end"}`)))
	m = next(c)
	assert.Equal(t, "closed", m["type"])
	assert.Empty(t, m["error"], "an orderly end")
}

func TestReadable(t *testing.T) {
	for src, want := range map[string]string{
		`int`:                                    "int",
		`(int ^min 1 ^max 9)`:                    "int 1..9",
		`(string ^max-len 5)`:                    "string <= 5",
		`(list string)`:                          "[string ...]",
		`(tuple int string ^rest bool)`:          "[int string bool ...]",
		`{^a int ^b (optional string)}`:          "{^a int ^b? string}",
		`(props ^^open ^a int)`:                  "{^a int ...}",
		`(mapof int)`:                            "{^* int}",
		`(map string int)`:                       "{{string : int}}",
		`(one-of int (ref Name))`:                "int | Name",
		`(enum "a" b)`:                           `"a" | b`,
		`(literal pong)`:                         "pong",
		`(gene ^head get ^props {^k int})`:       "(get ^k int ...)",
		`(gene ^head add ^body (tuple int))`:     "(add int)",
		`(gene ^head notes ^body (list string))`: "(notes string ...)",
		`(string @doc "x" ^pattern "^[a-z]+$")`:  `string ~ "^[a-z]+$"`,
	} {
		assert.Equal(t, want, ui.Readable(gene.MustParse(src)), src)
	}
}

// TestExplorerRefusesCrossSite: a page of another site cannot use the API
// (a POST of a control operation, or a read), while the explorer's own
// origin and non-browser clients can.
func TestExplorerRefusesCrossSite(t *testing.T) {
	ts := explorer(t)
	do := func(method, path string, hdr map[string]string) (int, string) {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(`{"op":"bump","arg":"{^by 1}"}`))
		require.NoError(t, err)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	code, body := do("POST", "/api/iface/echo/control", map[string]string{"Origin": "http://evil.example"})
	assert.Equal(t, http.StatusForbidden, code, body)
	assert.Contains(t, body, `Origin \"http://evil.example\" is not`)
	code, body = do("GET", "/api/interfaces", map[string]string{"Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusForbidden, code, body)
	assert.Contains(t, body, "Sec-Fetch-Site: cross-site")
	code, body = do("GET", "/api/interfaces", map[string]string{"Origin": ts.URL, "Sec-Fetch-Site": "same-origin"})
	assert.Equal(t, http.StatusOK, code, body)
	code, body = do("GET", "/api/interfaces", nil)
	assert.Equal(t, http.StatusOK, code, body)
}
