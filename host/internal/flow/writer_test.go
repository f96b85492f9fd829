package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/genehost/genehost/proto"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hookWriter records what is written and calls hook after each Write.
type hookWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	calls int
	hook  func(call int, written int)
	fail  error
}

func (w *hookWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.fail != nil {
		w.mu.Unlock()
		return 0, w.fail
	}
	w.buf.Write(p)
	w.calls++
	call, n := w.calls, w.buf.Len()
	w.mu.Unlock()
	if w.hook != nil {
		w.hook(call, n)
	}
	return len(p), nil
}

func (w *hookWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.buf.Bytes()...)
}

// frameAt is a frame read back with the stream offset of its header.
type frameAt struct {
	proto.Header
	offset  int
	payload []byte
}

func readAll(t *testing.T, stream []byte) []frameAt {
	t.Helper()
	r := proto.NewReader(bytes.NewReader(stream))
	r.SetMaxFrameBytes(proto.MaxFrameBytes)
	var out []frameAt
	off := 0
	for {
		f, err := r.ReadFrame()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		fa := frameAt{Header: f.Header, offset: off}
		if len(f.Payload) <= 64 { // only small payloads are looked at
			fa.payload = append([]byte(nil), f.Payload...)
		}
		out = append(out, fa)
		off += proto.HeaderSize + len(f.Payload)
	}
}

// runScheduler runs s on w and closes it once ready is closed (nil:
// at once), so hooks can still queue frames while Run writes.
func runScheduler(t *testing.T, s *Scheduler, w io.Writer, ready chan struct{}) {
	t.Helper()
	go func() {
		if ready != nil {
			<-ready
		}
		s.Close()
	}()
	require.NoError(t, s.Run(context.Background(), w))
}

// TestSchedulerFairnessQueuedTogether: a 10 MB value queued first does
// not delay a small value on another link by more than one quantum.
func TestSchedulerFairnessQueuedTogether(t *testing.T) {
	s := NewScheduler(SchedulerConfig{})
	big := bytes.Repeat([]byte{'x'}, 10<<20)
	require.NoError(t, s.TrySend(1, big, false))
	require.NoError(t, s.TrySend(3, []byte("small"), false))
	var w hookWriter
	runScheduler(t, s, &w, nil)
	frames := readAll(t, w.bytes())
	require.GreaterOrEqual(t, len(frames), 2)
	assert.Equal(t, uint32(1), frames[0].Link)
	assert.Equal(t, proto.DefaultMaxFrameBytes, int(frames[0].Length), "one quantum of the large value")
	assert.Equal(t, uint32(3), frames[1].Link, "the small value comes right after one quantum")
	assert.Equal(t, "small", string(frames[1].payload))
}

// TestSchedulerFairnessMidStream: a small value queued while a 10 MB
// value is being written goes out after at most one more quantum of the
// large value once the write in progress is done.
func TestSchedulerFairnessMidStream(t *testing.T) {
	for _, batch := range []int{1, 0} { // one turn per write, and the default batch
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			s := NewScheduler(SchedulerConfig{BatchBytes: batch})
			big := bytes.Repeat([]byte{'x'}, 10<<20)
			require.NoError(t, s.TrySend(1, big, true))
			hookAt := -1
			var hookWrites uint64
			w := &hookWriter{}
			ready := make(chan struct{})
			w.hook = func(call, written int) {
				if call == 20 {
					require.NoError(t, s.TrySend(3, []byte("small"), true))
					hookWrites = s.Stats().Writes
					hookAt = written
					close(ready)
				}
			}
			runScheduler(t, s, w, ready)
			require.Positive(t, hookAt)
			stream := w.bytes()
			frames := readAll(t, stream)
			// The batch in flight during the hook was built before the small
			// value existed; find where it ends: the hook ran during write
			// number hookWrites, whose bytes end at a frame boundary. Count
			// the large value's frames between the end of that batch and the
			// small value.
			batchEnd := batchBoundaryAfter(t, frames, hookAt)
			var between, small int
			for i, f := range frames {
				if f.offset < batchEnd {
					continue
				}
				if f.Link == 3 {
					small = i
					break
				}
				between++
			}
			require.Positive(t, small, "the small value was written")
			assert.LessOrEqual(t, between, 1, "at most one quantum of link 1 before the small value")
			assert.Positive(t, hookWrites)
		})
	}
}

// batchBoundaryAfter returns the offset of the first frame that starts at
// or after off: writes end on frame boundaries except inside a frame whose
// payload is written separately, so the frame containing off (if any) is
// part of the batch in flight.
func batchBoundaryAfter(t *testing.T, frames []frameAt, off int) int {
	t.Helper()
	for _, f := range frames {
		if f.offset >= off {
			return f.offset
		}
	}
	t.Fatalf("no frame after offset %d", off)
	return 0
}

func TestSchedulerControlFirst(t *testing.T) {
	s := NewScheduler(SchedulerConfig{})
	require.NoError(t, s.TrySend(1, bytes.Repeat([]byte{1}, 1<<20), false))
	require.NoError(t, s.SendControl(proto.AppendPingFrame(nil, [8]byte{9})))
	require.NoError(t, s.SendControl(proto.AppendCreditFrame(nil, 1, proto.Grant{Msgs: 1, Bytes: 2})))
	ready := make(chan struct{})
	w := &hookWriter{}
	w.hook = func(call, written int) {
		if call == 6 {
			require.NoError(t, s.SendControl(proto.AppendPongFrame(nil, [8]byte{7})))
			close(ready)
		}
	}
	runScheduler(t, s, w, ready)
	frames := readAll(t, w.bytes())
	require.Equal(t, proto.TypePing, frames[0].Type)
	require.Equal(t, proto.TypeCredit, frames[1].Type)
	// The PONG queued mid-stream comes before every DATA frame of a later
	// batch: at most the batch in flight is ahead of it.
	var pong int
	for i, f := range frames {
		if f.Type == proto.TypePong {
			pong = i
		}
	}
	require.Positive(t, pong)
	assert.Less(t, pong, len(frames)-1, "the PONG did not wait for the end of the data")
}

func TestSchedulerFragmentsAndOrder(t *testing.T) {
	// Many links, many values, concurrent senders: every value arrives
	// whole, in order per link, in frames no larger than proto.MaxFrameBytes.
	const links, perLink = 8, 40
	s := NewScheduler(SchedulerConfig{MaxFrameBytes: 4096, Quantum: 6000, LinkQueue: 4})
	pr, pw := io.Pipe()
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(context.Background(), pw); pw.Close() }()

	sent := make([][][]byte, links)
	var wg sync.WaitGroup
	for l := range links {
		rng := rand.New(rand.NewPCG(uint64(l), 7))
		for i := range perLink {
			v := make([]byte, 1+rng.IntN(20000))
			for j := range v {
				v[j] = byte(l*31 + i + j)
			}
			sent[l] = append(sent[l], v)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, v := range sent[l] {
				require.NoError(t, s.Send(context.Background(), uint32(2*l+1), v, i == perLink-1))
			}
		}()
	}
	go func() { wg.Wait(); s.Close() }()

	r := proto.NewReader(pr)
	r.SetMaxFrameBytes(4096)
	got := make([][][]byte, links)
	asm := make([]proto.Assembler, links)
	ended := 0
	for ended < links {
		f, err := r.ReadFrame()
		require.NoError(t, err)
		require.Equal(t, proto.TypeData, f.Type)
		l := int(f.Link-1) / 2
		v, done, err := asm[l].Add(f.Payload, f.Flags)
		require.NoError(t, err)
		if done {
			got[l] = append(got[l], append([]byte(nil), v...))
		}
		if f.Flags&proto.FlagEnd != 0 {
			ended++
		}
	}
	require.NoError(t, <-runErr)
	for l := range links {
		require.Equal(t, len(sent[l]), len(got[l]), "link %d", l)
		for i := range sent[l] {
			require.True(t, bytes.Equal(sent[l][i], got[l][i]), "link %d value %d", l, i)
		}
	}
	st := s.Stats()
	assert.Equal(t, uint64(links*perLink), st.Values)
}

func TestSchedulerQueueBounds(t *testing.T) {
	s := NewScheduler(SchedulerConfig{LinkQueue: 2, ControlQueue: 40})
	require.NoError(t, s.TrySend(1, []byte("a"), false))
	require.NoError(t, s.TrySend(1, []byte("b"), false))
	require.ErrorIs(t, s.TrySend(1, []byte("c"), false), ErrQueueFull)
	require.NoError(t, s.TrySend(3, []byte("other link"), false), "queues are per link")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.Send(ctx, 1, []byte("c"), false), context.DeadlineExceeded)

	// A waiting Send gets in once the writer makes room.
	sent := make(chan error, 1)
	go func() { sent <- s.Send(context.Background(), 1, []byte("c"), false) }()
	// It is waiting (its stall after the timed-out Send's) before the
	// writer starts.
	require.Eventually(t, func() bool { return s.Stats().Stalls == 2 }, 10*time.Second, time.Millisecond, "Send waiting for room")
	var w hookWriter
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background(), &w) }()
	require.NoError(t, <-sent)
	s.Close()
	require.NoError(t, <-runDone)
	var order []string
	for _, f := range readAll(t, w.bytes()) {
		if f.Link == 1 {
			order = append(order, string(f.payload))
		}
	}
	assert.Equal(t, []string{"a", "b", "c"}, order)

	// The control budget counts bytes.
	s2 := NewScheduler(SchedulerConfig{ControlQueue: 40})
	require.NoError(t, s2.SendControl(proto.AppendPingFrame(nil, [8]byte{}))) // 18 bytes
	require.NoError(t, s2.SendControl(proto.AppendPingFrame(nil, [8]byte{}))) // 36
	err := s2.SendControl(proto.AppendPingFrame(nil, [8]byte{}))
	require.ErrorIs(t, err, ErrControlFull)
	assert.Contains(t, err.Error(), "36 bytes queued, budget 40")
}

func TestSchedulerSendErrors(t *testing.T) {
	s := NewScheduler(SchedulerConfig{})
	assert.ErrorContains(t, s.TrySend(0, []byte("x"), false), "needs a link id")
	assert.ErrorContains(t, s.TrySend(1, nil, false), "empty payload is not a value")
	require.NoError(t, s.TrySend(1, nil, true)) // END only
	require.ErrorIs(t, s.TrySend(1, []byte("x"), false), proto.ErrLinkClosed)
	require.ErrorIs(t, s.Send(context.Background(), 1, []byte("x"), false), proto.ErrLinkClosed)
	s.Close()
	require.ErrorIs(t, s.TrySend(5, []byte("x"), false), ErrClosed)
	require.ErrorIs(t, s.SendControl(proto.AppendPingFrame(nil, [8]byte{})), ErrClosed)
	var w hookWriter
	require.NoError(t, s.Run(context.Background(), &w))
	frames := readAll(t, w.bytes())
	require.Len(t, frames, 1, "the END queued before Close is written")
	assert.Equal(t, proto.Header{Type: proto.TypeData, Flags: proto.FlagEnd, Link: 1}, frames[0].Header)
	require.Error(t, s.Run(context.Background(), &w), "Run twice")
}

func TestSchedulerRemoveLink(t *testing.T) {
	s := NewScheduler(SchedulerConfig{MaxFrameBytes: 4096, LinkQueue: 2, BatchBytes: 1})
	require.NoError(t, s.TrySend(1, make([]byte, 10000), false))
	require.NoError(t, s.TrySend(1, make([]byte, 300), false))
	blocked := make(chan error, 1)
	go func() { blocked <- s.Send(context.Background(), 1, []byte("late"), false) }()

	// Write one batch (one 4096-byte fragment), then remove the link.
	var u Unsent
	ready := make(chan struct{})
	w := &hookWriter{}
	w.hook = func(call, written int) {
		if call == 2 {
			u = s.RemoveLink(1)
			close(ready)
		}
	}
	// The third Send waits on the full queue before the writer starts.
	require.Eventually(t, func() bool { return s.Stats().Stalls == 1 }, 10*time.Second, time.Millisecond, "third Send waiting for room")
	runScheduler(t, s, w, ready)
	assert.Equal(t, Unsent{Values: 1, Bytes: 10000 - 4096 + 300}, u)
	require.ErrorIs(t, <-blocked, proto.ErrLinkClosed)
	frames := readAll(t, w.bytes())
	require.Len(t, frames, 1)
	assert.Equal(t, proto.FlagMore, frames[0].Flags)
	assert.Equal(t, Unsent{}, s.RemoveLink(99))
}

func TestSchedulerStops(t *testing.T) {
	t.Run("context", func(t *testing.T) {
		s := NewScheduler(SchedulerConfig{LinkQueue: 1})
		require.NoError(t, s.TrySend(1, []byte("x"), false))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, s.Run(ctx, io.Discard), context.Canceled)
		<-s.Done()
		require.ErrorIs(t, s.TrySend(1, []byte("y"), false), context.Canceled)
	})
	t.Run("write error", func(t *testing.T) {
		s := NewScheduler(SchedulerConfig{LinkQueue: 1})
		boom := errors.New("broken pipe")
		require.NoError(t, s.TrySend(1, []byte("x"), false))
		err := s.Run(context.Background(), &hookWriter{fail: boom})
		require.ErrorIs(t, err, boom)
		assert.Contains(t, err.Error(), "proto: writing frames")
		require.ErrorIs(t, s.Send(context.Background(), 1, []byte("y"), false), boom)
		require.ErrorIs(t, s.SendControl(proto.AppendPingFrame(nil, [8]byte{})), boom)
	})
	t.Run("idle then close", func(t *testing.T) {
		s := NewScheduler(SchedulerConfig{})
		done := make(chan error, 1)
		go func() { done <- s.Run(context.Background(), io.Discard) }()
		time.Sleep(5 * time.Millisecond)
		s.Close()
		require.NoError(t, <-done)
	})
}

func BenchmarkSchedulerSmallValues(b *testing.B) {
	s := NewScheduler(SchedulerConfig{LinkQueue: 1024})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), io.Discard) }()
	payload := bytes.Repeat([]byte{'v'}, 100)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	i := 0
	for b.Loop() {
		i++
		if err := s.Send(ctx, uint32(1+2*(i%8)), payload, false); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

func BenchmarkSchedulerLargeValue(b *testing.B) {
	s := NewScheduler(SchedulerConfig{LinkQueue: 4})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), io.Discard) }()
	payload := bytes.Repeat([]byte{'v'}, 1<<20)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := s.Send(ctx, 1, payload, false); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
