package plugindir_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// slowOpenJS takes a while in open() and counts the links it opened, so
// a client that resets its link at once does so while open() runs.
const slowOpenJS = `let opened = 0;
module.exports = {
  open(link) { let x = 0; for (let i = 0; i < 5000; i++) x += i; opened++; },
  value(link, v) { link.send(gene.node('opened', opened)); },
};`

// TestClientCancellationIsNotACrash: clients that reset their link, or
// close their transport, while open() (or, per-link, the instantiation)
// for it still runs are no crash: nothing is counted, health stays
// serving with a crash limit of 2, and open() runs to its end (the pool
// instance counts every link).
func TestClientCancellationIsNotACrash(t *testing.T) {
	for _, model := range []string{`"per-link"`, `"pool" ^pool 1`} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "slow", map[string]string{
				"plugin.gene": `{^direction "send+recv" ^instances ` + model + `}`, "handler.js": slowOpenJS})
			e, err := openDir(t, dir, options{crashLimit: 2, crashWindow: time.Minute})
			require.NoError(t, err)
			const resets, hangups = 12, 4
			for i := 0; i < resets; i++ {
				l, err := e.open(t, "slow")
				if err != nil {
					continue // refused before ACCEPT: also fine
				}
				l.Reset(proto.CodeCancelled, "impatient")
			}
			for i := 0; i < hangups; i++ {
				c, err := client.Dial(ctxT(t), e.addr, client.Config{})
				require.NoError(t, err)
				_, err = c.Open(ctxT(t), "slow", proto.DirSendRecv, client.LinkOptions{})
				require.NoError(t, err)
				require.NoError(t, c.Close())
			}
			// A new link is served; the pool instance is the one that
			// served the others (its count of open() calls that returned
			// is the host's count of links opened: none was cut short).
			l := e.mustOpen(t, "slow")
			l.send(t, gene.Int(1))
			got := l.recv(t)
			if model != `"per-link"` {
				st, err := e.control(t, "slow").Stats(ctxT(t))
				require.NoError(t, err)
				opened := prop(t, prop(t, st, "plugin"), "opened")
				require.True(t, gene.Equal(gene.Gene(gene.Symbol("opened"), opened), got),
					"the pool instance kept its state: it says %s, the host opened %s links", gene.Format(got), gene.Format(opened))
			}
			status, why, err := e.control(t, "slow").Health(ctxT(t))
			require.NoError(t, err)
			require.Equal(t, "serving", status, why)
			stats := e.stats(t, "slow")
			require.Contains(t, stats, "^crashes 0", stats)
			require.NotContains(t, stats, "last-crash", stats)
		})
	}
}

// TestPoolCrashResetsEveryLinkOfTheInstance: a pool instance that crashes
// takes with it what it kept for every link it served, so each of them is
// reset with PLUGIN_FAILED naming the link whose callback crashed; a new
// link works on the rebuilt instance. Each text names its own link by the
// wire id (the links are opened on a second connection, so the host's
// link numbers differ); the crashed one, maybe another client's, is not
// numbered.
func TestPoolCrashResetsEveryLinkOfTheInstance(t *testing.T) {
	const js = `const watching = new Set();
	module.exports = {
	  value(link, v) {
	    if (gene.is(v, 'boom')) for (;;) {}
	    watching.add(link.id);
	    link.send(gene.node('watching', watching.size));
	  },
	};`
	dir := t.TempDir()
	writePlugin(t, dir, "watch", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 1 ^limits {^call-timeout-ms 100}}`, "handler.js": js})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	// Host links 1 and 2, on the first connection.
	e.mustOpen(t, "watch")
	e.mustOpen(t, "watch")
	conn, err := client.Dial(ctxT(t), e.addr, client.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	e.conn = conn
	a := e.mustOpen(t, "watch")
	b := e.mustOpen(t, "watch")
	require.Equal(t, []uint32{1, 3}, []uint32{a.ID(), b.ID()}, "wire ids")
	a.send(t, gene.Int(0))
	a.expect(t, "(watching 1)")
	b.send(t, gene.Int(0))
	b.expect(t, "(watching 2)")

	b.send(t, gene.MustParse("(boom)"))
	pb := b.recvErr(t)
	require.Equal(t, proto.CodePluginFailed, pb.Code, pb.Error())
	require.Contains(t, pb.Msg, "interrupted")
	require.Contains(t, pb.Msg, `plugin "watch" (generation 1) Receive link 3: `)
	pa := a.recvErr(t)
	require.Equal(t, proto.CodePluginFailed, pa.Code, pa.Error())
	require.Contains(t, pa.Msg, `plugin "watch" (generation 1) link 1: the instance serving the link crashed while serving another link,`)
	require.Contains(t, pa.Msg, "interrupted")

	c := e.mustOpen(t, "watch")
	c.send(t, gene.Int(0))
	c.expect(t, "(watching 1)")
	require.Contains(t, e.stats(t, "watch"), "^crashes 1")
}

// prop returns the value of key in the prop map v.
func prop(t *testing.T, v gene.Value, key string) gene.Value {
	t.Helper()
	ps := v.Props()
	require.NotNil(t, ps, "%s is not a prop map", gene.Format(v))
	p, ok := ps.Get(key)
	require.True(t, ok, "no ^%s in %s", key, gene.Format(v))
	return p
}
