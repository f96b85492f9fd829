package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
)

// TestHelp: every command has --help with examples and exit codes.
func TestHelp(t *testing.T) {
	out := ok(t, nil, "", "--help")
	cmds := []string{"serve", "call", "send", "recv", "connect", "manifest", "ctl", "ls", "watch", "new", "build", "check"}
	for _, c := range cmds {
		assert.Contains(t, out, "  "+c+" ", "genehost --help lists %s", c)
		r := gh(t, nil, "", c, "--help")
		assert.Equal(t, 0, r.code, c)
		assert.Contains(t, r.err, "Usage: genehost "+c, c)
		assert.Contains(t, r.err, "Examples:", c)
		assert.Contains(t, r.err, "Exit codes:", c)
	}
	r := gh(t, nil, "", "nonsense")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, `unknown command "nonsense"`)
}

// TestClientCommands drives one daemon serving the shipped plugins (and a
// test feed) through every client command.
func TestClientCommands(t *testing.T) {
	d := serve(t, serveOpts{plugins: copyPlugins(t, "feed")})

	t.Run("ls", func(t *testing.T) {
		out := ok(t, d, "", "ls", "-")
		for _, name := range []string{"echo", "kv", "queue", "web", "feed"} {
			assert.Regexp(t, `(?m)^`+name+`\s+\S+\s+(send|recv|send\+recv)\s+serving`, out)
		}
		assert.Contains(t, out, "listening on "+d.unix)
		assert.Contains(t, out, "listening on "+d.tcp)
	})

	t.Run("call", func(t *testing.T) {
		for _, addr := range []string{"-", d.unix, d.tcp} {
			out := ok(t, d, "", "call", addr, "echo", `(hello ^to "world" [1 2.5 "x"])`)
			assert.Equal(t, "(hello ^to \"world\" [1 2.5 \"x\"])\n", out)
		}
		assert.Equal(t, "[1 2]\n", ok(t, d, "[1\n2]", "call", "-", "echo"), "VALUE from stdin")
		assert.Equal(t, "-42\n", ok(t, d, "", "call", "-", "echo", "--", "-42"))
		assert.JSONEq(t, `{"a": 1}`, ok(t, d, "", "call", "-", "echo", "{^a 1}", "--format", "json"))

		r := gh(t, d, "", "call", "-", "nope", "1")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "UNKNOWN_INTERFACE")
		r = gh(t, d, "", "call", "-", "echo", "(unclosed")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, "VALUE:1:")
		r = gh(t, d, "", "call", "-", "echo")
		assert.Equal(t, 2, r.code, "no value on stdin either")
		r = gh(t, d, "", "call", "-", "echo", "1", "--timeout", "1ns")
		assert.Equal(t, 3, r.code, r.err)
		r = gh(t, d, "", "call", "unix:///nonexistent/x.sock", "echo", "1")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "/nonexistent/x.sock")
		r = gh(t, d, "", "call", "localhost:1", "echo", "1")
		assert.Equal(t, 2, r.code)
	})

	t.Run("kv", func(t *testing.T) {
		assert.Equal(t, "(ok ^key \"cli/a\")\n", ok(t, d, "", "call", d.tcp, "kv", `(set ^key "cli/a" ^value {^n 1})`))
		assert.Equal(t, "(value ^key \"cli/a\" ^value {^n 1})\n", ok(t, d, "", "call", "-", "kv", `(get ^key "cli/a")`))
		assert.Equal(t, "(not-found ^key \"cli/zz\")\n", ok(t, d, "", "call", "-", "kv", `(get ^key "cli/zz")`))
	})

	t.Run("send", func(t *testing.T) {
		in := "(set ^key \"s/1\" ^value 1) (set ^key \"s/2\"\n ^value 2)\n(set ^key \"s/3\" ^value [3])\n"
		r := gh(t, d, in, "send", "-", "kv")
		require.Equal(t, 0, r.code, r.err)
		assert.Equal(t, "sent 3 values\n", r.err)
		assert.Equal(t, "(ok ^key \"s/1\")\n(ok ^key \"s/2\")\n(ok ^key \"s/3\")\n", r.out, "replies of a send+recv interface are printed")
		out := ok(t, d, "", "call", "-", "kv", `(scan ^prefix "s/")`)
		assert.Contains(t, out, `{^key "s/3" ^value [3]}`)

		r = gh(t, d, "1 2 (3", "send", "-", "echo")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "sent 2 values")
		assert.Contains(t, r.err, "<stdin>:1:")
		r = gh(t, d, "1", "send", "-", "feed")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "only sends")
	})

	t.Run("recv", func(t *testing.T) {
		out := ok(t, d, "", "recv", "-", "feed")
		assert.Equal(t, "(tick ^n 1)\n(tick ^n 2)\n(tick ^n 3)\n", out, "until the host ends the link")
		out = ok(t, d, "", "recv", "-", "feed", "--count", "2", "--format", "json")
		assert.Equal(t, 2, strings.Count(out, "\n"))
		r := gh(t, d, "", "recv", "-", "echo", "--count", "1", "--timeout", "200ms")
		assert.Equal(t, 3, r.code, "nothing arrives: timeout")
	})

	t.Run("connect", func(t *testing.T) {
		in := "(set ^key \"c/1\" ^value 1)\n(oops\n]\n(get ^key \"c/1\")\n"
		r := gh(t, d, in, "connect", "-", "kv")
		require.Equal(t, 0, r.code, r.err)
		assert.Equal(t, "(ok ^key \"c/1\")\n(value ^key \"c/1\" ^value 1)\n", r.out)
		assert.Contains(t, r.err, "not sent: <stdin>:3:", "a bad line is reported and skipped")

		// A watch: the session waits for --count values after the input ends.
		done := make(chan result, 1)
		go func() {
			done <- gh(t, d, "(watch ^prefix \"w/\")\n", "connect", "-", "kv", "--count", "2", "--timeout", "30s")
		}()
		require.Eventually(t, func() bool {
			st := ok(t, d, "", "ctl", "-", "kv", "stats")
			return strings.Contains(st, "^send+recv 1")
		}, 10e9, 50e6)
		ok(t, d, "", "call", "-", "kv", `(set ^key "w/x" ^value "pushed")`)
		r = <-done
		require.Equal(t, 0, r.code, r.err)
		assert.Equal(t, "(watching ^prefix \"w/\")\n(changed ^key \"w/x\" ^value \"pushed\" ^prefix \"w/\")\n", r.out)

		out := ok(t, d, "", "connect", "-", "feed")
		assert.Equal(t, "(tick ^n 1)\n(tick ^n 2)\n(tick ^n 3)\n", out, "a send interface: connect only prints")
	})

	t.Run("manifest", func(t *testing.T) {
		out := ok(t, d, "", "manifest", "-", "kv")
		m, err := gene.Parse([]byte(out))
		require.NoError(t, err)
		name, _ := m.Get("name")
		assert.Equal(t, "kv", name.Str())
		hash, _ := m.Get("hash")
		assert.True(t, strings.HasPrefix(hash.Str(), "sha256:"))
		addrs, _ := m.Get("addresses")
		assert.Contains(t, gene.Format(addrs), d.unix)

		var j map[string]any
		require.NoError(t, json.Unmarshal([]byte(ok(t, d, "", "manifest", d.tcp, "kv", "--format", "json")), &j))
		assert.Equal(t, "kv", j["name"])

		var a map[string]any
		require.NoError(t, json.Unmarshal([]byte(ok(t, d, "", "manifest", "-", "kv", "--format", "asyncapi")), &a))
		assert.Equal(t, "3.0.0", a["asyncapi"])
		info := a["info"].(map[string]any)
		assert.Equal(t, "kv", info["title"])
		assert.NotEmpty(t, info["version"])
		ch := a["channels"].(map[string]any)["kv"].(map[string]any)
		assert.Equal(t, "kv", ch["address"])
		msgs := a["components"].(map[string]any)["messages"].(map[string]any)
		assert.Contains(t, msgs, "set")
		assert.Contains(t, msgs["set"].(map[string]any), "payload")
		ops := a["operations"].(map[string]any)
		assert.Equal(t, "receive", ops["receive"].(map[string]any)["action"])
		assert.Equal(t, "send", ops["send"].(map[string]any)["action"])
		x := a["x-genehost"].(map[string]any)
		assert.Contains(t, x["control"], "reset")
		assert.Equal(t, hash.Str(), x["hash"])

		r := gh(t, d, "", "manifest", "-", "kv", "--format", "yaml")
		assert.Equal(t, 2, r.code)
	})

	t.Run("ctl", func(t *testing.T) {
		assert.Equal(t, "pong\n", ok(t, d, "", "ctl", "-", "echo", "ping"))
		assert.Equal(t, "{^status \"serving\"}\n", ok(t, d, "", "ctl", "-", "kv", "health"))
		st, err := gene.Parse([]byte(ok(t, d, "", "ctl", "-", "kv", "stats")))
		require.NoError(t, err)
		vin, _ := st.Get("values-in")
		n, _ := vin.AsInt()
		assert.Greater(t, n, int64(3))
		out := ok(t, d, "", "ctl", "-", "$sys", "interfaces")
		assert.Contains(t, out, `^name "queue"`)
		r := gh(t, d, "", "ctl", "-", "kv", "explode")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "UNKNOWN_OP")
		r = gh(t, d, "", "ctl", "-", "queue", "reset", "{^topic")
		assert.Equal(t, 2, r.code)
	})
}
