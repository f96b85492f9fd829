package wasmrt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/proto"
)

// start compiles the named fixture and instantiates it on a new test
// Host with the same grants.
func start(t *testing.T, rt *wasmrt.Runtime, name string, l plugin.Limits, g plugin.Grants) (plugin.Instance, *plugintest.Host) {
	t.Helper()
	m, err := rt.Compile(t.Context(), fixture(t, name, l, g))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	h := plugintest.New(t, g)
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(context.Background()) })
	return in, h
}

func openLink(t *testing.T, in plugin.Instance, id plugin.LinkID) {
	t.Helper()
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: id, Interface: "test", Direction: proto.DirSendRecv, Peer: "test"}))
}

func ping(t *testing.T, in plugin.Instance) {
	t.Helper()
	v, err := in.Control(t.Context(), 0, "ping", gene.Nil())
	require.NoError(t, err)
	require.True(t, gene.Equal(gene.MustParse("pong"), v), "ping answered %#v", v)
}

func hasLog(h *plugintest.Host, line string) bool {
	for _, l := range h.Logs() {
		if l == line {
			return true
		}
	}
	return false
}

// TestFailureReplacesInstance proves the documented policy: after a trap,
// an exit or a deadline the next callback on the same Instance runs on a
// fresh guest, and the error names plugin, callback and link.
func TestFailureReplacesInstance(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	for _, c := range []struct {
		fixture string
		limits  plugin.Limits
		kind    error
		want    []string
	}{
		{"panics", plugin.Limits{}, wasmrt.ErrTrap,
			[]string{`wasmrt: plugin "panics" Receive link 1: wasm error: unreachable (stderr: panic: kaboom); the instance was discarded`}},
		{"loops", plugin.Limits{CallTimeout: 200 * time.Millisecond}, plugin.ErrTimeout,
			[]string{`wasmrt: plugin "loops" Receive link 1: exceeded its deadline (CallTimeout 200ms)`}},
		{"hog", plugin.Limits{MemoryPages: 64, CallTimeout: 5 * time.Second}, wasmrt.ErrTrap,
			[]string{`wasmrt: plugin "hog" Receive link 1: wasm error: unreachable (stderr: `, "out of memory"}},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			in, h := start(t, rt, c.fixture, c.limits, plugin.Grants{})
			openLink(t, in, 1)
			// A parent deadline far past CallTimeout: if CallTimeout did not
			// stop the loop, this would, too late for the check below.
			ctx, cancel := context.WithTimeout(t.Context(), backstop)
			defer cancel()
			begin := time.Now()
			_, err := in.Receive(ctx, 1, []gene.Value{gene.MustParse("x")})
			require.Less(t, time.Since(begin), backstop/2, "the call ended by CallTimeout, not by the parent's deadline")
			require.Error(t, err)
			require.ErrorIs(t, err, c.kind)
			var ce *wasmrt.CallError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.fixture, ce.Plugin)
			assert.Equal(t, "Receive", ce.Callback)
			assert.Equal(t, plugin.LinkID(1), ce.Link)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
			if c.fixture == "panics" {
				require.True(t, hasLog(h, "warn 1 panic: kaboom"), "the panic reaches the log: %q", h.Logs())
			}
			// The same Instance keeps working, on a fresh guest.
			ping(t, in)
			ping(t, in)
		})
	}
}

func TestGuestErrorKeepsInstance(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	in, h := start(t, rt, "counter", plugin.Limits{}, plugin.Grants{})
	openLink(t, in, 1)
	_, err := in.Receive(t.Context(), 1, []gene.Value{gene.MustParse("a")})
	require.NoError(t, err)

	// A control op the counter does not know fails without losing its
	// state.
	_, err = in.Control(t.Context(), 1, "nope", gene.Nil())
	require.ErrorIs(t, err, wasmrt.ErrGuest)
	require.EqualError(t, err, `wasmrt: plugin "counter" Control link 1: unknown op nope`)
	_, err = in.Receive(t.Context(), 1, []gene.Value{gene.MustParse("b")})
	require.NoError(t, err)
	sent := h.Sent(1)
	require.Len(t, sent, 2)
	require.True(t, gene.Equal(gene.MustParse("(count 2)"), sent[1]), "state survived: %v", sent[1])
}

func TestMemoryLimit(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	t.Run("below the module's minimum", func(t *testing.T) {
		// The Go runtime starts with more than 8 pages.
		m, err := rt.Compile(t.Context(), fixture(t, "echo", plugin.Limits{MemoryPages: 8}, plugin.Grants{}))
		if err == nil {
			defer m.Close(t.Context())
			_, err = m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
		}
		require.Error(t, err)
		require.Contains(t, err.Error(), `plugin "echo"`)
		require.Contains(t, err.Error(), "8")
	})
	t.Run("over the WebAssembly maximum", func(t *testing.T) {
		_, err := rt.Compile(t.Context(), fixture(t, "echo", plugin.Limits{MemoryPages: 70000}, plugin.Grants{}))
		require.ErrorContains(t, err, "MemoryPages 70000 exceeds the WebAssembly maximum of 65536")
	})
	t.Run("hog stops at the limit", func(t *testing.T) {
		for _, pages := range []uint32{64, 128} {
			in, h := start(t, rt, "hog", plugin.Limits{MemoryPages: pages}, plugin.Grants{})
			openLink(t, in, 1)
			_, err := in.Receive(t.Context(), 1, []gene.Value{gene.MustParse("x")})
			require.ErrorIs(t, err, wasmrt.ErrTrap, "pages %d", pages)
			require.NotErrorIs(t, err, plugin.ErrTimeout)
			require.NotEmpty(t, h.Logs())
		}
	})
}

// backstop is a parent deadline far past the CallTimeouts under test, so
// that a CallTimeout that does not work fails the test instead of hanging
// it: calls must end well before it.
const backstop = 20 * time.Second

func TestTimeoutThenFreshInstance(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	const timeout = 150 * time.Millisecond
	in, _ := start(t, rt, "loops", plugin.Limits{CallTimeout: timeout}, plugin.Grants{})
	loop := func(t *testing.T, ctx context.Context, round int) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, backstop)
		defer cancel()
		begin := time.Now()
		_, err := in.Receive(ctx, 1, []gene.Value{gene.Int(int64(round))})
		took := time.Since(begin)
		require.GreaterOrEqual(t, took, timeout, "round %d", round)
		require.Less(t, took, backstop/2, "round %d: the call ended by CallTimeout, not by the parent's deadline", round)
		return err
	}
	for i := range 2 {
		// Open starts a fresh guest after the failure: instantiation
		// has its own, larger bound (MinInitTimeout), so it does not
		// fail on a loaded machine however short CallTimeout is.
		openLink(t, in, 1)
		err := loop(t, t.Context(), i)
		require.ErrorIs(t, err, plugin.ErrTimeout, "round %d", i)
		require.ErrorContains(t, err, "exceeded its deadline (CallTimeout 150ms)")
		ping(t, in)
	}
	t.Run("cancelled context does not stop the guest", func(t *testing.T) {
		// Stopping the guest would discard its memory, shared by every
		// link it serves; the caller going away only makes blocking host
		// calls give up (TestCancelledSendKeepsTheGuest). A loop still
		// ends at CallTimeout.
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		err := loop(t, ctx, 9)
		require.ErrorIs(t, err, plugin.ErrTimeout)
		ping(t, in)
	})
}

// TestShortCallTimeoutStillInstantiates: instantiation (the Go runtime's
// start in _initialize) runs under max(CallTimeout, MinInitTimeout), so a
// CallTimeout far shorter than that start works, and still bounds the
// callbacks.
func TestShortCallTimeoutStillInstantiates(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	const timeout = 50 * time.Microsecond
	in, _ := start(t, rt, "loops", plugin.Limits{CallTimeout: timeout}, plugin.Grants{})
	for i := range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), backstop)
		begin := time.Now()
		// Open (round 2: on a fresh guest) may itself time out at 50µs
		// on a loaded machine; what matters is that the guest starts and
		// that the loop stops at CallTimeout.
		_ = in.Open(ctx, plugin.LinkInfo{ID: 1, Interface: "test", Direction: proto.DirSendRecv, Peer: "test"})
		_, err := in.Receive(ctx, 1, []gene.Value{gene.Int(int64(i))})
		cancel()
		require.ErrorIs(t, err, plugin.ErrTimeout, "round %d", i)
		require.NotContains(t, err.Error(), "starting a fresh instance", "round %d: instantiation must not time out", i)
		require.Less(t, time.Since(begin), backstop/2)
	}
}

// TestBlockedSendAtDeadlineIsATimeout: a guest blocked in gh_send when
// its deadline passes gets TIMEOUT and returns its own error at once,
// racing wazero's stop; the callback fails with plugin.ErrTimeout
// whichever wins, never with the guest's error alone.
func TestBlockedSendAtDeadlineIsATimeout(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	const timeout = 100 * time.Millisecond
	in, h := start(t, rt, "counter", plugin.Limits{CallTimeout: timeout}, plugin.Grants{})
	h.SetCredit(1, 0)
	for i := range 10 {
		// The counter needs no open(); each round runs on a fresh guest.
		_, err := in.Receive(t.Context(), 1, []gene.Value{gene.Int(int64(i))})
		require.ErrorIs(t, err, plugin.ErrTimeout, "round %d: %v", i, err)
		require.ErrorContains(t, err, "exceeded its deadline (CallTimeout 100ms)", "round %d", i)
	}
}

// TestCancelledSendKeepsTheGuest: when the caller's context ends while
// the guest waits in gh_send, the send gives up (TIMEOUT), the guest
// returns its error, which matches the context's, and the guest and its
// memory stay.
func TestCancelledSendKeepsTheGuest(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	in, h := start(t, rt, "counter", plugin.Limits{CallTimeout: backstop}, plugin.Grants{})
	openLink(t, in, 1)
	h.SetCredit(1, 0)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	begin := time.Now()
	_, err := in.Receive(ctx, 1, []gene.Value{gene.Int(1)})
	require.Less(t, time.Since(begin), backstop/2)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, wasmrt.ErrGuest)
	require.NotErrorIs(t, err, plugin.ErrTimeout)
	require.ErrorContains(t, err, "the caller's context ended during the call: context canceled")
	h.SetCredit(1, -1)
	_, err = in.Receive(t.Context(), 1, []gene.Value{gene.Int(2)})
	require.NoError(t, err)
	sent := h.Sent(1)
	require.NotEmpty(t, sent)
	require.True(t, gene.Equal(gene.MustParse("(count 2)"), sent[len(sent)-1]), "the guest kept its count: %v", sent)

	// A caller gone before the call: its end is noticed only when
	// gh_send has to wait (the runtime watches the caller's context
	// lazily), and then at once.
	h.SetCredit(1, 0)
	gone, cancelGone := context.WithCancel(t.Context())
	cancelGone()
	begin = time.Now()
	_, err = in.Receive(gone, 1, []gene.Value{gene.Int(3)})
	require.Less(t, time.Since(begin), backstop/2)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "the caller's context ended during the call: context canceled")
}

func TestSandbox(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi from the host"), 0o644))
	t.Setenv("GENEHOST_TEST_SECRET", "do not leak")

	control := func(t *testing.T, in plugin.Instance, op string, arg gene.Value) (gene.Value, error) {
		t.Helper()
		return in.Control(t.Context(), 0, op, arg)
	}

	t.Run("denied without grants", func(t *testing.T) {
		in, _ := start(t, rt, "sandbox", plugin.Limits{}, plugin.Grants{})
		for _, path := range []string{filepath.Join(dir, "hello.txt"), "/etc/passwd", "hello.txt", "/"} {
			_, err := control(t, in, "read", gene.String(path))
			require.Error(t, err, "reading %s", path)
			require.ErrorIs(t, err, wasmrt.ErrGuest)
		}
		for _, name := range []string{"GENEHOST_TEST_SECRET", "HOME", "PATH"} {
			v, err := control(t, in, "env", gene.String(name))
			require.NoError(t, err)
			require.True(t, v.IsNil(), "env %s visible: %v", name, v)
		}
		now, err := control(t, in, "now", gene.Nil())
		require.NoError(t, err)
		secs, _ := now.AsInt()
		assert.Less(t, secs, int64(1640995200+60), "the clock is the fixed epoch, not the real time")
	})

	t.Run("allowed with grants", func(t *testing.T) {
		g := plugin.Grants{Dirs: map[string]string{"/data": dir}, Env: map[string]string{"GREETING": "hello"}, Clock: true}
		in, _ := start(t, rt, "sandbox", plugin.Limits{}, g)
		v, err := control(t, in, "read", gene.String("/data/hello.txt"))
		require.NoError(t, err)
		require.Equal(t, "hi from the host", string(v.Bytes()))
		_, err = control(t, in, "read", gene.String(filepath.Join(dir, "hello.txt")))
		require.Error(t, err, "only the granted guest path is mounted")
		v, err = control(t, in, "env", gene.String("GREETING"))
		require.NoError(t, err)
		require.Equal(t, "hello", v.Str())
		v, err = control(t, in, "env", gene.String("GENEHOST_TEST_SECRET"))
		require.NoError(t, err)
		require.True(t, v.IsNil())
		now, err := control(t, in, "now", gene.Nil())
		require.NoError(t, err)
		secs, _ := now.AsInt()
		assert.InDelta(t, time.Now().Unix(), secs, 60)
	})
}

func TestStdoutStderrToLog(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	in, h := start(t, rt, "sandbox", plugin.Limits{}, plugin.Grants{})
	openLink(t, in, 4)
	_, err := in.Control(t.Context(), 4, "print", gene.String("line one\nline two"))
	require.NoError(t, err)
	for _, want := range []string{"info 4 line one", "info 4 line two", "warn 4 line one", "warn 4 line two"} {
		require.True(t, hasLog(h, want), "no log %q in %q", want, h.Logs())
	}
}

func TestKVAndCredit(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	in, h := start(t, rt, "sandbox", plugin.Limits{}, plugin.Grants{KV: true})
	ctl := func(op string, arg string) gene.Value {
		t.Helper()
		v, err := in.Control(t.Context(), 0, op, gene.MustParse(arg))
		require.NoError(t, err, "%s %s", op, arg)
		return v
	}
	t.Run("scan and delete", func(t *testing.T) {
		big := strings.Repeat("v", 3000) // records past the SDK's first scan buffer
		for _, kv := range [][2]string{{"user/b", "2"}, {"user/a", "1"}, {"other", "x"}, {"user/c", big}, {"user/d", "4"}} {
			ctl("put", `["`+kv[0]+`" "`+kv[1]+`"]`)
		}
		got := ctl("scan", `"user/"`)
		want := gene.MustParse(`[["user/a" "1"] ["user/b" "2"] ["user/c" "` + big + `"] ["user/d" "4"]]`)
		require.True(t, gene.Equal(want, got), "scan: %v", got)
		require.True(t, gene.Equal(gene.True, ctl("delete", `"user/b"`)))
		require.True(t, gene.Equal(gene.False, ctl("delete", `"user/b"`)))
		require.Equal(t, 3, ctl("scan", `"user/"`).Len())
	})
	t.Run("try-send without credit", func(t *testing.T) {
		openLink(t, in, 3)
		h.SetCredit(3, 1)
		require.True(t, gene.Equal(gene.MustParse("sent"), ctl("trysend", "[3 (a)]")))
		v := ctl("trysend", "[3 (b)]")
		require.Equal(t, gene.KindString, v.Kind(), "second try-send: %v", v)
		require.Contains(t, v.Str(), "gh_try_send: link 3:")
		require.Contains(t, v.Str(), "no credit")
		require.Len(t, h.Sent(3), 1)
	})
}

// TestCompilationCacheAcrossRuntimes: a second Runtime on the same
// CacheDir loads the compiled module from disk instead of compiling it
// again. (A small module keeps this test fast; what the cache saves is a
// benchmark's business.)
func TestCompilationCacheAcrossRuntimes(t *testing.T) {
	dir := t.TempDir()
	code := validModule(1, 0).with(wfunc{export: abi.ExportBuffer, params: []abi.ValueType{abi.I32}, results: []abi.ValueType{abi.I32}, body: i32Const(1024)}).bytes()
	compile := func() time.Duration {
		rt, err := wasmrt.New(wasmrt.Config{CacheDir: dir})
		require.NoError(t, err)
		defer rt.Close(t.Context())
		begin := time.Now()
		m, err := rt.Compile(t.Context(), source("tiny", code, plugin.Limits{}, plugin.Grants{}))
		took := time.Since(begin)
		require.NoError(t, err)
		in, err := m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
		require.NoError(t, err)
		_, err = in.Control(t.Context(), 0, "ping", gene.Nil())
		require.NoError(t, err)
		return took
	}
	// files maps every file of the cache to its modification time.
	files := func() map[string]time.Time {
		out := map[string]time.Time{}
		filepath.WalkDir(dir, func(path string, d os.DirEntry, _ error) error {
			if d != nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					out[path] = fi.ModTime()
				}
			}
			return nil
		})
		return out
	}
	require.Empty(t, files())
	cold := compile()
	populated := files()
	require.NotEmpty(t, populated, "the first compile writes the cache")
	warm := compile()
	require.Equal(t, populated, files(), "the second compile writes nothing: it is a cache hit")
	t.Logf("compile: cold %v, from the on-disk cache %v", cold, warm)
}

func TestClosed(t *testing.T) {
	rt, err := wasmrt.New(wasmrt.Config{})
	require.NoError(t, err)
	m, err := rt.Compile(t.Context(), source("ok", validModule(1, 0).bytes(), plugin.Limits{}, plugin.Grants{}))
	require.NoError(t, err)
	in, err := m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
	require.NoError(t, err)
	require.NoError(t, in.Close(t.Context()))
	require.NoError(t, in.Close(t.Context()), "Close is idempotent")
	_, err = in.Receive(t.Context(), 1, []gene.Value{gene.Int(1)})
	require.ErrorIs(t, err, wasmrt.ErrClosed)

	require.NoError(t, rt.Close(t.Context()))
	require.NoError(t, rt.Close(t.Context()))
	_, err = m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
	require.ErrorIs(t, err, wasmrt.ErrClosed, "closing the runtime closes its modules")
	_, err = rt.Compile(t.Context(), source("ok", validModule(1, 0).bytes(), plugin.Limits{}, plugin.Grants{}))
	require.ErrorIs(t, err, wasmrt.ErrClosed)
}

// TestProtocolErrors drives hand-written guests that break the ABI.
func TestProtocolErrors(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{})
	i32 := []abi.ValueType{abi.I32}
	buffer := func(ptr uint64) wfunc {
		return wfunc{export: abi.ExportBuffer, params: i32, results: i32, body: i32Const(ptr)}
	}
	onValues := func(body []byte) wfunc {
		return wfunc{export: abi.ExportOnValues, params: []abi.ValueType{abi.I64, abi.I32, abi.I32}, results: i32, body: body}
	}
	for _, c := range []struct {
		name string
		mod  wmod
		kind error
		want string
	}{
		{"no buffer", validModule(1, 0), wasmrt.ErrProtocol, "gh_buffer(4096) returned 0: the guest could not provide 4096 bytes"},
		{"buffer outside memory", validModule(1, 0).with(buffer(63000)), wasmrt.ErrProtocol, "gh_buffer(4096) returned [63000, 67096), outside guest memory of 65536 bytes"},
		{"unknown status", validModule(1, 0).with(buffer(1024)).with(onValues(i32Const(7))), wasmrt.ErrProtocol, "guest returned status NOT_FOUND, which gh_on_values may not return"},
		{"error without message", validModule(1, 0).with(buffer(1024)).with(onValues(i32Const(2))), wasmrt.ErrGuest, "guest returned ERROR without a message"},
		{"trap", validModule(1, 0).with(buffer(1024)).with(onValues([]byte{0x00})), wasmrt.ErrTrap, "wasm error: unreachable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := rt.Compile(t.Context(), source("raw", c.mod.bytes(), plugin.Limits{}, plugin.Grants{}))
			require.NoError(t, err)
			defer m.Close(t.Context())
			in, err := m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
			require.NoError(t, err)
			defer in.Close(t.Context())
			_, err = in.Receive(t.Context(), 5, []gene.Value{gene.Int(1)})
			require.ErrorIs(t, err, c.kind)
			require.Contains(t, err.Error(), `wasmrt: plugin "raw" Receive link 5: `+c.want)
			require.False(t, errors.Is(err, plugin.ErrTimeout))
		})
	}
}

// TestCloseDuringCompile: Close while Compile runs (the plugin directory
// shutting down while a plugin loads) neither panics nor leaks the
// module: each Compile either returns a module that Close closed or an
// error matching ErrClosed. Run with -race.
func TestCloseDuringCompile(t *testing.T) {
	code := validModule(1, 0).bytes()
	for i := range 20 {
		rt, err := wasmrt.New(wasmrt.Config{})
		require.NoError(t, err)
		const compilers = 4
		type result struct {
			m   plugin.Module
			err error
		}
		results := make(chan result, compilers)
		start := make(chan struct{})
		for range compilers {
			go func() {
				<-start
				m, err := rt.Compile(t.Context(), source("racer", code, plugin.Limits{}, plugin.Grants{}))
				results <- result{m, err}
			}()
		}
		close(start)
		if i%2 == 1 {
			time.Sleep(time.Duration(i) * 100 * time.Microsecond) // vary where Close lands
		}
		require.NoError(t, rt.Close(t.Context()))
		for range compilers {
			r := <-results
			if r.err != nil {
				require.ErrorIs(t, r.err, wasmrt.ErrClosed)
				continue
			}
			_, err := r.m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
			require.ErrorIs(t, err, wasmrt.ErrClosed, "a module compiled before Close was closed by it")
		}
	}
}
