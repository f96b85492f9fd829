package gene

import (
	"math"
	"math/big"
	"unsafe"
)

// Kind names the kind of a Value. The zero Kind is KindNil, so the zero
// Value is nil.
type Kind uint8

// The kinds of NOTATION.md section 2, in the order Compare sorts them.
const (
	KindNil      Kind = iota // nil
	KindVoid                 // void: "no value"
	KindBool                 // true, false
	KindInt                  // arbitrary-precision integer (int64 fast path)
	KindFloat                // 64-bit IEEE float, including inf and nan
	KindString               // UTF-8 string
	KindChar                 // one Unicode scalar value
	KindSymbol               // symbol
	KindList                 // [a b c]
	KindProps                // prop map {^k v}: symbol keys, insertion order
	KindMap                  // general map {{k : v}}: any keys, insertion order
	KindNode                 // gene expression (head ^prop v @meta v body...)
	KindBytes                // #B16#...
	KindRegex                // #"pattern"flags
	KindDate                 // 2026-11-24
	KindTime                 // 09:30:15.25+01:00
	KindDateTime             // 2026-11-24T09:30:00Z
	numKinds
)

var kindNames = [numKinds]string{
	"nil", "void", "bool", "int", "float", "string", "char", "symbol",
	"list", "props", "map", "node", "bytes", "regex", "date", "time", "datetime",
}

// String returns the lower-case name of the kind, as used in errors and in
// schemas ("int", "props", "node").
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind(" + itoa(int(k)) + ")"
}

// Value is one Gene value. It is a small immutable handle (24 bytes) that is
// cheap to copy: scalars live inside it, and strings, lists and maps point at
// storage the Value shares with whoever built it. Constructors that take a
// slice take ownership of it; callers must not modify the slice afterwards.
// Accessors that return a slice return the shared storage, which callers must
// treat as read-only.
//
// The zero Value is nil. Values are safe for concurrent reads.
type Value struct {
	kind   Kind
	frozen bool // immutable form: #[...], #{...}, #(...)
	// n holds the scalar payload: int64 bits, float64 bits, bool, rune, or
	// the length of the string, bytes, list or prop map that p points at.
	n uint64
	// p points at out-of-line storage: string/symbol/bytes data, the first
	// element of a list, prop map or general map, or a *big.Int, *Node,
	// *Regex or *Temporal. Nil for scalars and empty containers.
	p unsafe.Pointer
}

// Prop is one entry of a prop map, a node's props or a node's meta.
type Prop struct {
	Key   string
	Value Value
}

// Entry is one entry of a general map.
type Entry struct {
	Key   Value
	Value Value
}

// Node is a gene expression: (head ^prop v @meta v body...). A node with no
// head, written (), has a nil Head and HasHead false.
type Node struct {
	Head    Value
	HasHead bool
	Props   Props
	Meta    Props // kept and written, ignored by Equal, Hash and Compare
	Body    []Value
}

// Regex is a regular expression literal. Pattern is kept raw: backslashes
// are not interpreted. Flags is a subset of "imsx" in the order written.
type Regex struct {
	Pattern string
	Flags   string
}

// Temporal is a date, a time of day, or both; which parts are meaningful
// follows the kind of the Value that holds it.
type Temporal struct {
	Year, Month, Day     int // date part
	Hour, Minute, Second int // time part
	Micro                int // fraction of the second, 0..999999
	// HasOffset reports a UTC offset written as Z or +hh:mm; Offset is in
	// minutes east of UTC.
	HasOffset bool
	Offset    int
	// Zone is an IANA zone name written as [Zone/Name], or "".
	Zone string
}

// Props is an ordered list of symbol-keyed entries with unique keys.
type Props []Prop

// Get returns the value stored under key.
func (ps Props) Get(key string) (Value, bool) {
	for i := range ps {
		if ps[i].Key == key {
			return ps[i].Value, true
		}
	}
	return Value{}, false
}

// Set stores v under key, replacing an existing entry in place (keeping its
// position) or appending.
func (ps *Props) Set(key string, v Value) {
	for i := range *ps {
		if (*ps)[i].Key == key {
			(*ps)[i].Value = v
			return
		}
	}
	*ps = append(*ps, Prop{Key: key, Value: v})
}

// Constructors.

// Nil returns the nil value (the zero Value).
func Nil() Value { return Value{} }

// Void returns the void value.
func Void() Value { return Value{kind: KindVoid} }

// Bool returns a boolean value.
func Bool(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.n = 1
	}
	return v
}

// True and False are the two boolean values.
var (
	True  = Bool(true)
	False = Bool(false)
)

// Int returns an integer value.
func Int(i int64) Value { return Value{kind: KindInt, n: uint64(i)} }

// BigInt returns an integer value for b. Integers that fit in an int64 are
// stored on the fast path, so Int(5) and BigInt(big.NewInt(5)) are identical.
// BigInt keeps b; the caller must not modify it afterwards.
func BigInt(b *big.Int) Value {
	if b.IsInt64() {
		return Int(b.Int64())
	}
	return Value{kind: KindInt, p: unsafe.Pointer(b)}
}

// Float returns a float value.
func Float(f float64) Value { return Value{kind: KindFloat, n: math.Float64bits(f)} }

// String returns a string value. s should be valid UTF-8; the writers
// replace invalid bytes with U+FFFD.
func String(s string) Value {
	return Value{kind: KindString, n: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// Char returns a char value.
func Char(r rune) Value { return Value{kind: KindChar, n: uint64(r)} }

// Symbol returns a symbol value.
func Symbol(s string) Value {
	return Value{kind: KindSymbol, n: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// List returns a list value holding elems. It takes ownership of elems.
func List(elems ...Value) Value {
	return Value{kind: KindList, n: uint64(len(elems)), p: unsafe.Pointer(unsafe.SliceData(elems))}
}

// PropMap returns a prop map value. Keys must be unique; it takes ownership
// of ps.
func PropMap(ps ...Prop) Value {
	return Value{kind: KindProps, n: uint64(len(ps)), p: unsafe.Pointer(unsafe.SliceData(ps))}
}

// Map returns a general map value. Keys must be unique under Equal
// (DuplicateKey checks them); it takes ownership of entries.
func Map(entries ...Entry) Value {
	return Value{kind: KindMap, n: uint64(len(entries)), p: unsafe.Pointer(unsafe.SliceData(entries))}
}

// NodeValue returns a node value for n. It takes ownership of n.
func NodeValue(n *Node) Value { return Value{kind: KindNode, p: unsafe.Pointer(n)} }

// Gene is a shorthand for a node with a head, no props and the given body.
func Gene(head Value, body ...Value) Value {
	return NodeValue(&Node{Head: head, HasHead: true, Body: body})
}

// Bytes returns a bytes value. It takes ownership of b.
func Bytes(b []byte) Value {
	return Value{kind: KindBytes, n: uint64(len(b)), p: unsafe.Pointer(unsafe.SliceData(b))}
}

// RegexValue returns a regex value.
func RegexValue(pattern, flags string) Value {
	return Value{kind: KindRegex, p: unsafe.Pointer(&Regex{Pattern: pattern, Flags: flags})}
}

// Date returns a date value from the date part of t.
func Date(t Temporal) Value {
	t = Temporal{Year: t.Year, Month: t.Month, Day: t.Day}
	return Value{kind: KindDate, p: unsafe.Pointer(&t)}
}

// Time returns a time-of-day value from the time part of t.
func Time(t Temporal) Value {
	t.Year, t.Month, t.Day = 0, 0, 0
	return Value{kind: KindTime, p: unsafe.Pointer(&t)}
}

// DateTime returns a date-time value.
func DateTime(t Temporal) Value { return Value{kind: KindDateTime, p: unsafe.Pointer(&t)} }

// Freeze returns v marked as an immutable form (#[..], #{..}, #(..)). It has
// no effect on kinds other than list, props and node.
func (v Value) Freeze() Value {
	switch v.kind {
	case KindList, KindProps, KindNode:
		v.frozen = true
	}
	return v
}

// Accessors.

// Kind returns the kind of v.
func (v Value) Kind() Kind { return v.kind }

// Frozen reports whether v was written as an immutable form.
func (v Value) Frozen() bool { return v.frozen }

// IsNil reports whether v is nil.
func (v Value) IsNil() bool { return v.kind == KindNil }

// AsBool returns the boolean and whether v is a bool.
func (v Value) AsBool() (b, ok bool) { return v.n != 0, v.kind == KindBool }

// AsInt returns v as an int64 and whether v is an integer that fits.
func (v Value) AsInt() (int64, bool) { return int64(v.n), v.kind == KindInt && v.p == nil }

// IsBig reports whether v is an integer outside the int64 range.
func (v Value) IsBig() bool { return v.kind == KindInt && v.p != nil }

// BigInt returns v as a new big.Int, or nil if v is not an integer.
func (v Value) BigInt() *big.Int {
	if v.kind != KindInt {
		return nil
	}
	if v.p == nil {
		return big.NewInt(int64(v.n))
	}
	return new(big.Int).Set((*big.Int)(v.p))
}

// bigRef returns the stored big.Int without copying; nil on the fast path.
func (v Value) bigRef() *big.Int { return (*big.Int)(v.p) }

// AsFloat returns the float and whether v is a float.
func (v Value) AsFloat() (float64, bool) { return math.Float64frombits(v.n), v.kind == KindFloat }

// Str returns the text of a string or symbol value, and "" for other kinds.
func (v Value) Str() string {
	if v.kind != KindString && v.kind != KindSymbol {
		return ""
	}
	return unsafe.String((*byte)(v.p), int(v.n))
}

// IsSymbol reports whether v is the symbol name.
func (v Value) IsSymbol(name string) bool { return v.kind == KindSymbol && v.Str() == name }

// AsChar returns the rune and whether v is a char.
func (v Value) AsChar() (rune, bool) { return rune(v.n), v.kind == KindChar }

// List returns the elements of a list, or nil for other kinds. Read-only.
func (v Value) List() []Value {
	if v.kind != KindList {
		return nil
	}
	return unsafe.Slice((*Value)(v.p), int(v.n))
}

// Props returns the entries of a prop map, or nil for other kinds. Read-only.
func (v Value) Props() Props {
	if v.kind != KindProps {
		return nil
	}
	return unsafe.Slice((*Prop)(v.p), int(v.n))
}

// Entries returns the entries of a general map, or nil for other kinds.
// Read-only.
func (v Value) Entries() []Entry {
	if v.kind != KindMap {
		return nil
	}
	return unsafe.Slice((*Entry)(v.p), int(v.n))
}

// Node returns the node of a node value, or nil for other kinds. Read-only.
func (v Value) Node() *Node {
	if v.kind != KindNode {
		return nil
	}
	return (*Node)(v.p)
}

// Bytes returns the bytes of a bytes value, or nil for other kinds.
// Read-only.
func (v Value) Bytes() []byte {
	if v.kind != KindBytes {
		return nil
	}
	return unsafe.Slice((*byte)(v.p), int(v.n))
}

// Regex returns the regex of a regex value, or nil for other kinds.
func (v Value) Regex() *Regex {
	if v.kind != KindRegex {
		return nil
	}
	return (*Regex)(v.p)
}

// Temporal returns the parts of a date, time or date-time value, and false
// for other kinds.
func (v Value) Temporal() (Temporal, bool) {
	switch v.kind {
	case KindDate, KindTime, KindDateTime:
		return *(*Temporal)(v.p), true
	}
	return Temporal{}, false
}

// Len returns the number of elements of a list, prop map, general map or
// node body, the byte length of a string, symbol or bytes value, and 0
// otherwise.
func (v Value) Len() int {
	switch v.kind {
	case KindString, KindSymbol, KindBytes, KindList, KindProps, KindMap:
		return int(v.n)
	case KindNode:
		return len(v.Node().Body)
	}
	return 0
}

// Get looks up key in a prop map, a node's props or a general map (where
// key is matched as a symbol or a string).
func (v Value) Get(key string) (Value, bool) {
	switch v.kind {
	case KindProps:
		return v.Props().Get(key)
	case KindNode:
		return v.Node().Props.Get(key)
	case KindMap:
		for _, e := range v.Entries() {
			if (e.Key.kind == KindSymbol || e.Key.kind == KindString) && e.Key.Str() == key {
				return e.Value, true
			}
		}
	}
	return Value{}, false
}

// Lookup finds key in a general map using Equal.
func (v Value) Lookup(key Value) (Value, bool) {
	for _, e := range v.Entries() {
		if Equal(e.Key, key) {
			return e.Value, true
		}
	}
	return Value{}, false
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
