package natsstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/store/natsstore"
	"github.com/genehost/genehost/host/store/natsstore/natstest"
)

// TestStreamsSuite: two hosts' streams on one JetStream server, each its
// own connection; every subtest a plugin of its own.
func TestStreamsSuite(t *testing.T) {
	srv := natstest.Start(t)
	n := 0
	plugintest.RunStreamsSuite(t, func(t *testing.T) (plugin.StreamStore, plugin.StreamStore) {
		n++
		name := "p" + string(rune('a'+n))
		var sts [2]plugin.StreamStore
		for i := range sts {
			b, err := natsstore.Open(t.Context(), natsstore.Config{Servers: []string{srv.URL()}})
			require.NoError(t, err)
			s := natsstore.NewStreams(b)
			t.Cleanup(func() {
				s.Close()
				b.Close()
			})
			sts[i], err = s.Streams(name)
			require.NoError(t, err)
		}
		return sts[0], sts[1]
	})
}
