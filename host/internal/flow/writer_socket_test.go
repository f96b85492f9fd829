package flow

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/proto"
)

// On a socket, senders write their frames themselves when no write is in
// progress; these tests check that this keeps every rule of the writer
// goroutine: order per link, control frames delivered, nothing lost when
// the socket is full, and no sender blocked by a peer that does not read.

// TestSchedulerSenderWritesAfterQuiet: a value sent after the stream was
// quiet for inlineAfter and a frame was received (Heard) is written by
// its sender, not handed to Run; without a frame received, Run writes.
func TestSchedulerSenderWritesAfterQuiet(t *testing.T) {
	a, b := socketPair(t)
	s := NewScheduler(SchedulerConfig{})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), a) }()
	r := proto.NewReader(b)
	for i := range 20 {
		// Wait until the last write has ended and the stream has been
		// quiet long enough since.
		for s.quietFor() < 2*inlineAfter {
			runtime.Gosched()
		}
		if i >= 10 {
			s.Heard() // as the session's reader does for each frame
		}
		require.NoError(t, s.TrySend(1, fmt.Appendf(nil, "v%d", i), false))
		if i == 9 {
			assert.Zero(t, s.Stats().SenderWrites, "nothing was received: Run writes")
		}
		f, err := r.ReadFrame()
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("v%d", i), string(f.Payload))
	}
	assert.Positive(t, s.Stats().SenderWrites, "some value went out from its sender")
	s.Close()
	require.NoError(t, <-done)
}

// TestSchedulerSocketFullPeer: senders on several links and a control
// sender write to a socket whose peer does not read at first. TrySend
// never waits (it fails with ErrQueueFull once the queue is full); when
// the peer reads, every value arrives whole, in order per link, and every
// control frame arrives.
// quietFor is how long ago the last write ended; 0 while one is in
// progress.
func (s *Scheduler) quietFor() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writing || s.left {
		return 0
	}
	return time.Since(clock) - s.lastWrite
}

func TestSchedulerSocketFullPeer(t *testing.T) {
	a, b := socketPair(t)
	require.NoError(t, a.(*net.UnixConn).SetWriteBuffer(4096))
	s := NewScheduler(SchedulerConfig{LinkQueue: 8})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), a) }()

	// A peer that does not read: TrySend fills the socket and then the
	// queue, and returns every time.
	full := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			err := s.TrySend(9, make([]byte, 300), false)
			if err != nil {
				full <- err
				return
			}
		}
	}()
	select {
	case err := <-full:
		require.ErrorIs(t, err, ErrQueueFull)
	case <-time.After(20 * time.Second):
		t.Fatal("TrySend blocked on a socket whose peer does not read")
	}
	filled := s.Stats().Values

	const links, per, pings = 4, 500, 50
	var wg sync.WaitGroup
	for l := range links {
		wg.Go(func() {
			for i := range per {
				if err := s.Send(context.Background(), uint32(l+1), fmt.Appendf(nil, "%d:%d:%s", l+1, i, make([]byte, i%200)), false); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range pings {
			if err := s.SendControl(proto.AppendPingFrame(nil, [8]byte{byte(i)})); err != nil {
				t.Error(err)
				return
			}
		}
	})

	r := proto.NewReader(b)
	next := map[uint32]int{}
	var got, gotPings, filler int
	for got < links*per || gotPings < pings {
		f, err := r.ReadFrame()
		require.NoError(t, err)
		switch {
		case f.Type == proto.TypePing:
			gotPings++
		case f.Link == 9:
			filler++
		default:
			var l uint32
			var i int
			_, err := fmt.Sscanf(string(f.Payload), "%d:%d:", &l, &i)
			require.NoError(t, err)
			require.Equal(t, next[l], i, "link %d out of order", l)
			next[l]++
			got++
		}
	}
	wg.Wait()
	s.Close()
	require.NoError(t, <-done)
	assert.GreaterOrEqual(t, uint64(filler), filled, "the values queued before the peer read all arrived")
}
