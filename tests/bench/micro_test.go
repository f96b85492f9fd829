package main

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

// Microbenchmarks of the per-value work the scenarios compare, run with
// go test -run '^$' -bench . -benchmem ./tests/bench (inside its module).

var sink any

// The payload through the Gene binary codec, as genehost carries it.
func BenchmarkPayloadGeneEncode(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(payloadBytes)))
	for b.Loop() {
		buf = gene.AppendBinary(buf[:0], payload)
	}
	sink = buf
}

func BenchmarkPayloadGeneDecode(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(payloadBytes)))
	for b.Loop() {
		v, err := decodeGene(payloadBytes)
		if err != nil {
			b.Fatal(err)
		}
		sink = v
	}
}

// The same order as protobuf, as the gRPC protobuf peer carries it.
func BenchmarkPayloadProtoEncode(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(payloadOrder.Marshal(nil))))
	for b.Loop() {
		buf = payloadOrder.Marshal(buf[:0])
	}
	sink = buf
}

func BenchmarkPayloadProtoDecode(b *testing.B) {
	data := payloadOrder.Marshal(nil)
	var o Order
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := o.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
	sink = o
}

// BenchmarkLinkPath sends the payload over one link of a real Unix socket
// pair through proto's per-link machinery alone, without the host: encode,
// Sender (link credit and transport window), Scheduler, frames, Reader,
// Receiver (windows, reassembly), decode, Consume and the CREDIT frames
// back to the sender's Credit. It is the ceiling of scenario 3.
func BenchmarkLinkPath(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sendConn, recvConn := socketPair(b)

	wcfg := proto.WindowConfig{}.WithDefaults()
	win := proto.NewWindow(wcfg)
	twin := proto.NewByteWindow(proto.DefaultTransportWindow, proto.DefaultMaxTransportWin)
	credit := proto.NewCredit(win.Limits())
	tcredit := proto.NewByteCredit(twin.Limits().Bytes)
	sendSched := proto.NewScheduler(proto.SchedulerConfig{})
	recvSched := proto.NewScheduler(proto.SchedulerConfig{})
	snd := proto.NewSender(1, credit, tcredit, sendSched)
	rcv := proto.NewReceiver(1, win, twin, proto.DefaultMaxMessageBytes, recvSched)
	done := make(chan error, 4)
	go func() { done <- sendSched.Run(ctx, sendConn) }()
	go func() { done <- recvSched.Run(ctx, recvConn) }()

	// The receiver: frames in, values decoded and consumed at once.
	var got atomic.Int64
	want := make(chan int64, 1)
	go func() {
		r := proto.NewReader(recvConn)
		var target int64 = -1
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
			n := got.Add(1)
			select {
			case target = <-want:
			default:
			}
			if n == target {
				want <- -n // signal completion
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
	want <- base + int64(b.N)
	select {
	case <-want:
	case err := <-done:
		b.Fatal(err)
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
