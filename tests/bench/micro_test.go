package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
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

// The host's own path, as scenarios 1 and 3 measure it, for A/B runs with
// go test -count: a round trip on the native echo, and a one-way stream of
// values the host decodes (b.N values, timed until the handler saw the
// link close with all of them).
func BenchmarkHostRoundTrip(b *testing.B) {
	ctx := context.Background()
	_, l := benchHostLink(b, ifaceEcho, gproto.DirSendRecv)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if err := l.Send(ctx, payload); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Recv(ctx); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

func BenchmarkHostStream(b *testing.B) {
	ctx := context.Background()
	h, l := benchHostLink(b, ifaceSink, gproto.DirRecv)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		if err := l.Send(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.CloseSend(ctx); err != nil {
		b.Fatal(err)
	}
	r := <-h.sink.closed
	reportCPU(b, cpu)
	if r.n != int64(b.N) {
		b.Fatalf("the handler got %d of %d values (%v)", r.n, b.N, r.err)
	}
}

// benchHostLink starts an in-process host, connects to it and opens a
// link on iface; all of it is closed when b ends.
func benchHostLink(b *testing.B, iface string, dir gproto.Direction) (*ghHost, *client.Link) {
	ctx := context.Background()
	h, err := startHost(filepath.Join(b.TempDir(), "host.sock"), host.Config{})
	if err != nil {
		b.Fatal(err)
	}
	conn, cleanup, err := connect(ctx, h)
	b.Cleanup(func() { runAll(cleanup) })
	if err != nil {
		b.Fatal(err)
	}
	l, err := conn.Open(ctx, iface, dir, client.LinkOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return h, l
}

// processCPU is the CPU time (user and system) the process has used: on a
// loaded machine a steadier measure of the work per value than the wall
// time, which includes waiting for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// The floor under BenchmarkHostRoundTrip: a Go echo of a frame of the
// same size over a Unix socket in the same process, one goroutine reading
// and writing on each side, nothing decoded.
func BenchmarkUnixPingPong(b *testing.B) {
	ln, err := net.Listen("unix", filepath.Join(b.TempDir(), "pp.sock"))
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 8+len(payloadBytes))
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 8+len(payloadBytes))
	for b.Loop() {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}
