package main

import (
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/genehost/genehost/gene"
)

// payloadText is the value every scenario sends: an order event of the
// kind a real service passes around, about 100 bytes in Gene binary.
const payloadText = `(order ^id 4711 ^user "ada" ^items [(item ^sku "A-1001" ^qty 2) (item ^sku "B-2002" ^qty 1)] ^total 59.9 ^at 2026-11-24T09:30:15Z)`

// payload is the Gene value of payloadText and its bytes in the Gene
// binary encoding, which the raw-bytes peers carry.
var (
	payload      = gene.MustParse(payloadText)
	payloadBytes = gene.AppendBinary(nil, payload)
)

// decodeGene decodes one Gene binary value, as a genehost receiver does;
// the raw-bytes peers call it on receive so that every system decodes
// what it gets.
func decodeGene(b []byte) (gene.Value, error) {
	v, n, err := gene.DecodeBinary(b, gene.BinaryOptions{})
	if err != nil {
		return gene.Value{}, fmt.Errorf("decode gene payload: %w", err)
	}
	if n != len(b) {
		return gene.Value{}, fmt.Errorf("decode gene payload: %d trailing bytes", len(b)-n)
	}
	return v, nil
}

// Order is the protobuf twin of payload, for the gRPC+protobuf peer:
//
//	message Item  { string sku = 1; int64 qty = 2; }
//	message Order { int64 id = 1; string user = 2; repeated Item items = 3;
//	                double total = 4; int64 at_unix_micros = 5; }
//
// It is encoded by hand with protowire (protoc is not available here);
// the code does what generated code does, field by field.
type Order struct {
	ID           int64
	User         string
	Items        []Item
	Total        float64
	AtUnixMicros int64
}

// Item is one line of an Order.
type Item struct {
	SKU string
	Qty int64
}

var payloadOrder = Order{
	ID:           4711,
	User:         "ada",
	Items:        []Item{{SKU: "A-1001", Qty: 2}, {SKU: "B-2002", Qty: 1}},
	Total:        59.9,
	AtUnixMicros: time.Date(2026, 11, 24, 9, 30, 15, 0, time.UTC).UnixMicro(),
}

func (it *Item) size() int {
	return protowire.SizeTag(1) + protowire.SizeBytes(len(it.SKU)) +
		protowire.SizeTag(2) + protowire.SizeVarint(uint64(it.Qty))
}

func (it *Item) appendTo(b []byte) []byte {
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, it.SKU)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(it.Qty))
}

// Marshal appends the protobuf encoding of o to b.
func (o *Order) Marshal(b []byte) []byte {
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(o.ID))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, o.User)
	for i := range o.Items {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(o.Items[i].size()))
		b = o.Items[i].appendTo(b)
	}
	b = protowire.AppendTag(b, 4, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(o.Total))
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(o.AtUnixMicros))
}

var errProto = errors.New("protobuf")

// Unmarshal replaces o with the message in b.
func (o *Order) Unmarshal(b []byte) error {
	*o = Order{Items: o.Items[:0]}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: order tag: %w", errProto, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fmt.Errorf("%w: order.id: %w", errProto, protowire.ParseError(n))
			}
			o.ID, b = int64(v), b[n:]
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			if n < 0 {
				return fmt.Errorf("%w: order.user: %w", errProto, protowire.ParseError(n))
			}
			o.User, b = v, b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return fmt.Errorf("%w: order.items: %w", errProto, protowire.ParseError(n))
			}
			var it Item
			if err := it.unmarshal(v); err != nil {
				return err
			}
			o.Items, b = append(o.Items, it), b[n:]
		case num == 4 && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return fmt.Errorf("%w: order.total: %w", errProto, protowire.ParseError(n))
			}
			o.Total, b = math.Float64frombits(v), b[n:]
		case num == 5 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fmt.Errorf("%w: order.at_unix_micros: %w", errProto, protowire.ParseError(n))
			}
			o.AtUnixMicros, b = int64(v), b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("%w: order field %d: %w", errProto, num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return nil
}

func (it *Item) unmarshal(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: item tag: %w", errProto, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			if n < 0 {
				return fmt.Errorf("%w: item.sku: %w", errProto, protowire.ParseError(n))
			}
			it.SKU, b = v, b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return fmt.Errorf("%w: item.qty: %w", errProto, protowire.ParseError(n))
			}
			it.Qty, b = int64(v), b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return fmt.Errorf("%w: item field %d: %w", errProto, num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return nil
}
