package jsrt

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/genehost/genehost/host/plugin"
)

// TestKVCasIncr covers what the plugintest suite cannot say in Gene
// text: the JavaScript forms of the arguments and results of kv.cas and
// kv.incr, and the errors they throw.
func TestKVCasIncr(t *testing.T) {
	p := load(t, `const kv = genehost.kv;
const caught = (f) => { try { return f(); } catch (e) { return [e.name, e.code ?? null, e.message]; } };
module.exports = { control: {
  incr: ([key, by]) => caught(() => by === undefined ? kv.incr(key) : kv.incr(key, by)),
  incrBig: () => { kv.put('big', 2n ** 62n); return [kv.incr('big', 2n ** 61n), typeof kv.incr('big', 0), typeof kv.incr('small', 2 ** 53 - 1), typeof kv.incr('small')]; },
  incrBadBy: (by) => caught(() => kv.incr('c', by)),
  incrMax: () => { kv.put('max', 2n ** 63n - 1n); return caught(() => kv.incr('max')); },
  incrBytes: () => [kv.incr(new Uint8Array([0, 1]), 3), kv.get(new Uint8Array([0, 1]))],
  cas: ([key, expected, next]) => kv.cas(key, expected, next),
  casAbsent: (key) => [kv.cas(key, undefined, 1), kv.cas(key, undefined, 2), kv.cas(key, 1, undefined), kv.get(key)],
  casOrder: () => { kv.put('o', {a: 1, b: 2}); return [kv.cas('o', {b: 2, a: 1}, 0), kv.cas('o', {a: 1, b: 2}, 0), kv.get('o')]; },
  casFloat: () => { kv.put('f', 1); return [kv.cas('f', gene.float(1), 2), kv.cas('f', 1, gene.float(2)), kv.get('f')]; },
  casFromGet: () => { kv.put('g', gene.node('doc', new Date(0), new Map([[1, 'x']]))); return kv.cas('g', kv.get('g'), 'next'); },
  casBad: () => caught(() => kv.cas('k', () => 1, 1)),
  get: (key) => kv.get(key),
  error: ([code, message, id]) => genehost.error(code, message, id),
  errorNoId: () => genehost.error('bad-request', 'no ^key'),
  errorBad: () => caught(() => genehost.error(404, 'x')),
} };`, plugin.Limits{}, plugin.Grants{KV: true})
	call := p.control

	t.Run("incr", func(t *testing.T) {
		assert.Equal(t, `1`, call("incr", `["c"]`), "absent counts as 0, by defaults to 1")
		assert.Equal(t, `11`, call("incr", `["c" 10]`))
		assert.Equal(t, `-9`, call("incr", `["c" -20]`))
		assert.Equal(t, `-9`, call("get", `"c"`))
		assert.Equal(t, `[3 3]`, call("incrBytes", "nil"), "Uint8Array keys")
		assert.Equal(t, `[6917529027641081856 "bigint" "number" "bigint"]`, call("incrBig", "nil"),
			"beyond 2^53-1 the result is a bigint, as kv.get would read it; a bigint by is accepted")
	})
	t.Run("incr errors", func(t *testing.T) {
		call("cas", `["s" void "text"]`)
		assert.Equal(t, `["HostError" "not-integer" "genehost.kv.incr: plugin: the stored value is not an integer: key \"s\" holds a string"]`,
			call("incr", `["s"]`))
		assert.Equal(t, `"text"`, call("get", `"s"`), "left as it was")
		assert.Equal(t, `["HostError" "not-integer" "genehost.kv.incr: plugin: the stored value is not an integer: 9223372036854775807 + 1 overflows a 64-bit integer (key \"max\")"]`,
			call("incrMax", "nil"))
		assert.Equal(t, `9223372036854775807`, call("get", `"max"`))
		for arg, msg := range map[string]string{
			`1.5`:                         "a number 1.5",
			`9007199254740992.0`:          "a number 9007199254740992", // 2^53: a float, not a safe integer
			`"1"`:                         "a string",
			`123456789012345678901234567`: "a bigint 123456789012345678901234567",
			`nil`:                         "null\"",
		} {
			got := call("incrBadBy", arg)
			assert.Contains(t, got, `["TypeError" nil "genehost.kv.incr: by must be an integer within the 64-bit range, got `+msg, "by %s", arg)
		}
	})
	t.Run("cas", func(t *testing.T) {
		assert.Equal(t, `[true false true void]`, call("casAbsent", `"a"`), "undefined expected: absent; undefined next: delete")
		assert.Equal(t, `[false true 0]`, call("casOrder", "nil"), "prop order is part of the encoding")
		assert.Equal(t, `[false true 2.0]`, call("casFloat", "nil"), "1 and 1.0 are different values")
		assert.Equal(t, `true`, call("casFromGet", "nil"), "what kv.get returned matches what is stored")
		assert.Equal(t, `"next"`, call("get", `"g"`))
		assert.Contains(t, call("casBad", "nil"), `["TypeError" nil "genehost.kv.cas expected: `)
	})
	t.Run("error", func(t *testing.T) {
		assert.Equal(t, `(error ^code "bad-request" ^message "no ^key" ^id 7)`, call("error", `["bad-request" "no ^key" 7]`))
		assert.Equal(t, `(error ^code "bad-request" ^message "no ^key" ^id nil)`, call("error", `["bad-request" "no ^key" nil]`), "null is an id")
		assert.Equal(t, `(error ^code "bad-request" ^message "no ^key")`, call("errorNoId", "nil"), "undefined is none")
		assert.Equal(t, `["TypeError" nil "genehost.error: code must be a string, got number"]`, call("errorBad", "nil"))
	})
}
