package natsstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
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
		return openStreams(t, srv, name), openStreams(t, srv, name)
	})
}

// openStreams opens the streams of plugin name as a host would: a connection of its
// own to srv, closed at the end of the test.
func openStreams(t testing.TB, srv *natstest.Server, name string) plugin.StreamStore {
	t.Helper()
	b, err := natsstore.Open(context.Background(), natsstore.Config{Servers: []string{srv.URL()}})
	require.NoError(t, err)
	s := natsstore.NewStreams(b)
	t.Cleanup(func() {
		s.Close()
		b.Close()
	})
	st, err := s.Streams(name)
	require.NoError(t, err)
	return st
}

// TestStreamsAfterServerRestart: an attached link's open pull request
// dies with the server that held it; its member sees no heartbeat, makes
// a new request once reconnected, and gets what is published after.
func TestStreamsAfterServerRestart(t *testing.T) {
	srv := natstest.Start(t)
	st := openStreams(t, srv, "restart")
	x := plugintest.NewSink(1)
	plugintest.PublishN(t, st, "t", 1, 1)
	_, err := st.Attach(x, "t", "g", plugin.AttachOptions{})
	require.NoError(t, err)
	require.Equal(t, []string{plugintest.StreamMessage("t", "g", 1, 1)}, x.Wait(t, 1))
	require.NoError(t, st.Ack("t", "g", 1))

	srv.Restart(t)
	require.Eventually(t, func() bool { // once reconnected
		_, err := st.Publish([]plugin.StreamEntry{{Stream: "t", Value: gene.AppendBinary(nil, gene.MustParse("{^n 2}"))}})
		return err == nil
	}, 20*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool {
		return slices.Contains(x.Texts(t), plugintest.StreamMessage("t", "g", 2, 1))
	}, 20*time.Second, 10*time.Millisecond, "delivered after the restart: %v", x.Texts(t))
}
