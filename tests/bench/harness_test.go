package main

import (
	"math"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
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
	data := payloadOrder.Marshal(nil)
	var o Order
	if err := o.Unmarshal(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o, payloadOrder) {
		t.Fatalf("round trip gave %+v, want %+v", o, payloadOrder)
	}
	// An unknown field is skipped, as protobuf requires.
	extra := protowire.AppendTag(append([]byte(nil), data...), 99, protowire.BytesType)
	extra = protowire.AppendString(extra, "later")
	if err := o.Unmarshal(extra); err != nil || !reflect.DeepEqual(o, payloadOrder) {
		t.Fatalf("with an unknown field: %+v, %v", o, err)
	}
	if err := o.Unmarshal(data[:len(data)-1]); err == nil {
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
