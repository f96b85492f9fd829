package plugindir_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
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
	e, err := openDir(t, dir, options{})
	require.Error(t, err)
	d := e.dir
	require.NotNil(t, d)
	msg := err.Error()
	require.Contains(t, msg, "bad/plugin.gene: ^color: unknown key")
	require.Contains(t, msg, `plugin "syntax"`)
	require.Contains(t, msg, "handler.js")
	require.NotContains(t, msg, "hidden")

	l := e.mustOpen(t, "echo")
	l.send(t, gene.MustParse("(hi 1)"))
	l.expect(t, "(hi 1)")
	require.Equal(t, []string{"bad", "echo", "syntax"}, e.srv.Interfaces(), "the broken plugins are listed as failed interfaces")

	st := d.Plugins()
	require.Len(t, st, 3)
	require.Equal(t, "bad", st[0].Name)
	require.False(t, st[0].Serving)
	require.Contains(t, st[0].Err, "unknown key")
	require.Equal(t, "echo", st[1].Name)
	require.True(t, st[1].Serving)
	require.Equal(t, uint64(1), st[1].Generation)
	require.Equal(t, "js", st[1].Runtime)
	require.Equal(t, host.Serving, st[1].Health)
	require.Equal(t, "syntax", st[2].Name)
	require.False(t, st[2].Serving)
}

func TestPerLinkInstancesKeepTheirOwnState(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "counter", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": counterJS})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	a, b := e.mustOpen(t, "counter"), e.mustOpen(t, "counter")
	for i := 1; i <= 3; i++ {
		a.send(t, gene.Int(0))
		a.expect(t, fmt.Sprintf("(count %d)", i))
	}
	b.send(t, gene.Int(0))
	b.expect(t, "(count 1)")
	// A link opened after a closed starts from a fresh instance too.
	require.NoError(t, a.Close(ctxT(t)))
	c := e.mustOpen(t, "counter")
	c.send(t, gene.Int(0), gene.Int(0))
	c.expect(t, "(count 1)")
	c.expect(t, "(count 2)")
}

func TestPoolSharesInstances(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "counter", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 1}`, "handler.js": counterJS})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	a, b := e.mustOpen(t, "counter"), e.mustOpen(t, "counter")
	a.send(t, gene.Int(0))
	a.expect(t, "(count 1)")
	b.send(t, gene.Int(0))
	b.expect(t, "(count 2)") // one instance serves both links
	require.Equal(t, "pool", e.dir.Plugins()[0].Instances)
}

// TestPoolOrderUnderConcurrency sends many values on many links at once
// through a pool of 3 and checks each link gets its values back in order.
func TestPoolOrderUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "echo", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 3}`, "handler.js": echoJS})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	const links, n = 8, 300
	errs := make(chan error, 2*links)
	for i := 0; i < links; i++ {
		l := e.mustOpen(t, "echo")
		ctx := ctxT(t)
		go func() {
			for j := 0; j < n; j++ {
				if err := l.Send(ctx, gene.Int(int64(j))); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
		go func() {
			for j := 0; j < n; j++ {
				v, err := l.Recv(ctx)
				if err != nil {
					errs <- err
					return
				}
				if got, _ := v.AsInt(); got != int64(j) {
					errs <- fmt.Errorf("link %d: value %d came back as %s", l.ID(), j, gene.Format(v))
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < 2*links; i++ {
		require.NoError(t, <-errs)
	}
}

// TestHandlerErrorEndsOnlyItsLink: an exception thrown by a handler
// resets that link with HANDLER_ERROR naming the handler and the
// file:line; the instance and what it keeps are untouched, other links go
// on, and no number of them makes the interface failed.
func TestHandlerErrorEndsOnlyItsLink(t *testing.T) {
	const js = `let n = 0;
	module.exports = { value(link, v) {
	  if (gene.is(v, 'boom')) throw new Error('kaboom');
	  n++; link.send(gene.node('count', n));
	} };`
	for _, model := range []string{`"per-link"`, `"pool" ^pool 1`} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "fragile", map[string]string{
				"plugin.gene": `{^direction "send+recv" ^instances ` + model + `}`, "handler.js": js})
			e, err := openDir(t, dir, options{crashLimit: 3, crashWindow: time.Minute})
			require.NoError(t, err)
			other := e.mustOpen(t, "fragile")
			other.send(t, gene.Int(1))
			other.expect(t, "(count 1)")
			for i := 1; i <= 5; i++ {
				l := e.mustOpen(t, "fragile")
				l.send(t, gene.MustParse("(boom)"))
				pe := l.recvErr(t)
				require.Equal(t, proto.CodeHandlerError, pe.Code, pe.Error())
				require.Contains(t, pe.Msg, `plugin "fragile" values()`)
				require.Contains(t, pe.Msg, "kaboom at handler.js:3")
			}
			// The other link still has its instance, with its state.
			other.send(t, gene.Int(2))
			other.expect(t, "(count 2)")
			status, _, err := e.control(t, "fragile").Health(ctxT(t))
			require.NoError(t, err)
			require.Equal(t, "serving", status)
			require.Equal(t, host.Serving, e.dir.Plugins()[0].Health)
			stats := e.stats(t, "fragile")
			require.Contains(t, stats, "^crashes 0")
			require.Contains(t, stats, "^handler-errors 5")
		})
	}
}

// TestCrashReplacesTheInstanceNeverFails: a callback that breaks its
// instance (here a deadline) resets that link with PLUGIN_FAILED and the
// instance is replaced; crashes are counted but, however many, never mark
// the interface failed: a client could cause them.
func TestCrashReplacesTheInstanceNeverFails(t *testing.T) {
	for _, model := range []string{`"per-link"`, `"pool" ^pool 1`} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "slow", map[string]string{
				"plugin.gene": `{^direction "send+recv" ^instances ` + model + ` ^limits {^call-timeout-ms 100}}`,
				"handler.js":  `module.exports = { value(link, v) { if (v === 'loop') for (;;) {} link.send(v); } };`})
			e, err := openDir(t, dir, options{crashLimit: 2, crashWindow: time.Minute})
			require.NoError(t, err)
			for i := 0; i < 3; i++ {
				l := e.mustOpen(t, "slow")
				l.send(t, gene.String("loop"))
				pe := l.recvErr(t)
				require.Equal(t, proto.CodePluginFailed, pe.Code, pe.Error())
				require.Contains(t, pe.Msg, `plugin "slow" (generation 1) Receive link `)
			}
			l := e.mustOpen(t, "slow")
			l.send(t, gene.String("ok"))
			l.expect(t, `"ok"`)
			require.Equal(t, host.Serving, e.dir.Plugins()[0].Health)
			require.Contains(t, e.stats(t, "slow"), "^crashes 3")
		})
	}
}

// TestInstantiationFailuresMarkFailedThenRecover: only a module that
// cannot be instantiated makes an interface failed (CrashLimit failures in
// a row): new links are refused with PLUGIN_FAILED, a failed event is
// pushed, and the interface serves again once the window has passed and
// the module starts.
func TestInstantiationFailuresMarkFailedThenRecover(t *testing.T) {
	const js = `if (genehost.kv.get('broken')) throw new Error('cannot start: ' + genehost.kv.get('broken'));
	module.exports = {
	  value(link, v) { genehost.kv.put('broken', 'on purpose'); link.send('broken'); },
	  control: { fix() { genehost.kv.delete('broken'); return 'fixed'; } },
	};`
	dir := t.TempDir()
	writePlugin(t, dir, "fragile", map[string]string{
		"plugin.gene": `{^direction "send+recv" ^grants {^kv true} ^control {^fix {^doc "start again"}}}`, "handler.js": js})
	e, err := openDir(t, dir, options{store: true, crashLimit: 2, crashWindow: 500 * time.Millisecond})
	require.NoError(t, err)
	events := e.control(t, "fragile")
	a := e.mustOpen(t, "fragile")
	a.send(t, gene.Int(1))
	a.expect(t, `"broken"`)
	for i := 0; i < 2; i++ {
		pe := e.mustOpen(t, "fragile").recvErr(t)
		require.Equal(t, proto.CodePluginFailed, pe.Code, pe.Error())
		require.Contains(t, pe.Msg, "cannot start: on purpose")
	}
	ev := nextEvent(t, events, "failed")
	require.Contains(t, gene.Format(ev), `(event ^type "failed" ^interface "fragile" ^generation 1 ^reason "2 instantiations in a row failed; last: `)
	require.Equal(t, host.Failed, e.dir.Plugins()[0].Health)
	_, err = e.open(t, "fragile")
	require.ErrorContains(t, err, "failed")
	require.Contains(t, e.stats(t, "fragile"), "^^failed")

	// The control instance was made before the break: it can undo it.
	res, err := e.control(t, "fragile").Call(ctxT(t), "fix", gene.Void())
	require.NoError(t, err)
	require.Equal(t, `"fixed"`, gene.Format(res))
	require.Eventually(t, func() bool {
		l, err := e.open(t, "fragile")
		if err != nil {
			return false
		}
		l.Close(ctxT(t))
		return true
	}, 5*time.Second, 50*time.Millisecond)
	require.Equal(t, host.Serving, e.dir.Plugins()[0].Health)
}

func TestTimeoutIsACrash(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "slow", map[string]string{
		"plugin.gene": `{^direction "send+recv" ^limits {^call-timeout-ms 500}}`,
		"handler.js":  `module.exports = { value(link, v) { if (v === 'loop') for (;;) {} link.send(v); } };`})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	l := e.mustOpen(t, "slow")
	l.send(t, gene.String("loop"))
	pe := l.recvErr(t)
	require.Equal(t, proto.CodePluginFailed, pe.Code)
	require.Contains(t, pe.Msg, "interrupted")
	l2 := e.mustOpen(t, "slow")
	l2.send(t, gene.String("ok"))
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
	e, err := openDir(t, dir, options{store: true})
	require.NoError(t, err)

	l := e.mustOpen(t, "nokv")
	l.send(t, gene.Int(1))
	msg := l.recv(t).Str()
	require.Contains(t, msg, "capability not granted")
	require.Contains(t, msg, `plugin "nokv" may not use the key-value store (grant it in `)
	require.Contains(t, msg, "with ^grants {^kv true})")
	msg = l.recv(t).Str()
	require.Contains(t, msg, `plugin "nokv" may not set timers`)

	g := e.mustOpen(t, "kv")
	g.send(t, gene.Int(1))
	g.expect(t, `"stored"`)
	g.expect(t, `"timer set"`)
}

func TestTimersFireOnTheInstanceAndDieWithIt(t *testing.T) {
	const tickJS = `module.exports = {
	  value(link, v) { setTimeout(() => link.send(gene.node('tick', v)), v); },
	};`
	dir := t.TempDir()
	writePlugin(t, dir, "ticker", map[string]string{"plugin.gene": `{^direction "send+recv" ^grants {^timers true}}`, "handler.js": tickJS})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	l := e.mustOpen(t, "ticker")
	l.send(t, gene.Int(10))
	l.expect(t, "(tick 10)")
	// The link's instance, pending timer included, goes with the link:
	// only the control instance is left.
	l.send(t, gene.Int(60_000))
	require.NoError(t, l.Close(ctxT(t)))
	require.Eventually(t, func() bool {
		return strings.Contains(e.stats(t, "ticker"), "^live-instances 1 ")
	}, 5*time.Second, 20*time.Millisecond)
}

func TestKVIsDurableAcrossReloads(t *testing.T) {
	const kvJS = `module.exports = { value(link, v) {
	  const old = genehost.kv.get('n');
	  genehost.kv.put('n', (old === undefined ? 0 : old) + 1);
	  link.send(genehost.kv.get('n'));
	} };`
	dir := t.TempDir()
	writePlugin(t, dir, "kv", map[string]string{"plugin.gene": `{^direction "send+recv" ^grants {^kv true}}`, "handler.js": kvJS})
	e, err := openDir(t, dir, options{store: true})
	require.NoError(t, err)
	l := e.mustOpen(t, "kv")
	l.send(t, gene.Int(0))
	l.expect(t, "1")
	writePlugin(t, dir, "kv", map[string]string{"handler.js": kvJS + "\n// v2"})
	require.NoError(t, e.dir.Reload(t.Context(), "kv"))
	l2 := e.mustOpen(t, "kv")
	l2.send(t, gene.Int(0))
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
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	ctl := e.control(t, "ctl")
	l := e.mustOpen(t, "ctl")
	l.send(t, gene.Int(1), gene.Int(2))
	require.Eventually(t, func() bool {
		v, err := ctl.Call(ctxT(t), "seen", gene.Void(), client.OnLink(l.Link))
		require.NoError(t, err)
		return gene.Format(v) == "2" // the link's own instance
	}, 5*time.Second, 10*time.Millisecond)
	v, err := ctl.Call(ctxT(t), "seen", gene.Void())
	require.NoError(t, err)
	require.Equal(t, "0", gene.Format(v)) // the interface-wide control instance
	v, err = ctl.Call(ctxT(t), "add", gene.MustParse("[2 3]"))
	require.NoError(t, err)
	require.Equal(t, "5", gene.Format(v))
}

func TestAddedAndRemovedPlugins(t *testing.T) {
	dir := t.TempDir()
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	require.Empty(t, e.dir.Plugins())
	writePlugin(t, dir, "late", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": echoJS})
	require.NoError(t, e.dir.Reload(t.Context(), "late"))
	l := e.mustOpen(t, "late")
	l.send(t, gene.Int(5))
	l.expect(t, "5")
	require.NoError(t, removeAll(dir, "late"))
	require.NoError(t, e.dir.Reload(t.Context(), "late"))
	require.Empty(t, e.srv.Interfaces())
	require.Empty(t, e.dir.Plugins())
	// The link that was open on it is reset.
	pe := l.recvErr(t)
	require.Equal(t, proto.CodeUnavailable, pe.Code)
	_, err = e.open(t, "late")
	require.Error(t, err)
}

// TestPauseAndResume: a handler that returns "pause" holds the link's
// values back until it calls link.resume(), here from a control
// operation.
func TestPauseAndResume(t *testing.T) {
	const js = `module.exports = {
	  async values(link, vs) {
	    for (const v of vs) {
	      await link.sendAsync(v);
	      if (v === 'hold') return genehost.PAUSE;
	    }
	  },
	  control: { release: (arg, link) => { link.resume(); return true; } },
	};`
	dir := t.TempDir()
	writePlugin(t, dir, "gate", map[string]string{"plugin.gene": `{^direction "send+recv" ^control {^release {^result bool}}}`, "handler.js": js})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	l := e.mustOpen(t, "gate")
	l.send(t, gene.String("hold"))
	l.expect(t, `"hold"`)
	l.send(t, gene.Int(1), gene.Int(2))
	ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
	defer cancel()
	v, err := l.Recv(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a paused link delivered %s", gene.Format(v))
	_, err = e.control(t, "gate").Call(ctxT(t), "release", gene.Void(), client.OnLink(l.Link))
	require.NoError(t, err)
	l.expect(t, "1")
	l.expect(t, "2")
}

// TestPoolRefusalKeepsTheInstance: open() refusing a link is an answer,
// not a crash; the pool instance and its memory stay.
func TestPoolRefusalKeepsTheInstance(t *testing.T) {
	const js = `let n = 0;
	module.exports = {
	  open(link) { if (!link.meta || !link.meta.user) throw new Error('who are you?'); },
	  value(link, v) { n++; link.send(gene.node('count', n)); },
	};`
	dir := t.TempDir()
	writePlugin(t, dir, "gate", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 1}`, "handler.js": js})
	e, err := openDir(t, dir, options{crashLimit: 1})
	require.NoError(t, err)
	withMeta := func() *link {
		l, err := e.conn.Open(ctxT(t), "gate", proto.DirSendRecv, client.LinkOptions{Meta: gene.Props{{Key: "user", Value: gene.String("ada")}}})
		require.NoError(t, err)
		t.Cleanup(func() { l.Close(context.Background()) })
		return &link{Link: l, e: e}
	}
	a := withMeta()
	a.send(t, gene.Int(0))
	a.expect(t, "(count 1)")
	// The host runs open() once the link is accepted, so a refusal
	// arrives as the link's reset (or as a REJECT).
	l, err := e.open(t, "gate")
	var pe *proto.Error
	if err == nil {
		pe = l.recvErr(t)
	} else {
		require.ErrorAs(t, err, &pe)
	}
	require.Contains(t, pe.Msg, "who are you?")
	b := withMeta()
	b.send(t, gene.Int(0))
	b.expect(t, "(count 2)")
	require.Contains(t, e.stats(t, "gate"), "^crashes 0")
}

// TestPoolCrashRebuildsTheInstance: after a crash the pool's instance is
// a fresh one (its memory starts over), built after the backoff; a
// handler error keeps the instance and its memory.
func TestPoolCrashRebuildsTheInstance(t *testing.T) {
	const js = `let n = 0;
	module.exports = { value(link, v) {
	  if (gene.is(v, 'boom')) throw new Error('kaboom');
	  if (gene.is(v, 'loop')) for (;;) {}
	  n++; link.send(gene.node('count', n));
	} };`
	dir := t.TempDir()
	writePlugin(t, dir, "p", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "pool" ^pool 1 ^limits {^call-timeout-ms 100}}`, "handler.js": js})
	e, err := openDir(t, dir, options{})
	require.NoError(t, err)
	a := e.mustOpen(t, "p")
	a.send(t, gene.Int(0), gene.Int(0))
	a.expect(t, "(count 1)")
	a.expect(t, "(count 2)")
	a.send(t, gene.MustParse("(boom)"))
	require.Equal(t, proto.CodeHandlerError, a.recvErr(t).Code)
	b := e.mustOpen(t, "p")
	b.send(t, gene.Int(0))
	b.expect(t, "(count 3)")
	b.send(t, gene.MustParse("(loop)"))
	require.Equal(t, proto.CodePluginFailed, b.recvErr(t).Code)
	c := e.mustOpen(t, "p")
	c.send(t, gene.Int(0))
	c.expect(t, "(count 1)")
}

// TestSlowConsumerResetsOnlyItsLink: a client that grants one value of
// credit and never reads makes the handler's sendAsync wait; before the
// callback's deadline the host resets that link SLOW_CONSUMER and the
// send fails, so the instance (and, in a pool, every other client) goes
// on: no crash, no failed interface.
func TestSlowConsumerResetsOnlyItsLink(t *testing.T) {
	const js = `let n = 0;
	module.exports = { async values(link, vs) {
	  for (const v of vs) { n++; await link.sendAsync(gene.node('count', n)); }
	} };`
	for _, model := range []string{`"per-link"`, `"pool" ^pool 1`} {
		t.Run(model, func(t *testing.T) {
			dir := t.TempDir()
			writePlugin(t, dir, "echo", map[string]string{
				"plugin.gene": `{^direction "send+recv" ^instances ` + model + ` ^limits {^call-timeout-ms 1500}}`, "handler.js": js})
			e, err := openDir(t, dir, options{crashLimit: 1})
			require.NoError(t, err)
			good := e.mustOpen(t, "echo")
			good.send(t, gene.Int(0))
			good.expect(t, "(count 1)")
			for i := 0; i < 3; i++ {
				// Each slow link is the first of its own connection: its wire
				// id is 1, its host link number is not (good's came first).
				c, err := client.Dial(ctxT(t), e.addr, client.Config{})
				require.NoError(t, err)
				t.Cleanup(func() { c.Close() })
				l, err := c.Open(ctxT(t), "echo", proto.DirSendRecv, client.LinkOptions{Window: proto.WindowConfig{InitialMsgs: 1, MaxMsgs: 1}})
				require.NoError(t, err)
				slow := &link{Link: l, e: e}
				t.Cleanup(func() { slow.Close(context.Background()) })
				slow.send(t, gene.Int(1), gene.Int(2), gene.Int(3))
				// Not reading: the handler waits for credit until the host
				// gives up on this client.
				require.Eventually(t, func() bool {
					return strings.Contains(e.stats(t, "echo"), fmt.Sprintf("^slow-consumer-resets %d", i+1))
				}, 5*time.Second, 20*time.Millisecond)
				pe := slow.recvErr(t)
				require.Equal(t, proto.CodeSlowConsumer, pe.Code, pe.Error())
				require.Contains(t, pe.Msg, "returned no credit")
				require.Contains(t, pe.Msg, fmt.Sprintf("to send on link %d and", l.ID()), "the text names the link by its wire id")
			}
			good.send(t, gene.Int(0))
			if model == `"per-link"` {
				good.expect(t, "(count 2)")
			} else {
				// One pool instance served every link and kept its memory:
				// each slow link counted two values (the second one's send
				// failed with the reset, which ended that batch).
				good.expect(t, "(count 8)")
			}
			require.Equal(t, host.Serving, e.dir.Plugins()[0].Health)
			stats := e.stats(t, "echo")
			require.Contains(t, stats, "^crashes 0")
			require.Contains(t, stats, "^slow-consumer-resets 3")
		})
	}
}
