package worker_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/worker"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

// TestAddressSpace measures what an unlimited worker maps with a JS
// and a Wasm plugin compiled, instantiated and called: the base that
// DefaultBaseMemoryMB must cover.
func TestAddressSpace(t *testing.T) {
	for _, c := range []struct {
		rt  string
		src func(*testing.T, string, plugin.Limits, plugin.Grants) *plugin.Source
	}{{"js", jsFixture}, {"wasm", wasmFixture}} {
		t.Run(c.rt, func(t *testing.T) {
			cfg := workertest.Config(t, c.rt)
			cfg.NoMemoryLimit = true
			rt, err := worker.New(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { rt.Close(t.Context()) })
			m, err := rt.Compile(t.Context(), c.src(t, "echo", plugin.Limits{}, plugin.Grants{}))
			require.NoError(t, err)
			h := plugintest.New(t, plugin.Grants{})
			for i := range 4 {
				in, err := m.Instantiate(t.Context(), h)
				require.NoError(t, err)
				link := plugin.LinkID(i + 1)
				require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: link, Direction: proto.DirSendRecv}))
				_, err = in.Receive(t.Context(), link, []gene.Value{gene.Int(1)})
				require.NoError(t, err)
			}
			st, err := m.(*worker.Module).Status(t.Context())
			require.NoError(t, err)
			t.Logf("%s worker: VmSize at start %d MiB, VmPeak %d MiB, VmSize %d MiB, VmHWM %d MiB, VmRSS %d MiB",
				c.rt, st["VmStart"]>>10, st["VmPeak"]>>10, st["VmSize"]>>10, st["VmHWM"]>>10, st["VmRSS"]>>10)
			grown := (st["VmPeak"] - st["VmStart"]) >> 10
			require.Less(t, grown, uint64(worker.DefaultOverheadMB), "DefaultOverheadMB no longer covers what a worker maps beyond its start")
		})
	}
}
