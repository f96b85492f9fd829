package plugins_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
)

// httpResponse is a (response ...) value, read.
type httpResponse struct {
	Status  int
	Headers map[string]string
	Body    string
}

// call sends one (request ...) on link 1 and returns its response,
// checking that it carries the request's ^id.
func (r *rig) call(id int, method, path, props string) httpResponse {
	r.t.Helper()
	n := len(r.h.Sent(1))
	r.send(1, fmt.Sprintf(`(request ^id %d ^method %q ^path %q %s)`, id, method, path, props))
	got := r.sent(1)
	require.Len(r.t, got, n+1, "one response per request")
	v := got[n]
	require.True(r.t, v.Node().Head.IsSymbol("response"), gene.Format(v))
	gotID, _ := v.Get("id")
	require.Equal(r.t, fmt.Sprint(id), gene.Format(gotID))
	var res httpResponse
	st, _ := v.Get("status")
	s, _ := st.AsInt()
	res.Status = int(s)
	res.Headers = map[string]string{}
	hs, _ := v.Get("headers")
	for _, p := range hs.Props() {
		res.Headers[p.Key] = p.Value.Str()
	}
	b, _ := v.Get("body")
	res.Body = b.Str()
	return res
}

func webRig(t *testing.T, d *db) *rig {
	p, m := compile(t, "web")
	r := newRig(t, p, m, d)
	r.open(1)
	return r
}

func TestWebPage(t *testing.T) {
	r := webRig(t, newDB(t))
	res := r.call(1, "GET", "/", "")
	require.Equal(t, 200, res.Status)
	require.Equal(t, "text/html; charset=utf-8", res.Headers["content-type"])
	require.Contains(t, res.Body, "No notes yet.")

	res = r.call(2, "POST", "/notes", `^headers {^content-type "application/x-www-form-urlencoded"} ^body "text=buy+tea%21+%3Cb%3E"`)
	require.Equal(t, 303, res.Status)
	require.Equal(t, "/", res.Headers["location"])
	res = r.call(3, "GET", "/", "")
	require.Contains(t, res.Body, "<li>buy tea! &lt;b&gt; <small>#1</small></li>", "notes are listed, escaped")

	res = r.call(4, "POST", "/notes", `^body "text=+++"`)
	require.Equal(t, 400, res.Status)
	require.Contains(t, res.Body, "a note needs some text")

	res = r.call(5, "HEAD", "/", "")
	require.Equal(t, 200, res.Status)
	require.Empty(t, res.Body)
	res = r.call(6, "PUT", "/", "")
	require.Equal(t, 405, res.Status)
	require.Equal(t, "GET, HEAD", res.Headers["allow"])
	res = r.call(7, "GET", "/nope", "")
	require.Equal(t, 404, res.Status)
	require.Equal(t, "no page at /nope\n", res.Body)
}

func TestWebAPI(t *testing.T) {
	d := newDB(t)
	r := webRig(t, d)
	res := r.call(1, "POST", "/api/notes", `^headers {^content-type "application/json"} ^body "{\"text\": \"one\"}"`)
	require.Equal(t, 201, res.Status)
	require.Equal(t, "/api/notes/1", res.Headers["location"])
	require.JSONEq(t, `{"id":1,"text":"one"}`, res.Body)
	res = r.call(2, "POST", "/api/notes", `^headers {^content-type "text/plain"} ^body "two \"quoted\"\n"`)
	require.Equal(t, 201, res.Status)

	res = r.call(3, "GET", "/api/notes", "")
	require.Equal(t, "application/json", res.Headers["content-type"])
	require.JSONEq(t, `[{"id":1,"text":"one"},{"id":2,"text":"two \"quoted\""}]`, res.Body)

	for _, how := range []string{`^query {^format "gene"} ^raw-query "format=gene"`, `^headers {^accept "application/gene, */*"}`} {
		res = r.call(4, "GET", "/api/notes", how)
		require.Equal(t, "application/gene", res.Headers["content-type"], how)
		v, err := gene.Parse([]byte(res.Body))
		require.NoError(t, err, "the Gene endpoint writes Gene text: %s", res.Body)
		require.True(t, gene.Equal(gene.MustParse(`[{^id 1 ^text "one"} {^id 2 ^text "two \"quoted\""}]`), v), res.Body)
	}

	res = r.call(5, "GET", "/api/notes/2", "")
	require.JSONEq(t, `{"id":2,"text":"two \"quoted\""}`, res.Body)
	res = r.call(6, "DELETE", "/api/notes/2", "")
	require.Equal(t, 204, res.Status)
	res = r.call(7, "DELETE", "/api/notes/2", "")
	require.Equal(t, 404, res.Status)
	res = r.call(8, "POST", "/api/notes", `^headers {^content-type "application/json"} ^body "{nope"`)
	require.Equal(t, 400, res.Status)
	require.Contains(t, res.Body, "the body is not JSON")

	// Notes are durable.
	require.NoError(t, r.in.Close(t.Context()))
	d.reopen()
	r2 := webRig(t, d)
	res = r2.call(9, "GET", "/api/notes", "")
	require.JSONEq(t, `[{"id":1,"text":"one"}]`, res.Body)
	res = r2.call(10, "POST", "/api/notes", `^body "three"`)
	require.JSONEq(t, `{"id":3,"text":"three"}`, res.Body, "ids are not reused")
}

func TestWebEcho(t *testing.T) {
	r := webRig(t, newDB(t))
	res := r.call(1, "GET", "/api/echo", `^query {^hello "world" ^tag ["a" "b"]} ^raw-query "hello=world&tag=a&tag=b"
		^headers {^user-agent "test"} ^body "" ^host "example.test" ^remote "127.0.0.1:1234"`)
	require.Equal(t, 200, res.Status)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Body), &got))
	require.Equal(t, map[string]any{
		"id": float64(1), "method": "GET", "path": "/api/echo",
		"query": map[string]any{"hello": "world", "tag": []any{"a", "b"}}, "raw-query": "hello=world&tag=a&tag=b",
		"headers": map[string]any{"user-agent": "test"}, "body": "", "host": "example.test", "remote": "127.0.0.1:1234",
	}, got)
}

func TestWebRefusesOtherValues(t *testing.T) {
	r := webRig(t, newDB(t))
	_, err := r.sendRaw(1, gene.MustParse(`(hello)`))
	require.ErrorContains(t, err, "want (request ^id N ^method M ^path P ...)")
}
