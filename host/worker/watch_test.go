package worker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
)

// TestKVWatchInWorker: a JavaScript watch in a worker process lives in the
// host; a change made by another writer of the store wakes the instance
// in the worker, which reads the change back through the host.
func TestKVWatchInWorker(t *testing.T) {
	rt := newRuntime(t, "js")
	m, err := rt.Compile(t.Context(), jsSource(t, "watcher", `let link;
module.exports = {
  open(l) { link = l; genehost.kv.watch('w/', (changes, lost) => { for (const c of changes) link.send([c.key, c.value ?? null, c.deleted ?? false, lost]); }); },
};`, plugin.Limits{}, plugin.Grants{KV: true}))
	require.NoError(t, err)
	h := plugintest.New(t, plugin.Grants{KV: true})
	in := instantiate(t, m, h)
	openLink(t, in, 1)
	s, err := h.Store()
	require.NoError(t, err)
	require.NoError(t, s.Put([]byte("w/a"), gene.AppendBinaryDoc(nil, gene.Int(7))))
	_, err = s.Delete([]byte("w/a"))
	require.NoError(t, err)
	deadline := time.After(20 * time.Second)
	for len(h.Sent(1)) < 2 {
		select {
		case id := <-h.Timers:
			in.Timer(t.Context(), id)
		case <-deadline:
			t.Fatalf("sent %v", h.Sent(1))
		}
	}
	require.Equal(t, `["w/a" 7 false false]`, gene.Format(h.Sent(1)[0]))
	require.Equal(t, `["w/a" nil true false]`, gene.Format(h.Sent(1)[1]))
}
