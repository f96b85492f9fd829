package wasmrt_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/proto"
)

// requireValues requires got to hold exactly want, each gene.Equal and
// written the same (meta, frozen marks and map order included).
func requireValues(t *testing.T, want, got []gene.Value) {
	t.Helper()
	require.Len(t, got, len(want), "got %v", got)
	for i := range want {
		require.True(t, gene.Equal(want[i], got[i]), "value %d:\nwant %#v\n got %#v", i, want[i], got[i])
		require.Equal(t, gene.AppendBinary(nil, want[i]), gene.AppendBinary(nil, got[i]), "value %d", i)
	}
}

// Received values sent back out of order, twice, inside a new value, from
// an earlier batch and with TrySend all arrive as they were delivered: the
// guest SDK sends the bytes it received for some of them and the host
// passes its delivered value on for those, the rest are encoded and
// decoded.
func TestSendReceivedValues(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t)})
	m, err := rt.Compile(t.Context(), fixture(t, "shuffle", plugin.Limits{}, plugin.Grants{}))
	require.NoError(t, err)
	h := plugintest.New(t, plugin.Grants{})
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(t.Context()) })
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "t", Direction: proto.DirSendRecv}))

	first := gene.MustParse(`(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`)
	batch1 := []gene.Value{first, gene.Int(7), gene.MustParse(`#{^a [1 2] ^b "x"}`), gene.String("")}
	_, err = in.Receive(t.Context(), 1, batch1)
	require.NoError(t, err)
	want := []gene.Value{batch1[3], batch1[2], batch1[1], batch1[0], batch1[0], gene.List(batch1[0]), batch1[3]}
	requireValues(t, want, h.Sent(1))

	// A batch larger than the lookahead of either side, whose values are
	// all different; the previous batch's first value comes back too.
	var batch2 []gene.Value
	for i := range 150 {
		batch2 = append(batch2, gene.List(gene.Int(int64(i)), gene.String("v")))
	}
	_, err = in.Receive(t.Context(), 1, batch2)
	require.NoError(t, err)
	for i := len(batch2) - 1; i >= 0; i-- {
		want = append(want, batch2[i])
	}
	want = append(want, batch2[0], gene.List(batch2[0]), first, batch2[len(batch2)-1])
	requireValues(t, want, h.Sent(1))
}

// A received value that the runtime's ValueLimits refuse is refused when
// the guest sends it back, as any other value would be.
func TestSendReceivedValueOverLimits(t *testing.T) {
	rt := newRuntime(t, wasmrt.Config{CacheDir: sharedCacheDir(t), ValueLimits: gene.Limits{MaxDepth: 3}})
	m, err := rt.Compile(t.Context(), fixture(t, "echo", plugin.Limits{}, plugin.Grants{}))
	require.NoError(t, err)
	h := plugintest.New(t, plugin.Grants{})
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(t.Context()) })
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: "t", Direction: proto.DirSendRecv}))

	ok := gene.MustParse(`[[1]]`)
	_, err = in.Receive(t.Context(), 1, []gene.Value{ok})
	require.NoError(t, err)
	requireValues(t, []gene.Value{ok}, h.Sent(1))

	deep := gene.MustParse(`[[[[1]]]]`)
	_, err = in.Receive(t.Context(), 1, []gene.Value{deep})
	require.ErrorContains(t, err, abi.ImportSend+": link 1: gene: binary: offset 3: nesting depth 4 exceeds MaxDepth (3)")
	requireValues(t, []gene.Value{ok}, h.Sent(1))
}
