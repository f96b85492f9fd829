package gene

import (
	"encoding/binary"
	"math/big"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// BinaryVersion is the version of the binary encoding this package writes
// and reads (BINARY.md section 6). It appears in the header of a binary
// document and is announced in the wire handshake.
const BinaryVersion = 1

// binaryMagic starts every binary document. 0x89 is not valid UTF-8, so a
// binary document is never mistaken for Gene text.
const binaryMagic = "\x89GNB"

// Tag bytes of BINARY.md section 2.
const (
	binTagFixIntMax   = 0x3f // 0x00..0x3f: integers 0..63
	binTagFixStr      = 0x40 // 0x40..0x5f: strings of 0..31 bytes
	binTagFixSym      = 0x60 // 0x60..0x7f: symbols of 0..31 bytes
	binTagFixList     = 0x80 // 0x80..0x8f: mutable lists of 0..15 elements
	binTagFixProps    = 0x90 // 0x90..0x9f: mutable prop maps of 0..15 entries
	binTagNil         = 0xc0
	binTagVoid        = 0xc1
	binTagFalse       = 0xc2
	binTagTrue        = 0xc3
	binTagInt         = 0xc4
	binTagBigPos      = 0xc5
	binTagBigNeg      = 0xc6
	binTagFloat       = 0xc7
	binTagStr         = 0xc8
	binTagSym         = 0xc9
	binTagChar        = 0xca
	binTagList        = 0xcb
	binTagProps       = 0xcc
	binTagMap         = 0xcd
	binTagNode        = 0xce
	binTagBytes       = 0xcf
	binTagRegex       = 0xd0
	binTagDate        = 0xd1
	binTagTime        = 0xd2
	binTagDateTime    = 0xd3
	binTagFrozenList  = 0xd4
	binTagFrozenProps = 0xd5
	binTagNegFixInt   = 0xe0 // 0xe0..0xff: integers -32..-1

	binFixStrMax   = 31
	binFixListMax  = 15
	binFixIntMin   = -32
	binFixIntLimit = 64 // first integer that does not fit a fixint
)

// Node flag bits (BINARY.md section 3).
const (
	binNodeHead   = 0x01
	binNodeProps  = 0x02
	binNodeMeta   = 0x04
	binNodeBody   = 0x08
	binNodeFrozen = 0x10
	binNodeKnown  = 0x1f
)

// Time flag bits (BINARY.md section 4).
const (
	binTimeOffset = 0x01
	binTimeZone   = 0x02
	binTimeKnown  = 0x03
)

// AppendBinary appends the binary encoding of v (BINARY.md) to dst and
// returns the extended slice. The encoding is self-delimiting and carries
// no header; use AppendBinaryDoc for files. Invalid UTF-8 in strings,
// symbols, prop keys, regexes and zone names is written with U+FFFD in
// place of each run of bad bytes, and a char that is not a Unicode scalar value as
// U+FFFD, as the text writer does, so that the result always decodes.
func AppendBinary(dst []byte, v Value) []byte {
	return binAppendValue(dst, v)
}

// AppendBinaryDoc appends a binary document holding v to dst: the magic
// bytes, the version byte BinaryVersion, then the encoding of v.
func AppendBinaryDoc(dst []byte, v Value) []byte {
	dst = append(dst, binaryMagic...)
	dst = append(dst, BinaryVersion)
	return binAppendValue(dst, v)
}

// BinarySize returns the exact number of bytes AppendBinary writes for v,
// so callers can size a buffer before encoding.
func BinarySize(v Value) int {
	switch v.kind {
	case KindNil, KindVoid, KindBool:
		return 1
	case KindInt:
		if v.p != nil {
			if b := v.bigRef(); !b.IsInt64() {
				n := (b.BitLen() + 7) / 8
				return 1 + binUvarintLen(uint64(n)) + n
			}
			return binIntSize(v.bigRef().Int64())
		}
		return binIntSize(int64(v.n))
	case KindFloat:
		return 9
	case KindString, KindSymbol:
		n := binValidLen(v.Str())
		if n <= binFixStrMax {
			return 1 + n
		}
		return 1 + binUvarintLen(uint64(n)) + n
	case KindChar:
		return 1 + binUvarintLen(uint64(binScalar(rune(v.n))))
	case KindList:
		elems := v.List()
		n := binListHeaderSize(len(elems), v.frozen)
		for i := range elems {
			n += BinarySize(elems[i])
		}
		return n
	case KindProps:
		ps := v.Props()
		return binListHeaderSize(len(ps), v.frozen) + binPropsSize(ps)
	case KindMap:
		es := v.Entries()
		n := 1 + binUvarintLen(uint64(len(es)))
		for i := range es {
			n += BinarySize(es[i].Key) + BinarySize(es[i].Value)
		}
		return n
	case KindNode:
		nd := v.Node()
		n := 2
		if nd.HasHead {
			n += BinarySize(nd.Head)
		}
		if len(nd.Props) > 0 {
			n += binUvarintLen(uint64(len(nd.Props))) + binPropsSize(nd.Props)
		}
		if len(nd.Meta) > 0 {
			n += binUvarintLen(uint64(len(nd.Meta))) + binPropsSize(nd.Meta)
		}
		if len(nd.Body) > 0 {
			n += binUvarintLen(uint64(len(nd.Body)))
			for i := range nd.Body {
				n += BinarySize(nd.Body[i])
			}
		}
		return n
	case KindBytes:
		n := int(v.n)
		return 1 + binUvarintLen(uint64(n)) + n
	case KindRegex:
		r := v.Regex()
		return 1 + binStrSize(r.Pattern) + binStrSize(r.Flags)
	case KindDate, KindTime, KindDateTime:
		t := (*Temporal)(v.p)
		n := 1
		if v.kind != KindTime {
			n += binZigzagLen(t.Year) + binZigzagLen(t.Month) + binZigzagLen(t.Day)
		}
		if v.kind != KindDate {
			n += 1 + binZigzagLen(t.Hour) + binZigzagLen(t.Minute) + binZigzagLen(t.Second) + binZigzagLen(t.Micro)
			if t.HasOffset {
				n += binZigzagLen(t.Offset)
			}
			if t.Zone != "" {
				n += binStrSize(t.Zone)
			}
		}
		return n
	}
	return 1
}

func binAppendValue(dst []byte, v Value) []byte {
	switch v.kind {
	case KindNil:
		return append(dst, binTagNil)
	case KindVoid:
		return append(dst, binTagVoid)
	case KindBool:
		if v.n != 0 {
			return append(dst, binTagTrue)
		}
		return append(dst, binTagFalse)
	case KindInt:
		if v.p != nil {
			return binAppendBig(dst, v.bigRef())
		}
		return binAppendInt(dst, int64(v.n))
	case KindFloat:
		return binary.LittleEndian.AppendUint64(append(dst, binTagFloat), v.n)
	case KindString:
		return binAppendTagged(dst, binTagFixStr, binTagStr, v.Str())
	case KindSymbol:
		return binAppendTagged(dst, binTagFixSym, binTagSym, v.Str())
	case KindChar:
		return binAppendUvarint(append(dst, binTagChar), uint64(binScalar(rune(v.n))))
	case KindList:
		elems := v.List()
		dst = binAppendListHeader(dst, binTagFixList, binTagList, binTagFrozenList, len(elems), v.frozen)
		for i := range elems {
			dst = binAppendValue(dst, elems[i])
		}
		return dst
	case KindProps:
		ps := v.Props()
		dst = binAppendListHeader(dst, binTagFixProps, binTagProps, binTagFrozenProps, len(ps), v.frozen)
		return binAppendProps(dst, ps)
	case KindMap:
		es := v.Entries()
		dst = binAppendUvarint(append(dst, binTagMap), uint64(len(es)))
		for i := range es {
			dst = binAppendValue(dst, es[i].Key)
			dst = binAppendValue(dst, es[i].Value)
		}
		return dst
	case KindNode:
		return binAppendNode(dst, v)
	case KindBytes:
		b := v.Bytes()
		dst = binAppendUvarint(append(dst, binTagBytes), uint64(len(b)))
		return append(dst, b...)
	case KindRegex:
		r := v.Regex()
		dst = binAppendStr(append(dst, binTagRegex), r.Pattern)
		return binAppendStr(dst, r.Flags)
	case KindDate:
		return binAppendDate(append(dst, binTagDate), (*Temporal)(v.p))
	case KindTime:
		return binAppendTime(append(dst, binTagTime), (*Temporal)(v.p))
	case KindDateTime:
		t := (*Temporal)(v.p)
		return binAppendTime(binAppendDate(append(dst, binTagDateTime), t), t)
	}
	// A kind this encoder does not know cannot come from a constructor;
	// nil keeps the output decodable.
	return append(dst, binTagNil)
}

func binAppendInt(dst []byte, i int64) []byte {
	if i >= binFixIntMin && i < binFixIntLimit {
		return append(dst, byte(i))
	}
	return binAppendUvarint(append(dst, binTagInt), binZigzag(i))
}

func binIntSize(i int64) int {
	if i >= binFixIntMin && i < binFixIntLimit {
		return 1
	}
	return 1 + binUvarintLen(binZigzag(i))
}

// binAppendBig writes the magnitude straight into dst with FillBytes, so an
// encode allocates nothing for big integers.
func binAppendBig(dst []byte, b *big.Int) []byte {
	if b.IsInt64() {
		// Only a caller that modified the big.Int after BigInt gets here.
		return binAppendInt(dst, b.Int64())
	}
	tag := byte(binTagBigPos)
	if b.Sign() < 0 {
		tag = binTagBigNeg
	}
	n := (b.BitLen() + 7) / 8
	dst = binAppendUvarint(append(dst, tag), uint64(n))
	dst = binGrow(dst, n)
	b.FillBytes(dst[len(dst)-n:])
	return dst
}

// grow extends dst by n bytes (contents unspecified).
func binGrow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nd := make([]byte, len(dst), 2*cap(dst)+n)
		copy(nd, dst)
		dst = nd
	}
	return dst[:len(dst)+n]
}

func binAppendTagged(dst []byte, fixTag, longTag byte, s string) []byte {
	if !binValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= binFixStrMax {
		dst = append(dst, fixTag|byte(len(s)))
	} else {
		dst = binAppendUvarint(append(dst, longTag), uint64(len(s)))
	}
	return append(dst, s...)
}

// binAppendStr writes a str (BINARY.md section 1): uvarint length and UTF-8.
func binAppendStr(dst []byte, s string) []byte {
	if !binValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) < 0x80 {
		dst = append(dst, byte(len(s)))
	} else {
		dst = binAppendUvarint(dst, uint64(len(s)))
	}
	return append(dst, s...)
}

func binStrSize(s string) int {
	n := binValidLen(s)
	return binUvarintLen(uint64(n)) + n
}

func binAppendListHeader(dst []byte, fixTag, longTag, frozenTag byte, n int, frozen bool) []byte {
	switch {
	case frozen:
		return binAppendUvarint(append(dst, frozenTag), uint64(n))
	case n <= binFixListMax:
		return append(dst, fixTag|byte(n))
	}
	return binAppendUvarint(append(dst, longTag), uint64(n))
}

func binListHeaderSize(n int, frozen bool) int {
	if !frozen && n <= binFixListMax {
		return 1
	}
	return 1 + binUvarintLen(uint64(n))
}

func binAppendProps(dst []byte, ps Props) []byte {
	for i := range ps {
		dst = binAppendStr(dst, ps[i].Key)
		dst = binAppendValue(dst, ps[i].Value)
	}
	return dst
}

func binPropsSize(ps Props) int {
	n := 0
	for i := range ps {
		n += binStrSize(ps[i].Key) + BinarySize(ps[i].Value)
	}
	return n
}

func binAppendNode(dst []byte, v Value) []byte {
	nd := v.Node()
	var flags byte
	if nd.HasHead {
		flags |= binNodeHead
	}
	if len(nd.Props) > 0 {
		flags |= binNodeProps
	}
	if len(nd.Meta) > 0 {
		flags |= binNodeMeta
	}
	if len(nd.Body) > 0 {
		flags |= binNodeBody
	}
	if v.frozen {
		flags |= binNodeFrozen
	}
	dst = append(dst, binTagNode, flags)
	if nd.HasHead {
		dst = binAppendValue(dst, nd.Head)
	}
	if len(nd.Props) > 0 {
		dst = binAppendProps(binAppendUvarint(dst, uint64(len(nd.Props))), nd.Props)
	}
	if len(nd.Meta) > 0 {
		dst = binAppendProps(binAppendUvarint(dst, uint64(len(nd.Meta))), nd.Meta)
	}
	if len(nd.Body) > 0 {
		dst = binAppendUvarint(dst, uint64(len(nd.Body)))
		for i := range nd.Body {
			dst = binAppendValue(dst, nd.Body[i])
		}
	}
	return dst
}

func binAppendDate(dst []byte, t *Temporal) []byte {
	dst = binAppendUvarint(dst, binZigzag(int64(t.Year)))
	dst = binAppendUvarint(dst, binZigzag(int64(t.Month)))
	return binAppendUvarint(dst, binZigzag(int64(t.Day)))
}

func binAppendTime(dst []byte, t *Temporal) []byte {
	var flags byte
	if t.HasOffset {
		flags |= binTimeOffset
	}
	if t.Zone != "" {
		flags |= binTimeZone
	}
	dst = append(dst, flags)
	dst = binAppendUvarint(dst, binZigzag(int64(t.Hour)))
	dst = binAppendUvarint(dst, binZigzag(int64(t.Minute)))
	dst = binAppendUvarint(dst, binZigzag(int64(t.Second)))
	dst = binAppendUvarint(dst, binZigzag(int64(t.Micro)))
	if t.HasOffset {
		dst = binAppendUvarint(dst, binZigzag(int64(t.Offset)))
	}
	if t.Zone != "" {
		dst = binAppendStr(dst, t.Zone)
	}
	return dst
}

func binAppendUvarint(dst []byte, x uint64) []byte {
	for x >= 0x80 {
		dst = append(dst, byte(x)|0x80)
		x >>= 7
	}
	return append(dst, byte(x))
}

func binUvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func binZigzag(i int64) uint64 { return uint64(i<<1) ^ uint64(i>>63) }

func binZigzagLen(i int) int { return binUvarintLen(binZigzag(int64(i))) }

// scalar maps a rune that is not a Unicode scalar value to U+FFFD.
func binScalar(r rune) rune {
	if !utf8.ValidRune(r) {
		return utf8.RuneError
	}
	return r
}

// binValidString is utf8.ValidString with binValidUTF8's fast path for
// short ASCII strings.
func binValidString(s string) bool {
	return binValidUTF8(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// binValidLen is the length of s after invalid UTF-8 is replaced.
func binValidLen(s string) int {
	if binValidString(s) {
		return len(s)
	}
	return len(strings.ToValidUTF8(s, "\uFFFD"))
}
