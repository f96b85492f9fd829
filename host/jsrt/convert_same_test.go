package jsrt

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
)

// TestSentBackUnchanged checks the shortcut of convert_same.go: a received
// value sent back untouched goes out as the very value received (no
// conversion), and one the handler changed in any way goes out changed.
func TestSentBackUnchanged(t *testing.T) {
	const order = `(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2) (item ^sku "B-2002" ^qty 1)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`
	for _, c := range []struct {
		name, in, change, out string
		same                  bool // sent as the received value itself
	}{
		{"node", order, ``, order, true},
		{"props", `{^a 1 ^b [x "y" 2.5] ^c nil ^d true}`, ``, `{^a 1 ^b [x "y" 2.5] ^c nil ^d true}`, true},
		{"list", `[1 -2 (a) #{^k s} 2026-11-24 12:30:00+01:00 void]`, ``, `[1 -2 (a) #{^k s} 2026-11-24 12:30:00+01:00 void]`, true},
		{"char", `['c']`, ``, `['c']`, false}, // left to the ordinary path
		{"meta", `(x @trace 1 2)`, ``, `(x @trace 1 2)`, true},
		{"frozen", `#(x ^a #[1 2])`, ``, `#(x ^a #[1 2])`, true},
		{"no head", `(() 1)`, ``, `(() 1)`, true},
		{"float that looks int", `[1.0]`, ``, `[1.0]`, false}, // left to the ordinary path
		{"deep prop", order, `v.props.items[1].props.qty = 3`, `(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2) (item ^sku "B-2002" ^qty 3)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`, false},
		{"prop added", `{^a 1}`, `v.b = 2`, `{^a 1 ^b 2}`, false},
		{"prop deleted", `{^a 1 ^b 2}`, `delete v.a`, `{^b 2}`, false},
		{"props reordered", `{^a 1 ^b 2}`, `const a = v.a; delete v.a; v.a = a`, `{^b 2 ^a 1}`, false},
		{"int to float", `[1]`, `v[0] = 1.5`, `[1.5]`, false},
		{"string to symbol", `["s"]`, `v[0] = gene.sym('s')`, `[s]`, false},
		{"symbol renamed", `[s]`, `v[0].name = 't'`, `[t]`, false},
		{"list grown", `[1]`, `v.push(2)`, `[1 2]`, false},
		{"list shrunk", `[1 2]`, `v.length = 1`, `[1]`, false},
		{"frozen by the handler", `[1]`, `Object.freeze(v)`, `#[1]`, false},
		{"head changed", `(x 1)`, `v.head = gene.sym('y')`, `(y 1)`, false},
		{"head to nil", `(x 1)`, `v.head = null`, `(nil 1)`, false},
		{"body changed", `(x 1)`, `v.body.push(2)`, `(x 1 2)`, false},
		{"meta changed", `(x @trace 1)`, `v.meta.trace = 2`, `(x @trace 2)`, false},
		{"date changed", `[2026-11-24T09:30:15Z]`, `v[0].second = 16`, `[2026-11-24T09:30:16Z]`, false},
		{"offset dropped", `[2026-11-24T09:30:15Z]`, `v[0].offset = null`, `[2026-11-24T09:30:15]`, false},
		{"node made props", `(x)`, `Object.setPrototypeOf(v, Object.prototype); for (const k of Object.keys(v)) delete v[k]`, `{}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := load(t, `module.exports = { values(link, [v]) { `+c.change+`; link.send(v); } };`, plugin.Limits{}, plugin.Grants{})
			in := gene.MustParse(c.in)
			_, err := p.in.Receive(t.Context(), 1, []gene.Value{in})
			require.NoError(t, err)
			sent := p.host.Sent(1)
			require.Len(t, sent, 1)
			require.Equal(t, gene.Format(gene.MustParse(c.out)), gene.Format(sent[0]))
			require.Equal(t, c.same, sameData(in, sent[0]), "sent as the received value itself")
		})
	}
}

// TestChangedAfterTheCallback checks that the shortcut holds only within
// the callback that received the value: kept and changed, it is converted.
func TestChangedAfterTheCallback(t *testing.T) {
	p := load(t, `let kept;
module.exports = { values(link, [v]) { if (kept) { kept.a = 2; link.send(kept); } else kept = v; } };`, plugin.Limits{}, plugin.Grants{})
	_, err := p.values(`{^a 1} {^b 1}`)
	require.NoError(t, err)
	_, err = p.values(`x`)
	require.NoError(t, err)
	require.Equal(t, "{^a 2}\n", p.sent())
}

// sameData reports whether a and b share their contents (one is the
// other, not an equal copy).
func sameData(a, b gene.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case gene.KindList:
		return unsafe.SliceData(a.List()) == unsafe.SliceData(b.List())
	case gene.KindProps:
		return unsafe.SliceData(a.Props()) == unsafe.SliceData(b.Props())
	case gene.KindNode:
		return a.Node() == b.Node()
	}
	return false
}
