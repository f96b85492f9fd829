package gene

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryPlanExact checks that the counting pass sizes every slab of a
// small value exactly: after the decode, nothing is left over and nothing
// was refilled.
func TestBinaryPlanExact(t *testing.T) {
	values := binRoundTripValues()
	for name, v := range binVectorValues() {
		values["vector "+name] = v
	}
	values["request"] = binRequestMessage()
	values["order"] = MustParse(`(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2) (item ^sku "B-2002" ^qty 1)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`)
	values["temporals"] = MustParse(`[2026-11-24 09:30:15.25+01:00 2026-11-24T09:30:00+01:00[Europe/Paris] {^a 2026-01-01}]`)
	values["map"] = MustParse(`{{1 : [a "b"] "k" : (x ^y 1)}}`)
	planned := 0
	for name, v := range values {
		enc := AppendBinary(nil, v)
		d := newBinDecoder(enc, 0, Limits{})
		c := binCounter{data: d.data, pos: d.pos}
		counted := c.value(0)
		d.plan()
		got, err := d.value(0)
		require.NoError(t, err, name)
		binAssertIdentical(t, v, got)
		if !counted {
			continue
		}
		planned++
		assert.Equal(t, len(enc), c.pos, "%s: the count walks the whole value", name)
		assert.Empty(t, d.vslab.free, "%s: values left", name)
		assert.Empty(t, d.pslab.free, "%s: props left", name)
		assert.Empty(t, d.nslab.free, "%s: nodes left", name)
		assert.Empty(t, d.tslab.free, "%s: temporals left", name)
		assert.Equal(t, cap(d.arena), len(d.arena), "%s: arena bytes left", name)
		// Exactly sized means one slab of each kind at most: a refill
		// would have replaced the planned slab and left it unfilled.
		assert.Equal(t, c.need.b, len(d.arena), "%s: arena refilled", name)
	}
	assert.Greater(t, planned, len(values)/2, "most test values are small enough to plan")
}

// TestBinaryPlanGivesUp checks that the count stops at binMaxNeeds, so its
// work stays bounded, and that such a value still decodes.
func TestBinaryPlanGivesUp(t *testing.T) {
	for name, v := range map[string]Value{
		"long list": List(binSeqInts(binMaxNeeds.v + 1)...),
		"deep":      binDeepList(binCounterMaxDepth + 2),
		"strings":   List(String(string(make([]byte, 200))), List(binRepeat(String(string(make([]byte, 250))), binMaxNeeds.b/250)...)),
	} {
		enc := AppendBinary(nil, v)
		c := binCounter{data: enc}
		assert.False(t, c.value(0), name)
		got, n, err := DecodeBinary(enc, BinaryOptions{})
		require.NoError(t, err, name)
		assert.Equal(t, len(enc), n, name)
		binAssertIdentical(t, v, got)
	}
}

func binDeepList(depth int) Value {
	v := Int(1)
	for range depth {
		v = List(v)
	}
	return v
}

func binRepeat(v Value, n int) []Value {
	vs := make([]Value, n)
	for i := range vs {
		vs[i] = v
	}
	return vs
}
