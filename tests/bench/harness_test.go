package main

import (
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func TestPayloadIsAboutHundredBytes(t *testing.T) {
	if n := len(payloadBytes); n < 90 || n > 130 {
		t.Fatalf("payload is %d bytes in Gene binary, want about 100", n)
	}
	v, err := decodeGene(payloadBytes)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != payload.String() {
		t.Fatalf("payload decodes to %s, want %s", got, payload)
	}
}

func TestOrderRoundTrip(t *testing.T) {
	data, err := proto.Marshal(payloadOrder)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(data); n < 40 || n > 60 {
		t.Errorf("the protobuf order is %d bytes, want about 50", n)
	}
	var o Order
	if err := proto.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&o, payloadOrder) {
		t.Fatalf("round trip gave %v, want %v", &o, payloadOrder)
	}
	// The order says what payload says, field by field.
	if o.GetId() != 4711 || o.GetUser() != "ada" || len(o.GetItems()) != 2 || o.GetItems()[1].GetSku() != "B-2002" ||
		o.GetTotal() != 59.9 || time.UnixMicro(o.GetAtUnixMicros()).UTC().Format(time.RFC3339) != "2026-11-24T09:30:15Z" {
		t.Fatalf("order %v is not the payload %s", &o, payload)
	}
	// An unknown field is kept aside, as protobuf requires.
	extra := protowire.AppendTag(append([]byte(nil), data...), 99, protowire.BytesType)
	extra = protowire.AppendString(extra, "later")
	if err := proto.Unmarshal(extra, &o); err != nil || o.GetUser() != "ada" {
		t.Fatalf("with an unknown field: %v, %v", &o, err)
	}
	if err := proto.Unmarshal(data[:len(data)-1], &o); err == nil {
		t.Fatal("a truncated message decoded without error")
	}
}

func TestMedianAndPercentile(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median of 5 1 3 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 1 3 2 = %v", m)
	}
	if m := median(nil); !math.IsNaN(m) {
		t.Errorf("median of nothing = %v", m)
	}
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond
	}
	if p := percentile(ds, 99); p != 99*time.Millisecond {
		t.Errorf("p99 of 1..100ms = %v", p)
	}
}
