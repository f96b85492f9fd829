package guest

import (
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
	data, _ := abi.AppendBatchEnds(nil, nil, vs)
	got, ends, err := abi.DecodeBatchEnds(nil, nil, data, len(vs), gene.BinaryOptions{})
	require.NoError(t, err)

	var r receivedBatch
	require.Nil(t, r.bytesOf(got[0]), "no batch")
	r.set(got, ends, data)
	for _, i := range []int{0, 1, 1, 3, 0, 2, receivedScanMax - 1, receivedScanMax, receivedScanMax + 1, 10} {
		require.Equal(t, gene.AppendBinary(nil, got[i]), r.bytesOf(got[i]), "value %d", i)
	}
	require.Equal(t, []byte{5}, r.bytesOf(gene.Int(5)), "an identical scalar")
	require.Nil(t, r.bytesOf(gene.List(gene.Int(0))), "an equal value that was not received")
	require.Nil(t, r.bytesOf(got[receivedScanMax+5]), "beyond the search, not next")
	require.Nil(t, r.bytesOf(vs[1]), "the value the batch was encoded from is not the received one")
	r.reset()
	require.Nil(t, r.bytesOf(got[0]), "after the callback")
}
