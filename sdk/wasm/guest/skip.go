package guest

import (
	"github.com/genehost/genehost/gene"
)

// skipMaxDepth bounds the nesting skipValue follows, as the default
// gene.Limits bound a decode.
const skipMaxDepth = gene.DefaultMaxDepth

// skipValue returns the offset just past the Gene binary value
// (gene/BINARY.md) that starts at data[pos], or -1 when data does not
// hold one there. It reads tags and lengths only: no allocation, no
// check of UTF-8, canonical forms, duplicate keys or field ranges, which
// the host checked before it delivered the batch. It is how a batch is
// split for a ReceivedHandler without decoding it.
func skipValue(data []byte, pos, depth int) int {
	if pos < 0 || pos >= len(data) || depth > skipMaxDepth {
		return -1
	}
	tag := data[pos]
	pos++
	switch {
	case tag < 0x40, tag >= 0xE0: // fixints
		return pos
	case tag < 0x60: // short string
		return skipBytes(data, pos, uint64(tag-0x40))
	case tag < 0x80: // short symbol
		return skipBytes(data, pos, uint64(tag-0x60))
	case tag < 0x90: // short list
		return skipValues(data, pos, uint64(tag-0x80), depth)
	case tag < 0xA0: // short prop map
		return skipEntries(data, pos, uint64(tag-0x90), depth)
	}
	switch tag {
	case 0xC0, 0xC1, 0xC2, 0xC3: // nil, void, false, true
		return pos
	case 0xC4, 0xCA: // zigzag integer, char
		_, pos = skipUvarint(data, pos)
		return pos
	case 0xC5, 0xC6, 0xC8, 0xC9, 0xCF: // big integers, long strings and symbols, bytes
		return skipStr(data, pos)
	case 0xC7: // float
		return skipBytes(data, pos, 8)
	case 0xCB, 0xD4: // long list, immutable list
		n, pos := skipUvarint(data, pos)
		return skipValues(data, pos, n, depth)
	case 0xCC, 0xD5: // long prop map, immutable prop map
		n, pos := skipUvarint(data, pos)
		return skipEntries(data, pos, n, depth)
	case 0xCD: // general map: key, value pairs
		n, pos := skipUvarint(data, pos)
		if n > uint64(len(data)) {
			return -1
		}
		return skipValues(data, pos, 2*n, depth)
	case 0xCE:
		return skipNode(data, pos, depth)
	case 0xD0: // regex: pattern, flags
		return skipStr(data, skipStr(data, pos))
	case 0xD1:
		return skipFields(data, pos, 3)
	case 0xD2:
		return skipTime(data, pos)
	case 0xD3:
		return skipTime(data, skipFields(data, pos, 3))
	}
	return -1 // reserved
}

// skipNode skips a node's flags and the parts they announce.
func skipNode(data []byte, pos, depth int) int {
	if pos >= len(data) {
		return -1
	}
	flags := data[pos]
	pos++
	if flags&0x01 != 0 {
		pos = skipValue(data, pos, depth+1)
	}
	var n uint64
	if flags&0x02 != 0 && pos >= 0 {
		n, pos = skipUvarint(data, pos)
		pos = skipEntries(data, pos, n, depth)
	}
	if flags&0x04 != 0 && pos >= 0 {
		n, pos = skipUvarint(data, pos)
		pos = skipEntries(data, pos, n, depth)
	}
	if flags&0x08 != 0 && pos >= 0 {
		n, pos = skipUvarint(data, pos)
		pos = skipValues(data, pos, n, depth)
	}
	return pos
}

// skipValues skips n values nested one deeper than depth.
func skipValues(data []byte, pos int, n uint64, depth int) int {
	if pos < 0 || n > uint64(len(data)-pos) { // each value takes a byte at least
		return -1
	}
	for ; n > 0 && pos >= 0; n-- {
		pos = skipValue(data, pos, depth+1)
	}
	return pos
}

// skipEntries skips n prop entries (a key string, then a value).
func skipEntries(data []byte, pos int, n uint64, depth int) int {
	if pos < 0 || n > uint64(len(data)-pos) {
		return -1
	}
	for ; n > 0 && pos >= 0; n-- {
		pos = skipValue(data, skipStr(data, pos), depth+1)
	}
	return pos
}

// skipTime skips a time part: flags, four fields, the offset and the zone
// name that the flags announce.
func skipTime(data []byte, pos int) int {
	if pos < 0 || pos >= len(data) {
		return -1
	}
	flags := data[pos]
	pos = skipFields(data, pos+1, 4)
	if flags&0x01 != 0 {
		pos = skipFields(data, pos, 1)
	}
	if flags&0x02 != 0 {
		pos = skipStr(data, pos)
	}
	return pos
}

// skipFields skips n varints.
func skipFields(data []byte, pos, n int) int {
	for ; n > 0 && pos >= 0; n-- {
		_, pos = skipUvarint(data, pos)
	}
	return pos
}

// skipStr skips a uvarint length and that many bytes.
func skipStr(data []byte, pos int) int {
	n, pos := skipUvarint(data, pos)
	return skipBytes(data, pos, n)
}

func skipBytes(data []byte, pos int, n uint64) int {
	if pos < 0 || n > uint64(len(data)-pos) {
		return -1
	}
	return pos + int(n)
}

// skipUvarint reads a uvarint of at most 10 bytes; pos is -1 when data
// ends first (or was -1 already).
func skipUvarint(data []byte, pos int) (uint64, int) {
	if pos < 0 {
		return 0, -1
	}
	var x uint64
	for i := 0; i < 10 && pos < len(data); i++ {
		b := data[pos]
		pos++
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return x, pos
		}
	}
	return 0, -1
}
