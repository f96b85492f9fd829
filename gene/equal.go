package gene

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Equal reports whether a and b are the same Gene value (NOTATION.md
// section 2): integers equal only integers and floats only floats; nan
// equals nothing, not even itself; 0.0 equals -0.0; prop maps, general maps
// and node props are compared ignoring entry order; meta is ignored; the
// immutable mark is part of the value.
func Equal(a, b Value) bool {
	if a.kind != b.kind || a.frozen != b.frozen {
		return false
	}
	switch a.kind {
	case KindNil, KindVoid:
		return true
	case KindBool, KindChar:
		return a.n == b.n
	case KindInt:
		if a.p == nil || b.p == nil {
			return a.p == nil && b.p == nil && a.n == b.n
		}
		return a.bigRef().Cmp(b.bigRef()) == 0
	case KindFloat:
		fa, _ := a.AsFloat()
		fb, _ := b.AsFloat()
		return fa == fb
	case KindString, KindSymbol:
		return a.Str() == b.Str()
	case KindBytes:
		return string(a.Bytes()) == string(b.Bytes())
	case KindList:
		return valuesEqual(a.List(), b.List())
	case KindProps:
		return propsEqual(a.Props(), b.Props())
	case KindMap:
		return entriesEqual(a.Entries(), b.Entries())
	case KindNode:
		na, nb := a.Node(), b.Node()
		if na.HasHead != nb.HasHead || !Equal(na.Head, nb.Head) {
			return false
		}
		return propsEqual(na.Props, nb.Props) && valuesEqual(na.Body, nb.Body)
	case KindRegex:
		return *a.Regex() == *b.Regex()
	case KindDate, KindTime, KindDateTime:
		ta, _ := a.Temporal()
		tb, _ := b.Temporal()
		return ta == tb
	}
	return false
}

func valuesEqual(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func propsEqual(a, b Props) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		// Same position first: the common case of identical insertion order.
		if a[i].Key != b[i].Key {
			return propsEqualUnordered(a[i:], b[i:])
		}
		if !Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// propsEqualUnordered compares prop lists of the same length whose keys
// are in different orders: by scanning for short lists, through a Go map
// for long ones, so it stays O(n).
func propsEqualUnordered(a, b Props) bool {
	if len(b) <= keyIndexMin {
		for i := range a {
			w, ok := b.Get(a[i].Key)
			if !ok || !Equal(a[i].Value, w) {
				return false
			}
		}
		return true
	}
	bm := make(map[string]int, len(b))
	for j, p := range b {
		bm[p.Key] = j
	}
	for i := range a {
		j, ok := bm[a[i].Key]
		if !ok || !Equal(a[i].Value, b[j].Value) {
			return false
		}
	}
	return true
}

func entriesEqual(a, b []Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		// Same position first: the common case of identical insertion order.
		if !Equal(a[i].Key, b[i].Key) {
			return entriesEqualUnordered(a[i:], b[i:])
		}
		if !Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// entriesEqualUnordered compares entry lists of the same length whose keys
// are in different orders, finding each key of a among b's by a seeded
// hash (keyindex.go): O(n) expected, however the keys are shaped.
func entriesEqualUnordered(a, b []Entry) bool {
	if len(b) < keyIndexMin {
		for i := range a {
			w, ok := Map(b...).Lookup(a[i].Key)
			if !ok || !Equal(a[i].Value, w) {
				return false
			}
		}
		return true
	}
	x := keyIndex{hint: len(b)}
	for j := range b {
		if x.add(b, j) >= 0 {
			// b repeats a key, which Map forbids; fall back to Lookup's
			// first match, as before.
			x = keyIndex{}
			break
		}
	}
	if x.head == nil {
		for i := range a {
			w, ok := Map(b...).Lookup(a[i].Key)
			if !ok || !Equal(a[i].Value, w) {
				return false
			}
		}
		return true
	}
	for i := range a {
		j := x.find(b, a[i].Key, keyHash(a[i].Key))
		if j < 0 || !Equal(a[i].Value, b[j].Value) {
			return false
		}
	}
	return true
}

// Hash returns a hash of v consistent with Equal: equal values hash equal.
// Meta is not hashed, map and prop entries are hashed independently of
// their order, and 0.0 and -0.0 hash alike. The hash is stable across
// processes and releases of this package, so it may be stored.
func Hash(v Value) uint64 {
	h := newHasher()
	h.value(v)
	return h.sum
}

// hasher is FNV-1a over a canonical walk of the value.
type hasher struct{ sum uint64 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newHasher() hasher { return hasher{sum: fnvOffset} }

func (h *hasher) byte(b byte) { h.sum = (h.sum ^ uint64(b)) * fnvPrime }

func (h *hasher) u64(x uint64) {
	for i := 0; i < 8; i++ {
		h.byte(byte(x >> (8 * i)))
	}
}

func (h *hasher) str(s string) {
	h.u64(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
}

func (h *hasher) value(v Value) {
	h.byte(byte(v.kind))
	if v.frozen {
		h.byte(1)
	}
	switch v.kind {
	case KindBool, KindChar:
		h.u64(v.n)
	case KindInt:
		if v.p == nil {
			h.u64(v.n)
		} else {
			h.str(v.bigRef().String())
		}
	case KindFloat:
		f, _ := v.AsFloat()
		if f == 0 {
			f = 0 // -0.0 hashes as 0.0
		}
		h.u64(math.Float64bits(f))
	case KindString, KindSymbol:
		h.str(v.Str())
	case KindBytes:
		h.str(string(v.Bytes()))
	case KindList:
		h.values(v.List())
	case KindProps:
		h.props(v.Props())
	case KindMap:
		// Order-independent: sum the hashes of the entries.
		var sum uint64
		for _, e := range v.Entries() {
			eh := newHasher()
			eh.value(e.Key)
			eh.value(e.Value)
			sum += eh.sum
		}
		h.u64(sum)
	case KindNode:
		n := v.Node()
		if n.HasHead {
			h.byte(1)
			h.value(n.Head)
		}
		h.props(n.Props)
		h.values(n.Body)
	case KindRegex:
		r := v.Regex()
		h.str(r.Pattern)
		h.str(r.Flags)
	case KindDate, KindTime, KindDateTime:
		t, _ := v.Temporal()
		for _, x := range [...]int{t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, t.Micro, t.Offset} {
			h.u64(uint64(x))
		}
		if t.HasOffset {
			h.byte(1)
		}
		h.str(t.Zone)
	}
}

func (h *hasher) values(vs []Value) {
	h.u64(uint64(len(vs)))
	for _, e := range vs {
		h.value(e)
	}
}

func (h *hasher) props(ps Props) {
	var sum uint64
	for _, p := range ps {
		ph := newHasher()
		ph.str(p.Key)
		ph.value(p.Value)
		sum += ph.sum
	}
	h.u64(uint64(len(ps)))
	h.u64(sum)
}

// Compare returns -1, 0 or +1 ordering a before, equal to, or after b in a
// total order usable for sorting. Values of different kinds order by Kind;
// integers and floats by numeric value (floats with nan after +inf, -0.0
// equal to 0.0); strings, symbols and bytes by bytes; lists and node bodies
// lexicographically; prop maps and general maps by their entries sorted by
// key; immutable forms after mutable ones of the same shape; meta ignored.
// Compare(a, b) == 0 exactly when Equal(a, b), except that nan compares
// equal to nan.
func Compare(a, b Value) int {
	if a.kind != b.kind {
		return cmp.Compare(a.kind, b.kind)
	}
	if c := compareBool(a.frozen, b.frozen); c != 0 {
		return c
	}
	switch a.kind {
	case KindNil, KindVoid:
		return 0
	case KindBool:
		return cmp.Compare(a.n, b.n)
	case KindChar:
		return cmp.Compare(rune(a.n), rune(b.n))
	case KindInt:
		if a.p == nil && b.p == nil {
			return cmp.Compare(int64(a.n), int64(b.n))
		}
		return a.BigInt().Cmp(b.BigInt())
	case KindFloat:
		fa, _ := a.AsFloat()
		fb, _ := b.AsFloat()
		return compareFloat(fa, fb)
	case KindString, KindSymbol:
		return strings.Compare(a.Str(), b.Str())
	case KindBytes:
		return strings.Compare(string(a.Bytes()), string(b.Bytes()))
	case KindList:
		return compareValues(a.List(), b.List())
	case KindProps:
		return compareProps(a.Props(), b.Props())
	case KindMap:
		return compareEntries(a.Entries(), b.Entries())
	case KindNode:
		na, nb := a.Node(), b.Node()
		if c := compareBool(na.HasHead, nb.HasHead); c != 0 {
			return c
		}
		if c := Compare(na.Head, nb.Head); c != 0 {
			return c
		}
		if c := compareProps(na.Props, nb.Props); c != 0 {
			return c
		}
		return compareValues(na.Body, nb.Body)
	case KindRegex:
		ra, rb := a.Regex(), b.Regex()
		if c := strings.Compare(ra.Pattern, rb.Pattern); c != 0 {
			return c
		}
		return strings.Compare(ra.Flags, rb.Flags)
	case KindDate, KindTime, KindDateTime:
		ta, _ := a.Temporal()
		tb, _ := b.Temporal()
		return compareTemporal(ta, tb)
	}
	return 0
}

// compareFloat orders nan after +inf and -0.0 equal to 0.0.
func compareFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an || bn:
		return compareBool(an, bn)
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func compareValues(a, b []Value) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func compareProps(a, b Props) int {
	sa := slices.SortedFunc(slices.Values(a), func(x, y Prop) int { return strings.Compare(x.Key, y.Key) })
	sb := slices.SortedFunc(slices.Values(b), func(x, y Prop) int { return strings.Compare(x.Key, y.Key) })
	for i := 0; i < len(sa) && i < len(sb); i++ {
		if c := strings.Compare(sa[i].Key, sb[i].Key); c != 0 {
			return c
		}
		if c := Compare(sa[i].Value, sb[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(sa), len(sb))
}

func compareEntries(a, b []Entry) int {
	byKey := func(x, y Entry) int { return Compare(x.Key, y.Key) }
	sa := slices.SortedFunc(slices.Values(a), byKey)
	sb := slices.SortedFunc(slices.Values(b), byKey)
	for i := 0; i < len(sa) && i < len(sb); i++ {
		if c := Compare(sa[i].Key, sb[i].Key); c != 0 {
			return c
		}
		if c := Compare(sa[i].Value, sb[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(sa), len(sb))
}

func compareTemporal(a, b Temporal) int {
	for _, p := range [...][2]int{
		{a.Year, b.Year}, {a.Month, b.Month}, {a.Day, b.Day},
		{a.Hour, b.Hour}, {a.Minute, b.Minute}, {a.Second, b.Second}, {a.Micro, b.Micro},
		{boolInt(a.HasOffset), boolInt(b.HasOffset)}, {a.Offset, b.Offset},
	} {
		if c := cmp.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return strings.Compare(a.Zone, b.Zone)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
