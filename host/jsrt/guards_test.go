package jsrt

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
)

// refusedIdioms are one-liners that, unguarded, kill the host (out of
// memory, Go stack overflow) or run far past the deadline in Go. Each must
// fail its call with a RangeError naming the built-in.
var refusedIdioms = []struct{ expr, want string }{
	{`new ArrayBuffer(2**36)`, "ArrayBuffer: 68719476736 bytes asked for, over this plugin's memory limit of 64 MiB (^limits {^memory-mb N})"},
	{`ArrayBuffer(2**36)`, "ArrayBuffer: 68719476736 bytes"},
	{`new Uint8Array(2**31).fill(1)`, "Uint8Array: 2147483648 elements"},
	{`new Float64Array(2**24)`, "Float64Array: 16777216 elements (134217728 bytes)"},
	{`new Int32Array({length: 2**30})`, "Int32Array: 1073741824 elements"},
	{`Uint16Array.from({length: 2**30})`, "Uint16Array: 1073741824 elements"},
	{`new Uint8Array(8).map(() => 1) && new (class extends Uint8Array {})(2**31)`, "Uint8Array: 2147483648 elements"},
	{`'x'.repeat(2**31)`, "String.prototype.repeat: 2147483648 characters (4294967296 bytes as UTF-16) asked for, over this plugin's memory limit of 64 MiB"},
	{`'ab'.padStart(2**30, 'x')`, "String.prototype.padStart: 1073741824 characters"},
	{`''.padEnd(2**30)`, "String.prototype.padEnd: 1073741824 characters"},
	{`Array(2**31)`, "Array: 2147483648 elements"},
	{`new Array(2**30)`, "Array: 1073741824 elements"},
	{`Array.from({length: 2**30})`, "Array: 1073741824 elements"},
	{`(() => { const a = []; a.length = 2**32 - 1; return a.fill(0) })()`, "Array.prototype.fill: 4294967295 elements"},
	{`(() => { const a = []; a.length = 2**32 - 1; return a.join('xx') })()`, "Array.prototype.join: 4294967295 elements"},
	{`(() => { const a = []; a.length = 2**32 - 1; return a.forEach(() => {}) })()`, "Array.prototype.forEach: 4294967295 elements"},
	{`(() => { const a = []; a.length = 2**23; return a.concat(a, a) })()`, "Array.prototype.concat: 25165824 elements"},
	{`(() => { let a = []; for (let i = 0; i < 2e4; i++) a = [a]; return a.flat(Infinity) })()`, "Array.prototype.flat: arrays nested deeper than 10000 levels"},
	{`(() => { let a = []; for (let i = 0; i < 2e3; i++) a = [a]; return String(a) })()`, "Array.prototype.join: arrays nested deeper than 1000 levels"},
	{`new Uint8Array(2**25).join()`, "TypedArray.prototype.join: 67108863 characters"},
	{`String(new Uint8Array(2**25))`, "TypedArray.prototype.join: 67108863 characters"},
	{`String.fromCharCode.apply(null, new Uint8Array(2**23))`, "Function.prototype.apply: 8388608 arguments"},
	{`Reflect.apply(String.fromCharCode, null, {length: 2**30})`, "Reflect.apply: 1073741824 arguments"},
	{`JSON.parse('['.repeat(6e6))`, "JSON.parse: arrays and objects nested deeper than 10000 levels"},
	{`(() => { let a = []; for (let i = 0; i < 2e4; i++) a = [a]; return JSON.stringify(a) })()`, "JSON.stringify: arrays and objects nested deeper than 10000 levels"},
	{`(() => { let a = [1]; for (let i = 0; i < 40; i++) a = [a, a]; return JSON.stringify(a) })()`, "JSON.stringify: 4194305 values to serialise"},
	{`(() => { let f = function () {}; for (let i = 0; i < 2e3; i++) f = f.bind(null); return f })()`, "Function.prototype.bind: bound functions nested deeper than 1000 levels"},
	{`(function f(n) { return f(n + 1) })(0)`, "call stack deeper than 5000 frames"},
	{`(function f(n) { return [1].map(() => f(n + 1)) })(0)`, "call stack deeper than 5000 frames"},
}

func TestGuardsRefuse(t *testing.T) {
	const timeout = 10 * time.Second // generous for -race on a loaded machine; unraced, most refusals take milliseconds (the shared-structure stringify walks its whole budget: seconds under -race)
	p := load(t, evalHandler, plugin.Limits{CallTimeout: timeout}, plugin.Grants{})
	for _, c := range refusedIdioms {
		start := time.Now()
		_, err := p.values(strconv.Quote(c.expr))
		took := time.Since(start)
		require.Error(t, err, c.expr)
		assert.Contains(t, err.Error(), c.want, c.expr)
		assert.NotErrorIs(t, err, plugin.ErrTimeout, c.expr)
		assert.Less(t, took, timeout+time.Second, c.expr)
		// The instance stays usable.
		assert.Equal(t, []string{"3"}, evalJS(t, p, `1 + 2`), c.expr)
	}
}

func TestGuardsMemoryLimitFromConfig(t *testing.T) {
	p := load(t, evalHandler, plugin.Limits{MemoryMB: 1}, plugin.Grants{})
	_, err := p.values(strconv.Quote(`new Uint8Array(2 << 20)`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Uint8Array: 2097152 elements (2097152 bytes) asked for, over this plugin's memory limit of 1 MiB")
	assert.Equal(t, []string{"1048576"}, evalJS(t, p, `new Uint8Array(1 << 20).length`))
	// Strings within the limit combined past it (small here: big strings
	// are slow to build under -race).
	for expr, want := range map[string]string{
		`(() => { const s = 'x'.repeat(2**16); return s.concat(...Array(10).fill(s)) })()`:  "String.prototype.concat: 720896 characters (1441792 bytes as UTF-16) asked for, over this plugin's memory limit of 1 MiB",
		`(() => { const s = 'x'.repeat(2**16); return Array(64).fill(s).join('') })()`:      "Array.prototype.join: 589824 characters",
		`(() => { const s = 'x'.repeat(2**16); return Array(64).fill([s, s]).join('') })()`: "Array.prototype.join: 524292 characters",
	} {
		_, err := p.values(strconv.Quote(expr))
		require.Error(t, err, expr)
		assert.Contains(t, err.Error(), want, expr)
	}
}

// TestGuardsKeepBehaviour: normal sizes work, and the wrapped built-ins
// look like the built-ins.
func TestGuardsKeepBehaviour(t *testing.T) {
	p := load(t, evalHandler, plugin.Limits{}, plugin.Grants{})
	for expr, want := range map[string]string{
		`'ab'.repeat(3)`: "ababab",
		`'5'.padStart(3, '0') + '5'.padEnd(3, '.')`:                                "0055..",
		`'a'.concat(1, null, [2])`:                                                 "a1null2",
		`[1, [2, [3, [4]]]].join('-')`:                                             "1-2,3,4",
		`String([1, [2, 3], null, undefined, 'x'])`:                                "1,2,3,,,x",
		`(() => { const a = [1]; a.push(a); return a.join() })()`:                  "1,",
		`Array.prototype.join.call({length: 2, 0: 'a', 1: 'b'}, '+')`:              "a+b",
		`[1, 2, 3].fill(0, 1).join()`:                                              "1,0,0",
		`[1, 2, 3].fill(9, -1).join()`:                                             "1,2,9",
		`Array(3).length + Array(1, 2).length`:                                     "5",
		`Array.from({length: 3}, (_, i) => i).join()`:                              "0,1,2",
		`[1, [2, [3, [4]]]].flat(Infinity).join()`:                                 "1,2,3,4",
		`[[1], [2]].flatMap(x => x).join()`:                                        "1,2",
		`[1].concat([2], 3).join()`:                                                "1,2,3",
		`String.fromCharCode.apply(null, [104, 105])`:                              "hi",
		`Math.max.apply(null, [1, 5, 2])`:                                          "5",
		`Reflect.construct(Date, [0]).getTime()`:                                   "0",
		`JSON.stringify(JSON.parse('{"a": [1, {"b": "]]]"}]}'))`:                   `{"a":[1,{"b":"]]]"}]}`,
		`JSON.stringify({a: 1, b: [1, 2]}, null, 1)`:                               "{\n \"a\": 1,\n \"b\": [\n  1,\n  2\n ]\n}",
		`JSON.parse('[1, 2]', (k, v) => typeof v === 'number' ? v * 2 : v).join()`: "2,4",
		`(() => { const f = function (a, b) { return this.x + a + b }.bind({x: 1}, 2); return f(3) + f.name })()`:                                                                          "6bound ",
		`new Uint8Array([1, 2, 3]).map(x => x * 2).join()`:                                                                                                                                 "2,4,6",
		`new Uint8Array(4) instanceof Uint8Array && new Uint8Array(4).constructor === Uint8Array`:                                                                                          "true",
		`(() => { class B extends Uint8Array { sum() { return this.reduce((a, b) => a + b) } }; const b = new B([1, 2]); return b instanceof B && b instanceof Uint8Array && b.sum() })()`: "3",
		`[] instanceof Array && [].constructor === Array && Array.isArray(new Array(2))`:                                                                                                   "true",
		`(() => { class A extends Array {}; const a = new A(); a.push(1, 2); return a.map(x => x) instanceof A })()`:                                                                       "true",
		`Uint8Array.name + Uint8Array.length + ArrayBuffer.name + Array.name + Array.length`:                                                                                               "Uint8Array3ArrayBufferArray1",
		`String.prototype.repeat.name + String.prototype.repeat.length + [].join.name + [].join.length + [].fill.length + JSON.stringify.length + Function.prototype.apply.length`:         "repeat1join1132",
		`Object.getOwnPropertyDescriptor(Array.prototype, 'join').enumerable`:                                                                                                              "false",
		`(() => { try { new ''.repeat(1) } catch (e) { return e instanceof TypeError } })()`:                                                                                               "true",
		`(() => { try { 'x'.repeat(-1) } catch (e) { return e instanceof RangeError } })()`:                                                                                                "true",
		`(() => { try { 'x'.repeat(2**31) } catch (e) { return e instanceof RangeError } })()`:                                                                                             "true",
		`new ArrayBuffer(16).byteLength + new DataView(new ArrayBuffer(8)).byteLength`:                                                                                                     "24",
		`new Float64Array(new ArrayBuffer(16)).length`:                                                                                                                                     "2",
		`'a-b'.split(/-/).join() + 'aab'.replace(/(a)\1/, 'x') + /(?=b)/.test('b')`:                                                                                                        "a,bxbtrue",
	} {
		assert.Equal(t, []string{want}, evalJS(t, p, expr), expr)
	}
}

// TestGuardsRegexpBacktracking: a catastrophic backtrack in a regex
// literal (compiled by goja with regexp2) stops after regexpMatchTimeout
// and fails the call, instead of answering "no match".
func TestGuardsRegexpBacktracking(t *testing.T) {
	p := load(t, evalHandler, plugin.Limits{CallTimeout: 3 * time.Second}, plugin.Grants{})
	for _, expr := range []string{
		`/^(a+)+\1$/.test('a'.repeat(40) + 'b')`,
		`('a'.repeat(40) + 'b').replace(/^(a+)+\1$/, 'x')`,
		`('a'.repeat(40) + 'b').match(new RegExp('^(a+)+\\1$'))`,
	} {
		start := time.Now()
		_, err := p.values(strconv.Quote(expr))
		took := time.Since(start)
		require.Error(t, err, expr)
		assert.Contains(t, err.Error(), "RangeError: RegExp.prototype", expr)
		assert.Contains(t, err.Error(), "ran for 1s", expr)
		assert.NotErrorIs(t, err, plugin.ErrTimeout, expr)
		assert.Less(t, took, 3*time.Second, expr)
		assert.Equal(t, []string{"true"}, evalJS(t, p, `/^(a+)+\1$/.test('aaaa')`))
	}
}

// FuzzAllocations combines allocating built-ins with large numbers. The
// property: the call fails cleanly or succeeds, within the deadline and a
// second, and the Go heap stays bounded.
func FuzzAllocations(f *testing.F) {
	for _, s := range []struct {
		op    uint8
		n     uint64
		chain uint8
	}{{0, 1 << 31, 0}, {1, 1 << 36, 1}, {2, 6e6, 0}, {3, 1 << 30, 2}, {4, 1 << 24, 3}, {5, 1 << 20, 4}} {
		f.Add(s.op, s.n, s.chain)
	}
	ops := []string{
		`'x'.repeat(N)`, `new ArrayBuffer(N)`, `JSON.parse('['.repeat(N))`, `new Uint8Array(N)`, `Array(N)`,
		`''.padStart(N)`, `new Float64Array({length: N})`, `Array.from({length: N})`, `[1].concat(Array(N))`,
		`String.fromCharCode.apply(null, new Uint8Array(N))`, `(() => { const a = []; a.length = N; return a })()`,
		`(() => { let a = []; for (let i = 0; i < Math.min(N, 3e4); i++) a = [a]; return a })()`,
	}
	chains := []string{``, `.fill(1)`, `.join('ab')`, `.toString()`, `.flat(Infinity)`, `.map(x => x)`}
	p := func(t *testing.T) *plug {
		return load(t, evalHandler, plugin.Limits{CallTimeout: time.Second}, plugin.Grants{})
	}
	var in *plug
	f.Fuzz(func(t *testing.T, op uint8, n uint64, chain uint8) {
		if in == nil || in.t != t {
			in = p(t)
		}
		n %= 1 << 40
		expr := strings.ReplaceAll(ops[int(op)%len(ops)], "N", strconv.FormatUint(n, 10)) + chains[int(chain)%len(chains)]
		start := time.Now()
		_, err := in.values(strconv.Quote(`(() => { try { const r = ` + expr + `; return typeof r } catch (e) { if (e instanceof RangeError || e instanceof TypeError) return 'refused'; throw e } })()`))
		// A size within the budget may still take longer than the
		// deadline: a timeout is a clean failure too, and breaks the
		// instance.
		require.Less(t, time.Since(start), 2500*time.Millisecond, expr) // 1s deadline + 1s, and slack for a loaded machine
		if errors.Is(err, plugin.ErrTimeout) {
			in = nil
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		require.Less(t, ms.HeapAlloc, uint64(1<<30), expr)
	})
}
