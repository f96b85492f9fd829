package main

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/genehost/genehost/gene"
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
