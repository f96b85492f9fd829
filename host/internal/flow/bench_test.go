package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

var (
	payload      = gene.MustParse(`(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2) (item ^sku "B-2002" ^qty 1)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`)
	payloadBytes = gene.AppendBinary(nil, payload)
)

// BenchmarkLinkPath sends the scenarios' payload (an order event of about
// 100 bytes, tests/bench/payload.go) over one link of a real Unix socket
// pair through this package's per-link machinery alone, without the host
// or a session: encode, Sender (link credit and transport window),
// Scheduler, frames, Reader, Receiver (windows, reassembly), decode,
// Consume and the CREDIT frames back to the sender's Credit. It is the
// ceiling of tests/bench's scenario 3.
func BenchmarkLinkPath(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sendConn, recvConn := socketPair(b)

	wcfg := proto.WindowConfig{}.WithDefaults()
	win := NewWindow(wcfg)
	twin := NewByteWindow(proto.DefaultTransportWindow, proto.DefaultMaxTransportWin, proto.DefaultMaxMessageBytes)
	credit := NewCredit(win.Limits())
	tcredit := NewByteCredit(twin.Limits().Bytes)
	sendSched := NewScheduler(SchedulerConfig{})
	recvSched := NewScheduler(SchedulerConfig{})
	snd := NewSender(1, credit, tcredit, sendSched)
	rcv := NewReceiver(1, win, twin, proto.DefaultMaxMessageBytes, recvSched)
	done := make(chan error, 4)
	go func() { done <- sendSched.Run(ctx, sendConn) }()
	go func() { done <- recvSched.Run(ctx, recvConn) }()

	// The receiver: frames in, values decoded and consumed at once. It
	// counts what it consumed in got and signals reached (without
	// blocking) whenever got is at or past target, once target is set;
	// the sender sets target only after its last send.
	var got, target atomic.Int64
	reached := make(chan struct{}, 1)
	go func() {
		r := proto.NewReader(recvConn)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				done <- ignoreClosed(err)
				return
			}
			v, ok, _, err := rcv.Data(f)
			if err != nil {
				done <- err
				return
			}
			if !ok {
				continue
			}
			if _, err := proto.DecodeValue(proto.EncodingBinary, v, gene.Limits{}); err != nil {
				done <- err
				return
			}
			if err := rcv.Consume(len(v)); err != nil {
				done <- err
				return
			}
			// Count first, then read target: the sender stores target
			// before it reads got, so one of the two sees the other.
			n := got.Add(1)
			if t := target.Load(); t > 0 && n >= t {
				select {
				case reached <- struct{}{}:
				default:
				}
			}
		}
	}()
	// The sender's reader: CREDIT frames back to the Credits.
	go func() {
		r := proto.NewReader(sendConn)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				done <- ignoreClosed(err)
				return
			}
			if f.Type != proto.TypeCredit {
				continue
			}
			g, err := proto.ParseCredit(f.Payload)
			if err != nil {
				done <- err
				return
			}
			if f.Link == 0 {
				tcredit.Grant(g)
			} else {
				credit.Grant(g)
			}
		}
	}()

	b.ReportAllocs()
	b.SetBytes(int64(len(payloadBytes)))
	b.ResetTimer()
	base := got.Load()
	for range b.N {
		p, err := proto.AppendValue(make([]byte, 0, len(payloadBytes)), proto.EncodingBinary, payload)
		if err != nil {
			b.Fatal(err)
		}
		if err := snd.Send(ctx, p, false); err != nil {
			b.Fatal(err)
		}
	}
	// Every value sent must be consumed before the clock stops. A value
	// consumed after target is set signals reached; one consumed before
	// is seen by the check of got that follows the store.
	want := base + int64(b.N)
	target.Store(want)
	for got.Load() < want {
		select {
		case <-reached:
		case err := <-done:
			b.Fatalf("receiver stopped after %d of %d values: %v", got.Load()-base, b.N, err)
		}
	}
	b.StopTimer()
	cancel()
	sendConn.Close()
	recvConn.Close()
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// socketPair returns both ends of a connected Unix socket.
func socketPair(tb testing.TB) (net.Conn, net.Conn) {
	path := filepath.Join(tb.TempDir(), "pair.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	a, err := net.Dial("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	c := <-accepted
	if c == nil {
		tb.Fatal(fmt.Errorf("accept failed"))
	}
	tb.Cleanup(func() { a.Close(); c.Close() })
	return a, c
}
