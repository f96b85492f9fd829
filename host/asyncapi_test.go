package host

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/tests/testenv"
)

// servedKV is kvManifest as the manifest control operation serves it:
// with ^hash, ^addresses and ^standard-control.
var servedKV = strings.TrimSuffix(kvManifest, "}") + `
 ^hash "sha256:00"
 ^addresses ["unix:///run/g.sock" "tcp://127.0.0.1:7470"]
 ^standard-control [manifest ping health stats pause resume]}`

// TestAsyncAPIShape checks the document against the required structure of
// AsyncAPI 3.0: asyncapi and info (title, version) at the top, channels
// with an address and messages, operations with an action, a channel and
// replies, and that every $ref resolves inside the document.
func TestAsyncAPIShape(t *testing.T) {
	d := asyncAPIDoc(t, servedKV)

	assert.Equal(t, "3.0.0", d["asyncapi"])
	info := d["info"].(map[string]any)
	assert.Equal(t, "kv", info["title"])
	assert.Equal(t, "1.0.0", info["version"])

	chans := d["channels"].(map[string]any)
	ch := chans["kv"].(map[string]any)
	assert.Equal(t, "kv", ch["address"])
	assert.Len(t, ch["messages"].(map[string]any), 4, "set, get, ok and the standard error reply")
	ctl := chans["kv.control"].(map[string]any)
	assert.Equal(t, "kv", ctl["address"])
	assert.Contains(t, ctl["messages"], "control.reset.request")
	assert.Contains(t, ctl["messages"], "control.reset.reply")

	// One operation per request, with its replies; the standard error
	// reply answers every request that has replies.
	ops := d["operations"].(map[string]any)
	set := ops["set"].(map[string]any)
	assert.Equal(t, "receive", set["action"])
	assert.Equal(t, "#/channels/kv", set["channel"].(map[string]any)["$ref"])
	assert.Equal(t, []any{map[string]any{"$ref": "#/channels/kv/messages/set"}}, set["messages"])
	reply := set["reply"].(map[string]any)
	assert.Equal(t, []any{
		map[string]any{"$ref": "#/channels/kv/messages/ok"},
		map[string]any{"$ref": "#/channels/kv/messages/error"},
	}, reply["messages"])
	get := ops["get"].(map[string]any)
	assert.Len(t, get["reply"].(map[string]any)["messages"], 2, "ok and error, named in ^replies")
	assert.NotContains(t, ops, "ok", "a message that only answers requests is no operation of its own")
	assert.NotContains(t, ops, "error")

	// Control operations: the declared ones and the standard ones, each a
	// request with its reply or the control error.
	for _, op := range []string{"reset", "manifest", "ping", "health", "stats", "pause", "resume"} {
		o, ok := ops["control."+op].(map[string]any)
		if assert.True(t, ok, "operation control.%s", op) {
			assert.Equal(t, "receive", o["action"])
			assert.Equal(t, "#/channels/kv.control", o["channel"].(map[string]any)["$ref"])
			assert.Len(t, o["reply"].(map[string]any)["messages"], 2)
		}
	}
	assert.Equal(t, "send", ops["control.events"].(map[string]any)["action"])

	msgs := d["components"].(map[string]any)["messages"].(map[string]any)
	setMsg := msgs["set"].(map[string]any)
	assert.Equal(t, "store a value", setMsg["summary"])
	assert.Equal(t, "(gene ^head set ^props (props ^key (ref Key) ^value any))", setMsg["x-gene-schema"])
	payload := setMsg["payload"].(map[string]any)
	assert.Equal(t, "object", payload["type"])
	assert.Equal(t, map[string]any{"const": map[string]any{"$sym": "set"}}, payload["properties"].(map[string]any)["$node"])
	ex := setMsg["examples"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"summary": `(set ^key "a" ^value 1)`,
		"payload": map[string]any{"$node": map[string]any{"$sym": "set"}, "$props": map[string]any{"key": "a", "value": json.Number("1")}}}, ex)
	assert.Contains(t, d["components"].(map[string]any)["schemas"], "Key")
	// The control reply carries the result's schema in its body.
	resetReply := msgs["control.reset.reply"].(map[string]any)
	assert.Equal(t, "(gene ^head ok ^props (props ^id (optional any)) ^body (tuple int))", resetReply["x-gene-schema"])

	servers := d["servers"].(map[string]any)
	assert.Len(t, servers, 2)
	for _, s := range servers {
		s := s.(map[string]any)
		assert.Equal(t, "genehost", s["protocol"])
		assert.NotEmpty(t, s["host"])
	}

	x := d["x-genehost"].(map[string]any)
	assert.Equal(t, "send+recv", x["direction"])
	assert.Equal(t, "sha256:00", x["hash"])
	assert.Equal(t, "drop-oldest", x["flow"].(map[string]any)["overflow"])

	// Every $ref points at something in the document, and no example
	// carries a key the Message Example Object does not allow.
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k == "$ref" {
					assert.NotNil(t, resolve(d, e.(string)), "dangling $ref %s", e)
					continue
				}
				walk(path+"/"+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path+"/[]", e)
			}
		}
	}
	walk("", d)
	for name, m := range msgs {
		exs, _ := m.(map[string]any)["examples"].([]any)
		for _, e := range exs {
			for k := range e.(map[string]any) {
				assert.Contains(t, []string{"name", "summary", "headers", "payload"}, k, "message %s: example key", name)
			}
		}
	}
}

// asyncAPIDoc exports the served manifest src and decodes the JSON.
func asyncAPIDoc(t *testing.T, src string) map[string]any {
	t.Helper()
	doc, err := AsyncAPI(gene.MustParse(src))
	require.NoError(t, err)
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	var d map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&d))
	return d
}

// TestAsyncAPIDraft07 checks the payload schemas use the draft-07
// vocabulary of AsyncAPI's default schema format: tuples as an items
// array, and no annotation beside a $ref.
func TestAsyncAPIDraft07(t *testing.T) {
	d := asyncAPIDoc(t, `{^name "t" ^direction "recv" ^defs {^N int}
	  ^messages {^pair {^from "client" ^schema (gene ^head pair ^body (tuple (ref N @doc "first") string))}
	             ^rest {^from "client" ^schema (gene ^head rest ^body (tuple int ^rest string))}}}`)
	msgs := d["components"].(map[string]any)["messages"].(map[string]any)
	body := func(m string) map[string]any {
		return msgs[m].(map[string]any)["payload"].(map[string]any)["properties"].(map[string]any)["$body"].(map[string]any)
	}
	pair := body("pair")
	assert.NotContains(t, pair, "prefixItems")
	assert.Equal(t, false, pair["additionalItems"])
	items := pair["items"].([]any)
	require.Len(t, items, 2)
	assert.Equal(t, map[string]any{"allOf": []any{map[string]any{"$ref": "#/components/schemas/N"}}, "description": "first"}, items[0])
	rest := body("rest")
	assert.Equal(t, map[string]any{"type": "string"}, rest["additionalItems"])
	assert.Len(t, rest["items"], 1)
}

// TestAsyncAPIValidates runs the official AsyncAPI parser
// (tools/asyncapi/validate.js) over the export of the two ways a side can
// declare nothing: neither may have an error or a warning. A document the parser does reject (an extension key inside a
// message example) must fail, so that the check is known to bite.
// (tests/asyncapi_test.go validates what 'genehost manifest --format
// asyncapi' prints for every shipped plugin.)
func TestAsyncAPIValidates(t *testing.T) {
	node := testenv.NeedTool(t, "node", "the AsyncAPI parser runs on Node.js (tools/test-tools.sh installs it under CI=true)")
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	script := filepath.Join(root, "tools", "asyncapi", "validate.js")
	if _, err := os.Stat(filepath.Join(root, "tools", "asyncapi", "node_modules", "@asyncapi", "parser", "package.json")); err != nil {
		testenv.Skipf(t, "@asyncapi/parser is not installed in tools/asyncapi/node_modules: run bash tools/test-tools.sh (make test-tools)")
	}

	served := map[string]string{
		"minimal": `{^name "echo" ^direction "send+recv"}`,
		"feed":    `{^name "feed" ^direction "send" ^control {^flush {^args {^all bool}}}}`,
	}
	dir := t.TempDir()
	var files []string
	for name, src := range served {
		doc, err := AsyncAPI(gene.MustParse(src))
		require.NoError(t, err, name)
		raw, err := json.MarshalIndent(doc, "", " ")
		require.NoError(t, err)
		f := filepath.Join(dir, name+".json")
		require.NoError(t, os.WriteFile(f, raw, 0o644))
		files = append(files, f)
	}
	sort.Strings(files)
	// The check bites: the example extension the parser refuses, in the
	// same run (the parser takes seconds to start).
	bad := asyncAPIDoc(t, servedKV)
	ex := bad["components"].(map[string]any)["messages"].(map[string]any)["set"].(map[string]any)["examples"].([]any)[0].(map[string]any)
	ex["x-genehost-text"] = `(set ^key "a" ^value 1)`
	raw, err := json.Marshal(bad)
	require.NoError(t, err)
	badFile := filepath.Join(dir, "refused.json")
	require.NoError(t, os.WriteFile(badFile, raw, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	outb, err := exec.CommandContext(ctx, node, append([]string{script, badFile}, files...)...).CombinedOutput()
	out := string(outb)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "validate.js:\n%s", out)
	require.Equal(t, 1, ee.ExitCode(), "validate.js exits 1 for the refused document:\n%s", out)
	for _, f := range files {
		assert.Contains(t, out, f+": 0 errors, 0 warnings, document parsed")
	}
	assert.Contains(t, out, badFile+": error asyncapi-document-resolved at /components/messages/set/examples/0/x-genehost-text")
	assert.Contains(t, out, badFile+": 1 errors, 0 warnings, document none")
	if t.Failed() {
		t.Logf("validate.js:\n%s", out)
	}
}

// resolve follows a local JSON pointer (#/a/b).
func resolve(doc map[string]any, ref string) any {
	var cur any = doc
	for _, part := range splitPointer(ref[2:]) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

func splitPointer(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

func TestAsyncAPIOneWay(t *testing.T) {
	d := asyncAPIDoc(t, `{^name "feed" ^direction "send"}`)
	ops := d["operations"].(map[string]any)
	// The server sends anything: a message of its own, and the standard
	// error reply, which answers no request here.
	assert.Equal(t, "send", ops["server-value"].(map[string]any)["action"])
	assert.Equal(t, "send", ops["error"].(map[string]any)["action"])
	assert.NotContains(t, ops, "client-value")
	assert.NotContains(t, d, "servers")
}

func TestAsyncAPIBadManifest(t *testing.T) {
	_, err := AsyncAPI(gene.MustParse(`{^name "x" ^direction "sideways"}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "^direction")
}
