package jsrt

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/proto"
)

// plug is one instance of an inline handler, with its recording host.
type plug struct {
	t    *testing.T
	mod  plugin.Module
	in   plugin.Instance
	host *plugintest.Host
}

// files writes a plugin folder: name -> content, handler.js included.
func files(t *testing.T, fs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range fs {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func source(t *testing.T, dir string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	t.Helper()
	code, err := os.ReadFile(filepath.Join(dir, "handler.js"))
	require.NoError(t, err)
	return &plugin.Source{Name: "inline", Dir: dir, Entry: "handler.js", Code: code, Limits: l, Grants: g}
}

// load compiles and instantiates a handler.js, failing the test on error.
func load(t *testing.T, code string, l plugin.Limits, g plugin.Grants) *plug {
	t.Helper()
	p, err := tryLoad(t, files(t, map[string]string{"handler.js": code}), l, g)
	require.NoError(t, err)
	return p
}

func tryLoad(t *testing.T, dir string, l plugin.Limits, g plugin.Grants) (*plug, error) {
	t.Helper()
	m, err := New().Compile(t.Context(), source(t, dir, l, g))
	if err != nil {
		return nil, err
	}
	h := plugintest.New(t, g)
	in, err := m.Instantiate(t.Context(), h)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { in.Close(context.Background()) })
	p := &plug{t: t, mod: m, in: in, host: h}
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "inline", Direction: proto.DirSendRecv}))
	return p, nil
}

// control calls the control operation op with arg (Gene text) and
// returns its result as Gene text; an error fails the test.
func (p *plug) control(op, arg string) string {
	p.t.Helper()
	v, err := p.in.Control(p.t.Context(), 0, op, gene.MustParse(arg))
	require.NoError(p.t, err)
	return gene.Format(v)
}

// values delivers text values (Gene text, several top-level forms) on link 1.
func (p *plug) values(text string) (plugin.Flow, error) {
	vs, err := gene.ParseAll([]byte(text), gene.ReadOptions{})
	require.NoError(p.t, err)
	return p.in.Receive(p.t.Context(), 1, vs)
}

// sent returns what was sent on link 1, as Gene text, one value a line.
func (p *plug) sent() string {
	var b strings.Builder
	for _, v := range p.host.Sent(1) {
		b.WriteString(gene.Format(v))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestRequire(t *testing.T) {
	t.Run("host modules refused", func(t *testing.T) {
		for _, name := range []string{"fs", "child_process", "net", "node:fs", "os", "util", "lodash"} {
			t.Run(name, func(t *testing.T) {
				dir := files(t, map[string]string{"handler.js": `require("` + name + `"); module.exports = {};`})
				_, err := tryLoad(t, dir, plugin.Limits{}, plugin.Grants{})
				require.Error(t, err)
				assert.Contains(t, err.Error(), `require("`+name+`"): host modules are not available to genehost plugins`)
				assert.Contains(t, err.Error(), "handler.js:1:")
			})
		}
	})
	t.Run("files in the plugin folder", func(t *testing.T) {
		dir := files(t, map[string]string{
			"handler.js":   `const lib = require('./lib.js'); const sub = require('./sub'); const data = require('./data.json'); module.exports = { values(link, vs) { link.send([lib.twice(2), sub.name, data.n]); } };`,
			"lib.js":       `exports.twice = (n) => n * 2;`,
			"sub/index.js": `const up = require('../lib.js'); module.exports = { name: 'sub' + up.twice(1) };`,
			"data.json":    `{"n": 7}`,
		})
		p, err := tryLoad(t, dir, plugin.Limits{}, plugin.Grants{})
		require.NoError(t, err)
		_, err = p.values("x")
		require.NoError(t, err)
		assert.Equal(t, "[4 \"sub2\" 7]\n", p.sent())
	})
	t.Run("escapes refused", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(root, "secret.js"), []byte("module.exports = 'secret';"), 0o644))
		for name, code := range map[string]string{
			"parent":  `require('../secret.js')`,
			"nested":  `require('./sub/../../secret.js')`,
			"missing": `require('./nope.js')`,
		} {
			t.Run(name, func(t *testing.T) {
				dir := filepath.Join(root, "plugin-"+name)
				require.NoError(t, os.MkdirAll(dir, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "handler.js"), []byte(code+"; module.exports = {};"), 0o644))
				_, err := tryLoad(t, dir, plugin.Limits{}, plugin.Grants{})
				require.Error(t, err)
				if name == "missing" {
					assert.Contains(t, err.Error(), "no such file in the plugin folder")
				} else {
					assert.Contains(t, err.Error(), "outside the plugin folder")
				}
			})
		}
	})
	t.Run("symlink out refused", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(root, "secret.js"), []byte("module.exports = 'secret';"), 0o644))
		dir := filepath.Join(root, "plugin")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.Symlink(filepath.Join(root, "secret.js"), filepath.Join(dir, "link.js")))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "handler.js"), []byte("require('./link.js'); module.exports = {};"), 0o644))
		_, err := tryLoad(t, dir, plugin.Limits{}, plugin.Grants{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "outside the plugin folder")
	})
}

func TestCompileErrors(t *testing.T) {
	dir := files(t, map[string]string{"handler.js": "module.exports = {\n  values(link, vs) {\n    link.send(;\n  },\n};\n"})
	_, err := New().Compile(t.Context(), source(t, dir, plugin.Limits{}, plugin.Grants{}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SyntaxError")
	assert.Contains(t, err.Error(), filepath.Join(dir, "handler.js")+": Line 3:")

	rt := New()
	require.NoError(t, rt.Close(t.Context()))
	_, err = rt.Compile(t.Context(), source(t, dir, plugin.Limits{}, plugin.Grants{}))
	require.ErrorIs(t, err, ErrClosed)
}

func TestBadExports(t *testing.T) {
	for name, c := range map[string]struct{ code, want string }{
		"not an object":   {`module.exports = 5;`, "must set module.exports to an object of handler functions, got a number"},
		"values not fn":   {`module.exports = { values: 1 };`, "module.exports.values must be a function, got a number"},
		"both":            {`module.exports = { values() {}, value() {} };`, "has both values() and value()"},
		"control not obj": {`module.exports = { control: 3 };`, "module.exports.control must be an object"},
		"top level throw": {"\nthrow new TypeError('bad config');", "module top level: TypeError: bad config at handler.js:2:"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tryLoad(t, files(t, map[string]string{"handler.js": c.code}), plugin.Limits{}, plugin.Grants{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestExceptionNamesPluginHandlerLinkAndLine(t *testing.T) {
	p := load(t, "module.exports = {\n  values(link, vs) {\n    helper();\n  },\n  control: { op() { throw new RangeError('too far'); } },\n};\nfunction helper() {\n  throw new Error('boom');\n}\n", plugin.Limits{}, plugin.Grants{})
	_, err := p.values("x")
	require.Error(t, err)
	var he *HandlerError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, "jsrt: plugin inline: values() on link 1: Error: boom at handler.js:8:9", err.Error())
	assert.Equal(t, plugin.LinkID(1), he.Link)
	assert.Contains(t, he.Stack, "helper (handler.js:8:9)")
	assert.Contains(t, he.Stack, "values (handler.js:3:")

	_, err = p.in.Control(t.Context(), 1, "op", gene.Nil())
	require.Error(t, err)
	assert.Equal(t, "jsrt: plugin inline: control.op() on link 1: RangeError: too far at handler.js:5:27", err.Error())

	// The instance survives an exception.
	_, err = p.values("y")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrBroken)
}

func TestPromises(t *testing.T) {
	p := load(t, `
module.exports = {
  async values(link, vs) {
    for (const v of vs) {
      if (gene.is(v, 'fail')) throw new Error('async boom');
      if (gene.is(v, 'wait')) await new Promise((resolve) => setTimeout(resolve, 1));
      if (gene.is(v, 'pause')) return 'pause';
      await link.sendAsync(v);
      await Promise.resolve();
      link.send(gene.node('after', v));
    }
  },
  control: {
    async later(arg) { const x = await Promise.resolve(arg); return [x, x]; },
  },
};`, plugin.Limits{}, plugin.Grants{Timers: true})

	flow, err := p.values("a b")
	require.NoError(t, err)
	assert.Equal(t, plugin.Continue, flow)
	assert.Equal(t, "a\n(after a)\nb\n(after b)\n", p.sent())

	flow, err = p.values("(pause)")
	require.NoError(t, err)
	assert.Equal(t, plugin.Pause, flow)

	_, err = p.values("(fail)")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "values() on link 1: Error: async boom at handler.js:5:")

	_, err = p.values("(wait)")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "returned a promise that is still pending")

	v, err := p.in.Control(t.Context(), 0, "later", gene.MustParse("1.0"))
	require.NoError(t, err)
	assert.Equal(t, "[1.0 1.0]", gene.Format(v))
}

func TestSendAsyncWaitsForCredit(t *testing.T) {
	p := load(t, `module.exports = {
  async values(link, vs) {
    try { link.send(gene.sym('try')); } catch (e) { link.note = e.name + ' ' + e.code + ' ' + (e instanceof genehost.NoCreditError); }
    await link.sendAsync(gene.sym('waited'));
  },
  control: { note: (arg, link) => link.note },
};`, plugin.Limits{}, plugin.Grants{})
	p.host.SetCredit(1, 0)
	go func() {
		time.Sleep(50 * time.Millisecond)
		p.host.SetCredit(1, 1)
	}()
	_, err := p.values("x")
	require.NoError(t, err)
	assert.Equal(t, "waited\n", p.sent())
	note, err := p.in.Control(t.Context(), 1, "note", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, `"NoCreditError no-credit true"`, gene.Format(note))

	// Without credit, sendAsync gives up at the call deadline.
	p.host.SetCredit(1, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = p.in.Receive(ctx, 1, []gene.Value{gene.Symbol("y")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "link.sendAsync")
}

func TestConsoleGoesToHostLog(t *testing.T) {
	p := load(t, `
console.log('loaded');
module.exports = {
  values(link, vs) {
    console.log('got', vs.length, 'values');
    console.warn('careful');
    console.error('bad %d', 7);
    console.info('%j', {a: 1});
  },
};`, plugin.Limits{}, plugin.Grants{})
	_, err := p.values("1 2")
	require.NoError(t, err)
	assert.Equal(t, []string{"info 0 loaded", "info 1 got 2 values", "warn 1 careful", "error 1 bad 7", `info 1 {"a":1}`}, p.host.Logs())
}

func TestInputCap(t *testing.T) {
	p := load(t, `module.exports = {
  values(link, vs) { vs.forEach((v) => link.send(v)); },
  control: { echo: (arg) => arg },
};`, plugin.Limits{MaxInputBytes: 64}, plugin.Grants{})
	small := `"` + strings.Repeat("s", 40) + `"`
	big := `"` + strings.Repeat("b", 100) + `"`
	_, err := p.values(small)
	require.NoError(t, err)

	_, err = p.values(small + " " + big)
	require.Error(t, err)
	require.ErrorIs(t, err, gene.ErrLimit)
	assert.Contains(t, err.Error(), "value 1 is 102 bytes encoded, refused before conversion")
	assert.Equal(t, small+"\n", p.sent(), "nothing of a refused batch reaches the handler")

	_, err = p.in.Control(t.Context(), 0, "echo", gene.MustParse(big))
	require.ErrorIs(t, err, gene.ErrLimit)
}

func TestTimeoutBreaksTheInstance(t *testing.T) {
	p := load(t, `module.exports = { values() { for (;;) {} }, control: { ping: () => 1 } };`, plugin.Limits{CallTimeout: 100 * time.Millisecond}, plugin.Grants{})
	_, err := p.values("x")
	require.ErrorIs(t, err, plugin.ErrTimeout)
	assert.Contains(t, err.Error(), "values() on link 1: interrupted after CallTimeout 100ms")

	_, err = p.in.Control(t.Context(), 0, "ping", gene.Nil())
	require.ErrorIs(t, err, ErrBroken)
	require.NoError(t, p.in.Close(t.Context()))
	require.NoError(t, p.in.Close(t.Context()), "Close is idempotent")
	_, err = p.values("x")
	require.ErrorIs(t, err, ErrClosed)

	// Top-level code is bounded too.
	_, err = tryLoad(t, files(t, map[string]string{"handler.js": `while (true) {}`}), plugin.Limits{CallTimeout: 100 * time.Millisecond}, plugin.Grants{})
	require.ErrorIs(t, err, plugin.ErrTimeout)
}

// TestKilledOnOverrunDeadlines: with callbacks run on the caller's
// goroutine, calls that end in time leave no interrupt behind, the
// deadline and the context's end still interrupt a callback that does not
// return, and the instance is broken after.
func TestKilledOnOverrunDeadlines(t *testing.T) {
	const timeout = 200 * time.Millisecond
	code := `module.exports = {
  values(link, vs) {
    if (gene.is(vs[0], 'spin')) for (;;) {}
    link.send(vs[0]);
  },
};`
	rt := NewWith(Config{KilledOnOverrun: true})
	m, err := rt.Compile(t.Context(), source(t, files(t, map[string]string{"handler.js": code}), plugin.Limits{CallTimeout: timeout}, plugin.Grants{}))
	require.NoError(t, err)
	instance := func(t *testing.T) plugin.Instance {
		in, err := m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
		require.NoError(t, err)
		t.Cleanup(func() { in.Close(context.Background()) })
		return in
	}
	values := func(s string) []gene.Value { return []gene.Value{gene.MustParse(s)} }

	in := instance(t)
	for range 50 {
		_, err := in.Receive(t.Context(), 1, values("(ping)"))
		require.NoError(t, err)
	}
	start := time.Now()
	_, err = in.Receive(t.Context(), 1, values("(spin)"))
	require.ErrorIs(t, err, plugin.ErrTimeout)
	assert.Contains(t, err.Error(), "values() on link 1: interrupted after CallTimeout 200ms")
	assert.GreaterOrEqual(t, time.Since(start), timeout)
	_, err = in.Receive(t.Context(), 1, values("(ping)"))
	require.ErrorIs(t, err, ErrBroken)

	t.Run("context", func(t *testing.T) {
		in := instance(t)
		// Ended before the call: the watchdog learns it at once.
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(errTestCancel)
		start := time.Now()
		_, err := in.Receive(ctx, 1, values("(spin)"))
		assert.Less(t, time.Since(start), timeout, "interrupted by the context, before the deadline")
		require.ErrorIs(t, err, plugin.ErrTimeout)
		require.ErrorIs(t, err, errTestCancel)
		assert.Contains(t, err.Error(), "interrupted: ")
	})
}

var errTestCancel = errors.New("the test cancelled it")

func TestSandboxGlobals(t *testing.T) {
	code := `module.exports = { control: {
  globals: () => [typeof setInterval, typeof setImmediate, typeof process, typeof setTimeout, typeof require],
  now: () => Date.now(),
} };`
	p := load(t, code, plugin.Limits{}, plugin.Grants{})
	v, err := p.in.Control(t.Context(), 0, "globals", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, `["undefined" "undefined" "undefined" "function" "function"]`, gene.Format(v))
	v, err = p.in.Control(t.Context(), 0, "now", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, "0", gene.Format(v), "without the Clock grant time stands at the epoch")

	p = load(t, code, plugin.Limits{}, plugin.Grants{Clock: true})
	v, err = p.in.Control(t.Context(), 0, "now", gene.Nil())
	require.NoError(t, err)
	ms, _ := v.AsInt()
	assert.InDelta(t, time.Now().UnixMilli(), ms, float64(time.Minute.Milliseconds()))
}

func TestKV(t *testing.T) {
	p := load(t, `module.exports = { control: {
  fill() { for (const k of ['a/1', 'a/2', 'b/1']) genehost.kv.put(k, gene.node('v', k)); genehost.kv.put(new Uint8Array([0, 1]), 1.5); },
  scan: (opts) => genehost.kv.scan(opts ?? undefined),
  del: (k) => [genehost.kv.delete(k), genehost.kv.get(k)],
  bin: () => genehost.kv.get(new Uint8Array([0, 1])),
  badKey: () => genehost.kv.get(5),
} };`, plugin.Limits{}, plugin.Grants{KV: true})
	call := p.control
	call("fill", "nil")
	assert.Equal(t, `[["a/1" (v "a/1")] ["a/2" (v "a/2")]]`, call("scan", `{^prefix "a/"}`))
	assert.Equal(t, `[["a/2" (v "a/2")]]`, call("scan", `{^prefix "a/" ^after "a/1"}`))
	assert.Equal(t, `[["a/1" (v "a/1")]]`, call("scan", `{^prefix "a/" ^limit 1}`))
	assert.Equal(t, `[true void]`, call("del", `"a/1"`))
	assert.Equal(t, `[false void]`, call("del", `"a/1"`))
	assert.Equal(t, `1.5`, call("bin", "nil"))
	_, err := p.in.Control(t.Context(), 0, "badKey", gene.Nil())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TypeError: genehost.kv.get: a key must be a string or a Uint8Array, got a number")
}

// TestKVBatch: kv.batch applies puts and deletes in one transaction, and
// none of them when one fails.
func TestKVBatch(t *testing.T) {
	p := load(t, `module.exports = { control: {
  batch: (ops) => genehost.kv.batch(ops),
  scan: () => genehost.kv.scan({}),
  bad(ops) { try { genehost.kv.batch(ops); } catch (e) { return [e.name, e.code ?? null, e.message]; } },
} };`, plugin.Limits{}, plugin.Grants{KV: true})
	call := p.control
	assert.Equal(t, `[true true true]`, call("batch", `[["put" "a" 1] ["put" "b" (v ^x 2)] ["put" "c" "three"]]`))
	assert.Equal(t, `[true false true]`, call("batch", `[["delete" "a"] ["delete" "nope"] ["put" "a" 4]]`))
	assert.Equal(t, `[]`, call("batch", `[]`))
	assert.Equal(t, `[["a" 4] ["b" (v ^x 2)] ["c" "three"]]`, call("scan", "nil"))

	// A key the store refuses (empty) fails the whole batch: the put
	// before it is not applied.
	assert.Equal(t, `["HostError" "host" "genehost.kv.batch: operation 1: store: invalid key: empty key"]`,
		call("bad", `[["put" "d" 5] ["put" "" 6]]`))
	assert.Equal(t, `["TypeError" nil "genehost.kv.batch: operation 0: want ['put', key, value] or ['delete', key]"]`,
		call("bad", `[["put" "d"]]`))
	assert.Equal(t, `["TypeError" nil "genehost.kv.batch: want an array of operations, got a string"]`, call("bad", `"x"`))
	assert.Equal(t, `[["a" 4] ["b" (v ^x 2)] ["c" "three"]]`, call("scan", "nil"))
}

func TestKVNotGranted(t *testing.T) {
	p := load(t, `module.exports = { control: { get() {
  try { genehost.kv.get('k'); } catch (e) { return [e.name, e.code, e.message]; }
} } };`, plugin.Limits{}, plugin.Grants{})
	v, err := p.in.Control(t.Context(), 0, "get", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, `["HostError" "not-granted" "genehost.kv.get: the key-value store is not granted to this plugin (grant kv in its config): plugin: capability not granted"]`, gene.Format(v))
}

func TestLinkObject(t *testing.T) {
	p := load(t, `const seen = new Map();
module.exports = {
  open(link) { seen.set(link.id, link); },
  value(link, v) {
    if (gene.is(v, 'close')) { link.close('done'); return; }
    if (gene.is(v, 'resume')) { link.resume(); return; }
    link.send([link.id, link.interface, link.direction, link.peer, link.meta, seen.get(link.id) === link]);
  },
};`, plugin.Limits{}, plugin.Grants{})
	require.NoError(t, p.in.Open(t.Context(), plugin.LinkInfo{ID: 9, Interface: "kv", Direction: proto.DirRecv, Peer: "unix:@", Meta: gene.MustParse(`{^user "ada"}`)}))
	_, err := p.in.Receive(t.Context(), 9, parse(t, "x (resume) (close)"))
	require.NoError(t, err)
	sent := p.host.Sent(9)
	require.Len(t, sent, 1)
	assert.Equal(t, `[9 "kv" "recv" "unix:@" {^user "ada"} true]`, gene.Format(sent[0]))
	reason, closed := p.host.Closed(9)
	assert.True(t, closed)
	assert.Equal(t, "done", reason)
	assert.Equal(t, []plugin.LinkID{9}, p.host.Resumed())
}

func TestPerValueHandlerPause(t *testing.T) {
	p := load(t, `module.exports = { value(link, v) { link.send(v); if (gene.is(v, 'stop')) return genehost.PAUSE; } };`, plugin.Limits{}, plugin.Grants{})
	flow, err := p.values("a (stop) b")
	require.NoError(t, err)
	assert.Equal(t, plugin.Pause, flow, "a pause applies once the batch is consumed")
	assert.Equal(t, "a\n(stop)\nb\n", p.sent())

	p = load(t, `module.exports = { values() { return 42; } };`, plugin.Limits{}, plugin.Grants{})
	_, err = p.values("a")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `returned 42; a values handler returns nothing, or "pause"`)

	p = load(t, `module.exports = { control: {} };`, plugin.Limits{}, plugin.Grants{})
	_, err = p.values("a")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no values() or value() handler")
}

func TestTimers(t *testing.T) {
	p := load(t, `let fired = [];
module.exports = {
  values(link, vs) {
    const a = setTimeout((x, y) => fired.push(x + y), 5, 'a', 'b');
    const b = setTimeout(() => fired.push('cancelled'), 5);
    clearTimeout(b);
    genehost.setTimer(5);
  },
  timer(id) { fired.push('timer ' + typeof id); },
  control: { fired: () => fired.sort() },
};`, plugin.Limits{}, plugin.Grants{Timers: true})
	_, err := p.values("x")
	require.NoError(t, err)
	// plugintest reports every timer, cancelled or not; the runtime must
	// ignore the cancelled one.
	for range 3 {
		select {
		case id := <-p.host.Timers:
			p.in.Timer(t.Context(), id)
		case <-time.After(10 * time.Second):
			t.Fatal("timer did not fire")
		}
	}
	v, err := p.in.Control(t.Context(), 0, "fired", gene.Nil())
	require.NoError(t, err)
	assert.Equal(t, `["ab" "timer number"]`, gene.Format(v))
}

func TestTimerErrorsAreLogged(t *testing.T) {
	p := load(t, `module.exports = { values() { setTimeout(() => { throw new Error('late boom'); }, 1); } };`, plugin.Limits{}, plugin.Grants{Timers: true})
	_, err := p.values("x")
	require.NoError(t, err)
	p.in.Timer(t.Context(), <-p.host.Timers)
	logs := p.host.Logs()
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0], "error 0 jsrt: plugin inline: setTimeout callback: Error: late boom at handler.js:1:")
}

func TestUnhandledRejectionIsLogged(t *testing.T) {
	p := load(t, `module.exports = { values() { Promise.reject(new Error('lost')); } };`, plugin.Limits{}, plugin.Grants{})
	_, err := p.values("x")
	require.NoError(t, err)
	require.Len(t, p.host.Logs(), 1)
	assert.Regexp(t, `^warn 1 jsrt: plugin inline: values\(\) on link 1: Error: lost at handler.js:1:\d+ \(an unhandled promise rejection\)$`, p.host.Logs()[0])
}

func TestCloseCallback(t *testing.T) {
	p := load(t, `module.exports = { close(link, reason) { throw new Error('close failed: ' + reason); } };`, plugin.Limits{}, plugin.Grants{})
	p.in.Closed(t.Context(), 1, errors.New("reset"))
	require.Len(t, p.host.Logs(), 1)
	assert.Contains(t, p.host.Logs()[0], "error 1 jsrt: plugin inline: close() on link 1: Error: close failed: reset")
}

func TestNaN(t *testing.T) {
	p := load(t, `module.exports = { values(link, vs) { vs.forEach((v) => link.send(v)); } };`, plugin.Limits{}, plugin.Grants{})
	_, err := p.values("nan [nan]")
	require.NoError(t, err)
	sent := p.host.Sent(1)
	require.Len(t, sent, 2)
	f, ok := sent[0].AsFloat()
	require.True(t, ok)
	assert.True(t, math.IsNaN(f))
	f, ok = sent[1].List()[0].AsFloat()
	require.True(t, ok)
	assert.True(t, math.IsNaN(f))
}

func parse(t *testing.T, text string) []gene.Value {
	t.Helper()
	vs, err := gene.ParseAll([]byte(text), gene.ReadOptions{})
	require.NoError(t, err)
	return vs
}

var _ = errors.Is
