package flow

import (
	"context"
	"github.com/genehost/genehost/proto"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreditTryTake(t *testing.T) {
	c := NewCredit(proto.Grant{Msgs: 2, Bytes: 100})
	require.NoError(t, c.TryTake(60))
	require.ErrorIs(t, c.TryTake(41), proto.ErrNoCredit, "only 40 bytes left")
	require.NoError(t, c.TryTake(40))
	require.ErrorIs(t, c.TryTake(0), proto.ErrNoCredit, "no message credit left")
	assert.Equal(t, proto.Grant{}, c.Available())

	assert.True(t, c.Grant(proto.Grant{Msgs: 3, Bytes: 150}))
	assert.False(t, c.Grant(proto.Grant{Msgs: 3, Bytes: 150}), "a repeated grant changes nothing")
	assert.False(t, c.Grant(proto.Grant{Msgs: 1, Bytes: 10}), "a lower grant changes nothing")
	assert.Equal(t, proto.Grant{Msgs: 1, Bytes: 50}, c.Available())

	// A value above the initial byte credit can never be sent.
	c.Grant(proto.Grant{Msgs: 10, Bytes: 1000})
	err := c.TryTake(101)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeMessageTooLarge})
	assert.Contains(t, err.Error(), "value of 101 bytes exceeds the 100 bytes")

	st := c.Stats()
	assert.Equal(t, proto.Grant{Msgs: 2, Bytes: 100}, st.Sent)
	assert.Equal(t, proto.Grant{Msgs: 10, Bytes: 1000}, st.Limit)
}

func TestCreditBeforeAccept(t *testing.T) {
	// The opener's sending credit is zero until ACCEPT; the ACCEPT's byte
	// credit then caps the value size.
	c := NewCredit(proto.Grant{})
	require.ErrorIs(t, c.TryTake(1), proto.ErrNoCredit)
	c.Grant(proto.Grant{Msgs: 4, Bytes: 64})
	require.NoError(t, c.TryTake(64))
	c.Grant(proto.Grant{Msgs: 8, Bytes: 1 << 20})
	require.ErrorIs(t, c.TryTake(65), &proto.Error{Code: proto.CodeMessageTooLarge})
}

func TestCreditTakeWaits(t *testing.T) {
	c := NewCredit(proto.Grant{Msgs: 1, Bytes: 10})
	require.NoError(t, c.TryTake(10))
	done := make(chan error)
	go func() { done <- c.Take(context.Background(), 5) }()
	select {
	case err := <-done:
		t.Fatalf("Take returned %v without credit", err)
	case <-time.After(20 * time.Millisecond):
	}
	require.Eventually(t, func() bool { return c.Stats().Stalls == 1 }, 10*time.Second, time.Millisecond, "Take waiting")
	c.Grant(proto.Grant{Msgs: 2, Bytes: 14}) // 4 bytes: not enough yet
	select {
	case err := <-done:
		t.Fatalf("Take returned %v with 4 of 5 bytes", err)
	case <-time.After(20 * time.Millisecond):
	}
	c.Grant(proto.Grant{Msgs: 2, Bytes: 15})
	require.NoError(t, <-done)
	assert.Equal(t, proto.Grant{Msgs: 2, Bytes: 15}, c.Stats().Sent)
	assert.Equal(t, uint64(1), c.Stats().Stalls)
}

func TestCreditTakeContextAndClose(t *testing.T) {
	c := NewCredit(proto.Grant{Msgs: 0, Bytes: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.Take(ctx, 1), context.DeadlineExceeded)

	errs := make(chan error, 2)
	go func() { errs <- c.Take(context.Background(), 1) }()
	go func() { errs <- c.Wait(context.Background(), 1) }()
	// Both are waiting (a stall each, after the timed-out Take's) before
	// Close releases them.
	require.Eventually(t, func() bool { return c.Stats().Stalls == 3 }, 10*time.Second, time.Millisecond, "Take and Wait both waiting")
	reset := proto.Errorf(proto.CodeSlowConsumer, "stalled")
	c.Close(reset)
	c.Close(nil) // the first Close wins
	require.ErrorIs(t, <-errs, reset)
	require.ErrorIs(t, <-errs, reset)
	require.ErrorIs(t, c.TryTake(1), reset)
	require.ErrorIs(t, NewClosedCredit().TryTake(1), ErrClosed)
}

// NewClosedCredit is a Credit closed with the default error.
func NewClosedCredit() *Credit {
	c := NewCredit(proto.Grant{Msgs: 1, Bytes: 1})
	c.Close(nil)
	return c
}

func TestCreditWaitDoesNotTake(t *testing.T) {
	c := NewCredit(proto.Grant{Msgs: 1, Bytes: 10})
	require.NoError(t, c.Wait(context.Background(), 10))
	assert.Equal(t, proto.Grant{Msgs: 1, Bytes: 10}, c.Available())
}

func TestCreditRefund(t *testing.T) {
	c := NewCredit(proto.Grant{Msgs: 1, Bytes: 10})
	require.NoError(t, c.TryTake(8))
	c.Refund(8)
	assert.Equal(t, proto.Grant{Msgs: 1, Bytes: 10}, c.Available())
	require.NoError(t, c.TryTake(8))
	c.RefundBytes(5) // three bytes went out before the link was reset
	assert.Equal(t, proto.Grant{Msgs: 0, Bytes: 7}, c.Available())
	c.Refund(100) // never below zero
	assert.Equal(t, proto.Grant{Msgs: 1, Bytes: 10}, c.Available())
}

func TestWindowReceive(t *testing.T) {
	w := NewWindow(proto.WindowConfig{InitialMsgs: 2, InitialBytes: 100})
	assert.Equal(t, proto.Grant{Msgs: 2, Bytes: 100}, w.Limits())
	require.NoError(t, w.Receive(30, true))
	require.NoError(t, w.Receive(30, false)) // second fragment: no message
	require.NoError(t, w.Receive(10, true))
	err := w.Receive(1, true)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeFlowControl})
	assert.Contains(t, err.Error(), "value 3 exceeds the message limit 2")
	err = w.Receive(31, false)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeFlowControl})
	assert.Contains(t, err.Error(), "101 bytes received exceed the byte limit 100")
	require.NoError(t, w.Receive(30, false), "a refused frame counts nothing")
	assert.Equal(t, proto.Grant{Msgs: 2, Bytes: 100}, w.Buffered())
}

func TestWindowConsumePolicy(t *testing.T) {
	w := NewWindow(proto.WindowConfig{InitialMsgs: 8, MaxMsgs: 8, InitialBytes: 800, MaxBytes: 800})
	for range 6 {
		require.NoError(t, w.Receive(100, true))
	}
	// Three of eight consumed: less than half the window: no CREDIT.
	_, send := w.Consume(3, 300)
	assert.False(t, send)
	// Four consumed: half the window has come back.
	g, send := w.Consume(1, 100)
	require.True(t, send)
	assert.Equal(t, proto.Grant{Msgs: 12, Bytes: 1200}, g)
	// Drained: everything received is consumed, so the limits are topped up.
	g, send = w.Consume(2, 200)
	require.True(t, send)
	assert.Equal(t, proto.Grant{Msgs: 14, Bytes: 1400}, g)
	assert.Equal(t, g, w.Limits())
	// Nothing new: no CREDIT.
	_, send = w.Consume(0, 0)
	assert.False(t, send)
}

func TestWindowDrainedSmallValues(t *testing.T) {
	// One small value at a time (request/response): each one consumed
	// tops the credit back up, so the sender is never stuck.
	w := NewWindow(proto.WindowConfig{InitialMsgs: 4, InitialBytes: 1000})
	c := NewCredit(w.Limits())
	for i := range 20 {
		require.NoError(t, c.TryTake(10), "value %d", i)
		require.NoError(t, w.Receive(10, true))
		if g, send := w.Consume(1, 10); send {
			c.Grant(g)
		}
	}
	// A value as large as the whole initial window still fits once the
	// buffer is drained.
	require.NoError(t, c.TryTake(1000))
}

// TestWindowRequestReplyCredits: small values one at a time, each
// consumed before the next is sent (request and reply), cost one CREDIT
// per half window of messages, not one per value (PROTOCOL.md 8.3).
func TestWindowRequestReplyCredits(t *testing.T) {
	cfg := proto.WindowConfig{InitialMsgs: 256, MaxMsgs: 256, InitialBytes: 1 << 20, MaxBytes: 64 << 20}
	w := NewWindow(cfg)
	c := NewCredit(w.Limits())
	const values = 1000
	credits := 0
	for i := range values {
		require.NoError(t, c.TryTake(50), "value %d", i)
		require.NoError(t, w.Receive(50, true))
		if g, send := w.Consume(1, 50); send {
			credits++
			c.Grant(g)
		}
	}
	// The first value grows the byte window to twice the largest value
	// (one CREDIT), then one CREDIT per half window of messages.
	assert.LessOrEqual(t, credits, 1+values/(cfg.InitialMsgs/2)+1, "CREDITs for %d values", values)
	assert.Equal(t, uint64(2<<20), w.Stats().Window.Bytes)
}

// TestWindowLargestValueNeverWaits: a sender whose next value is as large
// as the largest it may send gets room for it as soon as the receiver has
// consumed what it had, whatever came before, with or without room for
// the window to grow.
func TestWindowLargestValueNeverWaits(t *testing.T) {
	for _, maxBytes := range []int{1000, 1500, 64000} {
		w := NewWindow(proto.WindowConfig{InitialMsgs: 64, InitialBytes: 1000, MaxBytes: maxBytes})
		c := NewCredit(w.Limits())
		for i, size := range []int{10, 1000, 10, 10, 999, 1000, 1000, 1, 1000} {
			require.NoError(t, c.TryTake(size), "max %d: value %d of %d bytes", maxBytes, i, size)
			require.NoError(t, w.Receive(size, true))
			if g, send := w.Consume(1, size); send {
				c.Grant(g)
			}
		}
		// A byte transport window: the largest value is max-message-bytes.
		tw := NewByteWindow(4000, 4000, 1000)
		tc := NewByteCredit(tw.Limits().Bytes)
		for i, size := range []int{3500, 1000, 1, 1000, 999, 1000} {
			require.NoError(t, tc.TryTake(size), "transport: value %d of %d bytes", i, size)
			require.NoError(t, tw.Receive(size, false))
			if g, send := tw.Consume(0, size); send {
				tc.Grant(g)
			}
		}
	}
}

func TestWindowGrows(t *testing.T) {
	w := NewWindow(proto.WindowConfig{InitialMsgs: 4, MaxMsgs: 64, InitialBytes: 1000, MaxBytes: 3000})
	c := NewCredit(w.Limits())
	// A fast sender that always uses all its credit makes the window grow
	// up to its maximum and no further.
	for range 200 {
		for c.TryTake(100) == nil {
			require.NoError(t, w.Receive(100, true))
		}
		b := w.Buffered()
		if g, send := w.Consume(int(b.Msgs), int(b.Bytes)); send {
			c.Grant(g)
		}
	}
	st := w.Stats()
	assert.Equal(t, proto.Grant{Msgs: 64, Bytes: 3000}, st.Window)
	assert.Positive(t, st.Grants)
}

func TestByteWindow(t *testing.T) {
	w := NewByteWindow(1000, 500, 0) // max below initial is raised
	assert.Equal(t, proto.Grant{Bytes: 1000}, w.Limits())
	for range 10 {
		require.NoError(t, w.Receive(100, true), "messages are not counted")
	}
	require.ErrorIs(t, w.Receive(1, false), &proto.Error{Code: proto.CodeFlowControl})
	g, send := w.Consume(0, 1000)
	require.True(t, send)
	assert.Equal(t, proto.Grant{Bytes: 2000}, g)
	assert.Equal(t, proto.Grant{Bytes: 1000}, w.Stats().Window)
}

// TestCreditConcurrentTransfer runs senders and consumers of two links
// that share one transport window, with credit returned by consumers as
// CREDIT frames would, under -race: the receiver never sees an overrun,
// every value arrives, and nothing deadlocks even for values as large as
// the initial window.
func TestCreditConcurrentTransfer(t *testing.T) {
	const links, senders, perSender = 2, 4, 300
	transportWin := NewByteWindow(4096, 1<<16, 0)
	transport := NewByteCredit(transportWin.Limits().Bytes)
	type value struct{ size int }
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for l := range links {
		win := NewWindow(proto.WindowConfig{InitialMsgs: 8, MaxMsgs: 64, InitialBytes: 2048, MaxBytes: 8192})
		credit := NewCredit(win.Limits())
		wire := make(chan value, 1024) // what is in flight on the socket
		inbox := make(chan value, 1024)
		var sendWG sync.WaitGroup
		for s := range senders {
			sendWG.Add(1)
			go func() {
				defer sendWG.Done()
				rng := rand.New(rand.NewPCG(uint64(l), uint64(s)))
				for range perSender {
					n := 1 + rng.IntN(2048)
					if err := credit.Take(context.Background(), n); err != nil {
						errs <- err
						return
					}
					if err := transport.Take(context.Background(), n); err != nil {
						errs <- err
						return
					}
					wire <- value{n}
				}
			}()
		}
		wg.Add(3)
		go func() { defer wg.Done(); sendWG.Wait(); close(wire) }()
		go func() { // the reader goroutine
			defer wg.Done()
			defer close(inbox)
			for v := range wire {
				if err := win.Receive(v.size, true); err != nil {
					errs <- err
					return
				}
				if err := transportWin.Receive(v.size, true); err != nil {
					errs <- err
					return
				}
				inbox <- v
			}
		}()
		go func() { // the application, consuming slowly at times
			defer wg.Done()
			got := 0
			for v := range inbox {
				if got%50 == 0 {
					time.Sleep(time.Millisecond)
				}
				got++
				if g, send := win.Consume(1, v.size); send {
					credit.Grant(g)
				}
				if g, send := transportWin.Consume(0, v.size); send {
					transport.Grant(g)
				}
			}
			if got != senders*perSender {
				errs <- proto.Errorf(proto.CodeInternal, "link %d got %d values", l, got)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("transfer deadlocked")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, transportWin.Stats().Received.Bytes, transport.Stats().Sent.Bytes)
	assert.Equal(t, uint64(links*senders*perSender), transport.Stats().Sent.Msgs)
}

func BenchmarkCreditTakeGrant(b *testing.B) {
	c := NewCredit(proto.Grant{Msgs: 1024, Bytes: 1 << 20})
	w := NewWindow(proto.WindowConfig{InitialMsgs: 1024, InitialBytes: 1 << 20})
	b.ReportAllocs()
	for b.Loop() {
		if err := c.TryTake(100); err != nil {
			b.Fatal(err)
		}
		if err := w.Receive(100, true); err != nil {
			b.Fatal(err)
		}
		if g, send := w.Consume(1, 100); send {
			c.Grant(g)
		}
	}
}

func BenchmarkCreditTakeContext(b *testing.B) {
	c := NewCredit(proto.Grant{Msgs: Unlimited, Bytes: Unlimited})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Take(ctx, 100); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCreditReceiveTellsAFloodFromFlowControl: a CREDIT is free when it
// raises a limit while answering values sent, or stays within one initial
// window of them; one raising by a byte at a time with nothing sent is a
// flood and costs a token (PROTOCOL.md section 9).
func TestCreditReceiveTellsAFloodFromFlowControl(t *testing.T) {
	c := NewCredit(proto.Grant{Msgs: 4, Bytes: 1000})

	raised, free := c.Receive(proto.Grant{Msgs: 4, Bytes: 1000})
	assert.False(t, raised)
	assert.False(t, free, "a CREDIT that raises nothing is never free")

	// A flood: each CREDIT raises by one byte, nothing is sent. Up to
	// sent + window they are free; past it, none is.
	c = NewCredit(proto.Grant{Msgs: 4, Bytes: 1000})
	counted := 0
	for i := uint64(1); i <= 200_000; i++ {
		raised, free := c.Receive(proto.Grant{Msgs: 4, Bytes: 1000 + i})
		require.True(t, raised)
		if !free {
			counted++
		}
	}
	assert.Equal(t, 200_000, counted, "every raise past sent+window with nothing sent takes a token")

	// Flow control as a receiver does it: values sent, then CREDITs that
	// return them, however far the receiver's window has grown.
	c = NewCredit(proto.Grant{Msgs: 4, Bytes: 1000})
	limit := proto.Grant{Msgs: 4, Bytes: 1000}
	for i := range 10_000 {
		require.NoError(t, c.TryTake(100))
		limit.Msgs++
		limit.Bytes += 100 + uint64(i) // a window that keeps growing
		raised, free := c.Receive(limit)
		require.True(t, raised)
		require.True(t, free, "CREDIT %d answers a value sent", i)
	}
	// A second CREDIT with nothing sent in between is free only while it
	// stays within one initial window of what was sent.
	st := c.Stats()
	_, free = c.Receive(proto.Grant{Msgs: st.Sent.Msgs + 4, Bytes: st.Sent.Bytes + 1000})
	assert.False(t, free, "already past sent + window: the window grew, nothing was sent since")
	c = NewCredit(proto.Grant{Msgs: 4, Bytes: 1000})
	require.NoError(t, c.TryTake(100))
	_, free = c.Receive(proto.Grant{Msgs: 5, Bytes: 1100})
	assert.True(t, free)
	_, free = c.Receive(proto.Grant{Msgs: 5, Bytes: 1100 + 1})
	assert.False(t, free, "nothing sent since, and past sent + window")
	c.Refund(100) // a refund does not count as sending
	_, free = c.Receive(proto.Grant{Msgs: 5, Bytes: 1100 + 2})
	assert.False(t, free)

	// The transport window: messages unlimited, bytes only.
	tw := NewByteCredit(1 << 20)
	_, free = tw.Receive(proto.Grant{Bytes: 1<<20 + 1})
	assert.False(t, free)
	require.NoError(t, tw.TryTake(4096))
	_, free = tw.Receive(proto.Grant{Bytes: 1<<20 + 4096})
	assert.True(t, free)

	// Before ACCEPT the opener's credit is zero: the first grant is its
	// window.
	c = NewCredit(proto.Grant{})
	_, free = c.Receive(proto.Grant{Msgs: 8, Bytes: 512})
	assert.True(t, free)
}
