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

	"google.golang.org/protobuf/proto"

	"github.com/genehost/genehost/gene"
	gproto "github.com/genehost/genehost/proto"
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

// The same order as protobuf, as the gRPC protobuf peer carries it: the
// code protoc generated (order.pb.go).
func BenchmarkPayloadProtoEncode(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(proto.Size(payloadOrder)))
	for b.Loop() {
		var err error
		if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], payloadOrder); err != nil {
			b.Fatal(err)
		}
	}
	sink = buf
}

func BenchmarkPayloadProtoDecode(b *testing.B) {
	data, err := proto.Marshal(payloadOrder)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		o := new(Order)
		if err := proto.Unmarshal(data, o); err != nil {
			b.Fatal(err)
		}
		sink = o
	}
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

	wcfg := gproto.WindowConfig{}.WithDefaults()
	win := gproto.NewWindow(wcfg)
	twin := gproto.NewByteWindow(gproto.DefaultTransportWindow, gproto.DefaultMaxTransportWin, gproto.DefaultMaxMessageBytes)
	credit := gproto.NewCredit(win.Limits())
	tcredit := gproto.NewByteCredit(twin.Limits().Bytes)
	sendSched := gproto.NewScheduler(gproto.SchedulerConfig{})
	recvSched := gproto.NewScheduler(gproto.SchedulerConfig{})
	snd := gproto.NewSender(1, credit, tcredit, sendSched)
	rcv := gproto.NewReceiver(1, win, twin, gproto.DefaultMaxMessageBytes, recvSched)
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
		r := gproto.NewReader(recvConn)
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
			if _, err := gproto.DecodeValue(gproto.EncodingBinary, v, gene.Limits{}); err != nil {
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
		r := gproto.NewReader(sendConn)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				done <- ignoreClosed(err)
				return
			}
			if f.Type != gproto.TypeCredit {
				continue
			}
			g, err := gproto.ParseCredit(f.Payload)
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
		p, err := gproto.AppendValue(make([]byte, 0, len(payloadBytes)), gproto.EncodingBinary, payload)
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
