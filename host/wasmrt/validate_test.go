package wasmrt_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/wasmrt"
)

func TestCompileRefuses(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{})
	marker := abi.MarkerName(1, 0)
	future := wimport{mod: abi.HostModule, name: "gh_future", params: []abi.ValueType{abi.I32}}
	for _, c := range []struct {
		name string
		code []byte
		want []string
	}{
		{"not wasm", []byte("hello, world"), []string{`plugin "bad" (bad.wasm)`}},
		{"no marker", validModule(1, 0).without(marker).bytes(),
			[]string{`plugin "bad" (bad.wasm): no genehost ABI version marker (an export named genehost_abi_<major>_<minor>); this host supports ABI 1.3`}},
		{"unknown major", validModule(2, 0).bytes(),
			[]string{`plugin "bad" (bad.wasm): built for genehost ABI 2.0, this host supports ABI 1.3 (major versions must match)`}},
		{"unknown major with minor", validModule(3, 7).bytes(), []string{"built for genehost ABI 3.7, this host supports ABI 1.3"}},
		{"malformed marker", validModule(1, 0).without(marker).with(wfunc{export: "genehost_abi_01_0", results: []abi.ValueType{abi.I32}}).bytes(),
			[]string{`malformed version marker "genehost_abi_01_0"`}},
		{"two markers", validModule(1, 0).with(wfunc{export: abi.MarkerName(1, 1), results: []abi.ValueType{abi.I32}}).bytes(),
			[]string{"more than one genehost ABI version marker: genehost_abi_1_0, genehost_abi_1_1"}},
		{"missing exports", validModule(1, 0).without(abi.Initialize, abi.ExportOnTimer).bytes(),
			[]string{"missing exports: _initialize () -> (), gh_on_timer (i64) -> (i32)"}},
		{"command module", validModule(1, 0).without(abi.Initialize).with(wfunc{export: abi.Start}).bytes(),
			[]string{"missing exports: _initialize () -> ()", "exporting _start; build a reactor"}},
		{"wrong export type", validModule(1, 0).with(wfunc{export: abi.ExportBuffer, params: []abi.ValueType{abi.I64}, results: []abi.ValueType{abi.I32}}).bytes(),
			[]string{"export gh_buffer has type (i64) -> (i32), want (i32) -> (i32)"}},
		{"wrong marker type", validModule(1, 0).with(wfunc{export: marker}).bytes(),
			[]string{"export genehost_abi_1_0 has type () -> (), want () -> (i32)"}},
		{"no memory", func() []byte { m := validModule(1, 0); m.memory = 0; return m.bytes() }(),
			[]string{"missing export: memory memory"}},
		{"foreign import", func() []byte {
			m := validModule(1, 0)
			m.imports = []wimport{{mod: "env", name: "foo"}}
			return m.bytes()
		}(), []string{`imports env.foo; plugins may import only from "genehost" and "wasi_snapshot_preview1"`}},
		{"unknown host import", func() []byte {
			m := validModule(1, 0)
			m.imports = []wimport{future}
			return m.bytes()
		}(), []string{"imports host functions this host does not provide: genehost.gh_future"}},
		{"newer minor needs newer host", func() []byte {
			m := validModule(1, 5)
			m.imports = []wimport{future}
			return m.bytes()
		}(), []string{"genehost.gh_future (the plugin was built for ABI 1.5, this host supports ABI 1.3)"}},
		{"wrong import type", func() []byte {
			m := validModule(1, 0)
			m.imports = []wimport{{mod: abi.HostModule, name: abi.ImportLog, params: []abi.ValueType{abi.I32}}}
			return m.bytes()
		}(), []string{"import genehost.gh_log has type (i32) -> (), want (i32, i64, i32, i32) -> ()"}},
		{"several problems at once", validModule(1, 0).without(abi.ExportOnOpen).with(wfunc{export: abi.ExportOnClose}).bytes(),
			[]string{"missing exports: gh_on_open (i64, i32) -> (i32)", "export gh_on_close has type () -> (), want (i64, i32) -> (i32)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := rt.Compile(t.Context(), source("bad", c.code, plugin.Limits{}, plugin.Grants{}))
			require.Error(t, err)
			require.ErrorIs(t, err, wasmrt.ErrInvalidModule)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{})
	for _, c := range []struct {
		name string
		mod  wmod
	}{
		{"minimal", validModule(1, 0)},
		{"newer minor without new imports", validModule(1, 5)},
		{"every host import", func() wmod {
			m := validModule(1, 0)
			for _, f := range abi.Imports() {
				m.imports = append(m.imports, wimport{mod: abi.HostModule, name: f.Name, params: f.Params, results: f.Results})
			}
			return m
		}()},
		{"a command with _initialize too", validModule(1, 0).with(wfunc{export: abi.Start})},
		{"a 1.2 guest using 1.2's imports", func() wmod {
			m := validModule(1, 2)
			for _, f := range abi.Imports() {
				if f.Name == abi.ImportKVWatch || f.Name == abi.ImportKVWatchNext {
					m.imports = append(m.imports, wimport{mod: abi.HostModule, name: f.Name, params: f.Params, results: f.Results})
				}
			}
			return m
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := rt.Compile(t.Context(), source("ok", c.mod.bytes(), plugin.Limits{}, plugin.Grants{}))
			require.NoError(t, err)
			require.NoError(t, m.Close(t.Context()))
		})
	}
}

// TestSDKMarker proves the Go SDK carries the marker of the abi package's
// version, so bumping one without the other fails here.
func TestSDKMarker(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	code := fixtureWasm(t, "echo")
	require.Contains(t, string(code), abi.MarkerName(abi.Major, abi.Minor), "the echo fixture exports the current marker")
	_, err := rt.Compile(t.Context(), source("echo", code, plugin.Limits{}, plugin.Grants{}))
	require.NoError(t, err)
}
