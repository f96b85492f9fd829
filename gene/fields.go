package gene

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// fieldRole says where a struct field goes when its struct maps to a node.
type fieldRole uint8

const (
	roleProp fieldRole = iota // a prop (the default)
	roleHead                  // gene:",head": the node head
	roleBody                  // gene:",body": the node body, as a list
	roleMeta                  // gene:",meta": the node meta, as a prop map
)

var roleNames = [...]string{roleProp: "", roleHead: "head", roleBody: "body", roleMeta: "meta"}

// field is one Go struct field as Marshal and Unmarshal see it, after
// embedded structs have been flattened.
type field struct {
	name      string // Gene prop key; "" for head, body and meta fields
	goName    string // Go field name, for errors
	index     []int  // reflect field index path through embedded structs
	typ       reflect.Type
	role      fieldRole
	omitEmpty bool
	omitZero  bool
	tagged    bool // the key came from the tag
	depth     int  // embedding depth, for the dominance rule

	// enc and dec are resolved on first use, so that recursive types do
	// not recurse while their coders are being built.
	enc atomic.Pointer[encoderFunc]
	dec atomic.Pointer[decoderFunc]
}

// encoder returns the encoder of the field's type.
func (f *field) encoder() encoderFunc {
	if p := f.enc.Load(); p != nil {
		return *p
	}
	fn := typeEncoder(f.typ)
	f.enc.Store(&fn)
	return fn
}

// decoder returns the decoder of the field's type.
func (f *field) decoder() decoderFunc {
	if p := f.dec.Load(); p != nil {
		return *p
	}
	fn := typeDecoder(f.typ)
	f.dec.Store(&fn)
	return fn
}

// structInfo is the cached description of a struct type.
type structInfo struct {
	name   string   // the struct's Go name, for errors
	props  []*field // prop fields in declaration order
	byName map[string]*field
	head   *field
	body   *field
	meta   *field
	// node reports that the struct maps to a node: it has a head, body or
	// meta field.
	node bool
	// err reports a struct the tags make unusable (two head fields, an
	// unknown option); Marshal and Unmarshal return it.
	err error
}

// structCache maps reflect.Type to *structInfo. Entries are never removed:
// the set of struct types in a program is fixed.
var structCache sync.Map

// cachedStruct returns the description of the struct type t, computing it
// once per type. Safe for concurrent use.
func cachedStruct(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	si, _ := structCache.LoadOrStore(t, buildStruct(t))
	return si.(*structInfo)
}

// structName names a struct type in errors: its Go name, or "struct" for
// an unnamed struct type.
func structName(t reflect.Type) string {
	if t.Name() != "" {
		return t.Name()
	}
	return "struct"
}

// parseTag splits a `gene:"..."` tag into the key and its options.
func parseTag(tag string) (name string, omitEmpty, omitZero bool, role fieldRole, err error) {
	name, opts, _ := strings.Cut(tag, ",")
	for opts != "" {
		var opt string
		opt, opts, _ = strings.Cut(opts, ",")
		switch opt {
		case "omitempty":
			omitEmpty = true
		case "omitzero":
			omitZero = true
		case "head", "body", "meta":
			if role != roleProp {
				return "", false, false, 0, fmt.Errorf("options ,%s and ,%s exclude each other", roleNames[role], opt)
			}
			role = fieldRole(slices.Index(roleNames[:], opt))
		default:
			return "", false, false, 0, fmt.Errorf("unknown option %q in tag %q", opt, tag)
		}
	}
	if role != roleProp && name != "" {
		return "", false, false, 0, fmt.Errorf("a ,%s field takes no key (tag %q)", roleNames[role], tag)
	}
	return name, omitEmpty, omitZero, role, nil
}

// buildStruct walks t and the structs embedded in it, breadth first, and
// applies the rules of encoding/json: a shallower field hides deeper ones
// of the same key; at equal depth a tagged field wins over untagged ones;
// otherwise the clashing fields are all dropped.
func buildStruct(t reflect.Type) *structInfo {
	si := &structInfo{name: structName(t)}
	type level struct {
		typ   reflect.Type
		index []int
	}
	var found []*field
	next := []level{{typ: t}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(next) > 0; depth++ {
		current := next
		next = nil
		for _, lv := range current {
			if visited[lv.typ] {
				continue
			}
			for i := 0; i < lv.typ.NumField(); i++ {
				sf := lv.typ.Field(i)
				ft := sf.Type
				if sf.Anonymous && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && !(sf.Anonymous && ft.Kind() == reflect.Struct) {
					continue
				}
				tag, hasTag := sf.Tag.Lookup("gene")
				if tag == "-" {
					continue
				}
				name, omitEmpty, omitZero, role, err := parseTag(tag)
				if err != nil {
					si.err = fmt.Errorf("gene: struct field %s.%s: %v", si.name, sf.Name, err)
					return si
				}
				index := append(slices.Clip(lv.index), i)
				if sf.Anonymous && name == "" && role == roleProp && ft.Kind() == reflect.Struct {
					next = append(next, level{typ: ft, index: index})
					continue
				}
				if !sf.IsExported() {
					continue // an unexported embedded struct with a key or role
				}
				f := &field{
					goName: sf.Name, index: index, typ: sf.Type, role: role,
					omitEmpty: omitEmpty, omitZero: omitZero, depth: depth,
				}
				if role == roleProp {
					f.name, f.tagged = name, hasTag && name != ""
					if f.name == "" {
						f.name = lowerCamel(sf.Name)
					}
				}
				found = append(found, f)
			}
		}
		for _, lv := range current {
			visited[lv.typ] = true
		}
	}

	// Pick the dominant field for each key and each role.
	key := func(f *field) string {
		if f.role != roleProp {
			return "," + roleNames[f.role] // cannot clash with a key
		}
		return f.name
	}
	slices.SortStableFunc(found, func(a, b *field) int {
		return cmp.Or(strings.Compare(key(a), key(b)), cmp.Compare(a.depth, b.depth))
	})
	var kept []*field
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && key(found[j]) == key(found[i]) {
			j++
		}
		group := found[i:j]
		i = j
		best, err := dominant(group)
		if err != nil {
			si.err = fmt.Errorf("gene: struct %s: %v", si.name, err)
			return si
		}
		if best != nil {
			kept = append(kept, best)
		}
	}
	slices.SortFunc(kept, func(a, b *field) int { return slices.Compare(a.index, b.index) })

	for _, f := range kept {
		switch f.role {
		case roleHead:
			si.head = f
		case roleBody:
			si.body = f
		case roleMeta:
			si.meta = f
		default:
			si.props = append(si.props, f)
		}
	}
	si.node = si.head != nil || si.body != nil || si.meta != nil
	si.byName = make(map[string]*field, len(si.props))
	for _, f := range si.props {
		si.byName[f.name] = f
	}
	return si
}

// dominant returns the field of group (fields of one key, sorted by depth)
// that Marshal and Unmarshal use, or nil when the shallowest ones clash.
// Two head, body or meta fields at the same depth are an error, since a
// node has only one of each.
func dominant(group []*field) (*field, error) {
	top := group
	for i := 1; i < len(group); i++ {
		if group[i].depth > group[0].depth {
			top = group[:i]
			break
		}
	}
	if len(top) == 1 {
		return top[0], nil
	}
	if top[0].role != roleProp {
		return nil, fmt.Errorf("fields %s and %s are both tagged ,%s", top[0].goName, top[1].goName, roleNames[top[0].role])
	}
	var tagged *field
	for _, f := range top {
		if f.tagged {
			if tagged != nil {
				return nil, nil
			}
			tagged = f
		}
	}
	return tagged, nil
}

// lowerCamel turns an exported Go field name into its default Gene key: the
// leading run of upper-case letters is lower-cased, except that when the
// run is followed by a lower-case letter its last letter starts the next
// word and stays upper-case. So Name is name, ID is id, UserID is userID,
// HTTPServer is httpServer and X509Cert is x509Cert.
func lowerCamel(s string) string {
	n := 0 // bytes in the leading upper-case run
	runes := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !unicode.IsUpper(r) {
			break
		}
		n += size
		runes++
	}
	if n == 0 {
		return s
	}
	if n < len(s) && runes > 1 {
		if r, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsLower(r) {
			_, size := utf8.DecodeLastRuneInString(s[:n])
			n -= size
		}
	}
	return strings.ToLower(s[:n]) + s[n:]
}

// fieldByIndex returns the field of struct v at index for reading, or false
// when an embedded pointer on the way is nil.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// fieldForSet returns the field of the addressable struct v at index,
// allocating nil embedded pointers on the way. It fails on a nil pointer to
// an unexported embedded struct, which reflect cannot set.
func fieldForSet(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, fmt.Errorf("cannot set embedded pointer to unexported struct %s", v.Type().Elem())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}
