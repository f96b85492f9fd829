package gene

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

// BinaryOptions configures DecodeBinary and DecodeBinaryDoc.
type BinaryOptions struct {
	// Limits bound what the decoder accepts; the zero Limits means the
	// defaults (see Limits).
	Limits Limits
}

// BinaryError reports input that is not a valid binary encoding. It
// matches ErrBinary with errors.Is. Err, when set, is the cause: a
// *LimitError for a value past the limits, or ErrIncomplete when the input
// ends before the value does and more bytes could complete it; errors.Is
// and errors.As see through to it.
type BinaryError struct {
	Offset int    // byte offset, from the start of the input, of the value or field at fault
	Msg    string // what was wrong
	Err    error  // the cause, or nil
}

func (e *BinaryError) Error() string {
	return "gene: binary: offset " + itoa(e.Offset) + ": " + validText(e.Msg)
}

// Is makes errors.Is(err, ErrBinary) true for every BinaryError.
func (e *BinaryError) Is(target error) bool { return target == ErrBinary }

// Unwrap returns the cause (a *LimitError or ErrIncomplete), or nil.
func (e *BinaryError) Unwrap() error { return e.Err }

// DecodeBinary decodes one value from the front of data (BINARY.md) and
// returns it with the number of bytes it spans. Bytes after the value are
// left alone, so a stream of values decodes by repeated calls. The value
// shares no memory with data, which the caller may reuse at once. Its
// short strings share blocks of at most 8 KiB allocated for the call, and
// its containers share blocks of at most 1024 elements, so keeping one
// small part of a large value alive keeps its blocks too. A small value's
// blocks are sized exactly to it by a quick count before the decode.
//
// Every error is a *BinaryError matching ErrBinary. It wraps ErrIncomplete
// when data ends before the value does (a stream reader waits for more
// bytes and calls again) and a *LimitError when the value exceeds
// o.Limits; every length and count is checked before anything is
// allocated for it.
func DecodeBinary(data []byte, o BinaryOptions) (Value, int, error) {
	d := newBinDecoder(data, 0, o.Limits)
	d.plan()
	v, err := d.value(0)
	if err != nil {
		return Value{}, 0, err
	}
	return v, d.pos, nil
}

// BinaryDecoder decodes values one after another as DecodeBinary does,
// for a stream of small values such as the messages of one link: the
// storage of consecutive small values is carved from blocks shared by up
// to binBatch of them, so that a value costs a fraction of the
// allocations DecodeBinary makes for it. A value still shares no memory
// with its input. A value kept alive keeps its blocks alive, and with
// them the storage of a few values decoded next to it (at most about
// 20 KiB): a caller that keeps a few values of many for long should
// decode those with DecodeBinary. The zero BinaryDecoder is ready to use;
// it is not safe for concurrent use.
type BinaryDecoder struct {
	Options BinaryOptions
	vslab   slab[Value]
	pslab   slab[Prop]
	nslab   slab[Node]
	tslab   slab[Temporal]
	arena   []byte
}

// binBatch is how many values like the one being decoded the blocks a
// BinaryDecoder allocates hold.
const binBatch = 8

// Decode decodes one value from the front of data, as DecodeBinary.
func (b *BinaryDecoder) Decode(data []byte) (Value, int, error) {
	d := newBinDecoder(data, 0, b.Options.Limits)
	d.vslab, d.pslab, d.nslab, d.tslab, d.arena = b.vslab, b.pslab, b.nslab, b.tslab, b.arena
	d.planFor(binBatch)
	v, err := d.value(0)
	b.vslab, b.pslab, b.nslab, b.tslab, b.arena = d.vslab, d.pslab, d.nslab, d.tslab, d.arena
	if err != nil {
		return Value{}, 0, err
	}
	return v, d.pos, nil
}

// DecodeBinaryDoc decodes a binary document as written by AppendBinaryDoc:
// the magic bytes, the version byte, and exactly one value filling the rest
// of data. It returns the value and len(data). A version other than
// BinaryVersion is an error naming it; bytes after the value are an error.
// Errors are as for DecodeBinary.
func DecodeBinaryDoc(data []byte, o BinaryOptions) (Value, int, error) {
	hdr := len(binaryMagic) + 1
	for i := 0; i < len(binaryMagic); i++ {
		if i >= len(data) {
			return Value{}, 0, &BinaryError{Offset: i, Msg: "input ends inside the document header", Err: ErrIncomplete}
		}
		if data[i] != binaryMagic[i] {
			return Value{}, 0, &BinaryError{Offset: 0,
				Msg: fmt.Sprintf("not a Gene binary document: starts with % x, want % x", data[:i+1], binaryMagic[:i+1])}
		}
	}
	if len(data) < hdr {
		return Value{}, 0, &BinaryError{Offset: len(data), Msg: "input ends before the version byte", Err: ErrIncomplete}
	}
	if ver := data[hdr-1]; ver != BinaryVersion {
		return Value{}, 0, &BinaryError{Offset: hdr - 1,
			Msg: fmt.Sprintf("unsupported binary encoding version %d (this decoder reads version %d)", ver, BinaryVersion)}
	}
	d := newBinDecoder(data, hdr, o.Limits)
	d.plan()
	v, err := d.value(0)
	if err != nil {
		return Value{}, 0, err
	}
	if d.pos != len(data) {
		return Value{}, 0, &BinaryError{Offset: d.pos,
			Msg: fmt.Sprintf("%d bytes after the document's value", len(data)-d.pos)}
	}
	return v, len(data), nil
}

// binDecoder decodes one top-level value. It reads straight from the input
// slice and never retains it: strings are copied into an arena.
type binDecoder struct {
	data   []byte // the input, cut at start+MaxValueBytes
	pos    int    // next byte to read
	start  int    // offset of the top-level value
	capEnd uint64 // start+MaxValueBytes: the value may not need bytes past it
	lim    Limits
	// arena backs the small strings of one decode, so a message costs one
	// allocation for all its strings rather than one each. A string keeps
	// its whole chunk alive, which is why chunks stay small.
	arena []byte
	// Slabs that lists, prop maps and nodes are carved from, so a document
	// costs a few allocations rather than one per container. Their size
	// follows the bytes left in the input (every element takes at least
	// one byte), so they never outgrow what the input could fill.
	vslab slab[Value]
	pslab slab[Prop]
	nslab slab[Node]
	tslab slab[Temporal] // filled only by plan; otherwise each Temporal is allocated alone
	// names holds the short prop keys and symbols of a value too large to
	// plan, where the same field names come back in record after record:
	// a name found here is not copied again. planned is set when plan
	// sized the arena exactly, which then needs no such saving.
	names   [binNames]string
	planned bool
}

const (
	// binArenaChunk is the most bytes one arena allocation holds.
	binArenaChunk = 8 << 10
	// binArenaMaxString is the longest string copied into the arena; longer
	// ones get their own allocation.
	binArenaMaxString = 256
	// binQuadraticDupMax is the most prop entries checked for duplicate
	// keys by comparing each pair; larger prop maps use a Go map.
	binQuadraticDupMax = 16
	// binNames is the number of remembered names, binNameMax the longest.
	binNames   = 32
	binNameMax = 24
)

// binDefaultLimits saves WithDefaults on the common zero Limits.
var binDefaultLimits = Limits{}.WithDefaults()

func newBinDecoder(data []byte, start int, l Limits) binDecoder {
	if l == (Limits{}) {
		l = binDefaultLimits
	} else {
		l = l.WithDefaults()
	}
	capEnd := uint64(start) + uint64(l.MaxValueBytes)
	if uint64(len(data)) > capEnd {
		data = data[:capEnd]
	}
	return binDecoder{data: data, pos: start, start: start, capEnd: capEnd, lim: l}
}

// value decodes the value at d.pos. depth is the number of containers
// around it.
func (d *binDecoder) value(depth int) (Value, error) {
	off := d.pos
	if off >= len(d.data) {
		return Value{}, d.short(off, uint64(off)+1, "input ends before a value")
	}
	tag := d.data[off]
	d.pos++
	switch {
	case tag <= binTagFixIntMax:
		return Value{kind: KindInt, n: uint64(tag)}, nil
	case tag >= binTagNegFixInt:
		return Value{kind: KindInt, n: uint64(int64(int8(tag)))}, nil
	case tag < binTagFixSym:
		return d.text(off, KindString, uint64(tag-binTagFixStr))
	case tag < binTagFixList:
		return d.text(off, KindSymbol, uint64(tag-binTagFixSym))
	case tag < binTagFixProps:
		return d.list(off, uint64(tag-binTagFixList), false, depth)
	case tag < binTagFixProps+16:
		return d.propMap(off, uint64(tag-binTagFixProps), false, depth)
	}
	switch tag {
	case binTagNil:
		return Value{}, nil
	case binTagVoid:
		return Value{kind: KindVoid}, nil
	case binTagFalse:
		return Value{kind: KindBool}, nil
	case binTagTrue:
		return Value{kind: KindBool, n: 1}, nil
	case binTagInt:
		u, err := d.uvarint(off, "integer", "")
		if err != nil {
			return Value{}, err
		}
		i := int64(u>>1) ^ -int64(u&1)
		if i >= binFixIntMin && i < binFixIntLimit {
			return Value{}, d.fail(off, fmt.Sprintf("integer %d written with tag 0xc4; it must use the one-byte form", i))
		}
		return Value{kind: KindInt, n: uint64(i)}, nil
	case binTagBigPos, binTagBigNeg:
		return d.bigInt(off, tag == binTagBigNeg)
	case binTagFloat:
		if len(d.data)-d.pos < 8 {
			return Value{}, d.short(off, uint64(d.pos)+8, "input ends inside a float")
		}
		u := binary.LittleEndian.Uint64(d.data[d.pos:])
		d.pos += 8
		return Value{kind: KindFloat, n: u}, nil
	case binTagStr, binTagSym:
		n, err := d.uvarint(off, binTagKind(tag), " length")
		if err != nil {
			return Value{}, err
		}
		if n <= binFixStrMax {
			return Value{}, d.fail(off, fmt.Sprintf("%d-byte %s written with tag %#x; it must use the one-byte tag", n, binTagKind(tag), tag))
		}
		kind := KindString
		if tag == binTagSym {
			kind = KindSymbol
		}
		return d.text(off, kind, n)
	case binTagChar:
		u, err := d.uvarint(off, "char", "")
		if err != nil {
			return Value{}, err
		}
		if u > utf8.MaxRune || !utf8.ValidRune(rune(u)) {
			return Value{}, d.fail(off, fmt.Sprintf("char U+%X is not a Unicode scalar value", u))
		}
		return Value{kind: KindChar, n: u}, nil
	case binTagList, binTagFrozenList:
		n, err := d.uvarint(off, "list", " count")
		if err != nil {
			return Value{}, err
		}
		if tag == binTagList && n <= binFixListMax {
			return Value{}, d.fail(off, fmt.Sprintf("list of %d written with tag 0xcb; it must use the one-byte tag", n))
		}
		return d.list(off, n, tag == binTagFrozenList, depth)
	case binTagProps, binTagFrozenProps:
		n, err := d.uvarint(off, "prop map", " count")
		if err != nil {
			return Value{}, err
		}
		if tag == binTagProps && n <= binFixListMax {
			return Value{}, d.fail(off, fmt.Sprintf("prop map of %d written with tag 0xcc; it must use the one-byte tag", n))
		}
		return d.propMap(off, n, tag == binTagFrozenProps, depth)
	case binTagMap:
		return d.genMap(off, depth)
	case binTagNode:
		return d.node(off, depth)
	case binTagBytes:
		n, err := d.uvarint(off, "bytes", " length")
		if err != nil {
			return Value{}, err
		}
		if err := d.checkLen(off, n, "bytes"); err != nil {
			return Value{}, err
		}
		b := make([]byte, n)
		copy(b, d.data[d.pos:])
		d.pos += int(n)
		return Bytes(b), nil
	case binTagRegex:
		return d.regex(off)
	case binTagDate, binTagTime, binTagDateTime:
		return d.temporal(off, tag)
	}
	return Value{}, d.fail(off, fmt.Sprintf("unknown tag %#02x", tag))
}

func binTagKind(tag byte) string {
	if tag == binTagSym {
		return "symbol"
	}
	return "string"
}

// text decodes the n bytes of a string or symbol at d.pos.
func (d *binDecoder) text(off int, kind Kind, n uint64) (Value, error) {
	if err := d.checkLen(off, n, kind.String()); err != nil {
		return Value{}, err
	}
	b := d.data[d.pos : d.pos+int(n)]
	if !binValidUTF8(b) {
		return Value{}, d.badUTF8(off, kind.String(), b)
	}
	d.pos += int(n)
	if kind == KindSymbol {
		return Value{kind: kind, n: n, p: d.name(b)}, nil
	}
	return Value{kind: kind, n: n, p: d.copyString(b)}, nil
}

// str decodes a str (length and UTF-8) at d.pos, for prop keys, regexes
// and zone names.
func (d *binDecoder) str(what string) (string, error) {
	off := d.pos
	var n uint64
	if off < len(d.data) && d.data[off] < 0x80 {
		n = uint64(d.data[off])
		d.pos++
	} else {
		var err error
		if n, err = d.uvarint(off, what, " length"); err != nil {
			return "", err
		}
	}
	if err := d.checkLen(off, n, what); err != nil {
		return "", err
	}
	b := d.data[d.pos : d.pos+int(n)]
	if !binValidUTF8(b) {
		return "", d.badUTF8(off, what, b)
	}
	d.pos += int(n)
	return unsafe.String((*byte)(d.copyString(b)), int(n)), nil
}

// key decodes a prop key at d.pos, as str does, stored once per name.
func (d *binDecoder) key() (string, error) {
	off := d.pos
	if off < len(d.data) && d.data[off] < 0x80 && int(d.data[off]) < len(d.data)-off {
		// The common short key: a one-byte length, all of it present.
		n := int(d.data[off])
		b := d.data[off+1 : off+1+n]
		if n <= d.lim.MaxStringBytes && binValidUTF8(b) {
			d.pos += 1 + n
			return unsafe.String((*byte)(d.name(b)), n), nil
		}
	}
	return d.str("prop key")
}

// name returns the stored copy of b, a prop key or symbol: the one kept
// in names when an equal name was stored before, else a new one.
func (d *binDecoder) name(b []byte) unsafe.Pointer {
	n := len(b)
	if d.planned || n == 0 || n > binNameMax {
		return d.copyString(b)
	}
	h := (uint(n)*31 + uint(b[0])*7 + uint(b[n-1])) % binNames
	if s := d.names[h]; s == string(b) {
		return unsafe.Pointer(unsafe.StringData(s))
	}
	p := d.copyString(b)
	d.names[h] = unsafe.String((*byte)(p), n)
	return p
}

// checkLen checks a byte length read at off against MaxStringBytes and the
// bytes left.
func (d *binDecoder) checkLen(off int, n uint64, what string) error {
	if n > uint64(d.lim.MaxStringBytes) {
		return d.limit(off, "MaxStringBytes", d.lim.MaxStringBytes, fmt.Sprintf("%s length %d", what, n))
	}
	if n > uint64(len(d.data)-d.pos) {
		return d.short(off, uint64(d.pos)+n, fmt.Sprintf("input ends inside a %s of %d bytes (%d present)", what, n, len(d.data)-d.pos))
	}
	return nil
}

// copyString copies b, which lies in d.data at d.pos, into the arena and
// returns a pointer to the copy (nil when b is empty).
func (d *binDecoder) copyString(b []byte) unsafe.Pointer {
	n := len(b)
	if n == 0 {
		return nil
	}
	if n > binArenaMaxString {
		c := make([]byte, n)
		copy(c, b)
		return unsafe.Pointer(unsafe.SliceData(c))
	}
	if cap(d.arena)-len(d.arena) < n {
		// Every string still to come lies in the rest of the input, so
		// a chunk never needs to be larger than that.
		size := min(len(d.data)-d.pos, binArenaChunk)
		d.arena = make([]byte, 0, size)
	}
	i := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.Pointer(&d.arena[i])
}

// The binary decoder carves its slabs as the text reader does, up to
// slabMax elements each (read.go).

// values returns n zeroed Values, cap n.
func (d *binDecoder) values(n int) []Value {
	return d.vslab.take(n, len(d.data)-d.pos, 6, slabMax)
}

// propSlice returns n zeroed Props, cap n.
func (d *binDecoder) propSlice(n int) Props {
	return d.pslab.take(n, len(d.data)-d.pos, 8, slabMax)
}

// node1 returns a zeroed Node.
func (d *binDecoder) node1() *Node { return d.nslab.one(len(d.data)-d.pos, 48, slabMax) }

// temporal1 returns a zeroed Temporal: from the slab plan filled, or
// allocated alone.
func (d *binDecoder) temporal1() *Temporal {
	if len(d.tslab.free) == 0 {
		return new(Temporal)
	}
	return d.tslab.one(0, 1, 0)
}

// count reads an element count at d.pos for the container at off and
// checks it against MaxElements and the bytes left (each element needs at
// least minBytes).
func (d *binDecoder) count(off int, what string, minBytes uint64) (uint64, error) {
	n, err := d.uvarint(off, what, " count")
	if err != nil {
		return 0, err
	}
	return n, d.checkCount(off, n, what, minBytes)
}

func (d *binDecoder) checkCount(off int, n uint64, what string, minBytes uint64) error {
	if n > uint64(d.lim.MaxElements) {
		return d.limit(off, "MaxElements", d.lim.MaxElements, fmt.Sprintf("%s of %d elements", what, n))
	}
	if need := n * minBytes; need > uint64(len(d.data)-d.pos) {
		return d.short(off, uint64(d.pos)+need, fmt.Sprintf("input ends inside a %s of %d elements", what, n))
	}
	return nil
}

func (d *binDecoder) enter(off, depth int) error {
	if depth >= d.lim.MaxDepth {
		return d.limit(off, "MaxDepth", d.lim.MaxDepth, fmt.Sprintf("nesting depth %d", depth+1))
	}
	return nil
}

func (d *binDecoder) list(off int, n uint64, frozen bool, depth int) (Value, error) {
	if err := d.enter(off, depth); err != nil {
		return Value{}, err
	}
	if err := d.checkCount(off, n, "list", 1); err != nil {
		return Value{}, err
	}
	v := Value{kind: KindList, frozen: frozen, n: n}
	if n == 0 {
		return v, nil
	}
	elems := d.values(int(n))
	for i := range elems {
		e, err := d.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		elems[i] = e
	}
	v.p = unsafe.Pointer(unsafe.SliceData(elems))
	return v, nil
}

func (d *binDecoder) propMap(off int, n uint64, frozen bool, depth int) (Value, error) {
	if err := d.enter(off, depth); err != nil {
		return Value{}, err
	}
	if err := d.checkCount(off, n, "prop map", 2); err != nil {
		return Value{}, err
	}
	v := Value{kind: KindProps, frozen: frozen, n: n}
	if n == 0 {
		return v, nil
	}
	ps, err := d.props(int(n), depth+1)
	if err != nil {
		return Value{}, err
	}
	v.p = unsafe.Pointer(unsafe.SliceData(ps))
	return v, nil
}

// props decodes n prop entries whose values are at the given depth,
// refusing a key that repeats.
func (d *binDecoder) props(n, depth int) (Props, error) {
	ps := d.propSlice(n)
	var seen map[string]struct{}
	if n > binQuadraticDupMax {
		seen = make(map[string]struct{}, n)
	}
	for i := range ps {
		koff := d.pos
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		if seen != nil {
			if _, dup := seen[k]; dup {
				return nil, d.dupKey(koff, k)
			}
			seen[k] = struct{}{}
		} else {
			for j := 0; j < i; j++ {
				if ps[j].Key == k {
					return nil, d.dupKey(koff, k)
				}
			}
		}
		ps[i].Key = k
		if ps[i].Value, err = d.value(depth); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func (d *binDecoder) dupKey(off int, k string) error {
	return d.fail(off, fmt.Sprintf("duplicate prop key %q", k))
}

func (d *binDecoder) genMap(off, depth int) (Value, error) {
	if err := d.enter(off, depth); err != nil {
		return Value{}, err
	}
	n, err := d.count(off, "map", 2)
	if err != nil {
		return Value{}, err
	}
	v := Value{kind: KindMap, n: n}
	if n == 0 {
		return v, nil
	}
	es := make([]Entry, n)
	seen := keyIndex{hint: int(n)}
	composite := 0
	for i := range es {
		koff := d.pos
		if es[i].Key, err = d.value(depth + 1); err != nil {
			return Value{}, err
		}
		if isComposite(es[i].Key.kind) {
			if composite++; composite > d.lim.MaxCompositeKeys {
				return Value{}, d.limit(koff, "MaxCompositeKeys", d.lim.MaxCompositeKeys,
					fmt.Sprintf("composite key %d (a %s) of the map at offset %d", composite, es[i].Key.kind, off))
			}
		}
		if j := seen.add(es, i); j >= 0 {
			return Value{}, d.fail(koff, fmt.Sprintf("duplicate map key %s (key %d; key %d of the map at offset %d is the same)",
				describeKey(es[i].Key), i, j, off))
		}
		if es[i].Value, err = d.value(depth + 1); err != nil {
			return Value{}, err
		}
	}
	v.p = unsafe.Pointer(unsafe.SliceData(es))
	return v, nil
}

func (d *binDecoder) node(off, depth int) (Value, error) {
	if err := d.enter(off, depth); err != nil {
		return Value{}, err
	}
	if d.pos >= len(d.data) {
		return Value{}, d.short(off, uint64(d.pos)+1, "input ends before the node flags")
	}
	flags := d.data[d.pos]
	d.pos++
	if flags&^binNodeKnown != 0 {
		return Value{}, d.fail(off, fmt.Sprintf("node flags %#02x set reserved bits", flags))
	}
	nd := d.node1()
	nd.HasHead = flags&binNodeHead != 0
	var err error
	if nd.HasHead {
		if nd.Head, err = d.value(depth + 1); err != nil {
			return Value{}, err
		}
	}
	total := uint64(0) // props + meta + body, against MaxElements
	n, err := d.nodePart(off, flags, binNodeProps, "node props", 2, &total)
	if err != nil {
		return Value{}, err
	}
	if n > 0 {
		if nd.Props, err = d.props(n, depth+1); err != nil {
			return Value{}, err
		}
	}
	if n, err = d.nodePart(off, flags, binNodeMeta, "node meta", 2, &total); err != nil {
		return Value{}, err
	}
	if n > 0 {
		if nd.Meta, err = d.props(n, depth+1); err != nil {
			return Value{}, err
		}
	}
	if n, err = d.nodePart(off, flags, binNodeBody, "node body", 1, &total); err != nil {
		return Value{}, err
	}
	if n > 0 {
		nd.Body = d.values(n)
		for i := range nd.Body {
			if nd.Body[i], err = d.value(depth + 1); err != nil {
				return Value{}, err
			}
		}
	}
	return Value{kind: KindNode, frozen: flags&binNodeFrozen != 0, p: unsafe.Pointer(nd)}, nil
}

// nodePart reads the count of a node part (props, meta or body) whose flag
// is set, adds it to total and checks total against MaxElements and the
// count against the bytes left. It returns 0 when the flag is clear.
func (d *binDecoder) nodePart(off int, flags, flag byte, what string, minBytes uint64, total *uint64) (int, error) {
	if flags&flag == 0 {
		return 0, nil
	}
	coff := d.pos
	n, err := d.uvarint(coff, what, " count")
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, d.fail(coff, what+" flagged present but empty")
	}
	// MaxElements bounds the parts together; the bytes left bound this
	// part alone, since the earlier parts are already read.
	*total += n
	if *total > uint64(d.lim.MaxElements) {
		return 0, d.limit(off, "MaxElements", d.lim.MaxElements, fmt.Sprintf("node of %d elements", *total))
	}
	if err := d.checkCount(off, n, what, minBytes); err != nil {
		return 0, err
	}
	return int(n), nil
}

// bigInt decodes the magnitude of an integer outside the int64 range.
func (d *binDecoder) bigInt(off int, neg bool) (Value, error) {
	n, err := d.uvarint(off, "integer", " length")
	if err != nil {
		return Value{}, err
	}
	// A magnitude of n bytes has at least 2.4*(n-1) decimal digits: refuse
	// a length no integer within MaxIntDigits can have before reading it.
	if maxDigits := d.lim.MaxIntDigits; maxDigits != unlimited && n > uint64(maxDigits)/2+2 {
		return Value{}, d.limit(off, "MaxIntDigits", maxDigits, fmt.Sprintf("integer of %d bytes", n))
	}
	if n > uint64(len(d.data)-d.pos) {
		return Value{}, d.short(off, uint64(d.pos)+n, fmt.Sprintf("input ends inside an integer of %d bytes (%d present)", n, len(d.data)-d.pos))
	}
	mag := d.data[d.pos : d.pos+int(n)]
	switch {
	case n == 0 || mag[0] == 0:
		return Value{}, d.fail(off, "integer magnitude has a leading zero byte")
	case n < 8, n == 8 && !neg && mag[0] < 0x80,
		n == 8 && neg && binary.BigEndian.Uint64(mag) <= 1<<63:
		return Value{}, d.fail(off, "integer fits in 64 bits; it must use tag 0xc4 or the one-byte form")
	}
	bitLen := 8*(len(mag)-1) + bits.Len8(mag[0])
	if err := d.checkDigits(off, mag, bitLen); err != nil {
		return Value{}, err
	}
	d.pos += int(n)
	b := new(big.Int).SetBytes(mag)
	if neg {
		b.Neg(b)
	}
	return Value{kind: KindInt, p: unsafe.Pointer(b)}, nil
}

// checkDigits checks that the magnitude mag of bitLen bits has at most
// MaxIntDigits decimal digits. The bit length bounds the digit count to
// two neighbours; only between them is the exact comparison done.
func (d *binDecoder) checkDigits(off int, mag []byte, bitLen int) error {
	maxDigits := d.lim.MaxIntDigits
	if maxDigits == unlimited {
		return nil
	}
	const log10of2 = 0.30102999566398119521
	lo := int(float64(bitLen-1)*log10of2-1e-9) + 1 // fewest digits
	hi := int(float64(bitLen)*log10of2+1e-9) + 1   // most digits
	if hi <= maxDigits {
		return nil
	}
	tooMany := lo > maxDigits
	if !tooMany {
		bound := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(maxDigits)), nil)
		tooMany = new(big.Int).SetBytes(mag).Cmp(bound) >= 0
	}
	if tooMany {
		return d.limit(off, "MaxIntDigits", maxDigits, fmt.Sprintf("integer of %d bits", bitLen))
	}
	return nil
}

func (d *binDecoder) regex(off int) (Value, error) {
	pat, err := d.str("regex pattern")
	if err != nil {
		return Value{}, err
	}
	foff := d.pos
	flags, err := d.str("regex flags")
	if err != nil {
		return Value{}, err
	}
	for i := 0; i < len(flags); i++ {
		switch flags[i] {
		case 'i', 'm', 's', 'x':
		default:
			return Value{}, d.fail(foff, fmt.Sprintf("regex flags %q: each flag is one of i, m, s, x", flags))
		}
	}
	return RegexValue(pat, flags), nil
}

func (d *binDecoder) temporal(off int, tag byte) (Value, error) {
	t := d.temporal1()
	kind := KindDate
	switch tag {
	case binTagTime:
		kind = KindTime
	case binTagDateTime:
		kind = KindDateTime
	}
	var err error
	if kind != KindTime {
		if t.Year, err = d.field(off, "year"); err != nil {
			return Value{}, err
		}
		if t.Month, err = d.field(off, "month"); err != nil {
			return Value{}, err
		}
		if t.Day, err = d.field(off, "day"); err != nil {
			return Value{}, err
		}
	}
	if kind != KindDate {
		if d.pos >= len(d.data) {
			return Value{}, d.short(off, uint64(d.pos)+1, "input ends before the time flags")
		}
		flags := d.data[d.pos]
		d.pos++
		if flags&^binTimeKnown != 0 {
			return Value{}, d.fail(off, fmt.Sprintf("time flags %#02x set reserved bits", flags))
		}
		if t.Hour, err = d.field(off, "hour"); err != nil {
			return Value{}, err
		}
		if t.Minute, err = d.field(off, "minute"); err != nil {
			return Value{}, err
		}
		if t.Second, err = d.field(off, "second"); err != nil {
			return Value{}, err
		}
		if t.Micro, err = d.field(off, "microsecond"); err != nil {
			return Value{}, err
		}
		if flags&binTimeOffset != 0 {
			t.HasOffset = true
			if t.Offset, err = d.field(off, "offset"); err != nil {
				return Value{}, err
			}
		}
		if flags&binTimeZone != 0 {
			zoff := d.pos
			if t.Zone, err = d.str("zone name"); err != nil {
				return Value{}, err
			}
			if t.Zone == "" {
				return Value{}, d.fail(zoff, "zone name flagged present but empty")
			}
		}
	}
	// The same ranges as the text form (a four-digit year, a day that
	// exists in its month, hh:mm:ss up to 23:59:59, an offset under 24
	// hours, a zone name of letters, digits and /_-+.), so the binary
	// encoding carries exactly the dates and times that text can.
	if why := temporalProblem(kind, t); why != "" {
		return Value{}, d.fail(off, kind.String()+": "+why)
	}
	return Value{kind: kind, p: unsafe.Pointer(t)}, nil
}

// field reads a zigzag temporal field; the range is checked by the caller
// once all fields are read.
func (d *binDecoder) field(off int, what string) (int, error) {
	u, err := d.uvarint(off, what, "")
	if err != nil {
		return 0, err
	}
	i := int64(u>>1) ^ -int64(u&1)
	if i < math.MinInt32 || i > math.MaxInt32 {
		return 0, d.fail(off, fmt.Sprintf("%s %d out of range", what, i))
	}
	return int(i), nil
}

// uvarint reads an unsigned LEB128 varint at d.pos, refusing one longer
// than 64 bits or longer than needed. off is the value it belongs to.
func (d *binDecoder) uvarint(off int, what, suffix string) (uint64, error) {
	if d.pos < len(d.data) {
		if b := d.data[d.pos]; b < 0x80 {
			d.pos++
			return uint64(b), nil
		}
	}
	var x uint64
	for i := 0; ; i++ {
		p := d.pos + i
		if p >= len(d.data) {
			return 0, d.short(off, uint64(p)+1, "input ends inside the varint "+what+suffix)
		}
		b := d.data[p]
		if i == 9 && b > 1 {
			return 0, d.fail(d.pos, "varint "+what+suffix+" overflows 64 bits")
		}
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if b == 0 && i > 0 {
				return 0, d.fail(d.pos, "varint "+what+suffix+" is not minimal (ends in a zero byte)")
			}
			d.pos = p + 1
			return x, nil
		}
	}
}

// binValidUTF8 is utf8.Valid with a fast path for the short ASCII strings
// that dominate messages: eight bytes at a time, no call.
func binValidUTF8(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			return utf8.Valid(b[i:])
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return utf8.Valid(b[i:])
		}
	}
	return true
}

// Error constructors, kept out of line so the hot paths stay small.

//go:noinline
func (d *binDecoder) fail(off int, msg string) error {
	return &BinaryError{Offset: off, Msg: validText(msg)}
}

//go:noinline
func (d *binDecoder) limit(off int, name string, max int, what string) error {
	return &BinaryError{Offset: off,
		Msg: fmt.Sprintf("%s exceeds %s (%d)", what, name, max),
		Err: &LimitError{Limit: name, Max: max, Where: "offset " + itoa(off)}}
}

// short reports input that ends before byte end-1 of the value at off:
// incomplete if more input could supply it, a MaxValueBytes error if the
// value would then span more than the limit.
//
//go:noinline
func (d *binDecoder) short(off int, end uint64, msg string) error {
	if end > d.capEnd {
		return d.limit(off, "MaxValueBytes", d.lim.MaxValueBytes, fmt.Sprintf("value of at least %d bytes", end-uint64(d.start)))
	}
	return &BinaryError{Offset: off, Msg: msg, Err: ErrIncomplete}
}

//go:noinline
func (d *binDecoder) badUTF8(off int, what string, b []byte) error {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		i += size
	}
	return d.fail(off, fmt.Sprintf("%s is not valid UTF-8 (byte %#02x at offset %d)", what, b[i], d.pos+i))
}
