package jsrt

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// describeJS is a handler that answers each value with how JavaScript sees
// it, so the mapping of sdk/js/README.md is checked from the handler's
// side and not only by round trips.
const describeJS = `
function kind(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v !== 'object') return typeof v + ' ' + String(v);
  const frozen = Object.isFrozen(v) ? 'frozen ' : '';
  if (v instanceof Float) return 'Float ' + v.toString();
  if (v instanceof Char) return 'Char ' + v.value + ' ' + v.codePoint;
  if (v instanceof Sym) return 'Sym ' + v.name;
  if (Array.isArray(v)) return frozen + 'Array [' + v.map(kind).join(', ') + ']';
  if (v instanceof Map) return 'Map {' + [...v].map(([k, x]) => kind(k) + ' => ' + kind(x)).join(', ') + '}';
  if (v instanceof Gene) {
    const head = v.head === gene.NO_HEAD ? 'NO_HEAD' : kind(v.head);
    return frozen + 'Gene ' + head + ' ' + kind(v.props) + ' meta ' + kind(v.meta) + ' ' + kind(v.body);
  }
  if (v instanceof Uint8Array) return 'Uint8Array ' + Array.from(v).join(',');
  if (v instanceof GeneRegex) return 'GeneRegex ' + v.pattern + ' ' + v.flags;
  if (v instanceof GeneDate) return 'GeneDate ' + [v.year, v.month, v.day].join(' ');
  if (v instanceof GeneTime) return 'GeneTime ' + [v.hour, v.minute, v.second, v.micro, v.offset, v.zone].join(' ');
  if (v instanceof GeneDateTime) return 'GeneDateTime ' + [v.year, v.month, v.day, v.hour, v.minute, v.second, v.micro, v.offset, v.zone].join(' ') + ' ' + v.toDate().toISOString();
  if (Object.getPrototypeOf(v) === Object.prototype) return frozen + 'Object {' + Object.entries(v).map(([k, x]) => k + ': ' + kind(x)).join(', ') + '}';
  return 'other';
}
module.exports = { value(link, v) { link.send(kind(v)); } };
`

func TestGeneAsJavaScript(t *testing.T) {
	p := load(t, describeJS, plugin.Limits{}, plugin.Grants{})
	for i, c := range []struct{ gene, js string }{
		{"nil", "null"},
		{"void", "undefined"},
		{"true", "boolean true"},
		{"42", "number 42"},
		{"-9007199254740991", "number -9007199254740991"},
		{"9007199254740992", "bigint 9007199254740992"},
		{"123456789012345678901234567890", "bigint 123456789012345678901234567890"},
		{"1.5", "number 1.5"},
		{"1.0", "Float 1.0"},
		{"-0.0", "Float -0.0"},
		{"0.0", "Float 0.0"},
		{"1e300", "number 1e+300"},
		{"inf", "number Infinity"},
		{`"é"`, "string é"},
		{"'é'", "Char é 233"},
		{"'😀'", "Char 😀 128512"},
		{"sym", "Sym sym"},
		{"[1 a]", "Array [number 1, Sym a]"},
		{"#[1]", "frozen Array [number 1]"},
		{"{^b 1 ^a 2}", "Object {b: number 1, a: number 2}"},
		{"#{^a 1}", "frozen Object {a: number 1}"},
		{`{{1 : "one" [x] : 2.0}}`, "Map {number 1 => string one, Array [Sym x] => Float 2.0}"},
		{"(f ^p 1 @m 2 x)", "Gene Sym f Object {p: number 1} meta Object {m: number 2} Array [Sym x]"},
		{"()", "Gene NO_HEAD Object {} meta Object {} Array []"},
		{"(nil)", "Gene null Object {} meta Object {} Array []"},
		{"#(f)", "frozen Gene Sym f frozen Object {} meta frozen Object {} frozen Array []"},
		{"#B16#00ff", "Uint8Array 0,255"},
		{`#"a\d"i`, `GeneRegex a\d i`},
		{"2026-11-24", "GeneDate 2026 11 24"},
		{"09:30:15.25+01:00", "GeneTime 9 30 15 250000 60 "},
		{"2026-11-24T09:30:00.5+01:00[Europe/Paris]", "GeneDateTime 2026 11 24 9 30 0 500000 60 Europe/Paris 2026-11-24T08:30:00.500Z"},
	} {
		t.Run(c.gene, func(t *testing.T) {
			link := plugin.LinkID(100 + i)
			_, err := p.in.Receive(t.Context(), link, []gene.Value{gene.MustParse(c.gene)})
			require.NoError(t, err)
			sent := p.host.Sent(link)
			require.Len(t, sent, 1)
			assert.Equal(t, c.js, sent[0].Str())
		})
	}
}

func TestJavaScriptAsGene(t *testing.T) {
	p := load(t, `module.exports = { control: { make: (expr) => (0, eval)(expr) } };`, plugin.Limits{}, plugin.Grants{Clock: true})
	for _, c := range []struct{ js, gene string }{
		{"null", "nil"},
		{"undefined", "void"},
		{"1", "1"},
		{"1.0", "1"},
		{"-0", "0"},
		{"0 * -1", "0"},
		{"2 ** 53", "9007199254740992.0"},
		{"0.5", "0.5"},
		{"NaN === NaN", "false"},
		{"-Infinity", "-inf"},
		{"10n", "10"},
		{"2n ** 70n", "1180591620717411303424"},
		{"gene.float(3)", "3.0"},
		{"new Float(-0)", "-0.0"},
		{"gene.char('x')", "'x'"},
		{"gene.sym('a b')", "a b"},
		{"[1, [2], {}]", "[1 [2] {}]"},
		{"Object.freeze([1])", "#[1]"},
		{"({b: 1, a: [null, undefined]})", "{^b 1 ^a [nil void]}"},
		{"Object.freeze({a: 1})", "#{^a 1}"},
		{"Object.assign(Object.create(null), {k: 'v'})", `{^k "v"}`},
		{"new Map([[1, 'a'], [gene.sym('s'), 2]])", `{{1 : "a" s : 2}}`},
		{"new Gene()", "()"},
		{"new Gene(gene.sym('f'), {p: 1}, [2], {m: 3})", "(f @m 3 ^p 1 2)"},
		{"gene.node('tick', 7)", "(tick 7)"},
		{"gene.node(null)", "(nil)"},
		{"Object.freeze(gene.node('f'))", "#(f)"},
		{"new Uint8Array([72, 105])", "#B16#4869"},
		{"gene.regex('[a-z]+', 'i')", `#"[a-z]+"i`},
		{"/ab+c/im", `#"ab+c"im`},
		{"new GeneDate(2026, 11, 24)", "2026-11-24"},
		{"new GeneTime(9, 30, 0, 0, 0, null)", "09:30:00Z"},
		{"new GeneDateTime(2026, 1, 2, 3, 4, 5, 6, -60, 'America/Nuuk')", "2026-01-02T03:04:05.000006-01:00[America/Nuuk]"},
		{"new Date(Date.UTC(2026, 10, 24, 9, 30, 0, 250))", "2026-11-24T09:30:00.25Z"},
		{"GeneDateTime.fromDate(new Date(0))", "1970-01-01T00:00:00Z"},
	} {
		t.Run(c.js, func(t *testing.T) {
			v, err := p.in.Control(t.Context(), 0, "make", gene.String(c.js))
			require.NoError(t, err)
			want := gene.Symbol(c.gene) // a symbol the text cannot write
			if c.gene != "a b" {
				want = gene.MustParse(c.gene)
			}
			assert.True(t, gene.Equal(want, v), "got %s, want %s", gene.Format(v), c.gene)
		})
	}
}

func TestJavaScriptWithoutGeneForm(t *testing.T) {
	p := load(t, `module.exports = { control: { send(expr, link) {
  try { link.send((0, eval)('(' + expr + ')')); return 'sent'; } catch (e) { return e.name + ': ' + e.message; }
} } };`, plugin.Limits{}, plugin.Grants{})
	for _, c := range []struct{ js, want string }{
		{"() => 1", "TypeError: link.send: a function has no Gene form"},
		{"Symbol('x')", "TypeError: link.send: a JavaScript symbol has no Gene form (use gene.sym(name) for a Gene symbol)"},
		{"(() => { const a = [1]; a.push({x: a}); return a; })()", "TypeError: link.send: at [1].x: the value contains itself (a cycle)"},
		{"{a: {b: [1, Promise.resolve(1)]}}", "TypeError: link.send: at .a.b[1]: a Promise has no Gene form (missing await?)"},
		{"new Set([1])", "TypeError: link.send: an object of class Set has no Gene form"},
		{"new (class Point {})()", "TypeError: link.send: an object of class Point has no Gene form"},
		{"new Map([[1, 1], [1.0, 2]])", "sent"},
		{"new Map([[gene.sym('k'), 1], [gene.sym('k'), 2]])", "TypeError: link.send: at {key 1}: two keys are the same Gene value (k)"},
		{"{m: new Map(Array.from({length: 40}, (_, i) => [[i % 30, {a: 1}], i]))}", "TypeError: link.send: at .m{key 30}: two keys are the same Gene value ([0 {^a 1}])"},
		{"new Map(Array.from({length: 4096}, (_, i) => [[i], i]))", "sent"},
		{"new Map(Array.from({length: 4100}, (_, i) => [[i], i]))",
			"TypeError: link.send: at {key 4096}: a Map with more than 4096 keys that are arrays, objects, Maps or Genes is over the limit of 4096 (MaxCompositeKeys)"},
		{"new Map(Array.from({length: 5000}, (_, i) => [i, [i]]))", "sent"},
		{"/x/g", `TypeError: link.send: a RegExp with flags "g" has no Gene form (Gene regex flags are i, m, s, x); use new GeneRegex(pattern, flags)`},
		{"new Date(NaN)", "TypeError: link.send: an invalid Date has no Gene form"},
		{"new GeneDate(2026, 13, 1)", "TypeError: link.send: GeneDate.month must be an integer from 1 to 12, got 13"},
		{"Object.assign(new Char('a'), {value: 'ab'})", `TypeError: link.send: Char.value must be exactly one character, got "ab"`},
		{"new Gene(1, [])", "TypeError: link.send: Gene.props must be a plain object, got an object of class Array"},
		{"new Gene(1, {}, {})", "TypeError: link.send: Gene.body must be an array, got an object of class Object"},
		{"new Gene(1, {}, [() => 1])", "TypeError: link.send: at .body[0]: a function has no Gene form"},
	} {
		t.Run(c.js, func(t *testing.T) {
			v, err := p.in.Control(t.Context(), 1, "send", gene.String(c.js))
			require.NoError(t, err)
			assert.Equal(t, c.want, v.Str())
		})
	}

	t.Run("too deep", func(t *testing.T) {
		v, err := p.in.Control(t.Context(), 1, "send", gene.String("(() => { let a = []; for (let i = 0; i < 300; i++) a = [a]; return a; })()"))
		require.NoError(t, err)
		assert.Contains(t, v.Str(), fmt.Sprintf("nested deeper than %d", gene.DefaultMaxDepth))
	})
}
