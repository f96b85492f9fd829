package gene

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Sym is a Go string that maps to a Gene symbol rather than a string.
type Sym string

// Rune is a Go rune that maps to a Gene char rather than an int (a plain
// rune is an int32 and maps to an int).
type Rune rune

// Marshaler is implemented by types that build their own Gene value.
type Marshaler interface {
	MarshalGene() (Value, error)
}

// Unmarshaler is implemented by types that read themselves from a Gene
// value. UnmarshalGene must not keep slices it gets from v's accessors
// beyond treating them as read-only.
type Unmarshaler interface {
	UnmarshalGene(v Value) error
}

// Marshal returns the Gene value of v. The mapping between Go and Gene,
// which Unmarshal follows in reverse:
//
//	Go                          Gene
//	nil, nil pointer/interface  nil
//	bool                        bool
//	int*, uint*, uintptr        int (uint64 past int64 becomes a big int)
//	big.Int, *big.Int           int of any size
//	float32, float64            float
//	string (and named strings)  string
//	Sym                         symbol
//	Rune                        char (a plain rune is an int32, so an int)
//	[]byte                      bytes
//	time.Time                   datetime, offset kept, to the microsecond
//	time.Duration               int (nanoseconds)
//	slice, array                list (a nil slice is the empty list)
//	map with string keys        prop map, keys sorted
//	map with other keys         general map, sorted by Compare of the keys
//	struct                      prop map, or a node (see below)
//	Props                       prop map
//	Value                       itself, untouched
//	Marshaler                   what MarshalGene returns
//
// Pointers are followed. A struct becomes a prop map of its exported
// fields in declaration order, each under the key of its `gene:"key"` tag
// or, without one, its name in lower camel case: the leading run of
// upper-case letters is lower-cased, except that a run followed by a
// lower-case letter keeps its last letter (Name is name, ID is id, UserID
// is userID, HTTPServer is httpServer). Tag options: `gene:"-"` skips the
// field; ",omitempty" leaves out false, 0, "", nil and empty slices, maps
// and Values; ",omitzero" leaves out zero values (using an IsZero method
// when the type has one). Embedded structs are flattened as
// encoding/json does: a shallower field hides a deeper one of the same
// key; at equal depth a tagged one wins, and otherwise all are dropped.
//
// A struct with a field tagged ",head", ",body" or ",meta" maps to a node
// instead: the head field gives the node head (an omitempty head that is
// empty gives a node without head), the body field must give a list (a
// slice or array, usually) whose elements are the body, the meta field
// must give a prop map (a map[string]Value, Props or a struct) that
// becomes the meta, and the other fields are the props. So
//
//	type Request struct {
//		Kind Sym    `gene:",head"`
//		ID   int    `gene:"id"`
//		Path string `gene:"path"`
//		Args []int  `gene:",body"`
//	}
//
// maps to and from (request ^id 42 ^path "/x" 1 2).
//
// A time.Time whose offset is not whole minutes is written in UTC; zone
// names are not written. Float32 values are widened to float64. Channels,
// functions, complex numbers and unsafe pointers give an
// UnsupportedTypeError; a cyclic value gives a MarshalError. Errors name
// the path inside the value being built (".headers.accept", "[3].name").
//
// The strings of the result share memory with v's strings (Go strings are
// immutable); byte slices, big ints and everything else are copied. Marshal
// is safe for concurrent use.
func Marshal(v any) (Value, error) {
	if v == nil {
		return Value{}, nil
	}
	if gv, ok := v.(Value); ok {
		return gv, nil
	}
	rv := reflect.ValueOf(v)
	e := encodeStatePool.Get().(*encodeState)
	out, err := typeEncoder(rv.Type())(e, rv)
	e.ptrLevel = 0
	clear(e.ptrSeen)
	encodeStatePool.Put(e)
	return out, err
}

// MarshalError reports a Go value that Marshal could not turn into a Gene
// value: a MarshalGene method failed, a ,body or ,meta field gave the wrong
// kind, the value is cyclic, or a struct's tags are invalid.
type MarshalError struct {
	Path   string       // where in the Gene value, e.g. ".args[2]"; "" at the top
	GoType reflect.Type // the Go type being marshaled
	Err    error
}

func (e *MarshalError) Error() string {
	return validText("gene: cannot marshal Go value of type " + e.GoType.String() + atPath(e.Path) + ": " + strings.TrimPrefix(e.Err.Error(), "gene: "))
}

func (e *MarshalError) Unwrap() error { return e.Err }

// UnsupportedTypeError reports a Go type that has no Gene form: channels,
// functions, complex numbers and unsafe pointers. Both Marshal and
// Unmarshal return it.
type UnsupportedTypeError struct {
	Path   string // where in the Gene value; "" at the top
	GoType reflect.Type
}

func (e *UnsupportedTypeError) Error() string {
	return validText("gene: unsupported Go type " + e.GoType.String() + atPath(e.Path))
}

func atPath(path string) string {
	if path == "" {
		return ""
	}
	return " at " + path
}

// prependPath adds seg in front of the path of one of this file's error
// types as the error travels up out of a container; other errors are
// returned as they are.
func prependPath(err error, seg string) error {
	switch e := err.(type) {
	case *MarshalError:
		e.Path = seg + e.Path
	case *UnsupportedTypeError:
		e.Path = seg + e.Path
	case *UnmarshalTypeError:
		e.Path = seg + e.Path
	case *UnmarshalError:
		e.Path = seg + e.Path
	}
	return err
}

// pathProp is the path segment of a prop key, pathIndex of a list or body
// element, pathKey of a general map entry.
func pathProp(key string) string { return "." + key }
func pathIndex(i int) string     { return "[" + strconv.Itoa(i) + "]" }
func pathKey(k Value) string     { return "[" + keyText(k) + "]" }

// pathHead is the path segment of a node head.
const pathHead = "(head)"

// keyText renders a general map key for a path or a message, cut short
// when long.
func keyText(k Value) string {
	const max = 40
	s := Format(k)
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}

// encodeState is the per-call state of Marshal, pooled.
type encodeState struct {
	// ptrLevel counts the pointers, maps, slices and interfaces being
	// walked; past cycleCheckDepth every one is recorded in ptrSeen so that
	// a cycle fails instead of recursing forever.
	ptrLevel int
	ptrSeen  map[ptrKey]struct{}
}

type ptrKey struct {
	p   uintptr
	len int
	t   reflect.Type
}

// cycleCheckDepth is how deep Marshal goes before it pays for cycle
// detection; real values are far shallower.
const cycleCheckDepth = 1000

var encodeStatePool = sync.Pool{New: func() any { return new(encodeState) }}

// enter records v (a pointer, map or slice) on the way down; leave undoes
// it. enter fails when v is already on the path.
func (e *encodeState) enter(v reflect.Value) error {
	e.ptrLevel++
	if e.ptrLevel <= cycleCheckDepth {
		return nil
	}
	k := ptrKey{p: uintptr(v.UnsafePointer()), t: v.Type()}
	if v.Kind() == reflect.Slice {
		k.len = v.Len()
	}
	if _, ok := e.ptrSeen[k]; ok {
		return &MarshalError{GoType: v.Type(), Err: fmt.Errorf("cycle through %s", v.Type())}
	}
	if e.ptrSeen == nil {
		e.ptrSeen = make(map[ptrKey]struct{})
	}
	e.ptrSeen[k] = struct{}{}
	return nil
}

func (e *encodeState) leave(v reflect.Value) {
	if e.ptrLevel > cycleCheckDepth {
		k := ptrKey{p: uintptr(v.UnsafePointer()), t: v.Type()}
		if v.Kind() == reflect.Slice {
			k.len = v.Len()
		}
		delete(e.ptrSeen, k)
	}
	e.ptrLevel--
}

// encoderFunc turns a Go value of one type into a Gene value.
type encoderFunc func(e *encodeState, v reflect.Value) (Value, error)

// encoderCache maps reflect.Type to encoderFunc.
var encoderCache sync.Map

var (
	valueType     = reflect.TypeFor[Value]()
	propsType     = reflect.TypeFor[Props]()
	symType       = reflect.TypeFor[Sym]()
	runeType      = reflect.TypeFor[Rune]()
	bigIntType    = reflect.TypeFor[big.Int]()
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[Marshaler]()
)

// typeEncoder returns the encoder for t, building it once. Encoders of
// element and field types are looked up on first use, so building never
// recurses and recursive types need no special care.
func typeEncoder(t reflect.Type) encoderFunc {
	if f, ok := encoderCache.Load(t); ok {
		return f.(encoderFunc)
	}
	f, _ := encoderCache.LoadOrStore(t, newTypeEncoder(t, true))
	return f.(encoderFunc)
}

// newTypeEncoder builds the encoder for t. With allowAddr, a MarshalGene
// method on *t is used when the value is addressable.
func newTypeEncoder(t reflect.Type, allowAddr bool) encoderFunc {
	if t.Kind() != reflect.Pointer && allowAddr && reflect.PointerTo(t).Implements(marshalerType) {
		plain := newTypeEncoder(t, false)
		return func(e *encodeState, v reflect.Value) (Value, error) {
			if !v.CanAddr() {
				return plain(e, v)
			}
			return callMarshaler(v.Addr())
		}
	}
	if t.Implements(marshalerType) {
		return func(e *encodeState, v reflect.Value) (Value, error) {
			if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
				return Value{}, nil
			}
			return callMarshaler(v)
		}
	}
	switch t {
	case valueType:
		return encodeValue
	case propsType:
		return encodeProps
	case symType:
		return func(_ *encodeState, v reflect.Value) (Value, error) { return Symbol(v.String()), nil }
	case runeType:
		return encodeChar
	case bigIntType:
		return encodeBigInt
	case timeType:
		return encodeTime
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(_ *encodeState, v reflect.Value) (Value, error) { return Bool(v.Bool()), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(_ *encodeState, v reflect.Value) (Value, error) { return Int(v.Int()), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return encodeUint
	case reflect.Float32, reflect.Float64:
		return func(_ *encodeState, v reflect.Value) (Value, error) { return Float(v.Float()), nil }
	case reflect.String:
		return func(_ *encodeState, v reflect.Value) (Value, error) { return String(v.String()), nil }
	case reflect.Interface:
		return encodeInterface
	case reflect.Pointer:
		return newPtrEncoder(t)
	case reflect.Slice:
		if isByteSlice(t) {
			return encodeBytes
		}
		return newListEncoder(t)
	case reflect.Array:
		return newListEncoder(t)
	case reflect.Map:
		return newMapEncoder(t)
	case reflect.Struct:
		return newStructEncoder(t)
	}
	return func(_ *encodeState, v reflect.Value) (Value, error) {
		return Value{}, &UnsupportedTypeError{GoType: v.Type()}
	}
}

// isByteSlice reports a slice of a byte kind that has no hooks of its own,
// which maps to bytes rather than to a list of ints.
func isByteSlice(t reflect.Type) bool {
	el := t.Elem()
	if el.Kind() != reflect.Uint8 {
		return false
	}
	p := reflect.PointerTo(el)
	return !p.Implements(marshalerType) && !p.Implements(unmarshalerType)
}

func callMarshaler(v reflect.Value) (Value, error) {
	m := v.Interface().(Marshaler)
	out, err := m.MarshalGene()
	switch e := err.(type) {
	case nil:
	case *MarshalError: // from a nested Marshal: extend a copy's path
		cp := *e
		return Value{}, &cp
	case *UnsupportedTypeError:
		cp := *e
		return Value{}, &cp
	default:
		return Value{}, &MarshalError{GoType: v.Type(), Err: err}
	}
	return out, nil
}

func encodeValue(_ *encodeState, v reflect.Value) (Value, error) {
	if v.CanAddr() {
		return *v.Addr().Interface().(*Value), nil
	}
	return v.Interface().(Value), nil
}

func encodeProps(_ *encodeState, v reflect.Value) (Value, error) {
	ps := v.Interface().(Props)
	if len(ps) == 0 {
		return PropMap(), nil
	}
	return PropMap(slices.Clone(ps)...), nil
}

func encodeChar(_ *encodeState, v reflect.Value) (Value, error) {
	r := rune(v.Int())
	if !utf8.ValidRune(r) {
		return Value{}, &MarshalError{GoType: v.Type(), Err: fmt.Errorf("invalid char %U", r)}
	}
	return Char(r), nil
}

func encodeUint(_ *encodeState, v reflect.Value) (Value, error) {
	u := v.Uint()
	if u > math.MaxInt64 {
		return BigInt(new(big.Int).SetUint64(u)), nil
	}
	return Int(int64(u)), nil
}

func encodeBigInt(_ *encodeState, v reflect.Value) (Value, error) {
	var b *big.Int
	if v.CanAddr() {
		b = v.Addr().Interface().(*big.Int)
	} else {
		x := v.Interface().(big.Int)
		b = &x
	}
	if b.IsInt64() {
		return Int(b.Int64()), nil
	}
	return BigInt(new(big.Int).Set(b)), nil
}

func encodeTime(_ *encodeState, v reflect.Value) (Value, error) {
	var t time.Time
	if v.CanAddr() {
		t = *v.Addr().Interface().(*time.Time)
	} else {
		t = v.Interface().(time.Time)
	}
	_, off := t.Zone()
	if off%60 != 0 {
		t, off = t.UTC(), 0
	}
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return Value{}, &MarshalError{GoType: v.Type(), Err: fmt.Errorf("year %d is outside 0..9999", year)}
	}
	hour, minute, sec := t.Clock()
	return DateTime(Temporal{
		Year: year, Month: int(month), Day: day,
		Hour: hour, Minute: minute, Second: sec, Micro: t.Nanosecond() / 1000,
		HasOffset: true, Offset: off / 60,
	}), nil
}

func encodeBytes(_ *encodeState, v reflect.Value) (Value, error) {
	return Bytes(slices.Clone(v.Bytes())), nil
}

func encodeInterface(e *encodeState, v reflect.Value) (Value, error) {
	if v.IsNil() {
		return Value{}, nil
	}
	el := v.Elem()
	return typeEncoder(el.Type())(e, el)
}

func newPtrEncoder(t reflect.Type) encoderFunc {
	f := &field{typ: t.Elem()}
	return func(e *encodeState, v reflect.Value) (Value, error) {
		if v.IsNil() {
			return Value{}, nil
		}
		if err := e.enter(v); err != nil {
			return Value{}, err
		}
		out, err := f.encoder()(e, v.Elem())
		e.leave(v)
		return out, err
	}
}

func newListEncoder(t reflect.Type) encoderFunc {
	f := &field{typ: t.Elem()}
	isSlice := t.Kind() == reflect.Slice
	return func(e *encodeState, v reflect.Value) (Value, error) {
		n := v.Len()
		if n == 0 {
			return List(), nil
		}
		if isSlice {
			if err := e.enter(v); err != nil {
				return Value{}, err
			}
			defer e.leave(v)
		}
		enc := f.encoder()
		elems := make([]Value, n)
		for i := range n {
			x, err := enc(e, v.Index(i))
			if err != nil {
				return Value{}, prependPath(err, pathIndex(i))
			}
			elems[i] = x
		}
		return List(elems...), nil
	}
}

func newMapEncoder(t reflect.Type) encoderFunc {
	kf := &field{typ: t.Key()}
	vf := &field{typ: t.Elem()}
	// Keys of a string kind become prop keys, unless they marshal
	// themselves.
	propKeys := t.Key().Kind() == reflect.String && !reflect.PointerTo(t.Key()).Implements(marshalerType)
	return func(e *encodeState, v reflect.Value) (Value, error) {
		n := v.Len()
		if n == 0 {
			if propKeys {
				return PropMap(), nil
			}
			return Map(), nil
		}
		if err := e.enter(v); err != nil {
			return Value{}, err
		}
		defer e.leave(v)
		venc := vf.encoder()
		kv := reflect.New(t.Key()).Elem()
		ev := reflect.New(t.Elem()).Elem()
		it := v.MapRange()
		if propKeys {
			ps := make([]Prop, 0, n)
			for it.Next() {
				kv.SetIterKey(it)
				ev.SetIterValue(it)
				key := kv.String()
				x, err := venc(e, ev)
				if err != nil {
					return Value{}, prependPath(err, pathProp(key))
				}
				ps = append(ps, Prop{Key: key, Value: x})
			}
			slices.SortFunc(ps, func(a, b Prop) int { return strings.Compare(a.Key, b.Key) })
			return PropMap(ps...), nil
		}
		kenc := kf.encoder()
		es := make([]Entry, 0, n)
		for it.Next() {
			kv.SetIterKey(it)
			ev.SetIterValue(it)
			k, err := kenc(e, kv)
			if err != nil {
				return Value{}, prependPath(err, "(key)")
			}
			x, err := venc(e, ev)
			if err != nil {
				return Value{}, prependPath(err, pathKey(k))
			}
			es = append(es, Entry{Key: k, Value: x})
		}
		slices.SortFunc(es, func(a, b Entry) int { return Compare(a.Key, b.Key) })
		for i := 1; i < len(es); i++ {
			if Equal(es[i-1].Key, es[i].Key) {
				return Value{}, &MarshalError{GoType: t, Err: fmt.Errorf("two keys give the same Gene key %s", keyText(es[i].Key))}
			}
		}
		return Map(es...), nil
	}
}

func newStructEncoder(t reflect.Type) encoderFunc {
	si := cachedStruct(t)
	if si.err != nil {
		return func(*encodeState, reflect.Value) (Value, error) {
			return Value{}, &MarshalError{GoType: t, Err: si.err}
		}
	}
	return func(e *encodeState, v reflect.Value) (Value, error) {
		var ps []Prop
		if len(si.props) > 0 {
			ps = make([]Prop, 0, len(si.props))
		}
		for _, f := range si.props {
			fv, ok := fieldByIndex(v, f.index)
			if !ok || f.omitted(fv) {
				continue
			}
			x, err := f.encoder()(e, fv)
			if err != nil {
				return Value{}, prependPath(err, pathProp(f.name))
			}
			ps = append(ps, Prop{Key: f.name, Value: x})
		}
		if !si.node {
			return PropMap(ps...), nil
		}
		n := &Node{Props: ps}
		if f := si.head; f != nil {
			if fv, ok := fieldByIndex(v, f.index); ok && !f.omitted(fv) {
				x, err := f.encoder()(e, fv)
				if err != nil {
					return Value{}, prependPath(err, pathHead)
				}
				n.Head, n.HasHead = x, true
			}
		}
		if f := si.meta; f != nil {
			if fv, ok := fieldByIndex(v, f.index); ok && !f.omitted(fv) {
				x, err := f.encoder()(e, fv)
				if err != nil {
					return Value{}, metaPath(err)
				}
				if x.Kind() != KindProps && !x.IsNil() {
					return Value{}, &MarshalError{GoType: f.typ, Err: fmt.Errorf("the ,meta field %s.%s gave %s, not props", si.name, f.goName, x.Kind())}
				}
				n.Meta = x.Props()
			}
		}
		if f := si.body; f != nil {
			if fv, ok := fieldByIndex(v, f.index); ok && !f.omitted(fv) {
				x, err := f.encoder()(e, fv)
				if err != nil {
					return Value{}, err // body elements are indexed like a list
				}
				if x.Kind() != KindList && !x.IsNil() {
					return Value{}, &MarshalError{GoType: f.typ, Err: fmt.Errorf("the ,body field %s.%s gave %s, not a list", si.name, f.goName, x.Kind())}
				}
				n.Body = x.List()
			}
		}
		return NodeValue(n), nil
	}
}

// omitted reports that the field's value is left out by omitempty or
// omitzero.
func (f *field) omitted(v reflect.Value) bool {
	return (f.omitEmpty && isEmptyValue(v)) || (f.omitZero && isZeroValue(v))
}

// isEmptyValue is the omitempty test: false, 0, "", nil, and empty arrays,
// slices, maps and Values.
func isEmptyValue(v reflect.Value) bool {
	if v.Type() == valueType {
		return isEmptyGene(v)
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isEmptyGene reports a nil Value or an empty string, list, map or bytes.
func isEmptyGene(v reflect.Value) bool {
	var g Value
	if v.CanAddr() {
		g = *v.Addr().Interface().(*Value)
	} else {
		g = v.Interface().(Value)
	}
	switch g.Kind() {
	case KindNil:
		return true
	case KindString, KindBytes, KindList, KindProps, KindMap:
		return g.Len() == 0
	}
	return false
}

var zeroerType = reflect.TypeFor[interface{ IsZero() bool }]()

// isZeroValue is the omitzero test: the type's IsZero method if it has
// one, else the Go zero value.
func isZeroValue(v reflect.Value) bool {
	t := v.Type()
	switch {
	case t.Implements(zeroerType):
		if (t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface) && v.IsNil() {
			return true
		}
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	case v.CanAddr() && reflect.PointerTo(t).Implements(zeroerType):
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}
