package abi

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"

	"github.com/genehost/genehost/gene"
)

// LinkInfo is what gh_on_open receives: a prop map with these props
// (ABI.md section 4). Decoders ignore props they do not know, so later
// minor versions can add some.
type LinkInfo struct {
	ID        uint64
	Interface string
	// Direction is "send", "recv" or "send+recv", named from the server's
	// side.
	Direction string
	// Peer is the remote address, for logs.
	Peer string
	// Meta is the metadata the client sent when opening the link (nil
	// when none).
	Meta gene.Value
}

// Value returns the link info as the prop map ABI.md describes.
func (li LinkInfo) Value() gene.Value {
	return gene.PropMap(
		gene.Prop{Key: "id", Value: uintValue(li.ID)},
		gene.Prop{Key: "interface", Value: gene.String(li.Interface)},
		gene.Prop{Key: "direction", Value: gene.String(li.Direction)},
		gene.Prop{Key: "peer", Value: gene.String(li.Peer)},
		gene.Prop{Key: "meta", Value: li.Meta},
	)
}

func uintValue(u uint64) gene.Value {
	if u <= math.MaxInt64 {
		return gene.Int(int64(u))
	}
	return gene.BigInt(new(big.Int).SetUint64(u))
}

// AppendLinkInfo appends the encoding of li to dst.
func AppendLinkInfo(dst []byte, li LinkInfo) []byte {
	return gene.AppendBinary(dst, li.Value())
}

// DecodeLinkInfo decodes the input of gh_on_open. It fails when data is
// not exactly one prop map, or when a known prop has the wrong kind.
func DecodeLinkInfo(data []byte, o gene.BinaryOptions) (LinkInfo, error) {
	v, n, err := gene.DecodeBinary(data, o)
	if err != nil {
		return LinkInfo{}, fmt.Errorf("abi: link info: %w", err)
	}
	if n != len(data) {
		return LinkInfo{}, fmt.Errorf("abi: link info: %d bytes after the value", len(data)-n)
	}
	if v.Kind() != gene.KindProps {
		return LinkInfo{}, fmt.Errorf("abi: link info is a %v, want a prop map", v.Kind())
	}
	var li LinkInfo
	for _, p := range v.Props() {
		switch p.Key {
		case "id":
			b := p.Value.BigInt()
			if b == nil || b.Sign() < 0 || !b.IsUint64() {
				return LinkInfo{}, fmt.Errorf("abi: link info: ^id is %v, want an unsigned 64-bit integer", p.Value.Kind())
			}
			li.ID = b.Uint64()
		case "interface", "direction", "peer":
			if p.Value.Kind() != gene.KindString {
				return LinkInfo{}, fmt.Errorf("abi: link info: ^%s is a %v, want a string", p.Key, p.Value.Kind())
			}
			switch p.Key {
			case "interface":
				li.Interface = p.Value.Str()
			case "direction":
				li.Direction = p.Value.Str()
			default:
				li.Peer = p.Value.Str()
			}
		case "meta":
			li.Meta = p.Value
		}
	}
	return li, nil
}

// AppendControl appends the input of gh_on_control: op as a symbol, then
// arg.
func AppendControl(dst []byte, op string, arg gene.Value) []byte {
	dst = gene.AppendBinary(dst, gene.Symbol(op))
	return gene.AppendBinary(dst, arg)
}

// DecodeControl decodes the input of gh_on_control. It fails unless data
// is exactly a symbol followed by one value.
func DecodeControl(data []byte, o gene.BinaryOptions) (op string, arg gene.Value, err error) {
	v, n, err := gene.DecodeBinary(data, o)
	if err != nil {
		return "", gene.Value{}, fmt.Errorf("abi: control operation: %w", err)
	}
	if v.Kind() != gene.KindSymbol {
		return "", gene.Value{}, fmt.Errorf("abi: control operation name is a %v, want a symbol", v.Kind())
	}
	arg, m, err := gene.DecodeBinary(data[n:], o)
	if err != nil {
		return "", gene.Value{}, fmt.Errorf("abi: control argument: %w", err)
	}
	if n+m != len(data) {
		return "", gene.Value{}, fmt.Errorf("abi: control input: %d bytes after the argument", len(data)-n-m)
	}
	return v.Str(), arg, nil
}

// AppendBatch appends the encodings of vs back to back, as gh_on_values
// receives them.
func AppendBatch(dst []byte, vs []gene.Value) []byte {
	for _, v := range vs {
		dst = gene.AppendBinary(dst, v)
	}
	return dst
}

// AppendBatchEnds is AppendBatch that also appends to ends, for each
// value, the offset in dst just past its encoding, so that the value's
// bytes can be found again (see DecodeBatchEnds).
func AppendBatchEnds(dst []byte, ends []int, vs []gene.Value) ([]byte, []int) {
	for _, v := range vs {
		dst = gene.AppendBinary(dst, v)
		ends = append(ends, len(dst))
	}
	return dst, ends
}

// DecodeBatch decodes count values from data, appending them to dst. It
// fails unless data holds exactly count values.
func DecodeBatch(dst []gene.Value, data []byte, count int, o gene.BinaryOptions) ([]gene.Value, error) {
	dst, _, err := decodeBatch(dst, nil, false, data, count, o)
	return dst, err
}

// DecodeBatchEnds is DecodeBatch that also appends to ends, for each value,
// the offset in data just past it: value i spans data[ends[i-1]:ends[i]]
// (from 0 for the first). A guest uses them to send a value it received
// back as the bytes it arrived in, without encoding it again.
func DecodeBatchEnds(dst []gene.Value, ends []int, data []byte, count int, o gene.BinaryOptions) ([]gene.Value, []int, error) {
	return decodeBatch(dst, ends, true, data, count, o)
}

func decodeBatch(dst []gene.Value, ends []int, withEnds bool, data []byte, count int, o gene.BinaryOptions) ([]gene.Value, []int, error) {
	pos := 0
	for i := 0; i < count; i++ {
		v, n, err := gene.DecodeBinary(data[pos:], o)
		if err != nil {
			return dst, ends, fmt.Errorf("abi: value %d of %d at byte %d: %w", i+1, count, pos, err)
		}
		dst = append(dst, v)
		pos += n
		if withEnds {
			ends = append(ends, pos)
		}
	}
	if pos != len(data) {
		return dst, ends, fmt.Errorf("abi: batch of %d values: %d bytes after the last value", count, len(data)-pos)
	}
	return dst, ends, nil
}

// ScanRecordSize is the size of one gh_kv_scan record.
func ScanRecordSize(key, val []byte) int { return 8 + len(key) + len(val) }

// AppendScanRecord appends one gh_kv_scan record: klen (u32 little
// endian), key, vlen (u32 little endian), value.
func AppendScanRecord(dst, key, val []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(key)))
	dst = append(dst, key...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(val)))
	return append(dst, val...)
}

// NextScanRecord splits the first record off data. key and val alias
// data. It fails when data is shorter than the record it announces.
func NextScanRecord(data []byte) (key, val, rest []byte, err error) {
	field := func(what string) ([]byte, error) {
		if len(data) < 4 {
			return nil, fmt.Errorf("abi: scan record: %d bytes left, want a 4-byte %s length", len(data), what)
		}
		n := binary.LittleEndian.Uint32(data)
		if uint64(n) > uint64(len(data)-4) {
			return nil, fmt.Errorf("abi: scan record: %s of %d bytes, only %d left", what, n, len(data)-4)
		}
		b := data[4 : 4+n : 4+n]
		data = data[4+n:]
		return b, nil
	}
	if key, err = field("key"); err != nil {
		return nil, nil, nil, err
	}
	if val, err = field("value"); err != nil {
		return nil, nil, nil, err
	}
	return key, val, data, nil
}

// WatchDeleted is the value length of a gh_kv_watch_next record that
// reports a deleted key (no value bytes follow).
const WatchDeleted = 0xFFFFFFFF

// AppendWatchRecord appends one gh_kv_watch_next record: a scan record
// (AppendScanRecord) for a put, the key with value length WatchDeleted
// and no value for a delete; a record with an empty key (and value length
// 0) says changes were lost before the records after it.
func AppendWatchRecord(dst, key, val []byte, deleted bool) []byte {
	if !deleted {
		return AppendScanRecord(dst, key, val)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(key)))
	dst = append(dst, key...)
	return binary.LittleEndian.AppendUint32(dst, WatchDeleted)
}

// WatchRecordSize is the size of one gh_kv_watch_next record.
func WatchRecordSize(key, val []byte, deleted bool) int {
	if deleted {
		return 8 + len(key)
	}
	return ScanRecordSize(key, val)
}

// NextWatchRecord splits the first gh_kv_watch_next record off data; lost
// is true for the lost marker (empty key). key and val alias data.
func NextWatchRecord(data []byte) (key, val []byte, deleted, lost bool, rest []byte, err error) {
	if len(data) >= 4 {
		n := binary.LittleEndian.Uint32(data)
		if uint64(n)+8 <= uint64(len(data)) && binary.LittleEndian.Uint32(data[4+n:]) == WatchDeleted {
			return data[4 : 4+n : 4+n], nil, true, false, data[8+n:], nil
		}
	}
	key, val, rest, err = NextScanRecord(data)
	return key, val, false, err == nil && len(key) == 0, rest, err
}
