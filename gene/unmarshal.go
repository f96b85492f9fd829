package gene

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"
)

// UnmarshalOptions are the knobs of UnmarshalWith. The zero value is what
// Unmarshal uses.
type UnmarshalOptions struct {
	// DisallowUnknown makes a prop with no struct field to hold it, or a
	// node head or body for a struct with no ,head or ,body field, an error
	// (matching ErrUnknownField) instead of being ignored. Meta is always
	// ignored when the struct has no ,meta field.
	DisallowUnknown bool
}

// ErrUnknownField is matched by the UnmarshalError of a value that no struct
// field takes, under UnmarshalOptions.DisallowUnknown.
var ErrUnknownField = errors.New("gene: unknown field")

// Unmarshal stores src into the value dst points at, following the mapping
// documented on Marshal. dst must be a non-nil pointer. Besides the reverse
// of Marshal:
//
//   - Numbers are kind-strict: a float never goes into an integer, and an
//     integer that does not fit the Go type is an error. An integer goes
//     into a float only when the float holds it exactly (people write 1
//     for 1.0; nothing is lost).
//   - A Go string takes a string or a symbol; Sym takes only a symbol.
//   - time.Time takes a datetime (one without offset is read as UTC; one
//     with a zone name and no offset needs the zone database) or a date
//     (midnight UTC); a time of day is an error.
//   - nil and void set pointers, interfaces, slices and maps to nil and
//     leave other Go values unchanged; a Value takes them as they are.
//   - A list goes into an array only when the lengths match.
//   - Maps and structs are updated in place, as encoding/json does: entries
//     and fields absent from src keep their values. Slices are refilled.
//   - Props with no matching struct field are ignored (see
//     UnmarshalOptions.DisallowUnknown); keys match exactly, case included.
//     A struct that maps to a prop map takes only a prop map, and one that
//     maps to a node takes only a node.
//   - An `any` takes the natural Go form: nil, bool, int64 (*big.Int when
//     larger), float64, string, Sym, Rune, []byte, time.Time for a
//     datetime, []any for a list and map[string]any for a prop map. Kinds
//     Go has no natural form for (void, general maps, nodes, regexes, dates
//     and times of day) stay a Value. An `any` that already holds a non-nil
//     pointer is decoded into what it points at.
//
// The strings of dst share memory with src's strings; bytes and big ints
// are copied. Errors name the path inside src and the Go type: an
// UnmarshalTypeError for a value of the wrong kind or range, an
// UnmarshalError for a failing UnmarshalGene or an unknown field, an
// UnsupportedTypeError for channels, functions and complex numbers, and an
// InvalidUnmarshalError for a dst that is not a non-nil pointer. After an
// error, dst may be partly filled. Unmarshal is safe for concurrent use on
// distinct dsts.
func Unmarshal(src Value, dst any) error {
	return UnmarshalWith(src, dst, UnmarshalOptions{})
}

// UnmarshalWith is Unmarshal with options.
func UnmarshalWith(src Value, dst any, opts UnmarshalOptions) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &InvalidUnmarshalError{GoType: reflect.TypeOf(dst)}
	}
	return typeDecoder(rv.Type().Elem())(opts, src, rv.Elem())
}

// UnmarshalTypeError reports a Gene value that does not fit the Go value
// it is stored into: the wrong kind, or an integer out of range.
type UnmarshalTypeError struct {
	Path   string       // where in the Gene value, e.g. ".headers.accept" or "[3].name"; "" at the top
	Want   string       // what the Go type takes, e.g. "int", "list of 3", "int from 0 to 255"
	Got    Kind         // the kind found
	GoType reflect.Type // the Go type of the destination
	// Struct and Field name the innermost struct field being filled (its
	// Gene key, or its Go name for a head, body or meta field), or are
	// empty outside any struct.
	Struct string
	Field  string
}

func (e *UnmarshalTypeError) Error() string {
	s := "gene: cannot unmarshal " + e.Got.String() + " into Go "
	if e.Struct != "" {
		s += "struct field " + e.Struct + "." + e.Field + " (" + e.GoType.String() + ")"
	} else {
		s += "value of type " + e.GoType.String()
	}
	return validText(s + atPath(e.Path) + ": want " + e.Want)
}

// UnmarshalError reports a failure other than a type mismatch: an
// UnmarshalGene method failed, a field is unknown under DisallowUnknown, a
// datetime names an unknown zone, or a struct's tags are invalid.
type UnmarshalError struct {
	Path   string // where in the Gene value; "" at the top
	GoType reflect.Type
	Err    error
}

func (e *UnmarshalError) Error() string {
	return validText("gene: cannot unmarshal into Go value of type " + e.GoType.String() + atPath(e.Path) + ": " + trimPrefix(e.Err.Error()))
}

func (e *UnmarshalError) Unwrap() error { return e.Err }

// InvalidUnmarshalError reports a dst given to Unmarshal that is not a
// non-nil pointer.
type InvalidUnmarshalError struct {
	GoType reflect.Type // nil when dst was nil
}

func (e *InvalidUnmarshalError) Error() string {
	switch {
	case e.GoType == nil:
		return "gene: Unmarshal(nil)"
	case e.GoType.Kind() != reflect.Pointer:
		return "gene: Unmarshal(non-pointer " + e.GoType.String() + ")"
	}
	return "gene: Unmarshal(nil " + e.GoType.String() + ")"
}

func trimPrefix(s string) string {
	if len(s) > 6 && s[:6] == "gene: " {
		return s[6:]
	}
	return s
}

// withField records the innermost struct field on a type error travelling
// out of it.
func withField(err error, structName, field string) error {
	if e, ok := err.(*UnmarshalTypeError); ok && e.Struct == "" {
		e.Struct, e.Field = structName, field
	}
	return err
}

// decoderFunc stores src into v, which is addressable.
type decoderFunc func(o UnmarshalOptions, src Value, v reflect.Value) error

// decoderCache maps reflect.Type to decoderFunc.
var decoderCache sync.Map

var unmarshalerType = reflect.TypeFor[Unmarshaler]()

// typeDecoder returns the decoder for t, building it once. As with
// encoders, element and field decoders are looked up on first use.
func typeDecoder(t reflect.Type) decoderFunc {
	if f, ok := decoderCache.Load(t); ok {
		return f.(decoderFunc)
	}
	f, _ := decoderCache.LoadOrStore(t, newTypeDecoder(t))
	return f.(decoderFunc)
}

func isNilish(v Value) bool { return v.Kind() == KindNil || v.Kind() == KindVoid }

func typeErr(want string, src Value, t reflect.Type) error {
	return &UnmarshalTypeError{Want: want, Got: src.Kind(), GoType: t}
}

func newTypeDecoder(t reflect.Type) decoderFunc {
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		return decodeHook
	}
	switch t {
	case valueType:
		return func(_ UnmarshalOptions, src Value, v reflect.Value) error {
			*v.Addr().Interface().(*Value) = src
			return nil
		}
	case propsType:
		return decodeProps
	case symType:
		return decodeSym
	case runeType:
		return decodeChar
	case bigIntType:
		return decodeBigInt
	case timeType:
		return decodeTime
	}
	switch t.Kind() {
	case reflect.Bool:
		return decodeBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return decodeInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return decodeUint
	case reflect.Float32, reflect.Float64:
		return decodeFloat
	case reflect.String:
		return decodeString
	case reflect.Interface:
		return decodeInterface
	case reflect.Pointer:
		return newPtrDecoder(t)
	case reflect.Slice:
		if isByteSlice(t) {
			return decodeBytes
		}
		return newSliceDecoder(t)
	case reflect.Array:
		return newArrayDecoder(t)
	case reflect.Map:
		return newMapDecoder(t)
	case reflect.Struct:
		return newStructDecoder(t)
	}
	return func(_ UnmarshalOptions, _ Value, v reflect.Value) error {
		return &UnsupportedTypeError{GoType: v.Type()}
	}
}

func decodeHook(_ UnmarshalOptions, src Value, v reflect.Value) error {
	err := v.Addr().Interface().(Unmarshaler).UnmarshalGene(src)
	switch e := err.(type) {
	case nil:
		return nil
	case *UnmarshalTypeError: // from a nested Unmarshal: extend a copy's path
		cp := *e
		return &cp
	case *UnmarshalError:
		cp := *e
		return &cp
	}
	return &UnmarshalError{GoType: v.Type(), Err: err}
}

func decodeBool(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil
	case KindBool:
		b, _ := src.AsBool()
		v.SetBool(b)
		return nil
	}
	return typeErr("bool", src, v.Type())
}

func decodeInt(_ UnmarshalOptions, src Value, v reflect.Value) error {
	if isNilish(src) {
		return nil
	}
	if src.Kind() != KindInt {
		return typeErr("int", src, v.Type())
	}
	i, ok := src.AsInt()
	if !ok || v.OverflowInt(i) {
		bits := v.Type().Bits()
		lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
		return typeErr("int from "+strconv.FormatInt(lo, 10)+" to "+strconv.FormatInt(hi, 10), src, v.Type())
	}
	v.SetInt(i)
	return nil
}

func decodeUint(_ UnmarshalOptions, src Value, v reflect.Value) error {
	if isNilish(src) {
		return nil
	}
	if src.Kind() != KindInt {
		return typeErr("int", src, v.Type())
	}
	var u uint64
	ok := true
	if i, small := src.AsInt(); small {
		u, ok = uint64(i), i >= 0
	} else if b := src.bigRef(); b.IsUint64() {
		u = b.Uint64()
	} else {
		ok = false
	}
	if !ok || v.OverflowUint(u) {
		hi := uint64(math.MaxUint64) >> (64 - v.Type().Bits())
		return typeErr("int from 0 to "+strconv.FormatUint(hi, 10), src, v.Type())
	}
	v.SetUint(u)
	return nil
}

func decodeFloat(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil
	case KindFloat:
		f, _ := src.AsFloat()
		if v.OverflowFloat(f) && !math.IsInf(f, 0) {
			return typeErr("float in the range of "+v.Type().String(), src, v.Type())
		}
		v.SetFloat(f)
		return nil
	case KindInt:
		if f, ok := exactFloat(src, v.Type().Bits()); ok {
			v.SetFloat(f)
			return nil
		}
		return typeErr("float, or an int that "+v.Type().String()+" holds exactly", src, v.Type())
	}
	return typeErr("float", src, v.Type())
}

// exactFloat converts the integer src to a float of the given bit size,
// reporting whether no precision was lost.
func exactFloat(src Value, bits int) (float64, bool) {
	if i, ok := src.AsInt(); ok {
		f := float64(i)
		if bits == 32 {
			f = float64(float32(f))
		}
		// float64(MaxInt64) rounds up to 2^63, which no int64 equals.
		return f, f < 1<<63 && int64(f) == i
	}
	bf := new(big.Float).SetInt(src.bigRef())
	if bits == 32 {
		f, acc := bf.Float32()
		return float64(f), acc == big.Exact
	}
	f, acc := bf.Float64()
	return f, acc == big.Exact
}

func decodeString(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil
	case KindString, KindSymbol:
		v.SetString(src.Str())
		return nil
	}
	return typeErr("string or symbol", src, v.Type())
}

func decodeSym(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil
	case KindSymbol:
		v.SetString(src.Str())
		return nil
	}
	return typeErr("symbol", src, v.Type())
}

func decodeChar(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil
	case KindChar:
		r, _ := src.AsChar()
		v.SetInt(int64(r))
		return nil
	}
	return typeErr("char", src, v.Type())
}

func decodeBigInt(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil
	case KindInt:
		b := v.Addr().Interface().(*big.Int)
		if i, ok := src.AsInt(); ok {
			b.SetInt64(i)
		} else {
			b.Set(src.bigRef())
		}
		return nil
	}
	return typeErr("int", src, v.Type())
}

func decodeTime(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil
	case KindDateTime, KindDate:
		t, err := goTime(src)
		if err != nil {
			return &UnmarshalError{GoType: v.Type(), Err: err}
		}
		*v.Addr().Interface().(*time.Time) = t
		return nil
	}
	return typeErr("datetime or date", src, v.Type())
}

// goTime converts a datetime or date value to a time.Time.
func goTime(src Value) (time.Time, error) {
	t, _ := src.Temporal()
	if src.Kind() == KindDate {
		return time.Date(t.Year, time.Month(t.Month), t.Day, 0, 0, 0, 0, time.UTC), nil
	}
	loc := time.UTC
	switch {
	case t.HasOffset && (t.Offset != 0 || t.Zone != ""):
		loc = time.FixedZone(t.Zone, t.Offset*60)
	case !t.HasOffset && t.Zone != "":
		var err error
		if loc, err = time.LoadLocation(t.Zone); err != nil {
			return time.Time{}, fmt.Errorf("datetime zone %q: %v", t.Zone, err)
		}
	}
	return time.Date(t.Year, time.Month(t.Month), t.Day, t.Hour, t.Minute, t.Second, t.Micro*1000, loc), nil
}

func decodeProps(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		v.SetZero()
		return nil
	case KindProps:
		// A copy: Props.Set writes in place, and src is immutable.
		*v.Addr().Interface().(*Props) = slices.Clone(src.Props())
		return nil
	}
	return typeErr("props", src, v.Type())
}

func decodeBytes(_ UnmarshalOptions, src Value, v reflect.Value) error {
	switch src.Kind() {
	case KindNil, KindVoid:
		v.SetZero()
		return nil
	case KindBytes:
		b := src.Bytes()
		v.SetBytes(append(make([]byte, 0, len(b)), b...))
		return nil
	}
	return typeErr("bytes", src, v.Type())
}

func decodeInterface(o UnmarshalOptions, src Value, v reflect.Value) error {
	if isNilish(src) {
		v.SetZero()
		return nil
	}
	if !v.IsNil() {
		if el := v.Elem(); el.Kind() == reflect.Pointer && !el.IsNil() {
			return typeDecoder(el.Type().Elem())(o, src, el.Elem())
		}
	}
	if v.Type().NumMethod() != 0 {
		return typeErr("nil (the interface names no concrete type to decode into)", src, v.Type())
	}
	x, err := natural(src)
	if err != nil {
		return err
	}
	v.Set(reflect.ValueOf(x))
	return nil
}

// natural returns the natural Go form of src, as stored into an `any`.
func natural(src Value) (any, error) {
	switch src.Kind() {
	case KindNil, KindVoid:
		return nil, nil
	case KindBool:
		b, _ := src.AsBool()
		return b, nil
	case KindInt:
		if i, ok := src.AsInt(); ok {
			return i, nil
		}
		return src.BigInt(), nil
	case KindFloat:
		f, _ := src.AsFloat()
		return f, nil
	case KindString:
		return src.Str(), nil
	case KindSymbol:
		return Sym(src.Str()), nil
	case KindChar:
		r, _ := src.AsChar()
		return Rune(r), nil
	case KindBytes:
		return append([]byte{}, src.Bytes()...), nil
	case KindDateTime:
		t, err := goTime(src)
		if err != nil {
			return nil, &UnmarshalError{GoType: reflect.TypeFor[any](), Err: err}
		}
		return t, nil
	case KindList:
		elems := src.List()
		out := make([]any, len(elems))
		for i, x := range elems {
			var err error
			if out[i], err = natural(x); err != nil {
				return nil, prependPath(err, pathIndex(i))
			}
		}
		return out, nil
	case KindProps:
		ps := src.Props()
		out := make(map[string]any, len(ps))
		for _, p := range ps {
			x, err := natural(p.Value)
			if err != nil {
				return nil, prependPath(err, pathProp(p.Key))
			}
			out[p.Key] = x
		}
		return out, nil
	}
	return src, nil
}

func newPtrDecoder(t reflect.Type) decoderFunc {
	f := &field{typ: t.Elem()}
	return func(o UnmarshalOptions, src Value, v reflect.Value) error {
		if isNilish(src) {
			v.SetZero()
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return f.decoder()(o, src, v.Elem())
	}
}

func newSliceDecoder(t reflect.Type) decoderFunc {
	f := &field{typ: t.Elem()}
	return func(o UnmarshalOptions, src Value, v reflect.Value) error {
		switch src.Kind() {
		case KindNil, KindVoid:
			v.SetZero()
			return nil
		case KindList:
		default:
			return typeErr("list", src, t)
		}
		elems := src.List()
		if v.IsNil() && len(elems) == 0 {
			v.Set(reflect.MakeSlice(t, 0, 0)) // [] is an empty slice, nil a nil one
			return nil
		}
		// Refill the slice, reusing its array when large enough.
		v.SetLen(0)
		v.Grow(len(elems))
		v.SetLen(len(elems))
		dec := f.decoder()
		for i, x := range elems {
			el := v.Index(i)
			el.SetZero()
			if err := dec(o, x, el); err != nil {
				return prependPath(err, pathIndex(i))
			}
		}
		return nil
	}
}

func newArrayDecoder(t reflect.Type) decoderFunc {
	f := &field{typ: t.Elem()}
	want := "list of " + strconv.Itoa(t.Len())
	return func(o UnmarshalOptions, src Value, v reflect.Value) error {
		if isNilish(src) {
			return nil
		}
		if src.Kind() != KindList || src.Len() != t.Len() {
			return typeErr(want, src, t)
		}
		dec := f.decoder()
		for i, x := range src.List() {
			if err := dec(o, x, v.Index(i)); err != nil {
				return prependPath(err, pathIndex(i))
			}
		}
		return nil
	}
}

func newMapDecoder(t reflect.Type) decoderFunc {
	kf := &field{typ: t.Key()}
	vf := &field{typ: t.Elem()}
	// Prop keys go straight into keys of a string kind, unless the key
	// type reads itself.
	stringKeys := t.Key().Kind() == reflect.String && !reflect.PointerTo(t.Key()).Implements(unmarshalerType)
	return func(o UnmarshalOptions, src Value, v reflect.Value) error {
		switch src.Kind() {
		case KindNil, KindVoid:
			v.SetZero()
			return nil
		case KindProps, KindMap:
		default:
			return typeErr("props or map", src, t)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, src.Len()))
		}
		kv := reflect.New(t.Key()).Elem()
		ev := reflect.New(t.Elem()).Elem()
		vdec := vf.decoder()
		if src.Kind() == KindProps {
			for _, p := range src.Props() {
				if stringKeys {
					kv.SetString(p.Key)
				} else {
					kv.SetZero()
					if err := kf.decoder()(o, Symbol(p.Key), kv); err != nil {
						return prependPath(err, pathProp(p.Key))
					}
				}
				ev.SetZero()
				if err := vdec(o, p.Value, ev); err != nil {
					return prependPath(err, pathProp(p.Key))
				}
				v.SetMapIndex(kv, ev)
			}
			return nil
		}
		kdec := kf.decoder()
		for _, e := range src.Entries() {
			kv.SetZero()
			if err := kdec(o, e.Key, kv); err != nil {
				return prependPath(err, pathKey(e.Key))
			}
			ev.SetZero()
			if err := vdec(o, e.Value, ev); err != nil {
				return prependPath(err, pathKey(e.Key))
			}
			v.SetMapIndex(kv, ev)
		}
		return nil
	}
}

func newStructDecoder(t reflect.Type) decoderFunc {
	si := cachedStruct(t)
	if si.err != nil {
		return func(UnmarshalOptions, Value, reflect.Value) error {
			return &UnmarshalError{GoType: t, Err: si.err}
		}
	}
	want := "props"
	if si.node {
		want = "node"
	}
	return func(o UnmarshalOptions, src Value, v reflect.Value) error {
		switch {
		case isNilish(src):
			return nil
		case src.Kind() == KindProps && !si.node:
			return si.decodeProps(o, t, src.Props(), v)
		case src.Kind() != KindNode || !si.node:
			return typeErr(want, src, t)
		}
		n := src.Node()
		if n.HasHead {
			if si.head != nil {
				if err := si.decodeField(o, si.head, n.Head, v); err != nil {
					return prependPath(err, pathHead)
				}
			} else if o.DisallowUnknown {
				return &UnmarshalError{Path: pathHead, GoType: t, Err: ErrUnknownField}
			}
		}
		if si.meta != nil && len(n.Meta) > 0 {
			if err := si.decodeField(o, si.meta, PropMap(n.Meta...), v); err != nil {
				return metaPath(err)
			}
		}
		if err := si.decodeProps(o, t, n.Props, v); err != nil {
			return err
		}
		if si.body != nil {
			// Body elements carry their index, as list elements do.
			return si.decodeField(o, si.body, List(n.Body...), v)
		}
		if len(n.Body) > 0 && o.DisallowUnknown {
			return &UnmarshalError{Path: pathIndex(0), GoType: t, Err: ErrUnknownField}
		}
		return nil
	}
}

func (si *structInfo) decodeProps(o UnmarshalOptions, t reflect.Type, ps Props, v reflect.Value) error {
	for _, p := range ps {
		f := si.byName[p.Key]
		if f == nil {
			if o.DisallowUnknown {
				return &UnmarshalError{Path: pathProp(p.Key), GoType: t, Err: ErrUnknownField}
			}
			continue
		}
		if err := si.decodeField(o, f, p.Value, v); err != nil {
			return prependPath(err, pathProp(p.Key))
		}
	}
	return nil
}

// decodeField stores src into field f of the struct v.
func (si *structInfo) decodeField(o UnmarshalOptions, f *field, src Value, v reflect.Value) error {
	fv := v
	if len(f.index) == 1 {
		fv = v.Field(f.index[0])
	} else {
		var err error
		if fv, err = fieldForSet(v, f.index); err != nil {
			return &UnmarshalError{GoType: v.Type(), Err: err}
		}
	}
	name := f.name
	if f.role != roleProp {
		name = f.goName
	}
	return withField(f.decoder()(o, src, fv), si.name, name)
}

// metaPath turns the path of an error from inside a node's meta, which was
// decoded as a prop map (".doc"), into a meta path ("@doc").
func metaPath(err error) error {
	edit := func(p *string) {
		if len(*p) > 0 && (*p)[0] == '.' {
			*p = "@" + (*p)[1:]
		} else {
			*p = "@" + *p
		}
	}
	switch e := err.(type) {
	case *MarshalError:
		edit(&e.Path)
	case *UnsupportedTypeError:
		edit(&e.Path)
	case *UnmarshalTypeError:
		edit(&e.Path)
	case *UnmarshalError:
		edit(&e.Path)
	}
	return err
}
