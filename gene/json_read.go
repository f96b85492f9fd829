package gene

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseJSON reads one JSON document written in the JSON view of JSON.md
// (what AppendJSON writes) back into the Gene value it stands for. Plain
// JSON reads as the obvious values: null, booleans, numbers (an integer
// unless written with '.' or an exponent), strings, arrays as lists and
// objects as prop maps; an object whose first key starts with a single '$'
// is a tagged value ({"$sym":"get"}, {"$node":...}), and a key written
// "$$k" is the prop key "$k". Errors are a *SyntaxError naming the line and
// column (matching ErrIncomplete when the input ends inside the document);
// o.Source names the input and o.Limits.MaxDepth bounds the nesting.
func ParseJSON(data []byte, o ReadOptions) (Value, error) {
	r := newJSONReader(data, o)
	v, err := r.value()
	if err != nil {
		return Value{}, err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return Value{}, r.syntax(r.dec.InputOffset(), false, "unexpected text after the JSON document; one value is read")
	}
	return v, nil
}

// ParseAllJSON reads every JSON document of data, back to back or one per
// line (JSON lines), as ParseJSON reads one. An input with none yields an
// empty slice.
func ParseAllJSON(data []byte, o ReadOptions) ([]Value, error) {
	r := newJSONReader(data, o)
	var out []Value
	for r.dec.More() {
		v, err := r.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	// More stops at the end and at a stray ']' or '}': Token tells which.
	if _, err := r.dec.Token(); err != io.EOF {
		return nil, r.fail(err)
	}
	return out, nil
}

type jsonReader struct {
	data     []byte
	dec      *json.Decoder
	source   string
	maxDepth int
	depth    int
}

func newJSONReader(data []byte, o ReadOptions) *jsonReader {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	maxDepth := o.Limits.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	return &jsonReader{data: data, dec: dec, source: o.Source, maxDepth: maxDepth}
}

// syntax makes a SyntaxError at byte offset off of the input.
func (r *jsonReader) syntax(off int64, incomplete bool, format string, args ...any) *SyntaxError {
	off = min(max(off, 0), int64(len(r.data)))
	line, col := 1, 1
	lineStart := 0
	for i, c := range r.data[:off] {
		if c == '\n' {
			line++
			lineStart = i + 1
		}
	}
	col += utf8.RuneCount(r.data[lineStart:off])
	end := bytes.IndexByte(r.data[lineStart:], '\n')
	if end < 0 {
		end = len(r.data) - lineStart
	}
	return &SyntaxError{
		Source: r.source, Offset: off, Line: line, Col: col,
		Msg: fmt.Sprintf(format, args...), Incomplete: incomplete,
		Excerpt: validText(string(r.data[lineStart : lineStart+end])),
	}
}

// fail turns an error of encoding/json into a SyntaxError.
func (r *jsonReader) fail(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return r.syntax(int64(len(r.data)), true, "unexpected end of input inside the JSON document")
	case errors.As(err, &se):
		// The offsets of Token's errors are not where the error is;
		// Decode's are: find the first error again with it.
		dec := json.NewDecoder(bytes.NewReader(r.data))
		var raw json.RawMessage
		var derr error
		for derr == nil {
			derr = dec.Decode(&raw)
		}
		off := int64(len(r.data))
		if errors.As(derr, &se) {
			off = se.Offset - 1 // Offset counts the bad byte
		}
		msg := strings.TrimPrefix(se.Error(), "invalid character ")
		if msg != se.Error() {
			msg = "unexpected character " + msg
		}
		return r.syntax(off, false, "%s", msg)
	}
	return r.syntax(r.dec.InputOffset(), false, "%v", err)
}

func (r *jsonReader) value() (Value, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return Value{}, r.fail(err)
	}
	switch t := tok.(type) {
	case nil:
		return Nil(), nil
	case bool:
		return Bool(t), nil
	case string:
		return String(t), nil
	case json.Number:
		return r.number(string(t))
	case json.Delim:
		if r.depth++; r.depth > r.maxDepth {
			return Value{}, r.syntax(r.dec.InputOffset()-1, false, "nested deeper than %d", r.maxDepth)
		}
		defer func() { r.depth-- }()
		if t == '[' {
			return r.array()
		}
		return r.object()
	}
	return Value{}, r.syntax(r.dec.InputOffset(), false, "unexpected %v", tok)
}

// number reads a JSON number: a float when written with '.' or an
// exponent, else an integer of any size.
func (r *jsonReader) number(s string) (Value, error) {
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return Value{}, r.syntax(r.dec.InputOffset()-int64(len(s)), false, "number %s: %v", s, err)
		}
		return Float(f), nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Int(i), nil
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return Value{}, r.syntax(r.dec.InputOffset()-int64(len(s)), false, "number %s is not an integer", s)
	}
	return BigInt(b), nil
}

func (r *jsonReader) array() (Value, error) {
	var elems []Value
	for r.dec.More() {
		v, err := r.value()
		if err != nil {
			return Value{}, err
		}
		elems = append(elems, v)
	}
	if _, err := r.dec.Token(); err != nil { // ']'
		return Value{}, r.fail(err)
	}
	return List(elems...), nil
}

// object reads the rest of an object: a prop map, or a tagged value when
// its first key starts with a single '$'.
func (r *jsonReader) object() (Value, error) {
	var ps Props
	tagged := false
	for i := 0; r.dec.More(); i++ {
		at := r.dec.InputOffset()
		tok, err := r.dec.Token()
		if err != nil {
			return Value{}, r.fail(err)
		}
		key := tok.(string) // the decoder only yields string keys
		if i == 0 && strings.HasPrefix(key, "$") && !strings.HasPrefix(key, "$$") {
			tagged = true
		}
		if !tagged {
			if strings.HasPrefix(key, "$") {
				if !strings.HasPrefix(key, "$$") {
					return Value{}, r.syntax(at, false, "key %q: a key starting with $ is written with one more $ (\"$%s\") unless it comes first and names a tagged value (gene/JSON.md)", key, key)
				}
				key = key[1:]
			}
		}
		if _, dup := ps.Get(key); dup {
			return Value{}, r.syntax(at, false, "duplicate key %q", key)
		}
		v, err := r.value()
		if err != nil {
			return Value{}, err
		}
		ps = append(ps, Prop{Key: key, Value: v})
	}
	end := r.dec.InputOffset()
	if _, err := r.dec.Token(); err != nil { // '}'
		return Value{}, r.fail(err)
	}
	if !tagged {
		return PropMap(ps...), nil
	}
	v, err := untag(ps)
	if err != nil {
		return Value{}, r.syntax(end, false, "%v", err)
	}
	return v, nil
}

// untag builds the value a tagged object stands for; ps holds its keys
// and values in order, ps[0] naming the kind.
func untag(ps Props) (Value, error) {
	tag, tv := ps[0].Key, ps[0].Value
	extra := map[string]Value{}
	for _, p := range ps[1:] {
		extra[p.Key] = p.Value
	}
	allow := func(keys ...string) error {
		for k := range extra {
			known := false
			for _, a := range keys {
				known = known || k == a
			}
			if !known {
				return fmt.Errorf("%s: unexpected key %q", tag, k)
			}
		}
		return nil
	}
	str := func(what string, v Value) (string, error) {
		if v.Kind() != KindString {
			return "", fmt.Errorf("%s: want a string, got %s", what, v.Kind())
		}
		return v.Str(), nil
	}
	frozen := func(v Value) (Value, error) {
		f, ok := extra["$frozen"]
		if !ok {
			return v, nil
		}
		if !isTrue(f) {
			return Value{}, fmt.Errorf("%s: $frozen must be true", tag)
		}
		return v.Freeze(), nil
	}
	switch tag {
	case "$void":
		return Void(), allow()
	case "$sym", "$char", "$float", "$bytes", "$date", "$time", "$datetime":
		if err := allow(); err != nil {
			return Value{}, err
		}
		s, err := str(tag, tv)
		if err != nil {
			return Value{}, err
		}
		return untagText(tag, s)
	case "$regex":
		if err := allow("$flags"); err != nil {
			return Value{}, err
		}
		pat, err := str(tag, tv)
		if err != nil {
			return Value{}, err
		}
		var flags string
		if f, ok := extra["$flags"]; ok {
			if flags, err = str("$flags", f); err != nil {
				return Value{}, err
			}
		}
		return RegexValue(pat, flags), nil
	case "$list":
		if err := allow("$frozen"); err != nil {
			return Value{}, err
		}
		if tv.Kind() != KindList {
			return Value{}, fmt.Errorf("$list: want an array, got %s", tv.Kind())
		}
		return frozen(tv)
	case "$props":
		if err := allow("$frozen"); err != nil {
			return Value{}, err
		}
		if tv.Kind() != KindProps {
			return Value{}, fmt.Errorf("$props: want an object of props, got %s", tv.Kind())
		}
		return frozen(tv)
	case "$map":
		if err := allow(); err != nil {
			return Value{}, err
		}
		if tv.Kind() != KindList {
			return Value{}, fmt.Errorf("$map: want an array of [key, value] pairs, got %s", tv.Kind())
		}
		entries := make([]Entry, 0, len(tv.List()))
		for i, e := range tv.List() {
			if e.Kind() != KindList || len(e.List()) != 2 {
				return Value{}, fmt.Errorf("$map: entry %d is not a [key, value] pair", i+1)
			}
			entries = append(entries, Entry{Key: e.List()[0], Value: e.List()[1]})
		}
		if i, j := DuplicateKey(entries); i >= 0 {
			return Value{}, fmt.Errorf("$map: entries %d and %d have the same key", i+1, j+1)
		}
		return Map(entries...), nil
	case "$node":
		return untagNode(tv, extra, allow, frozen)
	}
	return Value{}, fmt.Errorf("unknown tag %q: an object whose first key starts with $ is a tagged Gene value (gene/JSON.md); write \"$%s\" for a key that starts with $", tag, tag)
}

// untagText reads the tagged values carried as a string.
func untagText(tag, s string) (Value, error) {
	switch tag {
	case "$sym":
		if s == "" {
			return Value{}, errors.New("$sym: empty symbol")
		}
		return Symbol(s), nil
	case "$char":
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || n != len(s) || (r == utf8.RuneError && n == 1) {
			return Value{}, fmt.Errorf("$char: want exactly one character, got %q", s)
		}
		return Char(r), nil
	case "$float":
		switch s {
		case "inf":
			return Float(math.Inf(1)), nil
		case "-inf":
			return Float(math.Inf(-1)), nil
		case "nan":
			return Float(math.NaN()), nil
		}
		return Value{}, fmt.Errorf(`$float: want "inf", "-inf" or "nan", got %q`, s)
	case "$bytes":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Value{}, fmt.Errorf("$bytes: not standard base64: %v", err)
		}
		return Bytes(b), nil
	}
	// $date, $time, $datetime: the Gene spelling.
	want := map[string]Kind{"$date": KindDate, "$time": KindTime, "$datetime": KindDateTime}[tag]
	v, err := Parse([]byte(s))
	if err != nil || v.Kind() != want {
		return Value{}, fmt.Errorf("%s: %q is not a %s in ISO 8601", tag, s, want)
	}
	return v, nil
}

func untagNode(head Value, extra map[string]Value, allow func(...string) error, frozen func(Value) (Value, error)) (Value, error) {
	if err := allow("$headless", "$frozen", "$meta", "$props", "$body"); err != nil {
		return Value{}, err
	}
	n := &Node{Head: head, HasHead: true}
	if h, ok := extra["$headless"]; ok {
		if !isTrue(h) || head.Kind() != KindNil {
			return Value{}, errors.New("$node: $headless must be true, with $node null")
		}
		n.Head, n.HasHead = Value{}, false
	}
	for _, part := range []struct {
		key string
		dst *Props
	}{{"$meta", &n.Meta}, {"$props", &n.Props}} {
		if v, ok := extra[part.key]; ok {
			if v.Kind() != KindProps {
				return Value{}, fmt.Errorf("$node: %s: want an object of props, got %s", part.key, v.Kind())
			}
			*part.dst = v.Props()
		}
	}
	if b, ok := extra["$body"]; ok {
		if b.Kind() != KindList {
			return Value{}, fmt.Errorf("$node: $body: want an array, got %s", b.Kind())
		}
		n.Body = b.List()
	}
	return frozen(NodeValue(n))
}

// isTrue reports whether v is the boolean true.
func isTrue(v Value) bool {
	b, ok := v.AsBool()
	return ok && b
}
