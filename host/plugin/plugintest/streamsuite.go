package plugintest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/proto"
)

// Sink is a plugin.Sink that records what a streams backend sends a link,
// as the bytes a binary transport would carry. Its credit is unlimited
// unless Grant limits it.
type Sink struct {
	id   plugin.LinkID
	done chan struct{}
	once sync.Once

	mu     sync.Mutex
	got    [][]byte
	credit int // -1: unlimited
	more   chan struct{}
}

var _ plugin.Sink = (*Sink)(nil)

// NewSink returns a sink for link id.
func NewSink(id plugin.LinkID) *Sink {
	return &Sink{id: id, done: make(chan struct{}), credit: -1, more: make(chan struct{}, 1)}
}

func (s *Sink) ID() plugin.LinkID     { return s.id }
func (s *Sink) Done() <-chan struct{} { return s.done }

// Close makes the link gone.
func (s *Sink) Close() { s.once.Do(func() { close(s.done) }) }

// TrySend implements plugin.Sink.
func (s *Sink) TrySend(d *plugin.Delivery) error {
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

// Send implements plugin.Sink, waiting for credit.
func (s *Sink) Send(ctx context.Context, d *plugin.Delivery) error {
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

// Grant sets how many more values the link takes (-1: unlimited).
func (s *Sink) Grant(n int) {
	s.mu.Lock()
	s.credit = n
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
}

// Raw returns the bytes of value i.
func (s *Sink) Raw(i int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[i]
}

// Texts returns what s got as Gene text, decoded from the bytes sent.
func (s *Sink) Texts(t testing.TB) []string {
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

// Wait waits until s got n values and returns them all as text.
func (s *Sink) Wait(t testing.TB, n int) []string {
	t.Helper()
	require.Eventually(t, func() bool { return len(s.Texts(t)) >= n }, 20*time.Second, time.Millisecond,
		"link %d: want %d values, got %v", s.id, n, s.Texts(t))
	return s.Texts(t)
}

// StreamMessage is the text of message seq of stream for group as the
// suite publishes it ({^n seq}).
func StreamMessage(stream, group string, seq, attempt int) string {
	return fmt.Sprintf(`(message ^topic %q ^group %q ^seq %d ^value {^n %d} ^attempt %d)`, stream, group, seq, seq, attempt)
}

// PublishN publishes {^n from} .. {^n to} to stream in one call.
func PublishN(t testing.TB, st plugin.StreamStore, stream string, from, to int) {
	t.Helper()
	var es []plugin.StreamEntry
	for i := from; i <= to; i++ {
		es = append(es, plugin.StreamEntry{Stream: stream, Value: gene.AppendBinary(nil, gene.MustParse(fmt.Sprintf("{^n %d}", i)))})
	}
	seqs, err := st.Publish(es)
	require.NoError(t, err)
	require.Equal(t, uint64(from), seqs[0])
}

// RunStreamsSuite checks that a backend's streams behave as the seam
// says, the same on every backend: open returns two StreamStores of one
// plugin as two hosts would see them (two connections to a shared
// backend, or one embedded backend twice), with no stream yet.
func RunStreamsSuite(t *testing.T, open func(t *testing.T) (a, b plugin.StreamStore)) {
	waitAcked := func(t *testing.T, st plugin.StreamStore, stream, group string, acked uint64) {
		t.Helper()
		require.Eventually(t, func() bool {
			infos, err := st.Info()
			require.NoError(t, err)
			for _, si := range infos {
				for _, g := range si.Groups {
					if si.Stream == stream && g.Group == group && g.Acked == acked {
						return true
					}
				}
			}
			return false
		}, 20*time.Second, 5*time.Millisecond, "%s/%s acknowledged through %d", stream, group, acked)
	}
	t.Run("deliver ack redeliver", func(t *testing.T) {
		a, b := open(t)
		PublishN(t, a, "t", 1, 3)
		x := NewSink(1)
		acked, err := b.Attach(x, "t", "g", plugin.AttachOptions{Prefetch: 2, AckTimeout: 300 * time.Millisecond})
		require.NoError(t, err)
		require.Equal(t, uint64(0), acked)
		require.Equal(t, []string{StreamMessage("t", "g", 1, 1), StreamMessage("t", "g", 2, 1)}, x.Wait(t, 2), "at most prefetch unacknowledged")
		require.NoError(t, b.Ack("t", "g", 1))
		require.Equal(t, StreamMessage("t", "g", 3, 1), x.Wait(t, 3)[2])
		require.ErrorIs(t, b.Ack("t", "g", 9), plugin.ErrNotDelivered)
		got := x.Wait(t, 5) // 2 and 3 are not acknowledged: they come again
		require.ElementsMatch(t, []string{StreamMessage("t", "g", 2, 2), StreamMessage("t", "g", 3, 2)}, got[3:5])
		require.NoError(t, b.Ack("t", "g", 2))
		require.NoError(t, b.Ack("t", "g", 3))
		waitAcked(t, a, "t", "g", 3)
	})
	t.Run("groups share and leave", func(t *testing.T) {
		a, b := open(t)
		x, y, all := NewSink(1), NewSink(2), NewSink(3)
		for _, s := range []*Sink{x, y} {
			_, err := b.Attach(s, "t", "shared", plugin.AttachOptions{Prefetch: 1})
			require.NoError(t, err)
		}
		_, err := a.Attach(all, "t", "all", plugin.AttachOptions{})
		require.NoError(t, err)
		PublishN(t, a, "t", 1, 2)
		require.Len(t, all.Wait(t, 2), 2, "another group gets every message")
		gx, gy := x.Wait(t, 1), y.Wait(t, 1)
		require.ElementsMatch(t, []string{StreamMessage("t", "shared", 1, 1), StreamMessage("t", "shared", 2, 1)}, append(gx, gy...),
			"members of one group share its messages")
		// x leaves without acknowledging: its message goes to y, which
		// has room once it acknowledged its own.
		ok, err := b.Detach(1, "t", "shared")
		require.NoError(t, err)
		require.True(t, ok)
		v := gene.MustParse(gy[0])
		seq, _ := v.Get("seq")
		n, _ := seq.AsInt()
		require.NoError(t, b.Ack("t", "shared", uint64(n)))
		was, _ := gene.MustParse(gx[0]).Get("seq")
		again, _ := gene.MustParse(y.Wait(t, 2)[1]).Get("seq")
		require.Equal(t, gene.Format(was), gene.Format(again), "x's message, delivered again")
	})
	t.Run("reset and trim", func(t *testing.T) {
		a, b := open(t)
		PublishN(t, a, "t", 1, 4)
		x := NewSink(1)
		_, err := b.Attach(x, "t", "g", plugin.AttachOptions{})
		require.NoError(t, err)
		x.Wait(t, 4)
		require.NoError(t, b.Ack("t", "g", 1))
		require.NoError(t, b.Ack("t", "g", 2))
		waitAcked(t, a, "t", "g", 2)
		applied, deleted, err := a.Trim("t", 10)
		require.NoError(t, err)
		require.Equal(t, []uint64{2, 2}, []uint64{applied, deleted}, "never past the group's position")
		seq, err := a.Reset("t", "g", 1)
		require.NoError(t, err)
		require.Equal(t, uint64(3), seq, "reset lands on the first message still kept")
		require.Equal(t, []string{StreamMessage("t", "g", 3, 1), StreamMessage("t", "g", 4, 1)}, x.Wait(t, 6)[4:])
		seq, err = a.Reset("t", "g", 100)
		require.NoError(t, err)
		require.Equal(t, uint64(5), seq, "past the end: after the last")
		_, err = a.Publish([]plugin.StreamEntry{{Stream: "a b", Value: []byte{0}}})
		require.ErrorIs(t, err, plugin.ErrStreamName)
	})
	t.Run("topics", func(t *testing.T) {
		a, b := open(t)
		x, y := NewSink(1), NewSink(2)
		require.NoError(t, b.Subscribe(x, "news"))
		require.NoError(t, b.Subscribe(y, "news"))
		want := func(n int) string { return fmt.Sprintf(`(message ^topic "news" ^value %d)`, n) }
		// A topic keeps nothing, so probe (value 0) until the subscription
		// is seen from a (a shared backend subscribes asynchronously).
		require.Eventually(t, func() bool {
			_, err := a.PublishTopic("news", gene.AppendBinary(nil, gene.Int(0)))
			require.NoError(t, err)
			return len(x.Texts(t)) > 0 && len(y.Texts(t)) > 0
		}, 20*time.Second, 10*time.Millisecond)
		after := func(s *Sink, n int) []string { // the values past the probes
			var out []string
			require.Eventually(t, func() bool {
				out = nil
				for _, m := range s.Texts(t) {
					if m != want(0) {
						out = append(out, m)
					}
				}
				return len(out) >= n
			}, 20*time.Second, time.Millisecond)
			return out
		}
		for i := 1; i <= 3; i++ {
			_, err := a.PublishTopic("news", gene.AppendBinary(nil, gene.Int(int64(i))))
			require.NoError(t, err)
		}
		require.Equal(t, []string{want(1), want(2), want(3)}, after(x, 3), "in order")
		require.Equal(t, []string{want(1), want(2), want(3)}, after(y, 3), "in order")
		ok, err := b.Unsubscribe(1, "news")
		require.NoError(t, err)
		require.True(t, ok)
		_, err = a.PublishTopic("news", gene.AppendBinary(nil, gene.Int(4)))
		require.NoError(t, err)
		require.Equal(t, want(4), after(y, 4)[3])
		require.Len(t, after(x, 3), 3, "no more after Unsubscribe")
	})
}
