package plugindir_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/proto"
)

const counterJS = `let n = 0;
module.exports = { value(link, v) { n++; link.send(gene.node('count', n)); } };`

const crashJS = `module.exports = {
  value(link, v) {
    if (gene.is(v, 'boom')) throw new Error('kaboom');
    link.send(v);
  },
};`

func TestOpenLoadsGoodReportsBroken(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "echo", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": echoJS})
	writePlugin(t, dir, "bad", map[string]string{"plugin.gene": `{^direction "send+recv" ^color "red"}`, "handler.js": echoJS})
	writePlugin(t, dir, "syntax", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": "module.exports = {"})
	writePlugin(t, dir, ".hidden", map[string]string{"plugin.gene": `nonsense (`})
	d, r, err := openDir(t, dir, options{})
	require.Error(t, err)
	require.NotNil(t, d)
	msg := err.Error()
	require.Contains(t, msg, "bad/plugin.gene: ^color: unknown key")
	require.Contains(t, msg, `plugin "syntax"`)
	require.Contains(t, msg, "handler.js")
	require.NotContains(t, msg, "hidden")

	l := mustOpen(t, r, "echo")
	require.NoError(t, l.send(t, gene.MustParse("(hi 1)")))
	l.expect(t, "(hi 1)")

	st := d.Plugins()
	require.Len(t, st, 3)
	require.Equal(t, "bad", st[0].Name)
	require.False(t, st[0].Serving)
	require.Contains(t, st[0].Err, "unknown key")
	require.Equal(t, "echo", st[1].Name)
	require.True(t, st[1].Serving)
	require.Equal(t, uint64(1), st[1].Generation)
	require.Equal(t, "js", st[1].Runtime)
	require.Equal(t, plugindir.HealthServing, st[1].Health)
	require.Equal(t, "syntax", st[2].Name)
	require.False(t, st[2].Serving)
}

func TestPerLinkInstancesKeepTheirOwnState(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "counter", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": counterJS})
	_, r, err := openDir(t, dir, options{})
	require.NoError(t, err)
	a, b := mustOpen(t, r, "counter"), mustOpen(t, r, "counter")
	for i := 1; i <= 3; i++ {
		require.NoError(t, a.send(t, gene.Int(0)))
		a.expect(t, fmt.Sprintf("(count %d)", i))
	}
	require.NoError(t, b.send(t, gene.Int(0)))
	b.expect(t, "(count 1)")
	// A link that opens after a's closed starts from a fresh instance too.
	a.close(nil)
	c := mustOpen(t, r, "counter")
	require.NoError(t, c.send(t, gene.Int(0), gene.Int(0)))
	c.expect(t, "(count 1)")
	c.expect(t, "(count 2)")
}

func TestPoolSharesInstances(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "counter", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 1}`, "handler.js": counterJS})
	d, r, err := openDir(t, dir, options{})
	require.NoError(t, err)
	a, b := mustOpen(t, r, "counter"), mustOpen(t, r, "counter")
	require.NoError(t, a.send(t, gene.Int(0)))
	a.expect(t, "(count 1)")
	require.NoError(t, b.send(t, gene.Int(0)))
	b.expect(t, "(count 2)") // one instance serves both links
	require.Equal(t, "pool", d.Plugins()[0].Instances)
}

// TestPoolOrderUnderConcurrency sends many values on many links at once
// through a pool of 3 and checks each link gets its values back in order.
func TestPoolOrderUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "echo", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 3}`, "handler.js": echoJS})
	_, r, err := openDir(t, dir, options{})
	require.NoError(t, err)
	const links, n = 8, 200
	errs := make(chan error, links)
	for i := 0; i < links; i++ {
		l := mustOpen(t, r, "echo")
		go func() {
			for j := 0; j < n; j++ {
				if err := l.h.Receive(t.Context(), l, []gene.Value{gene.Int(int64(j))}); err != nil {
					errs <- err
					return
				}
			}
			for j := 0; j < n; j++ {
				v := <-l.out
				if got, _ := v.AsInt(); got != int64(j) {
					errs <- fmt.Errorf("link %d: value %d came back as %s", l.id, j, gene.Format(v))
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < links; i++ {
		require.NoError(t, <-errs)
	}
}

func TestCrashClosesLinkAndMarksFailed(t *testing.T) {
	for _, model := range []string{"per-link", "pool"} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "fragile", map[string]string{
				"plugin.gene": `{^direction "send+recv" ^instances "` + model + `"}`, "handler.js": crashJS})
			d, r, err := openDir(t, dir, options{crashLimit: 3, crashWindow: time.Minute})
			require.NoError(t, err)
			other := mustOpen(t, r, "fragile")
			for i := 1; i <= 3; i++ {
				l := mustOpen(t, r, "fragile")
				require.NoError(t, l.send(t, gene.Int(1)))
				l.expect(t, "1")
				err := l.send(t, gene.MustParse("(boom)"))
				require.Error(t, err)
				var pe *proto.Error
				require.True(t, errors.As(err, &pe), "%T %v", err, err)
				require.Equal(t, proto.CodePluginFailed, pe.Code)
				require.Contains(t, pe.Msg, `plugin "fragile"`)
				require.Contains(t, pe.Msg, fmt.Sprintf("OnValues link %d", l.id))
				require.Contains(t, pe.Msg, "kaboom")
				require.Contains(t, pe.Msg, "handler.js:3")
			}
			h, why := r.handler("fragile").(interface {
				Health() (plugindir.Health, string)
			}).Health()
			require.Equal(t, plugindir.HealthFailed, h)
			require.Contains(t, why, "3 crashes within 1m0s")
			require.Equal(t, plugindir.HealthFailed, d.Plugins()[0].Health)
			_, err = open(t, r, "fragile")
			var pe *proto.Error
			require.ErrorAs(t, err, &pe)
			require.Equal(t, proto.CodePluginFailed, pe.Code)
			require.Contains(t, pe.Msg, "interface failed")

			// A link that did not crash is untouched (pool: its values go
			// to a rebuilt instance).
			require.NoError(t, other.send(t, gene.Int(7)))
			other.expect(t, "7")

			stats := statsOf(t, r, "fragile")
			require.Contains(t, stats, "^crashes 3")
			require.Contains(t, stats, "^^failed")
			require.Contains(t, stats, "kaboom")
		})
	}
}

func TestFailedRecoversAfterWindow(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "fragile", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": crashJS})
	_, r, err := openDir(t, dir, options{crashLimit: 1, crashWindow: 300 * time.Millisecond})
	require.NoError(t, err)
	l := mustOpen(t, r, "fragile")
	require.Error(t, l.send(t, gene.MustParse("(boom)")))
	_, err = open(t, r, "fragile")
	require.ErrorContains(t, err, "interface failed")
	require.Eventually(t, func() bool {
		l, err := open(t, r, "fragile")
		if err != nil {
			return false
		}
		l.close(nil)
		return true
	}, 5*time.Second, 50*time.Millisecond)
}

func TestTimeoutIsACrash(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "slow", map[string]string{
		"plugin.gene": `{^direction "send+recv" ^limits {^call-timeout-ms 100}}`,
		"handler.js":  `module.exports = { value(link, v) { if (v === 'loop') for (;;) {} link.send(v); } };`})
	_, r, err := openDir(t, dir, options{})
	require.NoError(t, err)
	l := mustOpen(t, r, "slow")
	err = l.send(t, gene.String("loop"))
	var pe *proto.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, proto.CodePluginFailed, pe.Code)
	require.Contains(t, pe.Msg, "interrupted")
	l2 := mustOpen(t, r, "slow")
	require.NoError(t, l2.send(t, gene.String("ok")))
	l2.expect(t, `"ok"`)
}

func TestUngrantedCapabilityIsRefused(t *testing.T) {
	const kvJS = `module.exports = { value(link, v) {
	  try { genehost.kv.put('k', v); link.send('stored'); } catch (e) { link.send(String(e.message)); }
	  try { setTimeout(() => {}, 1); link.send('timer set'); } catch (e) { link.send(String(e.message)); }
	} };`
	dir := t.TempDir()
	writePlugin(t, dir, "nokv", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": kvJS})
	writePlugin(t, dir, "kv", map[string]string{"plugin.gene": `{^direction "send+recv" ^grants {^kv true ^timers true}}`, "handler.js": kvJS})
	_, r, err := openDir(t, dir, options{store: true})
	require.NoError(t, err)

	l := mustOpen(t, r, "nokv")
	require.NoError(t, l.send(t, gene.Int(1)))
	msg := l.recv(t).Str()
	require.Contains(t, msg, "capability not granted")
	require.Contains(t, msg, `plugin "nokv" may not use the key-value store (grant it in `)
	require.Contains(t, msg, "with ^grants {^kv true})")
	msg = l.recv(t).Str()
	require.Contains(t, msg, `plugin "nokv" may not set timers`)

	g := mustOpen(t, r, "kv")
	require.NoError(t, g.send(t, gene.Int(1)))
	g.expect(t, `"stored"`)
	g.expect(t, `"timer set"`)
}

func TestTimersFireOnTheInstanceAndDieWithIt(t *testing.T) {
	const tickJS = `module.exports = {
	  value(link, v) { setTimeout(() => link.send(gene.node('tick', v)), v); },
	};`
	dir := t.TempDir()
	writePlugin(t, dir, "ticker", map[string]string{"plugin.gene": `{^direction "send+recv" ^grants {^timers true}}`, "handler.js": tickJS})
	_, r, err := openDir(t, dir, options{})
	require.NoError(t, err)
	l := mustOpen(t, r, "ticker")
	require.NoError(t, l.send(t, gene.Int(10)))
	l.expect(t, "(tick 10)")
	// A timer set on a link whose instance closes never fires.
	require.NoError(t, l.send(t, gene.Int(200)))
	l.close(nil)
	select {
	case v := <-l.out:
		t.Fatalf("timer fired after the instance closed: %s", gene.Format(v))
	case <-time.After(400 * time.Millisecond):
	}
}

func TestKVIsDurableAcrossReloads(t *testing.T) {
	const kvJS = `module.exports = { value(link, v) {
	  const old = genehost.kv.get('n');
	  genehost.kv.put('n', (old === undefined ? 0 : old) + 1);
	  link.send(genehost.kv.get('n'));
	} };`
	dir := t.TempDir()
	writePlugin(t, dir, "kv", map[string]string{"plugin.gene": `{^direction "send+recv" ^grants {^kv true}}`, "handler.js": kvJS})
	d, r, err := openDir(t, dir, options{store: true})
	require.NoError(t, err)
	l := mustOpen(t, r, "kv")
	require.NoError(t, l.send(t, gene.Int(0)))
	l.expect(t, "1")
	writePlugin(t, dir, "kv", map[string]string{"handler.js": kvJS + "\n// v2"})
	require.NoError(t, d.Reload(t.Context(), "kv"))
	l2 := mustOpen(t, r, "kv")
	require.NoError(t, l2.send(t, gene.Int(0)))
	l2.expect(t, "2")
}

func TestControlOperations(t *testing.T) {
	const ctlJS = `let seen = 0;
	module.exports = {
	  value(link, v) { seen++; },
	  control: { seen: () => seen, add: ([a, b]) => a + b },
	};`
	dir := t.TempDir()
	writePlugin(t, dir, "ctl", map[string]string{
		"plugin.gene": `{^direction "send+recv" ^control {^seen {^doc "values seen by the link's instance"} ^add {^args (tuple int int)}}}`,
		"handler.js":  ctlJS})
	_, r, err := openDir(t, dir, options{})
	require.NoError(t, err)
	ctl := r.handler("ctl").(interface {
		Control(ctx contextT, l linkT, op string, arg gene.Value) (gene.Value, error)
	})
	l := mustOpen(t, r, "ctl")
	require.NoError(t, l.send(t, gene.Int(1), gene.Int(2)))
	v, err := ctl.Control(t.Context(), l, "seen", gene.Nil())
	require.NoError(t, err)
	require.Equal(t, "2", gene.Format(v)) // the link's own instance
	v, err = ctl.Control(t.Context(), nil, "seen", gene.Nil())
	require.NoError(t, err)
	require.Equal(t, "0", gene.Format(v)) // the interface-wide control instance
	v, err = ctl.Control(t.Context(), nil, "add", gene.MustParse("[2 3]"))
	require.NoError(t, err)
	require.Equal(t, "5", gene.Format(v))
}

func statsOf(t *testing.T, r *registry, name string) string {
	t.Helper()
	s, ok := r.handler(name).(interface{ Stats() gene.Value })
	require.True(t, ok, "the handler has no Stats")
	return gene.Format(s.Stats())
}

func TestAddedAndRemovedPlugins(t *testing.T) {
	dir := t.TempDir()
	d, r, err := openDir(t, dir, options{})
	require.NoError(t, err)
	require.Empty(t, d.Plugins())
	writePlugin(t, dir, "late", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": echoJS})
	require.NoError(t, d.Reload(t.Context(), "late"))
	l := mustOpen(t, r, "late")
	require.NoError(t, l.send(t, gene.Int(5)))
	l.expect(t, "5")
	require.NoError(t, removeAll(dir, "late"))
	require.NoError(t, d.Reload(t.Context(), "late"))
	require.Nil(t, r.handler("late"))
	require.Empty(t, d.Plugins())
	// The link that was open on it is reset.
	select {
	case <-l.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the open link survived its plugin's removal")
	}
	require.True(t, strings.Contains(l.err.Error(), "unloaded"), l.err.Error())
}
