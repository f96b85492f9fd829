package host

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
)

// servedKV is kvManifest as the manifest control operation serves it:
// with ^hash, ^addresses and ^standard-control.
var servedKV = strings.TrimSuffix(kvManifest, "}") + `
 ^hash "sha256:00"
 ^addresses ["unix:///run/g.sock" "tcp://127.0.0.1:7470"]
 ^standard-control [manifest ping health stats pause resume]}`

// TestAsyncAPIShape checks the document against the required structure of
// AsyncAPI 3.0: asyncapi and info (title, version) at the top, channels
// with an address and messages, operations with an action and a channel
// reference, and that every $ref resolves inside the document.
func TestAsyncAPIShape(t *testing.T) {
	doc, err := AsyncAPI(gene.MustParse(servedKV))
	require.NoError(t, err)
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	var d map[string]any
	require.NoError(t, json.Unmarshal(raw, &d))

	assert.Equal(t, "3.0.0", d["asyncapi"])
	info := d["info"].(map[string]any)
	assert.Equal(t, "kv", info["title"])
	assert.Equal(t, "1.0.0", info["version"])

	ch := d["channels"].(map[string]any)["kv"].(map[string]any)
	assert.Equal(t, "kv", ch["address"])
	assert.Len(t, ch["messages"].(map[string]any), 4, "set, get, ok and the standard error reply")

	ops := d["operations"].(map[string]any)
	recv := ops["receive"].(map[string]any)
	assert.Equal(t, "receive", recv["action"])
	assert.Len(t, recv["messages"].([]any), 2, "set and get come from the client")
	send := ops["send"].(map[string]any)
	assert.Equal(t, "send", send["action"])
	assert.Len(t, send["messages"].([]any), 2, "ok and the standard error reply come from the server")

	msgs := d["components"].(map[string]any)["messages"].(map[string]any)
	set := msgs["set"].(map[string]any)
	assert.Equal(t, "store a value", set["summary"])
	payload := set["payload"].(map[string]any)
	assert.NotEmpty(t, payload)
	ex := set["examples"].([]any)[0].(map[string]any)
	assert.Equal(t, `(set ^key "a" ^value 1)`, ex["x-genehost-text"])
	assert.NotNil(t, ex["payload"])
	assert.Contains(t, d["components"].(map[string]any)["schemas"], "Key")

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
	assert.Contains(t, x["control"], "reset")
	assert.Equal(t, "drop-oldest", x["flow"].(map[string]any)["overflow"])

	// Every $ref points at something in the document.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k == "$ref" {
					assert.NotNil(t, resolve(d, e.(string)), "dangling $ref %s", e)
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(d)
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
	doc, err := AsyncAPI(gene.MustParse(`{^name "feed" ^direction "send"}`))
	require.NoError(t, err)
	ops := doc["operations"].(map[string]any)
	assert.Contains(t, ops, "send")
	assert.NotContains(t, ops, "receive")
	assert.NotContains(t, doc, "servers")
}

func TestAsyncAPIBadManifest(t *testing.T) {
	_, err := AsyncAPI(gene.MustParse(`{^name "x" ^direction "sideways"}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "^direction")
}
