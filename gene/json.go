package gene

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the JSON view of v to dst as one compact JSON document
// (no newline) and returns the extended slice. The mapping is documented,
// with examples, in JSON.md beside this file: nil, booleans, integers
// (of any size), finite floats, strings, lists and prop maps become their
// JSON counterparts; every other kind becomes an object whose first key
// names it with a '$' ("$sym", "$char", "$node", "$map", ...), and a prop
// key that itself starts with '$' is written with one more '$'. Nothing is
// lost but the exact spelling of invalid UTF-8, which becomes U+FFFD.
//
// AppendJSON never fails.
func AppendJSON(dst []byte, v Value) []byte {
	switch v.kind {
	case KindNil:
		return append(dst, "null"...)
	case KindVoid:
		return append(dst, `{"$void":true}`...)
	case KindBool:
		if v.n != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case KindInt:
		if v.p == nil {
			return strconv.AppendInt(dst, int64(v.n), 10)
		}
		return v.bigRef().Append(dst, 10)
	case KindFloat:
		f := math.Float64frombits(v.n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			dst = append(dst, `{"$float":"`...)
			dst = appendFloat(dst, f)
			return append(dst, `"}`...)
		}
		return appendFloat(dst, f)
	case KindString:
		return appendJSONString(dst, v.Str())
	case KindChar:
		r := rune(v.n)
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		dst = append(dst, `{"$char":`...)
		var b [utf8.UTFMax]byte
		dst = appendJSONString(dst, string(b[:utf8.EncodeRune(b[:], r)]))
		return append(dst, '}')
	case KindSymbol:
		dst = append(dst, `{"$sym":`...)
		dst = appendJSONString(dst, v.Str())
		return append(dst, '}')
	case KindList:
		if v.frozen {
			dst = append(dst, `{"$list":`...)
		}
		dst = appendJSONArray(dst, v.List())
		if v.frozen {
			dst = append(dst, `,"$frozen":true}`...)
		}
		return dst
	case KindProps:
		if v.frozen {
			dst = append(dst, `{"$props":`...)
		}
		dst = appendJSONObject(dst, v.Props())
		if v.frozen {
			dst = append(dst, `,"$frozen":true}`...)
		}
		return dst
	case KindMap:
		dst = append(dst, `{"$map":[`...)
		for i, e := range v.Entries() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			dst = AppendJSON(dst, e.Key)
			dst = append(dst, ',')
			dst = AppendJSON(dst, e.Value)
			dst = append(dst, ']')
		}
		return append(dst, "]}"...)
	case KindNode:
		return appendJSONNode(dst, v)
	case KindBytes:
		dst = append(dst, `{"$bytes":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes())
		return append(dst, `"}`...)
	case KindRegex:
		re := v.Regex()
		dst = append(dst, `{"$regex":`...)
		dst = appendJSONString(dst, re.Pattern)
		if re.Flags != "" {
			dst = append(dst, `,"$flags":`...)
			dst = appendJSONString(dst, re.Flags)
		}
		return append(dst, '}')
	case KindDate, KindTime, KindDateTime:
		// The Gene spelling, which is ISO 8601 apart from the [Zone] suffix.
		var tmp [64]byte
		text := appendTemporal(tmp[:0], v.kind, (*Temporal)(v.p))
		dst = append(dst, `{"$`...)
		dst = append(dst, v.kind.String()...)
		dst = append(dst, `":`...)
		dst = appendJSONString(dst, string(text))
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

func appendJSONArray(dst []byte, vs []Value) []byte {
	dst = append(dst, '[')
	for i, e := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSON(dst, e)
	}
	return append(dst, ']')
}

func appendJSONObject(dst []byte, ps Props) []byte {
	dst = append(dst, '{')
	for i := range ps {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONKey(dst, ps[i].Key)
		dst = append(dst, ':')
		dst = AppendJSON(dst, ps[i].Value)
	}
	return append(dst, '}')
}

// appendJSONKey writes a prop key, adding a '$' to one that starts with '$'
// so it cannot be taken for a kind tag.
func appendJSONKey(dst []byte, k string) []byte {
	start := len(dst)
	dst = appendJSONString(dst, k)
	if len(k) > 0 && k[0] == '$' {
		dst = append(dst, 0)
		copy(dst[start+2:], dst[start+1:])
		dst[start+1] = '$'
	}
	return dst
}

func appendJSONNode(dst []byte, v Value) []byte {
	n := v.Node()
	dst = append(dst, `{"$node":`...)
	if n.HasHead {
		dst = AppendJSON(dst, n.Head)
	} else {
		dst = append(dst, `null,"$headless":true`...)
	}
	if v.frozen {
		dst = append(dst, `,"$frozen":true`...)
	}
	if len(n.Meta) > 0 {
		dst = append(dst, `,"$meta":`...)
		dst = appendJSONObject(dst, n.Meta)
	}
	if len(n.Props) > 0 {
		dst = append(dst, `,"$props":`...)
		dst = appendJSONObject(dst, n.Props)
	}
	if len(n.Body) > 0 {
		dst = append(dst, `,"$body":`...)
		dst = appendJSONArray(dst, n.Body)
	}
	return append(dst, '}')
}

// jsonSafe marks the ASCII bytes a JSON string carries as is.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['"'] = false
	t['\\'] = false
	return t
}()

// appendJSONString writes s as a JSON string: '"', '\' and control
// characters escaped (\n \r \t \b \f or \u00XX), U+2028 and U+2029 escaped
// so the text is also valid JavaScript, invalid UTF-8 bytes as \ufffd, and
// everything else as UTF-8.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			if r == '\u2028' || r == '\u2029' {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, lowerHex[r&0xf])
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
