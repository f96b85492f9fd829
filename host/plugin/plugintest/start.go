package plugintest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/proto"
)

// Start compiles src on rt, instantiates it on h and opens link 1 on it
// (send+recv, interface src.Name), for tests of one plugin on one link.
// The module and the instance are closed when t ends.
func Start(t testing.TB, rt plugin.Runtime, src *plugin.Source, h plugin.Host) plugin.Instance {
	t.Helper()
	m, err := rt.Compile(t.Context(), src)
	require.NoError(t, err, "compile %s", src.Name)
	t.Cleanup(func() { m.Close(context.Background()) })
	in, err := m.Instantiate(t.Context(), h)
	require.NoError(t, err, "instantiate %s", src.Name)
	t.Cleanup(func() { in.Close(context.Background()) })
	require.NoError(t, in.Open(t.Context(), plugin.LinkInfo{ID: 1, Interface: src.Name, Direction: proto.DirSendRecv}), "open link 1")
	return in
}

// WaitSent waits until link got every value of want (Gene text), in any
// order among the rest: deliveries pushed from a backend's goroutines
// interleave with a callback's replies.
func (h *Host) WaitSent(t testing.TB, link plugin.LinkID, want ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		got := h.Sent(link)
		return !slices.ContainsFunc(want, func(w string) bool {
			return !slices.ContainsFunc(got, func(v gene.Value) bool { return gene.Format(v) == w })
		})
	}, waitLong, time.Millisecond, "link %d: want %v, got %v", link, want, h.Sent(link))
}
