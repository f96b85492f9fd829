package flow

import (
	"bytes"
	"context"
	"errors"
	"github.com/genehost/genehost/proto"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collect runs s into a buffer until the test ends and returns a function
// that closes s and returns the frames written.
func collect(t *testing.T, s *Scheduler) func() []frameAt {
	var w hookWriter
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), &w) }()
	return func() []frameAt {
		s.Close()
		require.NoError(t, <-done)
		return readAll(t, w.bytes())
	}
}

func TestSenderAccounting(t *testing.T) {
	sched := NewScheduler(SchedulerConfig{LinkQueue: 1})
	credit := NewCredit(proto.Grant{Msgs: 10, Bytes: 100})
	transport := NewByteCredit(1000)
	s := NewSender(1, credit, transport, sched)

	require.NoError(t, s.TrySend([]byte("0123456789"), false))
	require.ErrorIs(t, s.TrySend([]byte("x"), false), ErrQueueFull)
	assert.Equal(t, proto.Grant{Msgs: 9, Bytes: 90}, credit.Available(), "the refused value gave its credit back")
	assert.Equal(t, uint64(990), transport.Available().Bytes)

	require.ErrorIs(t, s.TrySend(make([]byte, 101), false), &proto.Error{Code: proto.CodeMessageTooLarge})
	require.ErrorContains(t, s.TrySend(nil, false), "empty payload")

	// Reset drops the queued value and gives its bytes back to the
	// transport window; later sends fail with the reset error.
	reset := proto.Errorf(proto.CodeCancelled, "bye")
	s.Reset(reset)
	assert.Equal(t, uint64(1000), transport.Available().Bytes)
	require.ErrorIs(t, s.Send(context.Background(), []byte("y"), false), reset)

	// A control link (no transport credit) and END.
	c := NewSender(3, NewCredit(proto.Grant{Msgs: 1, Bytes: 10}), nil, sched)
	require.NoError(t, c.TrySend([]byte("ctl"), false))
	require.ErrorIs(t, c.TrySend([]byte("ctl"), false), proto.ErrNoCredit)
	frames := collect(t, sched)()
	require.Len(t, frames, 1)
	assert.Equal(t, uint32(3), frames[0].Link)
	assert.Equal(t, uint32(3), c.Link())
}

func TestSenderWaitsForTransport(t *testing.T) {
	sched := NewScheduler(SchedulerConfig{})
	credit := NewCredit(proto.Grant{Msgs: 10, Bytes: 100})
	transport := NewByteCredit(1024)
	require.NoError(t, transport.TryTake(1000))
	s := NewSender(1, credit, transport, sched)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.Send(ctx, make([]byte, 50), false), context.DeadlineExceeded)
	assert.Equal(t, proto.Grant{Msgs: 10, Bytes: 100}, credit.Available(), "link credit refunded when the transport wait failed")
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), make([]byte, 50), true) }()
	// The Send is waiting for transport credit (its stall after the
	// timed-out one's) before the grant releases it.
	require.Eventually(t, func() bool { return transport.Stats().Stalls == 2 }, 10*time.Second, time.Millisecond, "Send waiting for transport credit")
	transport.Grant(proto.Grant{Bytes: 2048})
	require.NoError(t, <-done)
	frames := collect(t, sched)()
	require.Len(t, frames, 1)
	assert.Equal(t, proto.FlagEnd, frames[0].Flags)
}

func dataFrame(link uint32, flags proto.Flags, payload string) proto.Frame {
	return proto.Frame{Header: proto.Header{Length: uint32(len(payload)), Type: proto.TypeData, Flags: flags, Link: link}, Payload: []byte(payload)}
}

func TestReceiverAccounting(t *testing.T) {
	sched := NewScheduler(SchedulerConfig{})
	transport := NewByteWindow(100, 100, 0)
	win := NewWindow(proto.WindowConfig{InitialMsgs: 2, MaxMsgs: 2, InitialBytes: 60, MaxBytes: 60})
	r := NewReceiver(1, win, transport, 50, sched)

	v, done, end, err := r.Data(dataFrame(1, proto.FlagMore, "abc"))
	require.NoError(t, err)
	assert.False(t, done)
	v, done, end, err = r.Data(dataFrame(1, 0, "de"))
	require.NoError(t, err)
	require.True(t, done)
	assert.False(t, end)
	assert.Equal(t, "abcde", string(v))

	// Consuming one of two messages is half the window: a CREDIT for the
	// link; the transport has 95 of 100 left, no CREDIT for it yet.
	require.NoError(t, r.Consume(5))

	// A value over max-message-bytes resets the link.
	_, _, _, err = r.Data(dataFrame(1, 0, string(make([]byte, 51))))
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeMessageTooLarge})
	assert.Contains(t, err.Error(), "link 1:")

	// A link overrun (60 bytes granted) is FLOW_CONTROL for the link, not
	// the transport.
	r2 := NewReceiver(3, NewWindow(proto.WindowConfig{InitialMsgs: 4, InitialBytes: 10}), transport, 50, sched)
	_, _, _, err = r2.Data(dataFrame(3, 0, "0123456789A"))
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeFlowControl})
	assert.NotErrorIs(t, err, ErrTransportWindow)
	assert.Contains(t, err.Error(), "link 3: 11 bytes received exceed the byte limit 10")
	// Drop gives back what the transport counted for the refused frame.
	before := transport.Buffered().Bytes
	require.NoError(t, r2.Drop())
	assert.Equal(t, before-11, transport.Buffered().Bytes)
	require.NoError(t, r2.Drop(), "twice is harmless")
	// Frames after Drop are counted and given back at once.
	_, done, _, err = r2.Data(dataFrame(3, 0, "late"))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, before-11, transport.Buffered().Bytes)
	require.NoError(t, r2.Consume(4), "Consume after Drop does nothing")
	assert.Equal(t, before-11, transport.Buffered().Bytes)

	// A transport overrun is marked as such.
	r3 := NewReceiver(5, NewWindow(proto.WindowConfig{InitialMsgs: 4, InitialBytes: 1000}), transport, 1000, sched)
	_, _, _, err = r3.Data(dataFrame(5, 0, string(make([]byte, 200))))
	require.ErrorIs(t, err, ErrTransportWindow)
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeFlowControl})
	assert.Contains(t, err.Error(), "transport window:")

	// END, then DATA after END.
	r4 := NewReceiver(7, NewWindow(proto.WindowConfig{}), nil, 1000, sched)
	_, done, end, err = r4.Data(dataFrame(7, proto.FlagEnd, ""))
	require.NoError(t, err)
	assert.False(t, done)
	assert.True(t, end)
	assert.True(t, r4.Ended())
	_, _, _, err = r4.Data(dataFrame(7, 0, "x"))
	require.ErrorIs(t, err, &proto.Error{Code: proto.CodeProtocolError})
	assert.Contains(t, err.Error(), "DATA on link 7 after its END")

	frames := collect(t, sched)()
	require.NotEmpty(t, frames)
	assert.Equal(t, proto.Header{Length: 16, Type: proto.TypeCredit, Link: 1}, frames[0].Header)
	g, err := proto.ParseCredit(frames[0].payload)
	require.NoError(t, err)
	assert.Equal(t, proto.Grant{Msgs: 3, Bytes: 65}, g)
}

// peer is one end of an in-memory transport for the end-to-end test: a
// scheduler writing to the connection and a reader goroutine that
// dispatches frames.
type peer struct {
	sched *Scheduler
	mu    sync.Mutex
	send  map[uint32]*Sender
	recv  map[uint32]*Receiver
	inbox map[uint32]chan []byte
	tcred *Credit
	errs  chan error
}

func newPeer(t *testing.T, ctx context.Context, conn net.Conn, transportCredit *Credit) *peer {
	p := &peer{
		sched: NewScheduler(SchedulerConfig{MaxFrameBytes: 4096}),
		send:  map[uint32]*Sender{},
		recv:  map[uint32]*Receiver{},
		inbox: map[uint32]chan []byte{},
		tcred: transportCredit,
		errs:  make(chan error, 16),
	}
	go p.sched.Run(ctx, conn)
	go func() {
		r := proto.NewReader(conn)
		r.SetMaxFrameBytes(4096)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) && ctx.Err() == nil {
					p.errs <- err
				}
				return
			}
			p.mu.Lock()
			switch f.Type {
			case proto.TypeCredit:
				g, _ := proto.ParseCredit(f.Payload)
				if f.Link == 0 {
					p.tcred.Grant(g)
				} else if s := p.send[f.Link]; s != nil {
					s.Credit().Grant(g)
				}
			case proto.TypeReset:
				e, _ := proto.ParseReason(f.Payload)
				if s := p.send[f.Link]; s != nil {
					s.Reset(e)
				}
			case proto.TypeData:
				rc := p.recv[f.Link]
				v, done, _, err := rc.Data(f)
				if err != nil {
					p.errs <- err
				} else if done {
					p.inbox[f.Link] <- append([]byte(nil), v...)
				}
			}
			p.mu.Unlock()
		}
	}()
	return p
}

// TestLinksShareTransportWindow drives two peers over net.Pipe: two data
// links whose application never consumes fill the transport window and
// block a third data link, while a control link keeps working (it is not
// counted in the transport window); resetting one stuck link gives its
// bytes back and the third link moves again.
func TestLinksShareTransportWindow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cc, hc := net.Pipe()
	defer cc.Close()
	defer hc.Close()

	const transportWin = 40 << 10
	hostTransport := NewByteWindow(transportWin, transportWin, 0)
	client := newPeer(t, ctx, cc, NewByteCredit(transportWin))
	host := newPeer(t, ctx, hc, NewByteCredit(1<<20))

	type linkSpec struct {
		id      uint32
		control bool
		window  proto.WindowConfig
	}
	links := []linkSpec{
		{1, false, proto.WindowConfig{InitialMsgs: 64, MaxMsgs: 64, InitialBytes: 32 << 10, MaxBytes: 32 << 10}},
		{3, false, proto.WindowConfig{InitialMsgs: 64, MaxMsgs: 64, InitialBytes: 32 << 10, MaxBytes: 32 << 10}},
		{5, true, proto.WindowConfig{InitialMsgs: 4, MaxMsgs: 4, InitialBytes: 4 << 10, MaxBytes: 4 << 10}},
		{7, false, proto.WindowConfig{InitialMsgs: 64, MaxMsgs: 64, InitialBytes: 32 << 10, MaxBytes: 32 << 10}},
	}
	host.mu.Lock()
	client.mu.Lock()
	for _, l := range links {
		win := NewWindow(l.window)
		var tw *Window
		var tc *Credit
		if !l.control {
			tw, tc = hostTransport, client.tcred
		}
		host.recv[l.id] = NewReceiver(l.id, win, tw, 1<<20, host.sched)
		host.inbox[l.id] = make(chan []byte, 256)
		client.send[l.id] = NewSender(l.id, NewCredit(win.Limits()), tc, client.sched)
	}
	client.mu.Unlock()
	host.mu.Unlock()
	consume := func(id uint32) {
		go func() {
			for v := range host.inbox[id] {
				if err := host.recv[id].Consume(len(v)); err != nil {
					host.errs <- err
				}
			}
		}()
	}
	consume(3)
	consume(5)

	value := bytes.Repeat([]byte{'v'}, 1024)
	// The stuck links 1 and 7 take the whole transport window.
	stuck := make(chan error, 2)
	stuckCtx, stopStuck := context.WithCancel(ctx)
	defer stopStuck()
	for _, id := range []uint32{1, 7} {
		go func() {
			for range 32 {
				if err := client.send[id].Send(stuckCtx, value, false); err != nil {
					stuck <- err
					return
				}
			}
			stuck <- nil
		}()
	}
	require.Eventually(t, func() bool { return client.tcred.Available().Bytes < 1024 },
		5*time.Second, time.Millisecond, "the stuck links fill the transport window")
	require.ErrorIs(t, client.send[3].TrySend(value, false), proto.ErrNoCredit, "link 3 is blocked by the transport window")

	// The control link is not: 20 values through a 4-value window.
	for i := range 20 {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		require.NoError(t, client.send[5].Send(sctx, value[:500], false), "control value %d", i)
		scancel()
	}

	// The host resets the stuck links: their buffered bytes go back to
	// the transport window, and link 3 moves again. (How the window was
	// shared between 1 and 7 is up to the scheduler, so both go.) The
	// stuck senders stop first.
	stopStuck()
	for range 2 {
		select {
		case err := <-stuck:
			if err != nil {
				require.ErrorIs(t, err, context.Canceled)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a stuck sender did not stop")
		}
	}
	host.mu.Lock()
	for _, id := range []uint32{1, 7} {
		require.NoError(t, host.sched.SendControl(proto.AppendResetFrame(nil, id, proto.Errorf(proto.CodeSlowConsumer, "stuck"))))
		require.NoError(t, host.recv[id].Drop())
	}
	host.mu.Unlock()
	for i := range 20 {
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		require.NoError(t, client.send[3].Send(sctx, value, false), "link 3 value %d after the reset", i)
		scancel()
	}
	require.Eventually(t, func() bool { return len(host.inbox[3]) == 0 && host.recv[3].Window().Buffered().Msgs == 0 },
		5*time.Second, time.Millisecond)
	select {
	case err := <-client.errs:
		t.Fatal(err)
	case err := <-host.errs:
		t.Fatal(err)
	default:
	}
}
