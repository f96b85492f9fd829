package gene

// Sizing the storage of a decode.
//
// A decoded value keeps its list elements, prop entries, nodes,
// date-times and short strings in slabs: arrays allocated for the decode
// and carved up as it goes, so that a message costs a few allocations
// rather than one per container. Before decoding, a quick pass over the
// input (binCounter) counts exactly what the value needs; when that is
// small, each slab is allocated at exactly that size, so a message of a
// few hundred bytes costs one allocation per kind of storage it uses and
// no byte more than it needs. The count only sizes storage: the decoding
// pass checks everything itself and refills a slab that runs out, so a
// count that is wrong (on bad input) costs an allocation, never
// correctness. A large value is counted only up to binMaxNeeds; past it
// the slabs grow as the decode goes.

// binNeeds is the storage a value needs: Values (list elements and node
// bodies), Props (prop map entries, node props and meta), Nodes,
// Temporals, and bytes of strings short enough for the arena.
// It also counts general map entries (e), which get allocations of their
// own, only to bound the counting pass.
type binNeeds struct {
	v, p, n, t, b, e int
}

// binMaxNeeds bounds the counting pass: past any of these the value is
// large enough that sizing its slabs exactly saves little, and the count
// gives up so that its work stays bounded whatever the input.
var binMaxNeeds = binNeeds{v: 256, p: 256, n: 64, t: 64, b: binArenaChunk, e: 256}

// plan sizes d's slabs for the value at d.pos: exactly, for a small value
// it can count; not at all (they grow as the decode goes) otherwise.
func (d *binDecoder) plan() { d.planFor(1) }

// planFor is plan for a decoder whose slabs serve up to k values like the
// one at d.pos (BinaryDecoder): a slab that still holds what the value
// needs is used as it is, one that does not is refilled with k times the
// need, within binBatchMax.
func (d *binDecoder) planFor(k int) {
	c := binCounter{data: d.data, pos: d.pos}
	if !c.value(0) {
		return
	}
	d.planned = true
	refill(&d.vslab, c.need.v, k, binBatchMax.v)
	refill(&d.pslab, c.need.p, k, binBatchMax.p)
	refill(&d.nslab, c.need.n, k, binBatchMax.n)
	refill(&d.tslab, c.need.t, k, binBatchMax.t)
	if n := c.need.b; n > 0 && cap(d.arena)-len(d.arena) < n {
		d.arena = make([]byte, 0, max(n, min(k*n, binBatchMax.b)))
	}
}

// binBatchMax bounds the blocks a BinaryDecoder shares between values,
// and so what one value kept alive keeps of the others.
var binBatchMax = binNeeds{v: 256, p: 256, n: 64, t: 64, b: 4 << 10}

// refill gives s a block of k times n elements (at most most, at least n)
// when it holds fewer than n.
func refill[T any](s *slab[T], n, k, most int) {
	if n > 0 && len(s.free) < n {
		s.fill(max(n, min(k*n, most)))
	}
}

// binCounterMaxDepth bounds the nesting the counter follows (it recurses);
// a deeper value is decoded without a plan.
const binCounterMaxDepth = 24

// binCounter counts the storage the value at pos needs, without checking
// it beyond what it must to walk it. It gives up (value returns false) on
// input that ends early, a tag it does not expect, nesting past
// binCounterMaxDepth, or a need past binMaxNeeds, so its work is bounded
// by the largest shape, not by the input.
type binCounter struct {
	data []byte
	pos  int
	need binNeeds
}

func (c *binCounter) uvarint() (uint64, bool) {
	var x uint64
	for i := 0; i < 10; i++ {
		if c.pos >= len(c.data) {
			return 0, false
		}
		b := c.data[c.pos]
		c.pos++
		x |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return x, true
		}
	}
	return 0, false
}

func (c *binCounter) skip(n uint64) bool {
	if n > uint64(len(c.data)-c.pos) {
		return false
	}
	c.pos += int(n)
	return true
}

// text skips n bytes of string data, counting those the arena will hold.
func (c *binCounter) text(n uint64) bool {
	if n <= binArenaMaxString {
		c.need.b += int(n)
		if c.need.b > binMaxNeeds.b {
			return false
		}
	}
	return c.skip(n)
}

func (c *binCounter) str() bool {
	n, ok := c.uvarint()
	return ok && c.text(n)
}

func (c *binCounter) values(n uint64, depth int) bool {
	if n > uint64(binMaxNeeds.v-c.need.v) {
		return false
	}
	c.need.v += int(n)
	for ; n > 0; n-- {
		if !c.value(depth) {
			return false
		}
	}
	return true
}

func (c *binCounter) props(n uint64, depth int) bool {
	if n > uint64(binMaxNeeds.p-c.need.p) {
		return false
	}
	c.need.p += int(n)
	for ; n > 0; n-- {
		if !c.str() || !c.value(depth) {
			return false
		}
	}
	return true
}

func (c *binCounter) value(depth int) bool {
	if depth > binCounterMaxDepth || c.pos >= len(c.data) {
		return false
	}
	tag := c.data[c.pos]
	c.pos++
	switch {
	case tag <= binTagFixIntMax, tag >= binTagNegFixInt:
		return true
	case tag < binTagFixList:
		return c.text(uint64(tag & binFixStrMax))
	case tag < binTagFixProps:
		return c.values(uint64(tag-binTagFixList), depth+1)
	case tag < binTagFixProps+16:
		return c.props(uint64(tag-binTagFixProps), depth+1)
	}
	switch tag {
	case binTagNil, binTagVoid, binTagFalse, binTagTrue:
		return true
	case binTagInt, binTagChar:
		_, ok := c.uvarint()
		return ok
	case binTagFloat:
		return c.skip(8)
	case binTagStr, binTagSym:
		return c.str()
	case binTagBigPos, binTagBigNeg, binTagBytes:
		n, ok := c.uvarint()
		return ok && c.skip(n)
	case binTagList, binTagFrozenList:
		n, ok := c.uvarint()
		return ok && c.values(n, depth+1)
	case binTagProps, binTagFrozenProps:
		n, ok := c.uvarint()
		return ok && c.props(n, depth+1)
	case binTagMap:
		// Entries get their own allocation; their keys and values are
		// counted like any other.
		n, ok := c.uvarint()
		if !ok || n > uint64(binMaxNeeds.e-c.need.e) {
			return false
		}
		c.need.e += int(n)
		for n *= 2; n > 0; n-- {
			if !c.value(depth + 1) {
				return false
			}
		}
		return true
	case binTagNode:
		return c.node(depth)
	case binTagRegex:
		return c.str() && c.str()
	case binTagDate, binTagTime, binTagDateTime:
		if c.need.t++; c.need.t > binMaxNeeds.t {
			return false
		}
		if tag != binTagTime {
			for range 3 {
				if _, ok := c.uvarint(); !ok {
					return false
				}
			}
		}
		if tag != binTagDate {
			if c.pos >= len(c.data) {
				return false
			}
			flags := c.data[c.pos]
			c.pos++
			n := 4
			if flags&binTimeOffset != 0 {
				n++
			}
			for range n {
				if _, ok := c.uvarint(); !ok {
					return false
				}
			}
			if flags&binTimeZone != 0 {
				return c.str()
			}
		}
		return true
	}
	return false
}

func (c *binCounter) node(depth int) bool {
	if c.need.n++; c.need.n > binMaxNeeds.n || c.pos >= len(c.data) {
		return false
	}
	flags := c.data[c.pos]
	c.pos++
	if flags&binNodeHead != 0 && !c.value(depth+1) {
		return false
	}
	for _, part := range [...]byte{binNodeProps, binNodeMeta} {
		if flags&part != 0 {
			n, ok := c.uvarint()
			if !ok || !c.props(n, depth+1) {
				return false
			}
		}
	}
	if flags&binNodeBody != 0 {
		n, ok := c.uvarint()
		return ok && c.values(n, depth+1)
	}
	return true
}
