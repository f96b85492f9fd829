package tests

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/tests/e2e"
)

// TestHelp: every command has --help with examples and exit codes.
func TestHelp(t *testing.T) {
	out := ok(t, nil, "", "--help")
	cmds := []string{"serve", "call", "send", "recv", "connect", "manifest", "ctl", "ls", "watch", "bench", "new", "build", "check"}
	for _, c := range cmds {
		assert.Contains(t, out, "  "+c+" ", "genehost --help lists %s", c)
		r := gh(t, nil, "", c, "--help")
		assert.Equal(t, 0, r.code, c)
		assert.Contains(t, r.err, "Usage: genehost "+c, c)
		assert.Contains(t, r.err, "Examples:", c)
		for _, line := range exitCodeTable {
			assert.Contains(t, r.err, line, c)
		}
	}
	for _, line := range exitCodeTable {
		assert.Contains(t, out, line, "genehost --help has the exit code table")
	}
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	for i, line := range exitCodeTable {
		words := strings.Fields(line)[1:]
		meaning := strings.Join(words[:min(2, len(words))], " ")
		assert.Contains(t, string(readme), "| "+strconv.Itoa(i)+" | "+meaning, "README.md has the exit code table")
	}
	r := gh(t, nil, "", "nonsense")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, `unknown command "nonsense"`)
	r = gh(t, nil, "", "mainfest")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, `unknown command "mainfest"; did you mean manifest?`)

	out = ok(t, nil, "", "--version")
	assert.Regexp(t, `^genehost v\S+`, out)
	assert.Contains(t, out, "\nprotocol 1, plugin ABI 1.")
}

// exitCodeTable is the table every command's --help and genehost --help
// print (and README.md's CLI section).
var exitCodeTable = []string{
	"0  success",
	"1  the operation failed: an error reply, a link refused or reset, a\n     failed control operation, a plugin that does not load",
	"2  bad usage: unknown flag, missing argument, a value that does not parse",
	"3  timed out (--timeout)",
	"4  cannot connect: nothing listens at ADDR, or TLS or the handshake failed",
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
		assert.Contains(t, out, "listening on "+d.Unix)
		assert.Contains(t, out, "listening on "+d.TCP)

		var j struct {
			Interfaces []struct{ Name, Version, Direction, Health string }
			Addresses  []string
		}
		require.NoError(t, json.Unmarshal([]byte(ok(t, d, "", "ls", "-", "--format", "json")), &j))
		var names []string
		for _, i := range j.Interfaces {
			names = append(names, i.Name)
			assert.Equal(t, "serving", i.Health, i.Name)
		}
		assert.Subset(t, names, []string{"echo", "kv", "queue", "web", "feed"})
		assert.ElementsMatch(t, []string{d.Unix, d.TCP}, j.Addresses)
		g, err := gene.Parse([]byte(ok(t, d, "", "ls", d.TCP, "--format", "gene")))
		require.NoError(t, err)
		addrs, _ := g.Get("addresses")
		assert.Len(t, addrs.List(), 2)
		r := gh(t, d, "", "ls", "-", "--format", "yaml")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, `--format "yaml": want text, json or gene`)
		r = ghEnv(t, d, []string{"GENEHOST_ADDR=-"}, "", "ls")
		require.Equal(t, 0, r.code, r.err)
		assert.Contains(t, r.out, "listening on "+d.Unix)
	})

	t.Run("call", func(t *testing.T) {
		for _, addr := range []string{"-", d.Unix, d.TCP} {
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
		assert.Equal(t, 4, r.code)
		assert.Equal(t, "genehost call: cannot connect to unix:///nonexistent/x.sock: no such file or directory (is 'genehost serve' running? By default it listens on - and tcp://127.0.0.1:7470)\n", r.err)
		r = gh(t, d, "", "call", "127.0.0.1:1", "echo", "1")
		assert.Equal(t, 4, r.code, "host:port is TCP: %s", r.err)
		assert.Contains(t, r.err, "cannot connect to tcp://127.0.0.1:1: connection refused (is 'genehost serve' running?")
		assert.Equal(t, "1\n", ok(t, d, "", "call", strings.TrimPrefix(d.TCP, "tcp://"), "echo", "1"))
		r = gh(t, d, "", "call", "http://127.0.0.1:8080", "echo", "1")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, `address "http://127.0.0.1:8080" is an HTTP address: the HTTP gateway ('serve --http') serves it, for curl and browsers; the genehost protocol is at tcp://HOST:PORT`)

		// Values that are not one Gene value say what to do.
		r = gh(t, d, "", "call", "-", "echo", `{"a": 1}`)
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, "VALUE:1:2: ")
		assert.Contains(t, r.err, "(this looks like JSON: use --json")
		r = gh(t, d, "", "call", "-", "echo", "1 2")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, "VALUE holds 2 values where one is wanted")
		assert.NotContains(t, r.err, "ParseAll")
		r = gh(t, d, "", "call", "-", "echo")
		assert.Equal(t, "genehost call: no VALUE: give it as an argument after IFACE, or on standard input\nRun 'genehost call --help' for usage.\n", r.err)

		// The address forgotten: a clear error at once, before reading
		// standard input; GENEHOST_ADDR gives a default.
		r = gh(t, d, "", "call", "echo", "1")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, `no ADDR: "echo" is not an address; give one first (- for the default socket of 'genehost serve', tcp://HOST:PORT, a socket path) or set GENEHOST_ADDR`)
		r = ghEnv(t, d, []string{"GENEHOST_ADDR=" + d.TCP}, "", "call", "echo", "1")
		assert.Equal(t, result{out: "1\n"}, r)
		r = ghEnv(t, d, []string{"GENEHOST_ADDR=" + d.TCP}, "", "call", "-", "echo", "2")
		assert.Equal(t, result{out: "2\n"}, r, "an ADDR given wins")

		// --json: JSON in, the JSON view out; plain values stay plain.
		assert.Equal(t, `{"a":[1,2.5,"x"],"$$k":null}`+"\n", ok(t, d, "", "call", "-", "echo", "--json", `{"a": [1, 2.5, "x"], "$$k": null}`))
		ok(t, d, "", "call", "-", "kv", `(set ^key "cli/a" ^value {^n 1})`)
		out := ok(t, d, "", "call", "-", "kv", "--json", `{"$node": {"$sym": "get"}, "$props": {"key": "cli/a"}}`)
		assert.JSONEq(t, `{"$node": {"$sym": "value"}, "$props": {"key": "cli/a", "value": {"n": 1}}}`, out)
		assert.Equal(t, "[\n  1,\n  2\n]\n", ok(t, d, "[1,\n2]", "call", "-", "echo", "--json", "--format", "pretty"), "VALUE from stdin, indented JSON out")
		r = gh(t, d, "", "call", "-", "echo", "--json", `{"a": }`)
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, "VALUE:1:7: unexpected character '}' looking for beginning of value")

		// -v: how long each step took.
		r = gh(t, d, "", "call", "-", "echo", "1", "-v")
		require.Equal(t, 0, r.code, r.err)
		assert.Equal(t, "1\n", r.out)
		assert.Regexp(t, `^genehost call: connected to unix://\S+ in [0-9.]+[µm]?s, opened a send\+recv link on echo in [0-9.]+[µm]?s, reply in [0-9.]+[µm]?s \(round trip\)\n$`, r.err)

		// A feed takes no request: say which command fits.
		r = gh(t, d, "", "call", "-", "feed", "1")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "genehost call: WRONG_DIRECTION: interface \"feed\" only sends (host to client), so it takes no request; 'genehost recv ADDR feed' prints what it sends\n", r.err)

		// A mistyped flag gets the nearest one, not the whole help.
		r = gh(t, d, "", "call", "-", "echo", "1", "--formt", "json")
		assert.Equal(t, result{err: "genehost call: unknown flag --formt; did you mean --format?\nRun 'genehost call --help' for usage.\n", code: 2}, r)
	})

	t.Run("kv", func(t *testing.T) {
		assert.Equal(t, "(ok ^key \"cli/a\")\n", ok(t, d, "", "call", d.TCP, "kv", `(set ^key "cli/a" ^value {^n 1})`))
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

		r = gh(t, d, "{\"a\": [1,\n 2]} 3\n\"x\"\n", "send", "-", "echo", "--json")
		require.Equal(t, 0, r.code, r.err)
		assert.Equal(t, "{\"a\":[1,2]}\n3\n\"x\"\n", r.out)
		assert.Equal(t, "sent 3 values\n", r.err)
		r = gh(t, d, "1\n{\"a\": 1}\n", "send", "-", "echo")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "<stdin>:2:2: ")
		assert.Contains(t, r.err, "this looks like JSON: use --json")
	})

	t.Run("recv", func(t *testing.T) {
		out := ok(t, d, "", "recv", "-", "feed")
		assert.Equal(t, "(tick ^n 1)\n(tick ^n 2)\n(tick ^n 3)\n", out, "until the host ends the link")
		out = ok(t, d, "", "recv", "-", "feed", "--count", "2", "--format", "json")
		assert.Equal(t, 2, strings.Count(out, "\n"))
		r := gh(t, d, "", "connect", "-", "echo", "--count", "1", "--timeout", "300ms")
		assert.Equal(t, 3, r.code, "nothing arrives: timeout: %s", r.err)
		r = gh(t, d, "", "recv", "-", "echo")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "genehost recv: WRONG_DIRECTION: interface \"echo\" is send+recv: 'genehost call ADDR echo VALUE' makes one request, 'genehost connect ADDR echo' a session\n", r.err)
		out = ok(t, d, "", "recv", "-", "feed", "--count", "1", "--json")
		assert.Equal(t, `{"$node":{"$sym":"tick"},"$props":{"n":1}}`+"\n", out)
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

		// Input that ends inside a value: one error where it ends, the
		// session ends as at any end of input, exit 2.
		r = gh(t, d, "(hello)\n(cut ^x\n  [1 2", "connect", "-", "echo")
		assert.Equal(t, 2, r.code, r.err)
		assert.Equal(t, "(hello)\n", r.out)
		assert.True(t, strings.HasPrefix(r.err, "genehost connect: not sent: the input ended inside a value: <stdin>:3:7: "), r.err)
		assert.Equal(t, 1, strings.Count(r.err, "\n"), "one line: %s", r.err)

		r = gh(t, d, "{\"a\": 1}\n{oops}\n[2]\n", "connect", "-", "echo", "--json")
		require.Equal(t, 0, r.code, r.err)
		assert.Equal(t, "{\"a\":1}\n[2]\n", r.out)
		assert.Contains(t, r.err, "not sent: <stdin>:2:2: unexpected character 'o'")
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
		assert.Contains(t, gene.Format(addrs), d.Unix)

		var j map[string]any
		require.NoError(t, json.Unmarshal([]byte(ok(t, d, "", "manifest", d.TCP, "kv", "--format", "json")), &j))
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
		assert.Equal(t, "receive", ops["set"].(map[string]any)["action"], "a request the host receives")
		assert.Equal(t, "send", ops["changed"].(map[string]any)["action"], "a push the host sends")
		assert.Contains(t, ops, "control.reset")
		x := a["x-genehost"].(map[string]any)
		assert.Equal(t, hash.Str(), x["hash"])

		r := gh(t, d, "", "manifest", "-", "kv", "--format", "yaml")
		assert.Equal(t, 2, r.code)
	})

	t.Run("ctl", func(t *testing.T) {
		assert.Regexp(t, `^pong from echo: time=[0-9.]+[µm]?s\n$`, ok(t, d, "", "ctl", "-", "echo", "ping"))
		out := ok(t, d, "", "ctl", "-", "kv", "ping", "--count", "3")
		assert.Regexp(t, `^(pong from kv: time=[0-9.]+[µm]?s\n){3}3 pings: min/avg/max = [0-9.]+[µm]?s/[0-9.]+[µm]?s/[0-9.]+[µm]?s\n$`, out)
		// The examples of ctl --help run as written.
		help := gh(t, d, "", "ctl", "--help").err
		for _, l := range strings.Split(help, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "genehost ctl - queue reset") {
				out := shellOK(t, d, l)
				assert.Contains(t, out, "^seq 1", l)
			}
		}
		assert.Contains(t, help, "genehost ctl - queue reset")
		assert.Equal(t, "{^status \"serving\"}\n", ok(t, d, "", "ctl", "-", "kv", "health"))
		st, err := gene.Parse([]byte(ok(t, d, "", "ctl", "-", "kv", "stats")))
		require.NoError(t, err)
		vin, _ := st.Get("values-in")
		n, _ := vin.AsInt()
		assert.Greater(t, n, int64(3))
		out = ok(t, d, "", "ctl", "-", "$sys", "interfaces")
		assert.Contains(t, out, `^name "queue"`)
		r := gh(t, d, "", "ctl", "-", "kv", "explode")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "UNKNOWN_OP")
		r = gh(t, d, "", "ctl", "-", "queue", "reset", "{^topic")
		assert.Equal(t, 2, r.code)
	})
}

// shellOK runs a command line as written (as in a --help example) with
// sh, genehost on PATH and d's default socket, and requires exit 0.
func shellOK(t *testing.T, d *e2e.Daemon, line string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Env = env(d.Runtime)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "%s\nstdout: %s\nstderr: %s", line, out.String(), errb.String())
	return out.String()
}

// TestCLIExitCodes: every client command follows the one exit-code table:
// 2 for a usage error, 4 when nothing listens at ADDR (with a message that
// says what to check), 1 for a refusal by the host.
func TestCLIExitCodes(t *testing.T) {
	d := serve(t, serveOpts{plugins: t.TempDir()})
	dead := "unix://" + filepath.Join(e2e.ShortDir(t), "none.sock")
	cmds := [][]string{
		{"call", "echo", "1"}, {"send", "echo"}, {"recv", "feed"}, {"connect", "echo"},
		{"ctl", "echo", "ping"}, {"ls"}, {"manifest", "echo"}, {"watch"}, {"bench", "echo"},
	}
	for _, c := range cmds {
		args := append([]string{c[0], dead}, c[1:]...)
		r := gh(t, d, "", args...)
		assert.Equal(t, 4, r.code, "%v: %s", args, r.err)
		assert.Equal(t, "genehost "+c[0]+": cannot connect to "+dead+": no such file or directory (is 'genehost serve' running? By default it listens on - and tcp://127.0.0.1:7470)\n", r.err, args)

		args = append([]string{c[0], "-"}, append(c[1:], "--no-such-flag")...)
		r = gh(t, d, "", args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.err)
		assert.Contains(t, r.err, "genehost "+c[0]+": unknown flag --no-such-flag\n", args)

		args = append([]string{c[0], "-"}, c[1:]...)
		if c[0] == "ls" || c[0] == "watch" {
			args = append(args, "--token", "x", "--meta", `{^token "y"}`) // both: a usage error
			r = gh(t, d, "", args...)
			assert.Equal(t, 2, r.code, "%v: %s", args, r.err)
			continue
		}
		r = gh(t, d, "1", args...)
		assert.Equal(t, 1, r.code, "%v: %s", args, r.err)
		assert.Contains(t, r.err, "UNKNOWN_INTERFACE", args)
	}
}

// TestCLIMutualTLS: a host that requires client certificates is reached
// from every kind of client command with --ca, --cert, --key and
// --server-name; without a certificate, or trusting the wrong CA, the
// command cannot connect (exit 4) and says what to pass.
func TestCLIMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "ca")
	hostCert, hostKey := ca.issue(t, dir, "host", x509.ExtKeyUsageServerAuth, "genehost.test")
	clientCert, clientKey := ca.issue(t, dir, "client", x509.ExtKeyUsageClientAuth, "")
	d := serve(t, serveOpts{plugins: echoAndFeed(t), args: []string{
		"--listen", "tls://127.0.0.1:0", "--cert", hostCert, "--key", hostKey, "--client-ca", ca.certFile,
	}})
	require.NotEmpty(t, d.TLS)
	creds := []string{"--ca", ca.certFile, "--cert", clientCert, "--key", clientKey, "--server-name", "genehost.test"}
	with := func(args ...string) []string { return append(args, creds...) }

	assert.Equal(t, "(hi)\n", ok(t, d, "", with("call", d.TLS, "echo", "(hi)")...))
	assert.Equal(t, "(hi)\n", ok(t, d, "(hi)\n", with("send", d.TLS, "echo")...))
	assert.Equal(t, "(tick ^n 1)\n", ok(t, d, "", with("recv", d.TLS, "feed", "--count", "1")...))
	assert.Equal(t, "(hi)\n", ok(t, d, "(hi)\n", with("connect", d.TLS, "echo")...))
	assert.Contains(t, ok(t, d, "", with("ctl", d.TLS, "echo", "ping")...), "pong from echo")
	assert.Contains(t, ok(t, d, "", with("ls", d.TLS)...), "listening on "+d.TLS)
	assert.Contains(t, ok(t, d, "", with("manifest", d.TLS, "echo")...), `^name "echo"`)
	assert.Contains(t, ok(t, d, "", with("bench", d.TLS, "echo", "--count", "10")...), "10 round trips")
	r := ghEnv(t, d, []string{"GENEHOST_ADDR=" + d.TLS}, "", with("watch", "--timeout", "300ms")...)
	assert.Equal(t, 3, r.code, "watch connected and timed out: %s", r.err)
	assert.Contains(t, r.err, "watching $sys on "+d.TLS)

	r = gh(t, d, "", "call", d.TLS, "echo", "1", "--ca", ca.certFile, "--server-name", "genehost.test")
	assert.Equal(t, 4, r.code, "no client certificate: %s", r.err)
	assert.Contains(t, r.err, "cannot connect to "+d.TLS)
	r = gh(t, d, "", "call", d.TLS, "echo", "1", "--server-name", "genehost.test")
	assert.Equal(t, 4, r.code, "the host's CA not trusted: %s", r.err)
	assert.Contains(t, r.err, "certificate signed by unknown authority (--ca FILE trusts the CA that signed the host's certificate)")
	r = gh(t, d, "", with("call", d.TLS, "echo", "1")[:10]...) // without --server-name: 127.0.0.1 is not in the certificate
	assert.Equal(t, 4, r.code, r.err)
	assert.Contains(t, r.err, "(--server-name NAME checks the certificate for another name)")
	r = gh(t, d, "", "call", d.TCP, "echo", "1", "--ca", ca.certFile)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, "--ca, --cert, --key and --server-name apply to tls:// addresses, not "+d.TCP)
	r = gh(t, d, "", "call", d.TLS, "echo", "1", "--cert", clientCert)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, "--cert and --key go together")
}

// testCA is a certificate authority for tests.
type testCA struct {
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	certFile string
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	ca := &testCA{cert: cert, key: key, certFile: filepath.Join(dir, name+".pem")}
	require.NoError(t, os.WriteFile(ca.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return ca
}

// issue writes a certificate for usage signed by the CA, valid for dns
// when not empty, and its key; it returns their paths.
func (ca *testCA) issue(t *testing.T, dir, name string, usage x509.ExtKeyUsage, dns string) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	if dns != "" {
		tmpl.DNSNames = []string{dns}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

// echoAndFeed is a plugin directory with echo and the test feed only
// (quick to load: no Go plugin to build).
func echoAndFeed(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "plugins")
	e2e.CopyTree(t, filepath.Join(repoRoot, "plugins", "echo"), filepath.Join(dir, "echo"), nil)
	e2e.CopyTree(t, filepath.Join("testdata", "feed"), filepath.Join(dir, "feed"), nil)
	return dir
}

// TestServeKeepsDefaultSocket: --listen tcp://... adds to the default Unix
// socket instead of dropping it, so "-" still finds the host. While a
// plugin takes long to load serve logs what it waits for, and once serving
// it says what to try.
func TestServeKeepsDefaultSocket(t *testing.T) {
	plugins := t.TempDir()
	e2e.CopyTree(t, filepath.Join(repoRoot, "plugins", "echo"), filepath.Join(plugins, "echo"), nil)
	// slow never finishes its module's top level: loading waits for it
	// until its call timeout, 3 s, then lists it failed.
	slow := filepath.Join(plugins, "slow")
	require.NoError(t, os.MkdirAll(slow, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(slow, "plugin.gene"), []byte(`{^name "slow" ^version "1.0.0"
 ^description "Never loads." ^direction "send+recv" ^runtime "js" ^entry "handler.js"
 ^limits {^call-timeout-ms 3000}}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(slow, "handler.js"), []byte("for (;;) {}\n"), 0o644))

	d := serve(t, serveOpts{plugins: plugins, noListen: true, args: []string{"--listen", "tcp://127.0.0.1:0"}})
	assert.Equal(t, "unix://"+filepath.Join(d.Runtime, "genehost", "genehost.sock"), d.Unix, "the default socket is kept")
	assert.Equal(t, "1\n", ok(t, d, "", "call", "-", "echo", "1"))
	assert.Equal(t, "1\n", ok(t, d, "", "call", d.TCP, "echo", "1"))
	assert.True(t, d.WaitLog("genehost: serving; try: genehost call - echo '(hello ^to \"world\")'   (genehost ls - lists the interfaces; Ctrl-C stops)\n", 10*time.Second), d.Log.String())
	log := d.Log.String()
	assert.Contains(t, log, "loading plugins: dir="+plugins)
	assert.Regexp(t, `still loading plugins \(a Go plugin is compiled to WebAssembly on its first start, about a minute, then cached\): elapsed=\d+s loaded="?[a-z ]*"? waiting=slow`, log)

	// A second host beside it on another port: the default socket is
	// taken, so it serves without it and says so.
	echoOnly := t.TempDir()
	e2e.CopyTree(t, filepath.Join(repoRoot, "plugins", "echo"), filepath.Join(echoOnly, "echo"), nil)
	second := exec.Command(binary, "serve", "--plugins", echoOnly, "--data", t.TempDir(), "--cache", cacheDir, "--listen", "tcp://127.0.0.1:0")
	second.Env = env(d.Runtime)
	var secondLog e2e.SyncBuffer
	second.Stderr = &secondLog
	stdout, err := second.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, second.Start())
	var secondErr error
	e2e.Reap(t, second, make(chan struct{}), &secondErr)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "%s", secondLog.String())
	assert.Regexp(t, `^listening on tcp://127\.0\.0\.1:\d+\n$`, line, "the TCP address only")
	assert.Contains(t, secondLog.String(), "not listening on the default socket, which another genehost holds; - reaches that one (--no-unix leaves it alone)")
	assert.Equal(t, "1\n", ok(t, nil, "", "call", strings.TrimSpace(strings.TrimPrefix(line, "listening on ")), "echo", "1"))
}

// TestCLIBench: bench measures round trips and streams on a live host and
// prints counts, rates and percentiles; --format json gives the same as a
// document.
func TestCLIBench(t *testing.T) {
	d := serve(t, serveOpts{plugins: echoAndFeed(t)})
	out := ok(t, d, "", "bench", "-", "echo", "--count", "200")
	assert.Regexp(t, `(?m)^bench echo at unix://\S+: round trips, 1 link\(s\), values of 7 bytes\n200 round trips in [0-9.]+[µm]?s: \d+ msgs/s\nlatency: min \S+  p50 \S+  p90 \S+  p99 \S+  max \S+\n$`, out)

	var res struct {
		Mode          string
		Links, Count  int
		MsgsPerSecond float64                                 `json:"msgs_per_second"`
		Latency       struct{ Min, P50, P90, P99, Max int64 } `json:"latency_ns"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok(t, d, "", "bench", "-", "echo", "[1 2 3]", "--mode", "stream", "--links", "2", "--count", "2000", "--format", "json")), &res))
	assert.Equal(t, "stream", res.Mode)
	assert.Equal(t, 2, res.Links)
	assert.Equal(t, 2000, res.Count, "every value came back")
	assert.Positive(t, res.MsgsPerSecond)
	l := res.Latency
	assert.True(t, 0 < l.Min && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max, "%+v", l)

	out = ok(t, d, "", "bench", "-", "feed", "--mode", "stream", "--count", "3")
	assert.Contains(t, out, "3 values received in ")
	var timed struct {
		Count   int
		Elapsed time.Duration `json:"elapsed_ns"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok(t, d, "", "bench", "-", "echo", "--count", "0", "--duration", "200ms", "--format", "json")), &timed))
	assert.Positive(t, timed.Count)
	assert.GreaterOrEqual(t, timed.Elapsed, 200*time.Millisecond, "bounded by --duration")
	r := gh(t, d, "", "bench", "-", "feed")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.err, `interface "feed" is "send": no round trips; --mode stream measures what it sends`)
	r = gh(t, d, "", "bench", "-", "echo", "--count", "0", "--duration", "0")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.err, "--count and --duration bound the run")
}
