package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/store"
	"github.com/genehost/genehost/proto"
)

// sink records what the backend sends a link, as the encoded bytes a
// binary transport would carry; credit, when limited, is what TrySend
// and Send may take.
type sink struct {
	id   plugin.LinkID
	done chan struct{}

	mu     sync.Mutex
	got    [][]byte
	credit int // -1: unlimited
	more   chan struct{}
}

func newSink(id plugin.LinkID) *sink {
	return &sink{id: id, done: make(chan struct{}), credit: -1, more: make(chan struct{}, 1)}
}

func (s *sink) ID() plugin.LinkID     { return s.id }
func (s *sink) Done() <-chan struct{} { return s.done }

func (s *sink) TrySend(d *plugin.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.credit == 0 {
		return plugin.ErrNoCredit
	}
	if s.credit > 0 {
		s.credit--
	}
	p, err := d.Encoded(proto.EncodingBinary)
	s.got = append(s.got, p)
	return err
}

func (s *sink) Send(ctx context.Context, d *plugin.Delivery) error {
	for {
		if err := s.TrySend(d); err == nil {
			return nil
		}
		select {
		case <-s.more:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return plugin.ErrLinkClosed
		}
	}
}

func (s *sink) grant(n int) {
	s.mu.Lock()
	s.credit = n
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
}

// texts returns what s got as Gene text, decoded from the bytes sent.
func (s *sink) texts(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.got))
	for i, p := range s.got {
		v, n, err := gene.DecodeBinary(p, gene.BinaryOptions{})
		require.NoError(t, err)
		require.Equal(t, len(p), n)
		out[i] = gene.Format(v)
	}
	return out
}

// wait waits until s got n values and returns them as text.
func (s *sink) wait(t *testing.T, n int) []string {
	t.Helper()
	require.Eventually(t, func() bool { return len(s.texts(t)) >= n }, 10*time.Second, time.Millisecond,
		"link %d: want %d values", s.id, n)
	return s.texts(t)
}

func msg(stream, group string, seq, attempt int) string {
	return fmt.Sprintf(`(message ^topic %q ^group %q ^seq %d ^value {^n %d} ^attempt %d)`, stream, group, seq, seq, attempt)
}

func openStreams(t *testing.T, path string) (*store.DB, *store.Streams, plugin.StreamStore) {
	t.Helper()
	db, err := store.Open(path, store.Options{})
	require.NoError(t, err)
	b := store.NewStreams(db)
	st, err := b.Streams("p")
	require.NoError(t, err)
	return db, b, st
}

func publish(t *testing.T, st plugin.StreamStore, stream string, from, to int) {
	t.Helper()
	var es []plugin.StreamEntry
	for i := from; i <= to; i++ {
		es = append(es, plugin.StreamEntry{Stream: stream, Value: gene.AppendBinary(nil, gene.MustParse(fmt.Sprintf("{^n %d}", i)))})
	}
	seqs, err := st.Publish(es)
	require.NoError(t, err)
	require.Equal(t, uint64(from), seqs[0])
}

func TestStreamsDeliverAckRedeliver(t *testing.T) {
	db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	defer b.Close()
	publish(t, st, "t", 1, 3)
	a := newSink(1)
	acked, err := st.Attach(a, "t", "g", plugin.AttachOptions{Prefetch: 2, AckTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, uint64(0), acked)
	require.Equal(t, []string{msg("t", "g", 1, 1), msg("t", "g", 2, 1)}, a.wait(t, 2), "at most prefetch unacknowledged")

	require.NoError(t, st.Ack("t", "g", 1))
	require.Equal(t, msg("t", "g", 3, 1), a.wait(t, 3)[2])
	require.ErrorIs(t, st.Ack("t", "g", 9), plugin.ErrNotDelivered)
	// 2 and 3 are not acknowledged: they come again after the deadline.
	got := a.wait(t, 5)
	require.Equal(t, []string{msg("t", "g", 2, 2), msg("t", "g", 3, 2)}, got[3:5])
	require.NoError(t, st.Ack("t", "g", 3))
	require.NoError(t, st.Ack("t", "g", 2))

	info, err := st.Info()
	require.NoError(t, err)
	require.Equal(t, []plugin.StreamInfo{{Stream: "t", Head: 3, Groups: []plugin.GroupInfo{{Group: "g", Acked: 3, Consumers: 1}}}}, info)
}

func TestStreamsGroupsShareAndLeave(t *testing.T) {
	db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	defer b.Close()
	x, y, all := newSink(1), newSink(2), newSink(3)
	for _, s := range []*sink{x, y} {
		_, err := st.Attach(s, "t", "shared", plugin.AttachOptions{Prefetch: 1})
		require.NoError(t, err)
	}
	_, err := st.Attach(all, "t", "all", plugin.AttachOptions{})
	require.NoError(t, err)
	publish(t, st, "t", 1, 2)
	require.Len(t, all.wait(t, 2), 2, "another group gets every message")
	gx, gy := x.wait(t, 1), y.wait(t, 1)
	require.ElementsMatch(t, []string{msg("t", "shared", 1, 1), msg("t", "shared", 2, 1)}, append(gx, gy...), "members of one group share its messages")

	// x leaves without acknowledging: its message goes to y once y has room.
	ok, err := st.Detach(1, "t", "shared")
	require.NoError(t, err)
	require.True(t, ok)
	var ys []string
	require.NoError(t, st.Ack("t", "shared", seqOf(t, gy[0])))
	ys = y.wait(t, 2)
	require.Equal(t, gx[0][:len(gx[0])-2]+"2)", ys[1], "delivered again, attempt 2")
}

func seqOf(t *testing.T, text string) uint64 {
	v := gene.MustParse(text)
	s, _ := v.Get("seq")
	n, ok := s.AsInt()
	require.True(t, ok)
	return uint64(n)
}

func TestStreamsDurableResetTrim(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, b, st := openStreams(t, path)
	publish(t, st, "t", 1, 4)
	a := newSink(1)
	_, err := st.Attach(a, "t", "g", plugin.AttachOptions{})
	require.NoError(t, err)
	a.wait(t, 4)
	require.NoError(t, st.Ack("t", "g", 1))
	require.NoError(t, st.Ack("t", "g", 2))
	require.NoError(t, st.Ack("t", "g", 4)) // out of order: only memory knows
	close(a.done)
	require.NoError(t, b.Close()) // writes the positions
	require.NoError(t, db.Close())

	db, b, st = openStreams(t, path)
	defer db.Close()
	defer b.Close()
	publish(t, st, "t", 5, 5) // numbering goes on
	c := newSink(2)
	acked, err := st.Attach(c, "t", "g", plugin.AttachOptions{})
	require.NoError(t, err)
	require.Equal(t, uint64(2), acked)
	require.Equal(t, []string{msg("t", "g", 3, 1), msg("t", "g", 4, 1), msg("t", "g", 5, 1)}, c.wait(t, 3))

	applied, deleted, err := st.Trim("t", 10)
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 2}, []uint64{applied, deleted}, "never past the group's position")
	seq, err := st.Reset("t", "g", 1)
	require.NoError(t, err)
	require.Equal(t, uint64(3), seq, "reset lands on the first message still kept")
	require.Equal(t, []string{msg("t", "g", 3, 1), msg("t", "g", 4, 1), msg("t", "g", 5, 1)}, c.wait(t, 6)[3:])
	seq, err = st.Reset("t", "g", 100)
	require.NoError(t, err)
	require.Equal(t, uint64(6), seq, "past the end: after the last")

	_, err = st.Publish([]plugin.StreamEntry{{Stream: "a b", Value: []byte{0}}})
	require.ErrorIs(t, err, plugin.ErrStreamName)
}

func TestStreamsSlowMemberHoldsOnlyItself(t *testing.T) {
	db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	defer b.Close()
	slow, fast := newSink(1), newSink(2)
	slow.grant(1)
	for i, s := range []*sink{slow, fast} {
		_, err := st.Attach(s, "t", fmt.Sprint("g", i), plugin.AttachOptions{Prefetch: 100})
		require.NoError(t, err)
	}
	publish(t, st, "t", 1, 50)
	require.Len(t, fast.wait(t, 50), 50)
	require.Len(t, slow.texts(t), 1)
	slow.grant(-1)
	require.Len(t, slow.wait(t, 50), 50)
}

func TestTopicsSameBytesToEverySubscriber(t *testing.T) {
	db, b, st := openStreams(t, filepath.Join(t.TempDir(), "s.db"))
	defer db.Close()
	defer b.Close()
	subs := []*sink{newSink(1), newSink(2), newSink(3)}
	for _, s := range subs {
		require.NoError(t, st.Subscribe(s, "news"))
	}
	subs[2].grant(0) // no credit: queued for its pump
	for i := range 3 {
		n, err := st.PublishTopic("news", gene.AppendBinary(nil, gene.Int(int64(i))))
		require.NoError(t, err)
		require.Equal(t, 3, n)
	}
	want := []string{`(message ^topic "news" ^value 0)`, `(message ^topic "news" ^value 1)`, `(message ^topic "news" ^value 2)`}
	require.Equal(t, want, subs[0].wait(t, 3))
	require.Equal(t, want, subs[1].wait(t, 3))
	subs[0].mu.Lock()
	subs[1].mu.Lock()
	require.Same(t, &subs[0].got[0][0], &subs[1].got[0][0], "one encoding shared by every subscriber")
	subs[1].mu.Unlock()
	subs[0].mu.Unlock()
	subs[2].grant(-1)
	require.Equal(t, want, subs[2].wait(t, 3), "a subscriber without credit gets them in order later")

	ok, err := st.Unsubscribe(1, "news")
	require.NoError(t, err)
	require.True(t, ok)
	n, err := st.PublishTopic("news", gene.AppendBinary(nil, gene.Int(3)))
	require.NoError(t, err)
	require.Equal(t, 2, n)
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
