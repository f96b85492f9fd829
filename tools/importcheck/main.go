// Command importcheck enforces the dependency rules of the repository, the
// table in ARCHITECTURE.md ("Dependency rules"), which is the output of
// `go run ./tools/importcheck -table` (a test keeps the two equal).
//
// It lists every package of the module with its whole dependency graph
// (`go list -deps -json ./...`: non-test imports, standard library and
// third-party packages included), then checks each package against every
// rule whose pattern matches it:
//
//   - Only: the packages outside the standard library it may import
//     directly (nil: any);
//   - Never: the packages it must not reach, directly or through any
//     chain of imports; a violation names the chain.
//
// A rule whose pattern matches no package is itself an error, so the table
// cannot go stale when a package moves. Test files are not checked: a
// package's tests may import anything (host/plugindir's tests run
// JavaScript through host/worker/workertest, which links goja).
//
// Exit status: 0 when every rule holds, 1 naming each violation, 2 when
// go list fails.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

const module = "github.com/genehost/genehost"

// rule is one row of the dependency table. Patterns are written as for the
// go command: packages of the module relative to its root ("./gene",
// "./host/internal/...", "./..." for every package of the module), others
// by their import path ("testing", "github.com/dop251/goja/..."); "x/..."
// matches x and every package below it.
type rule struct {
	Pkg   string
	Only  []string // nil: any import; otherwise the only non-standard packages it may import directly
	Never []string // packages it must not reach, directly or transitively
	Why   string
}

// Groups that several rules name.
var (
	runtimes = []string{"./host/jsrt/...", "./host/wasmrt/...", "github.com/dop251/goja/...", "github.com/tetratelabs/wazero/..."}
	testCode = []string{"testing", "github.com/stretchr/testify/...", "./host/internal/leakcheck", "./host/internal/rawclient",
		"./host/internal/testcert", "./host/internal/wasmfixture", "./host/plugin/plugintest", "./host/worker/workertest", "./tests/...",
		"./host/store/natsstore/natstest", "github.com/nats-io/nats-server/..."}
	// bundler (esbuild) turns TypeScript and ES modules into the script
	// the JavaScript runtime runs: host/plugindir, which loads plugin
	// folders, links it, and cmd/genehost; runtimes get the bundle.
	bundler = "github.com/evanw/esbuild/..."
)

func with(a []string, b ...string) []string { return append(append([]string(nil), a...), b...) }

// rules are the dependency rules, in the order of the table.
var rules = []rule{
	{Pkg: "./gene/...", Only: []string{"./gene/..."},
		Why: "the value model everything else builds on; standard library only, because the Go guest SDK compiles it into every Wasm plugin (GOOS=wasip1)"},
	{Pkg: "./abi", Only: []string{"./gene"},
		Why: "the plugin ABI shared by host/wasmrt and sdk/wasm/guest, so the two cannot drift; builds for GOOS=wasip1"},
	{Pkg: "./sdk/wasm/guest", Only: []string{"./gene", "./abi"},
		Why: "compiled into Go plugins (GOOS=wasip1) from the sources guestsrc.go embeds"},
	{Pkg: "./proto", Only: []string{"./gene"},
		Why: "the wire protocol only; it knows nothing of interfaces, plugins or handlers"},
	{Pkg: "./host", Never: with(runtimes, bundler, "./host/plugin/...", "./host/plugindir", "./host/store", "./host/worker/...", "./host/client", "./host/httpgw", "./host/ui", "go.etcd.io/bbolt/..."),
		Why: "the host core is a library usable without any plugin: plugins reach it only as host.Handler, through host/plugindir"},
	{Pkg: "./host/plugin", Only: []string{"./gene", "./proto"},
		Why: "the seam between the host and plugin code: runtimes and host/plugindir depend on it, it depends on neither"},
	{Pkg: "./host/store", Never: with(runtimes, "github.com/nats-io/..."),
		Why: "durable state behind plugin.Store; no runtime, and the embedded default links no NATS client"},
	{Pkg: "./host/store/natsstore", Never: with(runtimes, "./host", "./host/plugindir", "./host/worker/..."),
		Why: "plugin state on NATS JetStream behind store.Backend (--nats): the one package of ours that dials NATS; no runtime, no host"},
	{Pkg: "./host/plugindir", Never: runtimes,
		Why: "takes the runtimes by name (Options.Runtimes), so the host core and the directory logic link neither goja nor wazero"},
	{Pkg: "./host/worker", Never: with(runtimes, bundler),
		Why: "the supervisor side of worker processes imports neither runtime; cmd/genehost hands them to Serve; scripts come to it bundled"},
	{Pkg: "./host/internal/...", Never: with(runtimes, bundler),
		Why: "session, addresses and watching are runtime-free"},
	{Pkg: "./host/client", Never: with(runtimes, bundler, "./host", "./host/plugin/...", "go.etcd.io/bbolt/..."),
		Why: "a client program links the protocol and the session, not the server"},
	{Pkg: "./host/httpgw", Never: with(runtimes, bundler),
		Why: "the HTTP gateway is a client of the host; plugin code runs behind it"},
	{Pkg: "./host/ui", Never: with(runtimes, bundler, "./host/plugin/...", "./host/plugindir", "./host/store/...", "./host/worker/..."),
		Why: "the explorer is a client of the host, as the HTTP gateway is: it reads manifests with host and dials with host/client; plugin code runs behind it"},
	{Pkg: "./host/jsrt", Never: []string{"./host", "./host/plugindir", "./host/worker/...", "./host/wasmrt/...", "github.com/tetratelabs/wazero/...", "go.etcd.io/bbolt/...", bundler},
		Why: "a runtime sees the host only through host/plugin (plugin.Host, plugin.Store); it runs the scripts host/plugindir bundled"},
	{Pkg: "./host/wasmrt", Never: []string{"./host", "./host/plugindir", "./host/worker/...", "./host/jsrt/...", "github.com/dop251/goja/...", "go.etcd.io/bbolt/..."},
		Why: "a runtime sees the host only through host/plugin (plugin.Host, plugin.Store)"},
	{Pkg: "./cmd/...", Never: testCode,
		Why: "the shipped binary links no test helpers"},
	{Pkg: "./...", Never: []string{"./cmd/..."},
		Why: "cmd/genehost only wires flags to the library; nothing depends on it"},
}

// pkg is what importcheck reads of `go list -deps -json`.
type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
	Error      *struct{ Err string }
}

func main() {
	table := flag.Bool("table", false, "print the rules as the Markdown table of ARCHITECTURE.md and exit")
	flag.Parse()
	if *table {
		fmt.Print(Table())
		return
	}
	pkgs, err := load(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "importcheck:", err)
		os.Exit(2)
	}
	if bad := check(pkgs, rules); len(bad) > 0 {
		for _, b := range bad {
			fmt.Println(b)
		}
		os.Exit(1)
	}
}

// load lists the packages of the module in dir and their whole
// dependency graph.
func load(dir string) (map[string]*pkg, error) {
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	return decode(strings.NewReader(string(out)))
}

func decode(r io.Reader) (map[string]*pkg, error) {
	dec := json.NewDecoder(r)
	pkgs := map[string]*pkg{}
	for {
		var p pkg
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode go list: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = &p
	}
}

// ours reports whether path is a package of the module.
func ours(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// short writes a package of the module relative to its root.
func short(path string) string {
	if path == module {
		return "."
	}
	return strings.TrimPrefix(path, module+"/")
}

// match reports whether the package path matches pattern (see rule).
func match(pattern, path string) bool {
	full := pattern
	if rel, ok := strings.CutPrefix(pattern, "."); ok {
		full = module + rel // "." is the module's root package, "./x" its package x
	}
	if base, ok := strings.CutSuffix(full, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == full
}

// check returns one line per violation of rs in pkgs, sorted.
func check(pkgs map[string]*pkg, rs []rule) []string {
	var names []string
	for name := range pkgs {
		if ours(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var bad []string
	for _, r := range rs {
		matched := false
		for _, name := range names {
			if !match(r.Pkg, name) {
				continue
			}
			matched = true
			p := pkgs[name]
			if r.Only != nil {
				for _, imp := range p.Imports {
					if dep, ok := pkgs[imp]; ok && dep.Standard || anyMatch(r.Only, imp) {
						continue
					}
					bad = append(bad, fmt.Sprintf("%s must not import %s: only the standard library and %s (%s)",
						short(name), display(imp), strings.Join(r.Only, ", "), r.Why))
				}
			}
			for _, pat := range r.Never {
				if chain := reach(pkgs, name, pat); chain != nil {
					bad = append(bad, fmt.Sprintf("%s must not reach %s: %s (%s)",
						short(name), pat, strings.Join(chain, " -> "), r.Why))
				}
			}
		}
		if !matched {
			bad = append(bad, fmt.Sprintf("rule %q matches no package of the module: update the rules", r.Pkg))
		}
	}
	sort.Strings(bad)
	return bad
}

func anyMatch(patterns []string, path string) bool {
	for _, p := range patterns {
		if match(p, path) {
			return true
		}
	}
	return false
}

func display(path string) string {
	if ours(path) {
		return short(path)
	}
	return path
}

// reach returns the shortest chain of imports from the package from to a
// package matching pattern (from excluded), or nil.
func reach(pkgs map[string]*pkg, from, pattern string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p, ok := pkgs[cur]
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = cur
			if match(pattern, imp) {
				var chain []string
				for at := imp; at != ""; at = prev[at] {
					chain = append([]string{display(at)}, chain...)
				}
				return chain
			}
			queue = append(queue, imp)
		}
	}
	return nil
}

// Table returns the rules as a Markdown table.
func Table() string {
	var b strings.Builder
	b.WriteString("| package | may import (besides the standard library) | must never reach, even indirectly | why |\n")
	b.WriteString("|---|---|---|---|\n")
	code := func(ps []string) string {
		if len(ps) == 0 {
			return "anything"
		}
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = "`" + p + "`"
		}
		return strings.Join(out, " ")
	}
	for _, r := range rules {
		only := "anything"
		if r.Only != nil {
			only = code(r.Only)
		}
		never := "-"
		if len(r.Never) > 0 {
			never = code(r.Never)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Pkg, only, never, r.Why)
	}
	return b.String()
}
