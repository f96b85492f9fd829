package gene

import (
	"encoding/binary"
	"hash/maphash"
)

// Keys of general maps are found by a hash consistent with Equal, so that
// reading a map, checking it for duplicate keys and comparing two maps
// costs O(n) expected in the number of keys (each key hashed once, then
// compared with the few keys of the same hash) rather than O(n^2), however
// the keys are shaped. The hash is seeded at random per process
// (hash/maphash), so a hostile peer cannot choose keys that all collide.

// keySeed seeds every key hash of the process.
var keySeed = maphash.MakeSeed()

// keyIndexMin is the fewest keys indexed by hash; below it a linear scan
// with Equal is cheaper than hashing.
const keyIndexMin = 16

// keyIndex indexes the keys of a list of entries that only grows.
type keyIndex struct {
	head map[uint64]int32 // hash -> index+1 of the latest key with it
	next []int32          // next[i]: index+1 of the previous key with es[i]'s hash
	hint int              // the number of keys expected, when known: the index is sized for it
}

// add records es[i].Key, es[:i] having been added before, and returns the
// index of an earlier key Equal to it, or -1. A key found equal to an
// earlier one is not recorded.
func (x *keyIndex) add(es []Entry, i int) int {
	if i < keyIndexMin {
		for j := 0; j < i; j++ {
			if Equal(es[j].Key, es[i].Key) {
				return j
			}
		}
		return -1
	}
	if x.head == nil {
		size := max(2*i, x.hint)
		x.head = make(map[uint64]int32, size)
		x.next = make([]int32, 0, size)
		for j := 0; j < i; j++ {
			x.link(keyHash(es[j].Key), j)
		}
	}
	h := keyHash(es[i].Key)
	if j := x.find(es, es[i].Key, h); j >= 0 {
		return j
	}
	x.link(h, i)
	return -1
}

func (x *keyIndex) link(h uint64, i int) {
	x.next = append(x.next[:i], x.head[h])
	x.head[h] = int32(i + 1)
}

// find returns the index of the key of es Equal to k, whose hash is h, or
// -1. Only for an index built by add (len(es) >= keyIndexMin).
func (x *keyIndex) find(es []Entry, k Value, h uint64) int {
	for j := x.head[h]; j != 0; j = x.next[j-1] {
		if Equal(es[j-1].Key, k) {
			return int(j - 1)
		}
	}
	return -1
}

// DuplicateKey returns the indexes i > j of the first entry of es whose
// key is Equal to the key of an earlier entry j, or -1, -1 when every key
// is unique (as Map requires). It costs O(len(es)) expected, whatever the
// keys.
func DuplicateKey(es []Entry) (i, j int) {
	x := keyIndex{hint: len(es)}
	for i := range es {
		if j := x.add(es, i); j >= 0 {
			return i, j
		}
	}
	return -1, -1
}

// isComposite reports whether a general map key of kind k counts against
// Limits.MaxCompositeKeys: a list, prop map, general map or node.
func isComposite(k Kind) bool {
	return k == KindList || k == KindProps || k == KindMap || k == KindNode
}

// keyHash returns the seeded hash of v: Equal values hash alike.
func keyHash(v Value) uint64 {
	var h maphash.Hash
	h.SetSeed(keySeed)
	keyWrite(&h, v)
	return h.Sum64()
}

// keyWrite feeds v to h so that Equal values hash alike: -0.0 as 0.0, prop
// and map entries independently of their order, meta not at all.
func keyWrite(h *maphash.Hash, v Value) {
	var buf [9]byte
	buf[0] = byte(v.kind)
	if v.frozen {
		buf[0] |= 0x80
	}
	u := v.n
	switch v.kind {
	case KindFloat:
		if f, _ := v.AsFloat(); f == 0 {
			u = 0
		}
	case KindInt:
		if v.p != nil {
			u = uint64(v.bigRef().Sign())
			h.Write(v.bigRef().Bytes())
		}
	}
	binary.LittleEndian.PutUint64(buf[1:], u)
	h.Write(buf[:])
	switch v.kind {
	case KindString, KindSymbol:
		h.WriteString(v.Str())
	case KindBytes:
		h.Write(v.Bytes())
	case KindList:
		for _, e := range v.List() {
			keyWrite(h, e)
		}
	case KindProps:
		keyWriteProps(h, v.Props())
	case KindMap:
		var sum uint64
		for _, e := range v.Entries() {
			var eh maphash.Hash
			eh.SetSeed(keySeed)
			keyWrite(&eh, e.Key)
			keyWrite(&eh, e.Value)
			sum += eh.Sum64()
		}
		h.Write(binary.LittleEndian.AppendUint64(buf[:0], sum))
	case KindNode:
		nd := v.Node()
		if nd.HasHead {
			keyWrite(h, nd.Head)
		}
		keyWriteProps(h, nd.Props)
		h.Write(binary.LittleEndian.AppendUint64(buf[:0], uint64(len(nd.Body))))
		for _, e := range nd.Body {
			keyWrite(h, e)
		}
	case KindRegex:
		r := v.Regex()
		h.WriteString(r.Pattern)
		h.WriteByte(0)
		h.WriteString(r.Flags)
	case KindDate, KindTime, KindDateTime:
		t, _ := v.Temporal()
		for _, x := range [...]int{t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, t.Micro, t.Offset, boolInt(t.HasOffset)} {
			h.Write(binary.LittleEndian.AppendUint64(buf[:0], uint64(x)))
		}
		h.WriteString(t.Zone)
	}
}

func keyWriteProps(h *maphash.Hash, ps Props) {
	var sum uint64
	for _, p := range ps {
		var eh maphash.Hash
		eh.SetSeed(keySeed)
		eh.WriteString(p.Key)
		eh.WriteByte(0)
		keyWrite(&eh, p.Value)
		sum += eh.Sum64()
	}
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], sum)
	h.Write(buf[:])
}

// describeKey is a key as errors quote it: its text, cut to a bounded
// length.
func describeKey(v Value) string {
	s := string(AppendText(nil, v))
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	if len(s) > 64 {
		cut := 61
		for cut > 0 && s[cut]&0xc0 == 0x80 {
			cut--
		}
		s = s[:cut] + "..."
	}
	return validText(s)
}
