package examples_test

import (
	"context"
	"fmt"
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

// TestClients runs every client program against one daemon serving the
// shipped plugins, through the default socket ("-", no -addr), the
// explicit Unix address and TCP.
func TestClients(t *testing.T) {
	d := serve(t, pluginDir(t), filepath.Join(t.TempDir(), "data"))

	t.Run("echo", func(t *testing.T) {
		in := "hello\nworld \"quoted\"\n\n"
		want := "(line ^text \"hello\" ^id 1)\n(line ^text \"world \\\"quoted\\\"\" ^id 2)\n(line ^text \"\" ^id 3)\n"
		assert.Equal(t, want, d.ok(t, in, "echo"))
		assert.Equal(t, want, d.ok(t, in, "echo", "-addr", d.tcp))
		assert.Equal(t, "", d.ok(t, "", "echo", "-addr", d.unix))

		r := d.run(t, "x\n", "echo", "-addr", "unix://"+filepath.Join(e2e.ShortDir(t), "none.sock"))
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "none.sock")
		r = d.run(t, "x\n", "echo", "-iface", "no-such")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, `"no-such"`)
	})

	t.Run("kv", func(t *testing.T) {
		assert.Equal(t, "set user/ada\n", d.ok(t, "", "kv", "set", "user/ada", `{^name "Ada" ^born 1815}`))
		assert.Equal(t, "set user/bob\n", d.ok(t, "", "kv", "-addr", d.tcp, "set", "user/bob", `"Bob"`))
		assert.Equal(t, "{^name \"Ada\" ^born 1815}\n", d.ok(t, "", "kv", "-addr", d.unix, "get", "user/ada"))
		assert.Equal(t, "user/ada {^name \"Ada\" ^born 1815}\nuser/bob \"Bob\"\n", d.ok(t, "", "kv", "scan", "user/"))
		assert.Equal(t, "deleted user/bob\n", d.ok(t, "", "kv", "del", "user/bob"))
		assert.Equal(t, "user/bob did not exist\n", d.ok(t, "", "kv", "del", "user/bob"))

		r := d.run(t, "", "kv", "get", "user/bob")
		assert.Equal(t, result{err: "kv: \"user/bob\": not found\n", code: 1}, r)
		r = d.run(t, "", "kv", "set", "k", "(unclosed")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, `VALUE "(unclosed" is not Gene text`)
		r = d.run(t, "", "kv", "frob")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.err, `unknown command "frob"`)
		// The host checks requests against kv's manifest: an empty key never
		// reaches the plugin.
		r = d.run(t, "", "kv", "get", "")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "SCHEMA_MISMATCH")
	})

	t.Run("kv-scan-pages", func(t *testing.T) {
		// More keys than one page (100): the client follows ^next.
		ctx := ctxT(t, 30*time.Second)
		l := openLink(t, ctx, d.unix, "kv")
		var want strings.Builder
		for i := range 150 {
			k := fmt.Sprintf("page/%03d", i)
			reply, err := l.Request(ctx, gene.MustParse(fmt.Sprintf(`(set ^key %q ^value %d)`, k, i)))
			require.NoError(t, err)
			require.True(t, reply.Node().Head.IsSymbol("ok"), "%s", reply)
			fmt.Fprintf(&want, "%s %d\n", k, i)
		}
		assert.Equal(t, want.String(), d.ok(t, "", "kv", "scan", "page/"))
	})

	t.Run("kv-watch", func(t *testing.T) {
		w := d.start(t, "kv", "watch", "w/")
		require.Equal(t, `watching "w/" (Ctrl-C to stop)`, w.next())
		d.ok(t, "", "kv", "set", "w/a", "1")
		d.ok(t, "", "kv", "set", "elsewhere", "1")
		d.ok(t, "", "kv", "del", "w/a")
		d.ok(t, "", "kv", "-addr", d.tcp, "set", "w/b", "[2 3]")
		assert.Equal(t, `(changed ^key "w/a" ^value 1 ^prefix "w/")`, w.next())
		assert.Equal(t, `(deleted ^key "w/a" ^prefix "w/")`, w.next())
		assert.Equal(t, `(changed ^key "w/b" ^value [2 3] ^prefix "w/")`, w.next())
		w.interrupt()
	})

	t.Run("queue", func(t *testing.T) {
		for i, v := range []string{`{^item "tea"}`, `{^item "milk"}`, `"cake"`} {
			assert.Equal(t, fmt.Sprintf("published #%d to orders\n", i+1), d.ok(t, "", "queue", "publish", "orders", v))
		}
		// A new group starts at the first message; -count 2 acks two and
		// leaves the group.
		assert.Equal(t, "consuming orders as kitchen from #1 (Ctrl-C to stop)\n#1 {^item \"tea\"}\n#2 {^item \"milk\"}\n",
			d.ok(t, "", "queue", "-count", "2", "consume", "orders", "kitchen"))
		// The group goes on after what it acknowledged. The third message
		// may have been pushed to the first consumer before it left: it is
		// then delivered again, as attempt 2.
		out := d.ok(t, "", "queue", "-addr", d.tcp, "-count", "1", "consume", "orders", "kitchen")
		assert.Regexp(t, `^consuming orders as kitchen from #3 \(Ctrl-C to stop\)\n#3 "cake"( \(attempt 2\))?\n$`, out)
		// Another group gets every message too.
		out = d.ok(t, "", "queue", "-count", "3", "consume", "orders", "audit")
		assert.Equal(t, 4, strings.Count(out, "\n"), out)

		// A consumer waiting for messages gets them as they are published,
		// and stops on Ctrl-C.
		c := d.start(t, "queue", "consume", "orders", "kitchen")
		require.Equal(t, "consuming orders as kitchen from #4 (Ctrl-C to stop)", c.next())
		d.ok(t, "", "queue", "publish", "orders", `(order ^n 4)`)
		assert.Equal(t, "#4 (order ^n 4)", c.next())
		c.interrupt()
		// It acked #4: the group is past it.
		assert.Equal(t, "4\n", d.ctl(t, "queue", "topics", "", func(v gene.Value) string {
			for _, g := range mustGet(t, v.List()[0], "groups").List() {
				if mustGet(t, g, "group").Str() == "kitchen" {
					return gene.Format(mustGet(t, g, "acked"))
				}
			}
			return "no group kitchen in " + gene.Format(v)
		}))

		r := d.run(t, "", "queue", "publish", "bad topic!", "1")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "SCHEMA_MISMATCH")
		r = d.run(t, "", "queue", "consume", "orders")
		assert.Equal(t, 2, r.code)
	})

	t.Run("web", func(t *testing.T) {
		assert.Equal(t, "added #1 buy milk\n", d.ok(t, "", "web", "-url", d.http, "post", "buy milk"))
		assert.Equal(t, "added #2 tea, \"green\"\n", d.ok(t, "", "web", "-url", d.http, "post", `tea, "green"`))
		assert.Equal(t, "#1 buy milk\n#2 tea, \"green\"\n", d.ok(t, "", "web", "-url", d.http, "list"))
		assert.Equal(t, "[{^id 1 ^text \"buy milk\"} {^id 2 ^text \"tea, \\\"green\\\"\"}]\n", d.ok(t, "", "web", "-url", d.http, "-gene", "list"))
		assert.Equal(t, "deleted #1\n", d.ok(t, "", "web", "-url", d.http, "delete", "1"))
		r := d.run(t, "", "web", "-url", d.http, "delete", "1")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "404 Not Found")
		r = d.run(t, "", "web", "-url", d.http, "post", "")
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.err, "400")
		assert.Equal(t, "#2 tea, \"green\"\n", d.ok(t, "", "web", "-url", d.http, "list"))
	})
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// openLink dials addr and opens a send+recv data link on iface.
func openLink(t testing.TB, ctx context.Context, addr, iface string) *client.Link {
	t.Helper()
	c := dial(t, ctx, addr)
	l, err := c.Open(ctx, iface, proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	return l
}

func dial(t testing.TB, ctx context.Context, addr string) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctx, addr, client.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// ctl runs the control operation op of iface with arg (Gene text, "" for
// none) over the Go client and returns show(result).
func (d *daemon) ctl(t testing.TB, iface, op, arg string, show func(gene.Value) string) string {
	t.Helper()
	ctx := ctxT(t, 10*time.Second)
	ctl, err := dial(t, ctx, d.unix).Control(ctx, iface, client.LinkOptions{})
	require.NoError(t, err)
	a := gene.Void()
	if arg != "" {
		a = gene.MustParse(arg)
	}
	v, err := ctl.Call(ctx, op, a)
	require.NoError(t, err)
	return show(v) + "\n"
}

func mustGet(t testing.TB, v gene.Value, key string) gene.Value {
	t.Helper()
	p, ok := v.Get(key)
	require.True(t, ok, "no ^%s in %s", key, gene.Format(v))
	return p
}
