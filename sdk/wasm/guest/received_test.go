package guest

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

func TestReceivedBytes(t *testing.T) {
	var vs []gene.Value
	for i := range receivedScanMax + 10 {
		vs = append(vs, gene.List(gene.Int(int64(i))))
	}
	vs[10] = gene.Int(5) // a scalar: identical to any other Int(5)
	data := abi.AppendBatch(nil, vs)

	var r Received
	require.Nil(t, r.bytesOf(vs[0]), "no batch")
	require.NoError(t, r.split(data, len(vs)))
	require.Nil(t, r.bytesOf(vs[0]), "nothing decoded yet")
	got := make([]gene.Value, len(vs))
	for i := range vs {
		v, err := r.Value(i)
		require.NoError(t, err)
		require.True(t, gene.Equal(vs[i], v), "value %d", i)
		got[i] = v
	}
	for _, i := range []int{0, 1, 1, 3, 0, 2, receivedScanMax - 1, receivedScanMax, receivedScanMax + 1, 10} {
		require.Equal(t, gene.AppendBinary(nil, got[i]), r.bytesOf(got[i]), "value %d", i)
	}
	require.Equal(t, []byte{5}, r.bytesOf(gene.Int(5)), "an identical scalar")
	require.Nil(t, r.bytesOf(gene.List(gene.Int(0))), "an equal value that was not received")
	require.Nil(t, r.bytesOf(got[receivedScanMax+5]), "beyond the search, not next")
	require.Nil(t, r.bytesOf(vs[1]), "the value the batch was encoded from is not the received one")
	r.reset()
	require.Nil(t, r.bytesOf(got[0]), "after the callback")
	require.Zero(t, r.Len())
}

// TestReceivedSplit: a batch is split where each value ends, the bytes of
// each are its encoding, and a batch that is not count values is refused.
func TestReceivedSplit(t *testing.T) {
	vs := binarySamples(t)
	data := abi.AppendBatch(nil, vs)
	var r Received
	require.NoError(t, r.split(data, len(vs)))
	require.Equal(t, len(vs), r.Len())
	for i, v := range vs {
		require.Equal(t, gene.AppendBinary(nil, v), r.Bytes(i), "value %d: %v", i, v)
	}
	r.reset()
	require.ErrorIs(t, r.split(data, len(vs)+1), errNotEncoded, "one value too many")
	r.reset()
	require.ErrorIs(t, r.split(data, len(vs)-1), errNotEncoded, "bytes after the last value")
	r.reset()
	require.ErrorIs(t, r.split(data[:len(data)-1], len(vs)), errNotEncoded, "cut short")
	r.reset()
	require.ErrorIs(t, r.split([]byte{0xA0, 0x00}, 2), errNotEncoded, "a reserved tag")
	r.reset()

	// One value is the whole batch, unscanned; a bad one fails when it
	// is decoded.
	require.NoError(t, r.split([]byte{0xA0}, 1))
	require.Equal(t, []byte{0xA0}, r.Bytes(0))
	_, err := r.Value(0)
	require.Error(t, err)
	r.reset()
	require.NoError(t, r.split(data[:3], 1))
	_, err = r.Value(0)
	require.Error(t, err, "a prefix of the batch is not one value")
}

// binarySamples are values of every kind and shape of the binary
// encoding: the values of gene's test vectors and a few nested ones.
func binarySamples(t testing.TB) []gene.Value {
	var vs []gene.Value
	vectors, err := os.ReadFile("../../../gene/testdata/binary/vectors.txt")
	require.NoError(t, err)
	for line := range strings.Lines(string(vectors)) {
		name, rest, ok := strings.Cut(line, " | ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		_, hexs, _ := strings.Cut(rest, " | ")
		b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(hexs), " ", ""))
		require.NoError(t, err, line)
		v, _, err := gene.DecodeBinary(b, gene.BinaryOptions{})
		require.NoError(t, err, line)
		vs = append(vs, v)
	}
	require.Greater(t, len(vs), 40, "test vectors")
	for _, src := range []string{
		`[1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17]`, `#[1 [2]]`, `{^a 1 ^b [2 {^c 3}]}`,
		`(f ^a 1 2 3)`, `(msg ^id 1 "hello, world")`, `#(x 1)`, `[(a ^b [(c)] ^^m 1 2) 2026-11-24]`,
	} {
		vs = append(vs, gene.MustParse(src))
	}
	return vs
}

// FuzzSkip: skipValue finds the end of every value gene.DecodeBinary
// decodes, and on any input returns a position within it or -1 without
// panicking.
func FuzzSkip(f *testing.F) {
	for _, v := range binarySamples(f) {
		f.Add(gene.AppendBinary(nil, v))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		end := skipValue(data, 0, 1)
		if end < -1 || end > len(data) || end == 0 {
			t.Fatalf("skipValue returned %d for %d bytes", end, len(data))
		}
		if _, n, err := gene.DecodeBinary(data, gene.BinaryOptions{}); err == nil && n != end {
			t.Fatalf("DecodeBinary read %d bytes, skipValue %d", n, end)
		}
	})
}
