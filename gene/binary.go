package gene

import (
	"encoding/binary"
	"math/big"
	"strings"
	"unicode/utf8"
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
	tagFixIntMax   = 0x3f // 0x00..0x3f: integers 0..63
	tagFixStr      = 0x40 // 0x40..0x5f: strings of 0..31 bytes
	tagFixSym      = 0x60 // 0x60..0x7f: symbols of 0..31 bytes
	tagFixList     = 0x80 // 0x80..0x8f: mutable lists of 0..15 elements
	tagFixProps    = 0x90 // 0x90..0x9f: mutable prop maps of 0..15 entries
	tagNil         = 0xc0
	tagVoid        = 0xc1
	tagFalse       = 0xc2
	tagTrue        = 0xc3
	tagInt         = 0xc4
	tagBigPos      = 0xc5
	tagBigNeg      = 0xc6
	tagFloat       = 0xc7
	tagStr         = 0xc8
	tagSym         = 0xc9
	tagChar        = 0xca
	tagList        = 0xcb
	tagProps       = 0xcc
	tagMap         = 0xcd
	tagNode        = 0xce
	tagBytes       = 0xcf
	tagRegex       = 0xd0
	tagDate        = 0xd1
	tagTime        = 0xd2
	tagDateTime    = 0xd3
	tagFrozenList  = 0xd4
	tagFrozenProps = 0xd5
	tagNegFixInt   = 0xe0 // 0xe0..0xff: integers -32..-1

	fixStrMax   = 31
	fixListMax  = 15
	fixIntMin   = -32
	fixIntLimit = 64 // first integer that does not fit a fixint
)

// Node flag bits (BINARY.md section 3).
const (
	nodeHead   = 0x01
	nodeProps  = 0x02
	nodeMeta   = 0x04
	nodeBody   = 0x08
	nodeFrozen = 0x10
	nodeKnown  = 0x1f
)

// Time flag bits (BINARY.md section 4).
const (
	timeOffset = 0x01
	timeZone   = 0x02
	timeKnown  = 0x03
)

// AppendBinary appends the binary encoding of v (BINARY.md) to dst and
// returns the extended slice. The encoding is self-delimiting and carries
// no header; use AppendBinaryDoc for files. Invalid UTF-8 in strings,
// symbols, prop keys, regexes and zone names is written with U+FFFD in
// place of each run of bad bytes, and a char that is not a Unicode scalar value as
// U+FFFD, as the text writer does, so that the result always decodes.
func AppendBinary(dst []byte, v Value) []byte {
	return appendValue(dst, v)
}

// AppendBinaryDoc appends a binary document holding v to dst: the magic
// bytes, the version byte BinaryVersion, then the encoding of v.
func AppendBinaryDoc(dst []byte, v Value) []byte {
	dst = append(dst, binaryMagic...)
	dst = append(dst, BinaryVersion)
	return appendValue(dst, v)
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
				return 1 + uvarintLen(uint64(n)) + n
			}
			return intSize(v.bigRef().Int64())
		}
		return intSize(int64(v.n))
	case KindFloat:
		return 9
	case KindString, KindSymbol:
		n := validLen(v.Str())
		if n <= fixStrMax {
			return 1 + n
		}
		return 1 + uvarintLen(uint64(n)) + n
	case KindChar:
		return 1 + uvarintLen(uint64(scalar(rune(v.n))))
	case KindList:
		elems := v.List()
		n := listHeaderSize(len(elems), v.frozen)
		for i := range elems {
			n += BinarySize(elems[i])
		}
		return n
	case KindProps:
		ps := v.Props()
		return listHeaderSize(len(ps), v.frozen) + propsSize(ps)
	case KindMap:
		es := v.Entries()
		n := 1 + uvarintLen(uint64(len(es)))
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
			n += uvarintLen(uint64(len(nd.Props))) + propsSize(nd.Props)
		}
		if len(nd.Meta) > 0 {
			n += uvarintLen(uint64(len(nd.Meta))) + propsSize(nd.Meta)
		}
		if len(nd.Body) > 0 {
			n += uvarintLen(uint64(len(nd.Body)))
			for i := range nd.Body {
				n += BinarySize(nd.Body[i])
			}
		}
		return n
	case KindBytes:
		n := int(v.n)
		return 1 + uvarintLen(uint64(n)) + n
	case KindRegex:
		r := v.Regex()
		return 1 + strSize(r.Pattern) + strSize(r.Flags)
	case KindDate, KindTime, KindDateTime:
		t := (*Temporal)(v.p)
		n := 1
		if v.kind != KindTime {
			n += zigzagLen(t.Year) + zigzagLen(t.Month) + zigzagLen(t.Day)
		}
		if v.kind != KindDate {
			n += 1 + zigzagLen(t.Hour) + zigzagLen(t.Minute) + zigzagLen(t.Second) + zigzagLen(t.Micro)
			if t.HasOffset {
				n += zigzagLen(t.Offset)
			}
			if t.Zone != "" {
				n += strSize(t.Zone)
			}
		}
		return n
	}
	return 1
}

func appendValue(dst []byte, v Value) []byte {
	switch v.kind {
	case KindNil:
		return append(dst, tagNil)
	case KindVoid:
		return append(dst, tagVoid)
	case KindBool:
		if v.n != 0 {
			return append(dst, tagTrue)
		}
		return append(dst, tagFalse)
	case KindInt:
		if v.p != nil {
			return appendBig(dst, v.bigRef())
		}
		return appendInt(dst, int64(v.n))
	case KindFloat:
		return binary.LittleEndian.AppendUint64(append(dst, tagFloat), v.n)
	case KindString:
		return appendTagged(dst, tagFixStr, tagStr, v.Str())
	case KindSymbol:
		return appendTagged(dst, tagFixSym, tagSym, v.Str())
	case KindChar:
		return appendUvarint(append(dst, tagChar), uint64(scalar(rune(v.n))))
	case KindList:
		elems := v.List()
		dst = appendListHeader(dst, tagFixList, tagList, tagFrozenList, len(elems), v.frozen)
		for i := range elems {
			dst = appendValue(dst, elems[i])
		}
		return dst
	case KindProps:
		ps := v.Props()
		dst = appendListHeader(dst, tagFixProps, tagProps, tagFrozenProps, len(ps), v.frozen)
		return appendProps(dst, ps)
	case KindMap:
		es := v.Entries()
		dst = appendUvarint(append(dst, tagMap), uint64(len(es)))
		for i := range es {
			dst = appendValue(dst, es[i].Key)
			dst = appendValue(dst, es[i].Value)
		}
		return dst
	case KindNode:
		return appendNode(dst, v)
	case KindBytes:
		b := v.Bytes()
		dst = appendUvarint(append(dst, tagBytes), uint64(len(b)))
		return append(dst, b...)
	case KindRegex:
		r := v.Regex()
		dst = appendStr(append(dst, tagRegex), r.Pattern)
		return appendStr(dst, r.Flags)
	case KindDate:
		return appendDate(append(dst, tagDate), (*Temporal)(v.p))
	case KindTime:
		return appendTime(append(dst, tagTime), (*Temporal)(v.p))
	case KindDateTime:
		t := (*Temporal)(v.p)
		return appendTime(appendDate(append(dst, tagDateTime), t), t)
	}
	// A kind this encoder does not know cannot come from a constructor;
	// nil keeps the output decodable.
	return append(dst, tagNil)
}

func appendInt(dst []byte, i int64) []byte {
	if i >= fixIntMin && i < fixIntLimit {
		return append(dst, byte(i))
	}
	return appendUvarint(append(dst, tagInt), zigzag(i))
}

func intSize(i int64) int {
	if i >= fixIntMin && i < fixIntLimit {
		return 1
	}
	return 1 + uvarintLen(zigzag(i))
}

// appendBig writes the magnitude straight into dst with FillBytes, so an
// encode allocates nothing for big integers.
func appendBig(dst []byte, b *big.Int) []byte {
	if b.IsInt64() {
		// Only a caller that modified the big.Int after BigInt gets here.
		return appendInt(dst, b.Int64())
	}
	tag := byte(tagBigPos)
	if b.Sign() < 0 {
		tag = tagBigNeg
	}
	n := (b.BitLen() + 7) / 8
	dst = appendUvarint(append(dst, tag), uint64(n))
	dst = grow(dst, n)
	b.FillBytes(dst[len(dst)-n:])
	return dst
}

// grow extends dst by n bytes (contents unspecified).
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nd := make([]byte, len(dst), 2*cap(dst)+n)
		copy(nd, dst)
		dst = nd
	}
	return dst[:len(dst)+n]
}

func appendTagged(dst []byte, fixTag, longTag byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= fixStrMax {
		dst = append(dst, fixTag|byte(len(s)))
	} else {
		dst = appendUvarint(append(dst, longTag), uint64(len(s)))
	}
	return append(dst, s...)
}

// appendStr writes a str (BINARY.md section 1): uvarint length and UTF-8.
func appendStr(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	dst = appendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func strSize(s string) int {
	n := validLen(s)
	return uvarintLen(uint64(n)) + n
}

func appendListHeader(dst []byte, fixTag, longTag, frozenTag byte, n int, frozen bool) []byte {
	switch {
	case frozen:
		return appendUvarint(append(dst, frozenTag), uint64(n))
	case n <= fixListMax:
		return append(dst, fixTag|byte(n))
	}
	return appendUvarint(append(dst, longTag), uint64(n))
}

func listHeaderSize(n int, frozen bool) int {
	if !frozen && n <= fixListMax {
		return 1
	}
	return 1 + uvarintLen(uint64(n))
}

func appendProps(dst []byte, ps Props) []byte {
	for i := range ps {
		dst = appendStr(dst, ps[i].Key)
		dst = appendValue(dst, ps[i].Value)
	}
	return dst
}

func propsSize(ps Props) int {
	n := 0
	for i := range ps {
		n += strSize(ps[i].Key) + BinarySize(ps[i].Value)
	}
	return n
}

func appendNode(dst []byte, v Value) []byte {
	nd := v.Node()
	var flags byte
	if nd.HasHead {
		flags |= nodeHead
	}
	if len(nd.Props) > 0 {
		flags |= nodeProps
	}
	if len(nd.Meta) > 0 {
		flags |= nodeMeta
	}
	if len(nd.Body) > 0 {
		flags |= nodeBody
	}
	if v.frozen {
		flags |= nodeFrozen
	}
	dst = append(dst, tagNode, flags)
	if nd.HasHead {
		dst = appendValue(dst, nd.Head)
	}
	if len(nd.Props) > 0 {
		dst = appendProps(appendUvarint(dst, uint64(len(nd.Props))), nd.Props)
	}
	if len(nd.Meta) > 0 {
		dst = appendProps(appendUvarint(dst, uint64(len(nd.Meta))), nd.Meta)
	}
	if len(nd.Body) > 0 {
		dst = appendUvarint(dst, uint64(len(nd.Body)))
		for i := range nd.Body {
			dst = appendValue(dst, nd.Body[i])
		}
	}
	return dst
}

func appendDate(dst []byte, t *Temporal) []byte {
	dst = appendUvarint(dst, zigzag(int64(t.Year)))
	dst = appendUvarint(dst, zigzag(int64(t.Month)))
	return appendUvarint(dst, zigzag(int64(t.Day)))
}

func appendTime(dst []byte, t *Temporal) []byte {
	var flags byte
	if t.HasOffset {
		flags |= timeOffset
	}
	if t.Zone != "" {
		flags |= timeZone
	}
	dst = append(dst, flags)
	dst = appendUvarint(dst, zigzag(int64(t.Hour)))
	dst = appendUvarint(dst, zigzag(int64(t.Minute)))
	dst = appendUvarint(dst, zigzag(int64(t.Second)))
	dst = appendUvarint(dst, zigzag(int64(t.Micro)))
	if t.HasOffset {
		dst = appendUvarint(dst, zigzag(int64(t.Offset)))
	}
	if t.Zone != "" {
		dst = appendStr(dst, t.Zone)
	}
	return dst
}

func appendUvarint(dst []byte, x uint64) []byte {
	for x >= 0x80 {
		dst = append(dst, byte(x)|0x80)
		x >>= 7
	}
	return append(dst, byte(x))
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func zigzag(i int64) uint64 { return uint64(i<<1) ^ uint64(i>>63) }

func zigzagLen(i int) int { return uvarintLen(zigzag(int64(i))) }

// scalar maps a rune that is not a Unicode scalar value to U+FFFD.
func scalar(r rune) rune {
	if !utf8.ValidRune(r) {
		return utf8.RuneError
	}
	return r
}

// validLen is the length of s after invalid UTF-8 is replaced.
func validLen(s string) int {
	if utf8.ValidString(s) {
		return len(s)
	}
	return len(strings.ToValidUTF8(s, "\uFFFD"))
}
