package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// graph builds a dependency graph: every package of the module named in
// edges (relative, "host" for the module's host) with its imports;
// standard-library names are those without a dot that are not ours.
func graph(edges map[string][]string) map[string]*pkg {
	full := func(p string) string {
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") || p == "testing" || p == "fmt" {
			return p
		}
		return module + "/" + p
	}
	pkgs := map[string]*pkg{}
	add := func(p string) *pkg {
		if q, ok := pkgs[full(p)]; ok {
			return q
		}
		q := &pkg{ImportPath: full(p), Standard: p == "testing" || p == "fmt"}
		pkgs[q.ImportPath] = q
		return q
	}
	for from, tos := range edges {
		q := add(from)
		for _, to := range tos {
			add(to)
			q.Imports = append(q.Imports, full(to))
		}
	}
	return pkgs
}

// healthy is a small graph that keeps every rule.
func healthy() map[string][]string {
	return map[string][]string{
		"gene":                   {"fmt"},
		"gene/schema":            {"gene", "fmt"},
		"abi":                    {"gene"},
		"sdk/wasm/guest":         {"gene", "abi"},
		"proto":                  {"gene"},
		"host/internal/session":  {"proto"},
		"host":                   {"proto", "gene/schema", "host/internal/session", "github.com/hashicorp/go-hclog"},
		"host/plugin":            {"gene", "proto"},
		"host/store":             {"host/plugin", "go.etcd.io/bbolt"},
		"host/store/natsstore":   {"host/store", "host/plugin", "github.com/nats-io/nats.go"},
		"host/plugindir":         {"host", "host/plugin", "host/store"},
		"host/worker":            {"host/plugin"},
		"host/worker/workertest": {"host/worker", "host/jsrt", "host/wasmrt", "testing"},
		"host/client":            {"host/internal/session"},
		"host/httpgw":            {"host", "host/client"},
		"host/ui":                {"host", "host/client"},
		"host/jsrt":              {"host/plugin", "github.com/dop251/goja"},
		"host/wasmrt":            {"abi", "host/plugin", "github.com/tetratelabs/wazero"},
		"cmd/genehost":           {"host/plugindir", "host/jsrt", "host/wasmrt", "host/worker", "host/httpgw", "host/ui"},
	}
}

func TestHealthyGraphPasses(t *testing.T) {
	require.Empty(t, check(graph(healthy()), rules))
}

func TestViolations(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string][]string)
		want []string
	}{{
		name: "host core imports a runtime",
		edit: func(g map[string][]string) { g["host"] = append(g["host"], "host/wasmrt") },
		want: []string{"host must not reach ./host/wasmrt/...: host -> host/wasmrt",
			"host must not reach github.com/tetratelabs/wazero/...: host -> host/wasmrt -> github.com/tetratelabs/wazero"},
	}, {
		name: "plugindir reaches wazero through another package",
		edit: func(g map[string][]string) {
			g["host/internal/cache"] = []string{"github.com/tetratelabs/wazero"}
			g["host/plugindir"] = append(g["host/plugindir"], "host/internal/cache")
		},
		want: []string{
			"host/internal/cache must not reach github.com/tetratelabs/wazero/...: host/internal/cache -> github.com/tetratelabs/wazero",
			"host/plugindir must not reach github.com/tetratelabs/wazero/...: host/plugindir -> host/internal/cache -> github.com/tetratelabs/wazero",
		},
	}, {
		name: "gene imports proto",
		edit: func(g map[string][]string) { g["gene/schema"] = append(g["gene/schema"], "proto") },
		want: []string{"gene/schema must not import proto: only the standard library and ./gene/..."},
	}, {
		name: "abi imports a third-party package",
		edit: func(g map[string][]string) { g["abi"] = append(g["abi"], "github.com/x/y") },
		want: []string{"abi must not import github.com/x/y: only the standard library and ./gene"},
	}, {
		name: "the guest SDK imports the host",
		edit: func(g map[string][]string) { g["sdk/wasm/guest"] = append(g["sdk/wasm/guest"], "host/plugin") },
		want: []string{"sdk/wasm/guest must not import host/plugin"},
	}, {
		name: "the worker imports jsrt",
		edit: func(g map[string][]string) { g["host/worker"] = append(g["host/worker"], "host/jsrt") },
		want: []string{"host/worker must not reach ./host/jsrt/...: host/worker -> host/jsrt",
			"host/worker must not reach github.com/dop251/goja/...: host/worker -> host/jsrt -> github.com/dop251/goja"},
	}, {
		name: "a runtime imports the host core",
		edit: func(g map[string][]string) { g["host/jsrt"] = append(g["host/jsrt"], "host") },
		want: []string{"host/jsrt must not reach ./host: host/jsrt -> host"},
	}, {
		name: "a package imports cmd",
		edit: func(g map[string][]string) { g["host/httpgw"] = append(g["host/httpgw"], "cmd/genehost") },
		want: []string{"host/httpgw must not reach ./cmd/...: host/httpgw -> cmd/genehost"},
	}, {
		name: "the binary links a test helper",
		edit: func(g map[string][]string) { g["cmd/genehost"] = append(g["cmd/genehost"], "host/worker/workertest") },
		want: []string{"cmd/genehost must not reach ./host/worker/workertest: cmd/genehost -> host/worker/workertest",
			"cmd/genehost must not reach testing: cmd/genehost -> host/worker/workertest -> testing"},
	}, {
		name: "a rule that matches nothing",
		edit: func(g map[string][]string) {
			delete(g, "host/httpgw")
			g["cmd/genehost"] = slices.DeleteFunc(g["cmd/genehost"], func(p string) bool { return p == "host/httpgw" })
		},
		want: []string{`rule "./host/httpgw" matches no package of the module`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := healthy()
			tc.edit(g)
			bad := check(graph(g), rules)
			for _, w := range tc.want {
				require.True(t, slices.ContainsFunc(bad, func(b string) bool { return strings.HasPrefix(b, w) }),
					"no violation starts with %q; got %q", w, bad)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	require.True(t, match("./host", module+"/host"))
	require.False(t, match("./host", module+"/host/client"))
	require.True(t, match("./host/...", module+"/host"))
	require.True(t, match("./host/...", module+"/host/client"))
	require.False(t, match("./host/...", module+"/hostile"))
	require.True(t, match("./...", module))
	require.True(t, match(".", module))
	require.False(t, match("./...", "github.com/genehost/other"))
	require.True(t, match("testing", "testing"))
	require.False(t, match("testing", module+"/testing"))
	require.True(t, match("github.com/dop251/goja/...", "github.com/dop251/goja/parser"))
}

// TestRepository runs the check on the module itself, as make check does.
func TestRepository(t *testing.T) {
	pkgs, err := load("../..")
	require.NoError(t, err)
	require.Empty(t, check(pkgs, rules))
}
