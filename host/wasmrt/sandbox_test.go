package wasmrt_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/internal/leakcheck"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/wasmrt"
)

// These tests probe the sandbox below any guest SDK: hand-built modules
// call WASI preview 1 directly, so what they find is what the runtime
// grants, not what a language's standard library chooses to expose.
// TestSandbox (runtime_test.go) covers the same ground from a Go guest.
//
// A probe's gh_on_control returns probeBase plus one number it found (a
// WASI errno, a count); the runtime refuses that unknown status with an
// error naming it, and the test reads the number back from the error.

const probeBase = 100

// WASI preview 1 errno values (wasi_snapshot_preview1 "errno").
const (
	wasiSuccess  = 0
	wasiEBADF    = 8
	wasiENOTSOCK = 57
	wasiEROFS    = 69
	wasiEPERM    = 63
	wasiENOTCAP  = 76
	wasiENOSYS   = 52
)

var i32, i64 = abi.I32, abi.I64

// Instruction encoders for probe bodies.
func sleb(dst []byte, v int64) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}
func c32(v int32) []byte { return sleb([]byte{0x41}, int64(v)) }
func c64(v int64) []byte { return sleb([]byte{0x42}, v) }
func call(fn uint64) []byte {
	return uleb([]byte{0x10}, fn)
}

var (
	i32Add    = []byte{0x6a}
	i32Load   = []byte{0x28, 0x02, 0x00}
	i32Store8 = []byte{0x3a, 0x00, 0x00}
	drop      = []byte{0x1a}
)

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// probe returns a valid module importing one WASI function (function
// index 0) whose gh_on_control runs body and returns probeBase plus the
// i32 body leaves on the stack.
func probe(wasi wimport, body []byte) []byte {
	m := validModule(1, 0)
	m.imports = []wimport{wasi}
	for _, e := range abi.Exports() {
		switch e.Name {
		case abi.ExportOnControl:
			m = m.with(wfunc{export: e.Name, params: e.Params, results: e.Results, body: cat(body, c32(probeBase), i32Add)})
		case abi.ExportBuffer:
			// The exchange buffer at 32 KiB, away from the probes' scratch.
			m = m.with(wfunc{export: e.Name, params: e.Params, results: e.Results, body: c32(32 << 10)})
		}
	}
	return m.bytes()
}

var probeStatus = regexp.MustCompile(`guest returned status STATUS\((\d+)\)`)

// runProbe compiles and instantiates code under grants g, calls its
// gh_on_control once and returns the number it found.
func runProbe(t *testing.T, rt *wasmrt.Runtime, name string, code []byte, g plugin.Grants) int {
	t.Helper()
	m, err := rt.Compile(t.Context(), source(name, code, plugin.Limits{}, g))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	in, err := m.Instantiate(t.Context(), plugintest.New(t, g))
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(context.Background()) })
	_, err = in.Control(t.Context(), 0, "probe", gene.Nil())
	require.ErrorIs(t, err, wasmrt.ErrProtocol)
	sm := probeStatus.FindStringSubmatch(err.Error())
	require.NotNil(t, sm, "probe status in %v", err)
	n, _ := strconv.Atoi(sm[1])
	return n - probeBase
}

func TestSandboxNoNetwork(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	rt := newRuntime(t, wasmrt.Config{})
	// Preview 1 has no way to create a socket or connect: a guest can only
	// use sockets it was given as descriptors, and the host gives none.
	// Every descriptor a guest might guess is refused.
	sockAccept := wimport{mod: abi.WASIModule, name: "sock_accept", params: []abi.ValueType{i32, i32, i32}, results: []abi.ValueType{i32}}
	sockRecv := wimport{mod: abi.WASIModule, name: "sock_recv", params: []abi.ValueType{i32, i32, i32, i32, i32, i32}, results: []abi.ValueType{i32}}
	sockSend := wimport{mod: abi.WASIModule, name: "sock_send", params: []abi.ValueType{i32, i32, i32, i32, i32}, results: []abi.ValueType{i32}}
	for fd := int32(0); fd < 8; fd++ {
		accept := runProbe(t, rt, "accept", probe(sockAccept, cat(c32(fd), c32(0), c32(1024), call(0))), plugin.Grants{})
		require.Contains(t, []int{wasiEBADF, wasiENOTSOCK}, accept, "sock_accept(%d)", fd)
		recv := runProbe(t, rt, "recv", probe(sockRecv, cat(c32(fd), c32(1024), c32(1), c32(0), c32(1100), c32(1104), call(0))), plugin.Grants{})
		require.Contains(t, []int{wasiEBADF, wasiENOTSOCK}, recv, "sock_recv(%d)", fd)
		send := runProbe(t, rt, "send", probe(sockSend, cat(c32(fd), c32(1024), c32(1), c32(0), c32(1100), call(0))), plugin.Grants{})
		require.Contains(t, []int{wasiEBADF, wasiENOTSOCK}, send, "sock_send(%d)", fd)
	}

	// A socket-creating import some runtimes add (WasmEdge's sock_open) is
	// not provided: the module does not load, with an error naming it.
	sockOpen := wimport{mod: abi.WASIModule, name: "sock_open", params: []abi.ValueType{i32, i32, i32}, results: []abi.ValueType{i32}}
	code := probe(sockOpen, cat(c32(1), c32(1), c32(1024), call(0)))
	m, err := rt.Compile(t.Context(), source("sockopen", code, plugin.Limits{}, plugin.Grants{}))
	if err == nil {
		defer m.Close(context.Background())
		_, err = m.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
	}
	require.Error(t, err)
	require.Contains(t, err.Error(), "sock_open")
}

func TestSandboxNoFilesystemUnlessGranted(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	rt := newRuntime(t, wasmrt.Config{})
	prestat := wimport{mod: abi.WASIModule, name: "fd_prestat_get", params: []abi.ValueType{i32, i32}, results: []abi.ValueType{i32}}
	// fd_prestat_get(3) asks for the first pre-opened directory.
	firstDir := probe(prestat, cat(c32(3), c32(1024), call(0)))
	require.Equal(t, wasiEBADF, runProbe(t, rt, "prestat", firstDir, plugin.Grants{}), "no directory is pre-opened without a grant")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "k"), []byte("data"), 0o644))
	g := plugin.Grants{Dirs: map[string]string{"/data": dir}}
	require.Equal(t, wasiSuccess, runProbe(t, rt, "prestat", firstDir, g), "the granted directory is pre-opened")

	// A granted directory is read-only: reading works, creating or
	// truncating a file is refused.
	pathOpen := wimport{mod: abi.WASIModule, name: "path_open",
		params: []abi.ValueType{i32, i32, i32, i32, i32, i64, i64, i32, i32}, results: []abi.ValueType{i32}}
	const (
		oCreat, oTrunc        = 1, 8
		rightRead, rightWrite = 1 << 1, 1 << 6
	)
	open := func(name byte, oflags int32, rights int64) []byte {
		return probe(pathOpen, cat(
			c32(2048), c32(int32(name)), i32Store8, // the one-letter path at 2048
			c32(3), c32(0), c32(2048), c32(1), c32(oflags), c64(rights), c64(0), c32(0), c32(1024), call(0)))
	}
	require.Equal(t, wasiSuccess, runProbe(t, rt, "read", open('k', 0, rightRead), g), "reading a granted file")
	refused := []int{wasiEROFS, wasiEPERM, wasiENOTCAP, wasiENOSYS}
	require.Contains(t, refused, runProbe(t, rt, "create", open('x', oCreat, rightWrite), g), "creating a file in a read-only grant")
	require.Contains(t, refused, runProbe(t, rt, "trunc", open('k', oTrunc, rightWrite), g), "truncating a file in a read-only grant")
	require.Contains(t, refused, runProbe(t, rt, "write", open('k', 0, rightWrite), g), "opening a file for writing in a read-only grant")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing was created on the host")
	b, err := os.ReadFile(filepath.Join(dir, "k"))
	require.NoError(t, err)
	require.Equal(t, "data", string(b), "nothing was truncated on the host")
}

func TestSandboxNoEnvironmentUnlessGranted(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	rt := newRuntime(t, wasmrt.Config{})
	t.Setenv("GENEHOST_TEST_SECRET", "do not leak")
	sizes := wimport{mod: abi.WASIModule, name: "environ_sizes_get", params: []abi.ValueType{i32, i32}, results: []abi.ValueType{i32}}
	count := probe(sizes, cat(c32(1024), c32(1028), call(0), drop, c32(1024), i32Load))
	require.Equal(t, 0, runProbe(t, rt, "env", count, plugin.Grants{}), "the host's environment is not visible")
	require.Equal(t, 2, runProbe(t, rt, "env", count, plugin.Grants{Env: map[string]string{"A": "1", "B": "2"}}), "exactly the granted variables")
}

func TestSandboxNoClockUnlessGranted(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	rt := newRuntime(t, wasmrt.Config{})
	clock := wimport{mod: abi.WASIModule, name: "clock_time_get", params: []abi.ValueType{i32, i64, i32}, results: []abi.ValueType{i32}}
	// Read the real-time clock (id 0) into 1024 and return its
	// nanoseconds shifted right by 32 (units of ~4.3 s), to fit a status.
	i64Load, i64ShrU, i32WrapI64 := []byte{0x29, 0x03, 0x00}, []byte{0x88}, []byte{0xa7}
	body := cat(c32(0), c64(1), c32(1024), call(0), drop, c32(1024), i64Load, c64(32), i64ShrU, i32WrapI64)
	code := probe(clock, body)

	const fixedEpoch = 1640995200 // 2022-01-01T00:00:00Z, wazero's stand-in clock
	fixed := runProbe(t, rt, "clock", code, plugin.Grants{})
	require.InDelta(t, (fixedEpoch*int64(time.Second))>>32, fixed, 1, "without the grant the clock reads a fixed epoch")
	real := runProbe(t, rt, "clock", code, plugin.Grants{Clock: true})
	require.InDelta(t, time.Now().UnixNano()>>32, real, 2, "with the grant it reads the host's clock")
}

// hostImport returns the import of a genehost host function.
func hostImport(t *testing.T, name string) wimport {
	t.Helper()
	for _, f := range abi.Imports() {
		if f.Name == name {
			return wimport{mod: abi.HostModule, name: name, params: f.Params, results: f.Results}
		}
	}
	t.Fatalf("no host function %s", name)
	return wimport{}
}

// TestSandboxGuestPointersOutsideMemory: host functions given ranges
// outside guest memory (past the end, or wrapping around 2^32) refuse
// them with an error naming the function and the range; the host reads
// and writes nothing outside the guest.
func TestSandboxGuestPointersOutsideMemory(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	rt := newRuntime(t, wasmrt.Config{})
	ranges := []struct {
		ptr, n int32
		want   string
	}{
		{65000, 4096, "range [65000, 69096) is outside guest memory of 65536 bytes"},
		{-16, 32, "range [4294967280, 4294967312) is outside guest memory of 65536 bytes"},
	}
	for _, r := range ranges {
		// Functions whose misuse fails the callback itself.
		for _, fn := range []struct {
			name string
			args []byte
		}{
			{abi.ImportResult, cat(c32(r.ptr), c32(r.n))},
			{abi.ImportLog, cat(c32(2), c64(0), c32(r.ptr), c32(r.n))},
		} {
			m := validModule(1, 0)
			m.imports = []wimport{hostImport(t, fn.name)}
			for _, e := range abi.Exports() {
				switch e.Name {
				case abi.ExportOnControl:
					m = m.with(wfunc{export: e.Name, params: e.Params, results: e.Results, body: cat(fn.args, call(0), c32(0))})
				case abi.ExportBuffer:
					m = m.with(wfunc{export: e.Name, params: e.Params, results: e.Results, body: c32(32 << 10)})
				}
			}
			mod, err := rt.Compile(t.Context(), source("ptr", m.bytes(), plugin.Limits{}, plugin.Grants{}))
			require.NoError(t, err)
			in, err := mod.Instantiate(t.Context(), plugintest.New(t, plugin.Grants{}))
			require.NoError(t, err)
			_, err = in.Control(t.Context(), 0, "probe", gene.Nil())
			require.ErrorIs(t, err, wasmrt.ErrProtocol, fn.name)
			require.Contains(t, err.Error(), fn.name+": "+r.want)
			in.Close(context.Background())
			mod.Close(context.Background())
		}
		// Functions that report misuse as a status to the guest.
		for _, fn := range []struct {
			name string
			args []byte
		}{
			{abi.ImportSend, cat(c64(1), c32(r.ptr), c32(r.n))},
			{abi.ImportTrySend, cat(c64(1), c32(r.ptr), c32(r.n))},
			{abi.ImportCloseLink, cat(c64(1), c32(r.ptr), c32(r.n))},
		} {
			st := runProbe(t, rt, "ptr", probe(hostImport(t, fn.name), cat(fn.args, call(0))), plugin.Grants{})
			require.Equal(t, int(abi.BadValue), st, "%s with [%d, +%d)", fn.name, r.ptr, r.n)
		}
		// The atomic store calls (ABI 1.1), watches (1.2) and streams (1.3), granted the store so that only
		// the range can fail them: a key, a current-value buffer or an
		// output outside memory.
		i32WrapI64 := []byte{0xa7}
		for _, fn := range []struct {
			name, what string
			args       []byte
			i64        bool
		}{
			{abi.ImportKVCAS, "key", cat(c32(r.ptr), c32(r.n), c32(0), c32(0), c32(0), c32(1), c32(abi.CASPut), c32(0), c32(0)), true},
			{abi.ImportKVCAS, "current", cat(c32(0), c32(1), c32(0), c32(0), c32(0), c32(1), c32(abi.CASPut), c32(r.ptr), c32(r.n)), true},
			{abi.ImportKVIncr, "key", cat(c32(r.ptr), c32(r.n), c64(1), c32(0)), false},
			{abi.ImportKVIncr, "output", cat(c32(0), c32(1), c64(1), c32(65532)), false},
			{abi.ImportKVWatch, "prefix", cat(c32(r.ptr), c32(r.n)), true},
			{abi.ImportKVWatchNext, "output", cat(c64(1), c32(r.ptr), c32(r.n)), true},
			// The streams (1.3) read their ranges before anything else.
			{abi.ImportStreamPublish, "value", cat(c32(0), c32(1), c32(r.ptr), c32(r.n)), true},
			{abi.ImportStreamPublishBatch, "records", cat(c32(r.ptr), c32(r.n), c32(1), c32(0)), false},
			{abi.ImportStreamPublishBatch, "output", cat(c32(0), c32(16), c32(2), c32(65532)), false},
			{abi.ImportStreamAttach, "group", cat(c64(1), c32(0), c32(1), c32(r.ptr), c32(r.n), c32(0), c64(0), c32(0)), true},
			{abi.ImportStreamAck, "stream", cat(c32(r.ptr), c32(r.n), c32(0), c32(1), c64(1)), false},
			{abi.ImportStreamTrim, "output", cat(c32(0), c32(1), c64(1), c32(65532)), false},
			{abi.ImportStreamInfo, "output", cat(c32(r.ptr), c32(r.n)), true},
			{abi.ImportTopicPublish, "topic", cat(c32(r.ptr), c32(r.n), c32(0), c32(1)), true},
			{abi.ImportTopicSubscribe, "topic", cat(c64(1), c32(r.ptr), c32(r.n)), false},
		} {
			body := cat(fn.args, call(0))
			want := int(abi.BadValue)
			if fn.i64 {
				body, want = cat(body, i32WrapI64), -int(abi.BadValue)
			}
			st := runProbe(t, rt, "ptr", probe(hostImport(t, fn.name), body), plugin.Grants{KV: true})
			require.Equal(t, want, st, "%s with its %s at [%d, +%d)", fn.name, fn.what, r.ptr, r.n)
		}
	}
}
