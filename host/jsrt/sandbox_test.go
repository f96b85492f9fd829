package jsrt

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	// Registers "process" (which exposes the environment) as a core
	// module, as any package linked into the binary might: the sandbox
	// must hold even then.
	_ "github.com/dop251/goja_nodejs/process"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/host/plugin"
)

// evalHandler sends String(eval(v)) for every value v it receives.
const evalHandler = `module.exports = { values(link, vs) { for (const v of vs) link.send(String(eval(v))); } };`

// evalJS evaluates each expression inside a callback of p and returns
// the results.
func evalJS(t *testing.T, p *plug, exprs ...string) []string {
	t.Helper()
	before := len(p.host.Sent(1))
	for _, e := range exprs {
		_, err := p.values(strconv.Quote(e))
		require.NoError(t, err, e)
	}
	var out []string
	for _, v := range p.host.Sent(1)[before:] {
		out = append(out, v.Str())
	}
	return out
}

const hostModuleRefusal = `host modules are not available to genehost plugins`

// TestSandboxRequireRefusedEverywhere: host modules are refused not only
// at the top of handler.js (TestRequire) but from files it requires and
// at run time inside callbacks, even for core modules registered in the
// binary.
func TestSandboxRequireRefusedEverywhere(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	t.Setenv("GENEHOST_TEST_SECRET", "do not leak")
	names := []string{"process", "node:process", "util", "console", "buffer", "url", "fs", "net", "http", "child_process", "worker_threads"}
	for _, name := range names {
		t.Run("nested file/"+name, func(t *testing.T) {
			dir := files(t, map[string]string{
				"handler.js": `require('./lib/inner.js'); module.exports = {};`,
				"lib/inner.js": `const m = require(` + strconv.Quote(name) + `);
module.exports = m && m.env ? m.env.GENEHOST_TEST_SECRET : m;`,
			})
			_, err := tryLoad(t, dir, plugin.Limits{}, plugin.Grants{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), `require(`+strconv.Quote(name)+`): `+hostModuleRefusal)
			assert.Contains(t, err.Error(), "inner.js:1:")
			assert.NotContains(t, err.Error(), "do not leak")
		})
	}
	t.Run("at run time", func(t *testing.T) {
		p := load(t, evalHandler, plugin.Limits{}, plugin.Grants{})
		for _, name := range names {
			got := evalJS(t, p, `(function(){ try { const m = require(`+strconv.Quote(name)+`); return 'loaded ' + (m && m.env ? m.env.GENEHOST_TEST_SECRET : typeof m) } catch (e) { return 'refused: ' + e.message } })()`)
			require.Len(t, got, 1)
			assert.True(t, strings.HasPrefix(got[0], "refused: "), "require(%q) inside a callback: %s", name, got[0])
			assert.Contains(t, got[0], hostModuleRefusal)
		}
		// module.require, the other door in Node, does not exist.
		assert.Equal(t, []string{"undefined"}, evalJS(t, p, `typeof module.require`))
	})
}

// ecmaGlobals are the global names of the ECMAScript engine itself.
var ecmaGlobals = []string{
	"Object", "Function", "Array", "String", "Number", "BigInt", "RegExp", "Date", "Boolean", "Proxy", "Reflect",
	"Error", "AggregateError", "TypeError", "ReferenceError", "SyntaxError", "RangeError", "EvalError", "URIError",
	"eval", "Math", "JSON", "ArrayBuffer", "DataView", "Uint8Array", "Uint8ClampedArray", "Int8Array", "Uint16Array",
	"Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
	"Symbol", "WeakSet", "WeakMap", "Map", "Set", "Promise", "globalThis", "NaN", "undefined", "Infinity", "isNaN",
	"parseInt", "parseFloat", "isFinite", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent",
	"escape", "unescape",
	"GoError", // goja's error type for errors from Go functions
}

// genehostGlobals are what genehost adds (sdk/js/genehost.d.ts documents
// them): nothing that reaches the host's files, network or environment.
var genehostGlobals = []string{
	"require", "console", "gene", "genehost", "Gene", "Sym", "Char", "Float", "GeneRegex", "GeneDate", "GeneTime",
	"GeneDateTime", "setTimeout", "clearTimeout",
}

// TestSandboxNoHostGlobals: a handler's global scope is the language plus
// genehost's own API; no Node or browser object that reaches the host
// exists. A new global fails this test until it is reviewed and listed.
func TestSandboxNoHostGlobals(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	p := load(t, evalHandler, plugin.Limits{}, plugin.Grants{})
	names := evalJS(t, p, `Object.getOwnPropertyNames(globalThis).join(',')`)[0]
	for _, n := range strings.Split(names, ",") {
		assert.True(t, slices.Contains(ecmaGlobals, n) || slices.Contains(genehostGlobals, n), "unexpected global %q", n)
	}
	for _, forbidden := range []string{"process", "Buffer", "fetch", "XMLHttpRequest", "WebSocket", "setInterval", "setImmediate", "performance", "Deno", "Bun", "Java", "Packages"} {
		assert.Equal(t, []string{"undefined"}, evalJS(t, p, "typeof "+forbidden), forbidden)
	}
}

// TestSandboxTimersUnlessGranted: setTimeout is refused with a clear
// error unless timers are granted.
func TestSandboxTimersUnlessGranted(t *testing.T) {
	leakcheck.Verify(t) // instances and runtimes leave no goroutine or file behind
	p := load(t, evalHandler, plugin.Limits{}, plugin.Grants{})
	got := evalJS(t, p, `(function(){ try { setTimeout(() => {}, 1); return 'scheduled' } catch (e) { return 'refused: ' + e.message } })()`)
	assert.Contains(t, got[0], "refused: ")
	assert.Contains(t, got[0], "timers are not granted to this plugin (grant timers in its config)")

	p = load(t, evalHandler, plugin.Limits{}, plugin.Grants{Timers: true})
	assert.Equal(t, []string{"scheduled"}, evalJS(t, p, `(function(){ setTimeout(() => {}, 1000); return 'scheduled' })()`))
}
