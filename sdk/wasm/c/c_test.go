package c_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/proto"
	"github.com/genehost/genehost/tests/testenv"
)

// The C toolchain: WASI_CC (default clang) targeting wasm32-wasi, with
// WASI_SYSROOT as --sysroot when set (Debian's clang finds wasi-libc on
// its own). The Makefile's wasm-c target uses the same variables.

var (
	probeOnce sync.Once
	probeErr  error
	buildMu   sync.Mutex
	built     = map[string][]byte{}
)

func cc() string {
	if c := os.Getenv("WASI_CC"); c != "" {
		return c
	}
	return "clang"
}

func ccArgs(out string, srcs ...string) []string {
	args := []string{"--target=wasm32-wasi", "-mexec-model=reactor", "-O2", "-Wall", "-Wextra", "-Werror", "-I.", "-I", "testdata", "-Wl,--strip-debug", "-o", out}
	if s := os.Getenv("WASI_SYSROOT"); s != "" {
		args = append(args, "--sysroot="+s)
	}
	return append(args, srcs...)
}

// requireToolchain skips t unless the compiler builds a trivial reactor.
func requireToolchain(t testing.TB) {
	t.Helper()
	probeOnce.Do(func() {
		if _, err := exec.LookPath(cc()); err != nil {
			probeErr = fmt.Errorf("%s not found", cc())
			return
		}
		dir, err := os.MkdirTemp("", "genehost-cprobe")
		if err != nil {
			probeErr = err
			return
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(dir, "probe.c")
		if err := os.WriteFile(src, []byte("#include <stdlib.h>\nvoid *f(int n) { return malloc(n); }\n"), 0o644); err != nil {
			probeErr = err
			return
		}
		out, err := exec.Command(cc(), ccArgs(filepath.Join(dir, "probe.wasm"), src)...).CombinedOutput()
		if err != nil {
			probeErr = fmt.Errorf("%s cannot build a wasm32-wasi reactor: %v\n%s", cc(), err, out)
		}
	})
	if probeErr != nil {
		testenv.Skipf(t, "skipping the C guest tests: %v (tools/wasi-toolchain.sh installs clang, lld, wasi-libc and libclang-rt-dev-wasm32)", probeErr)
	}
}

// srcOf maps a fixture name to its C source: the examples serve as the
// echo and counter fixtures.
func srcOf(name string) string {
	switch name {
	case "echo", "counter":
		return filepath.Join("examples", name+".c")
	}
	return filepath.Join("testdata", name+".c")
}

// buildC compiles the named plugin once per test process.
func buildC(t testing.TB, name string) []byte {
	t.Helper()
	requireToolchain(t)
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, ok := built[name]; ok {
		return b
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	msg, err := exec.Command(cc(), ccArgs(out, srcOf(name))...).CombinedOutput()
	require.NoError(t, err, "build %s:\n%s", srcOf(name), msg)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	built[name] = b
	return b
}

func source(t testing.TB, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
	code := buildC(t, name)
	sum := sha256.Sum256(code)
	return &plugin.Source{Name: name, Entry: name + ".wasm", Code: code, Hash: hex.EncodeToString(sum[:]), Limits: l, Grants: g}
}

func newRuntime(t testing.TB) *wasmrt.Runtime {
	t.Helper()
	rt, err := wasmrt.New(wasmrt.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// TestSuite runs the behaviour suite every plugin runtime passes, with
// every fixture written in C on genehost.h.
func TestSuite(t *testing.T) {
	requireToolchain(t)
	plugintest.RunSuite(t, newRuntime(t), func(t *testing.T, name string, l plugin.Limits, g plugin.Grants) *plugin.Source {
		return source(t, name, l, g)
	})
}

func instantiate(t *testing.T, name string, h plugin.Host) plugin.Instance {
	t.Helper()
	m, err := newRuntime(t).Compile(t.Context(), source(t, name, plugin.Limits{}, plugin.Grants{}))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(context.Background()) })
	return in
}

// TestEchoExample: the echo example sends values back unchanged and
// answers its own control operation hello; ping is not its name (the host
// answers ping itself and refuses a manifest declaring it).
func TestEchoExample(t *testing.T) {
	requireToolchain(t)
	h := plugintest.New(t, plugin.Grants{})
	in := instantiate(t, "echo", h)
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "echo", Direction: proto.DirSendRecv}))
	batch := []gene.Value{gene.MustParse(`(msg ^id 1 "a")`), gene.MustParse(`[1 2.5 #B16#00ff]`)}
	_, err := in.Receive(t.Context(), 1, batch)
	require.NoError(t, err)
	require.Equal(t, texts(batch), texts(h.Sent(1)))

	v, err := in.Control(t.Context(), 0, "hello", gene.Nil())
	require.NoError(t, err)
	require.Equal(t, "hi", gene.Format(v))
	_, err = in.Control(t.Context(), 0, "ping", gene.Nil())
	require.ErrorContains(t, err, "unknown op ping")
}

// TestCounter drives the counter example's sends and control operations,
// including the errors a guest sees from the host.
func TestCounter(t *testing.T) {
	requireToolchain(t)
	h := plugintest.New(t, plugin.Grants{})
	in := instantiate(t, "counter", h)
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 3, Interface: "counter", Direction: proto.DirSendRecv}))
	ctl := func(link plugin.LinkID, op, arg string) (gene.Value, error) {
		return in.Control(t.Context(), link, op, gene.MustParse(arg))
	}

	_, err := in.Receive(t.Context(), 3, []gene.Value{gene.MustParse("a"), gene.MustParse("(b ^c 1)")})
	require.NoError(t, err)
	require.Equal(t, "(count 1) (count 2)", texts(h.Sent(3)))

	v, err := ctl(0, "get", "nil")
	require.NoError(t, err)
	require.Equal(t, "2", v.String())
	v, err = ctl(0, "reset", "nil")
	require.NoError(t, err)
	require.Equal(t, "2", v.String())
	v, err = ctl(0, "get", "nil")
	require.NoError(t, err)
	require.Equal(t, "0", v.String())

	t.Run("big counts use the long integer form", func(t *testing.T) {
		vs := make([]gene.Value, 70)
		for i := range vs {
			vs[i] = gene.Int(int64(i))
		}
		_, err := in.Receive(t.Context(), 3, vs)
		require.NoError(t, err)
		sent := h.Sent(3)
		require.Equal(t, "(count 70)", sent[len(sent)-1].String())
		_, err = ctl(0, "reset", "nil")
		require.NoError(t, err)
	})
	t.Run("close from a control operation", func(t *testing.T) {
		v, err := ctl(3, "close", `"done for today"`)
		require.NoError(t, err)
		require.True(t, v.IsNil(), "close returns nil, got %s", v)
		reason, closed := h.Closed(3)
		require.True(t, closed)
		require.Equal(t, "done for today", reason)
		// The link is closed now: sending on it fails, naming the link.
		_, err = in.Receive(t.Context(), 3, []gene.Value{gene.Int(1)})
		require.ErrorContains(t, err, "link 3")
		require.ErrorContains(t, err, "closed")
	})
	t.Run("close needs a link and a reason", func(t *testing.T) {
		_, err := ctl(0, "close", `"x"`)
		require.ErrorContains(t, err, "close needs a data link")
		_, err = ctl(3, "close", `42`)
		require.ErrorContains(t, err, "close wants a reason string")
	})
	t.Run("no credit until the deadline", func(t *testing.T) {
		// gh_send waits for credit until the callback's deadline. Either
		// the send gives up first (GH_TIMEOUT, which the counter turns into
		// a failed callback; the instance keeps its count), or the host
		// stops the guest first (the instance is discarded and the count
		// starts again on a fresh one).
		require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 4, Interface: "counter", Direction: proto.DirSendRecv}))
		base, err := ctl(0, "get", "nil")
		require.NoError(t, err)
		n, _ := base.AsInt()
		h.SetCredit(4, 0)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err = in.Receive(ctx, 4, []gene.Value{gene.Int(1)})
		require.Error(t, err)
		want := "(count 1)"
		if !errors.Is(err, plugin.ErrTimeout) {
			require.ErrorContains(t, err, "gh_send: link 4: context deadline exceeded")
			want = fmt.Sprintf("(count %d)", n+2)
		}
		require.Empty(t, h.Sent(4))
		h.SetCredit(4, -1)
		_, err = in.Receive(t.Context(), 4, []gene.Value{gene.Int(1)})
		require.NoError(t, err)
		require.Equal(t, want, texts(h.Sent(4)))
	})
	t.Run("unknown op", func(t *testing.T) {
		_, err := ctl(0, "frobnicate", "nil")
		require.ErrorContains(t, err, "unknown op frobnicate")
	})
}

func texts(vs []gene.Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, " ")
}

// TestExportsMatchABI checks each built plugin against the ABI's export
// list through the host's own validation: wasmrt refuses a module whose
// marker, exports or imports are wrong, naming what is wrong.
func TestExportsMatchABI(t *testing.T) {
	requireToolchain(t)
	rt := newRuntime(t)
	names := []string{"echo", "counter"}
	ents, err := os.ReadDir("testdata")
	require.NoError(t, err)
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".c"); ok {
			names = append(names, n)
		}
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			m, err := rt.Compile(t.Context(), source(t, n, plugin.Limits{}, plugin.Grants{}))
			require.NoError(t, err)
			m.Close(t.Context())
			require.Contains(t, string(buildC(t, n)), abi.MarkerName(abi.Major, abi.Minor))
		})
	}
}

// TestSmallMemory: a C guest starts with 2 pages of memory and runs in
// them, so caps far below a Go guest's work; a cap below what the module
// declares is refused at compile time, naming both.
func TestSmallMemory(t *testing.T) {
	requireToolchain(t)
	rt := newRuntime(t)
	_, err := rt.Compile(t.Context(), source(t, "echo", plugin.Limits{MemoryPages: 1}, plugin.Grants{}))
	require.ErrorContains(t, err, "min 2 pages (128 Ki) over limit of 1 pages")

	m, err := rt.Compile(t.Context(), source(t, "echo", plugin.Limits{MemoryPages: 2}, plugin.Grants{}))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	h := plugintest.New(t, plugin.Grants{})
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(context.Background()) })
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "echo", Direction: proto.DirSendRecv}))
	v := gene.MustParse(`(hello ^to "world" [1 2 3])`)
	_, err = in.Receive(t.Context(), 1, []gene.Value{v})
	require.NoError(t, err)
	require.Equal(t, gene.Format(v), texts(h.Sent(1)))
}
