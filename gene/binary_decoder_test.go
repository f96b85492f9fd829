package gene

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinaryDecoderStream decodes every round-trip value, three times
// over, with one BinaryDecoder: each decodes as DecodeBinary decodes it,
// and no value's storage is overwritten by the values decoded after it
// (they share blocks).
func TestBinaryDecoderStream(t *testing.T) {
	vals := binRoundTripValues()
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	sort.Strings(names)
	var dec BinaryDecoder
	type decoded struct {
		name string
		enc  []byte
		v    Value
	}
	var all []decoded
	for range 3 {
		for _, name := range names {
			enc := AppendBinary(nil, vals[name])
			got, n, err := dec.Decode(enc)
			require.NoError(t, err, name)
			require.Equal(t, len(enc), n, name)
			binAssertIdentical(t, vals[name], got)
			all = append(all, decoded{name, enc, got})
		}
	}
	for _, d := range all {
		assert.Equal(t, d.enc, AppendBinary(nil, d.v), "%s changed after later decodes", d.name)
	}
	// An error leaves the decoder usable.
	_, _, err := dec.Decode([]byte{binTagList, 0x05})
	require.ErrorIs(t, err, ErrBinary)
	got, _, err := dec.Decode(AppendBinary(nil, binRequestMessage()))
	require.NoError(t, err)
	binAssertIdentical(t, binRequestMessage(), got)
}

// TestBinaryDecoderAllocs: a run of small messages costs far fewer
// allocations with a BinaryDecoder than with DecodeBinary.
func TestBinaryDecoderAllocs(t *testing.T) {
	enc := AppendBinary(nil, binRequestMessage())
	alone := testing.AllocsPerRun(20, func() {
		if _, _, err := DecodeBinary(enc, BinaryOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	var dec BinaryDecoder
	shared := testing.AllocsPerRun(20, func() {
		for range binBatch {
			if _, _, err := dec.Decode(enc); err != nil {
				t.Fatal(err)
			}
		}
	}) / binBatch
	assert.Less(t, shared, alone/2, "allocations per message: %v alone, %v with a BinaryDecoder", alone, shared)
}
