package store_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugin/plugintest"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/proto"
)

func openStreams(t *testing.T, path string) (*store.DB, *store.Streams, plugin.StreamStore) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	b := store.NewStreams(db)
	st, err := b.Streams("p")
	require.NoError(t, err)
	return db, b, st
}

// TestStreamsSuite: the embedded streams, seen twice as two hosts would
// (one process holds the database, so both are the same streams).
func TestStreamsSuite(t *testing.T) {
	plugintest.RunStreamsSuite(t, func(t *testing.T) (plugin.StreamStore, plugin.StreamStore) {
		db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
		t.Cleanup(func() {
			b.Close()
			db.Close()
		})
		return st, st
	})
}

// publishAndAttach publishes messages 1 to n to stream "t" and returns a
// sink attached to its group "g" once it got them.
func publishAndAttach(t *testing.T, st plugin.StreamStore, n int) *plugintest.Sink {
	t.Helper()
	plugintest.PublishN(t, st, "t", 1, n)
	a := plugintest.NewSink(1)
	_, err := st.Attach(a, "t", "g", plugin.AttachOptions{})
	require.NoError(t, err)
	a.Wait(t, n)
	return a
}

func TestStreamsDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, b, st := openStreams(t, path)
	a := publishAndAttach(t, st, 4)
	require.NoError(t, st.Ack("t", "g", 1))
	require.NoError(t, st.Ack("t", "g", 2))
	require.NoError(t, st.Ack("t", "g", 4)) // out of order: only memory knows
	a.Close()
	require.NoError(t, b.Close()) // writes the positions
	require.NoError(t, db.Close())

	db, b, st = openStreams(t, path)
	defer db.Close()
	defer b.Close()
	plugintest.PublishN(t, st, "t", 5, 5) // numbering goes on
	c := plugintest.NewSink(2)
	acked, err := st.Attach(c, "t", "g", plugin.AttachOptions{})
	require.NoError(t, err)
	require.Equal(t, uint64(2), acked)
	msg := plugintest.StreamMessage
	require.Equal(t, []string{msg("t", "g", 3, 1), msg("t", "g", 4, 1), msg("t", "g", 5, 1)}, c.Wait(t, 3))
}

// TestStreamsPositionsRideWithPublish: a position that moved is written
// by the next publish's commit, not only by a commit of its own
// positionDelay later.
func TestStreamsPositionsRideWithPublish(t *testing.T) {
	db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	defer b.Close()
	publishAndAttach(t, st, 2)
	require.NoError(t, st.Ack("t", "g", 1))
	plugintest.PublishN(t, st, "t", 3, 3)
	pos, err := db.Namespace("streams/p").Get([]byte("pt\x00g"))
	require.NoError(t, err, "the group's position is in the database once the publish returns")
	require.Equal(t, []byte{0, 0, 0, 0, 0, 0, 0, 1}, pos)
}

func TestStreamsSlowMemberHoldsOnlyItself(t *testing.T) {
	db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	defer b.Close()
	slow, fast := plugintest.NewSink(1), plugintest.NewSink(2)
	slow.Grant(1)
	for i, s := range []*plugintest.Sink{slow, fast} {
		_, err := st.Attach(s, "t", fmt.Sprint("g", i), plugin.AttachOptions{Prefetch: 100})
		require.NoError(t, err)
	}
	plugintest.PublishN(t, st, "t", 1, 50)
	require.Len(t, fast.Wait(t, 50), 50)
	require.Len(t, slow.Texts(t), 1)
	slow.Grant(-1)
	require.Len(t, slow.Wait(t, 50), 50)
}

func TestTopicsSameBytesToEverySubscriber(t *testing.T) {
	db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	defer b.Close()
	subs := []*plugintest.Sink{plugintest.NewSink(1), plugintest.NewSink(2), plugintest.NewSink(3)}
	for _, s := range subs {
		require.NoError(t, st.Subscribe(s, "news"))
	}
	subs[2].Grant(0) // no credit: queued for its pump
	for i := range 3 {
		n, err := st.PublishTopic("news", gene.AppendBinary(nil, gene.Int(int64(i))))
		require.NoError(t, err)
		require.Equal(t, 3, n)
	}
	want := []string{`(message ^topic "news" ^value 0)`, `(message ^topic "news" ^value 1)`, `(message ^topic "news" ^value 2)`}
	require.Equal(t, want, subs[0].Wait(t, 3))
	require.Equal(t, want, subs[1].Wait(t, 3))
	require.Same(t, &subs[0].Raw(0)[0], &subs[1].Raw(0)[0], "one encoding shared by every subscriber")
	subs[2].Grant(-1)
	require.Equal(t, want, subs[2].Wait(t, 3), "a subscriber without credit gets them in order later")
}

// TestDeliveryEncoded: the spliced binary encoding is exactly what
// encoding the message value would give, and text links get its text.
func TestDeliveryEncoded(t *testing.T) {
	val := gene.MustParse(`(order ^id 4711 ^items [1 2] ^at 2026-11-24T09:30:15Z)`)
	for _, d := range []*plugin.Delivery{
		{Topic: "orders", Group: "billing", Seq: 300, Attempt: 2, Value: gene.AppendBinary(nil, val)},
		{Topic: "news", Value: gene.AppendBinary(nil, val)},
	} {
		v, err := d.Message()
		require.NoError(t, err)
		b, err := d.Encoded(proto.EncodingBinary)
		require.NoError(t, err)
		require.Equal(t, gene.AppendBinary(nil, v), b)
		txt, err := d.Encoded(proto.EncodingText)
		require.NoError(t, err)
		want, err := proto.AppendValue(nil, proto.EncodingText, v)
		require.NoError(t, err)
		require.Equal(t, string(want), string(txt))
	}
}
