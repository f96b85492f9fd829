package schema

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/genehost/genehost/gene"
)

// This file renders values in Gene text for error messages: compact, meta
// left out, long renderings cut short with "...". It is not the codec's
// writer and does not promise to round-trip.

// maxText is the longest rendering, in bytes, that messages carry.
const maxText = 60

// text renders v in Gene text, cut to about maxText bytes.
func text(v gene.Value) string {
	b := appendText(nil, v, maxText)
	return clip(b)
}

func clip(b []byte) string {
	if len(b) <= maxText {
		return string(b)
	}
	cut := maxText
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "..."
}

// appendText appends the rendering of v to b, giving up once b is longer
// than limit (the caller cuts it).
func appendText(b []byte, v gene.Value, limit int) []byte {
	if len(b) > limit {
		return b
	}
	if v.Frozen() {
		b = append(b, '#')
	}
	switch v.Kind() {
	case gene.KindNil:
		return append(b, "nil"...)
	case gene.KindVoid:
		return append(b, "void"...)
	case gene.KindBool:
		x, _ := v.AsBool()
		return strconv.AppendBool(b, x)
	case gene.KindInt:
		if i, ok := v.AsInt(); ok {
			return strconv.AppendInt(b, i, 10)
		}
		return v.BigInt().Append(b, 10)
	case gene.KindFloat:
		f, _ := v.AsFloat()
		return appendFloat(b, f)
	case gene.KindString:
		return appendQuoted(b, v.Str(), '"')
	case gene.KindChar:
		r, _ := v.AsChar()
		return appendQuoted(b, string(r), '\'')
	case gene.KindSymbol:
		return append(b, v.Str()...)
	case gene.KindList:
		b = append(b, '[')
		for i, e := range v.List() {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendText(b, e, limit)
			if len(b) > limit {
				return b
			}
		}
		return append(b, ']')
	case gene.KindProps:
		b = append(b, '{')
		b = appendProps(b, v.Props(), limit)
		return append(b, '}')
	case gene.KindMap:
		b = append(b, "{{"...)
		for i, e := range v.Entries() {
			if i > 0 {
				b = append(b, "  "...)
			}
			b = appendText(b, e.Key, limit)
			b = append(b, " : "...)
			b = appendText(b, e.Value, limit)
			if len(b) > limit {
				return b
			}
		}
		return append(b, "}}"...)
	case gene.KindNode:
		n := v.Node()
		b = append(b, '(')
		sep := false
		if n.HasHead {
			b = appendText(b, n.Head, limit)
			sep = true
		}
		if len(n.Props) > 0 {
			if sep {
				b = append(b, ' ')
			}
			b = appendProps(b, n.Props, limit)
			sep = true
		}
		for _, e := range n.Body {
			if sep {
				b = append(b, ' ')
			}
			b = appendText(b, e, limit)
			sep = true
			if len(b) > limit {
				return b
			}
		}
		return append(b, ')')
	case gene.KindBytes:
		b = append(b, "#B16#"...)
		return hex.AppendEncode(b, v.Bytes())
	case gene.KindRegex:
		r := v.Regex()
		b = append(b, '#')
		b = appendQuoted(b, r.Pattern, 0)
		return append(b, r.Flags...)
	case gene.KindDate, gene.KindTime, gene.KindDateTime:
		return appendTemporal(b, v)
	}
	return append(b, v.Kind().String()...)
}

func appendProps(b []byte, ps gene.Props, limit int) []byte {
	for i, p := range ps {
		if i > 0 {
			b = append(b, ' ')
		}
		if x, ok := p.Value.AsBool(); ok && x {
			b = append(b, "^^"...)
			b = append(b, p.Key...)
			continue
		}
		b = append(b, '^')
		b = append(b, p.Key...)
		b = append(b, ' ')
		b = appendText(b, p.Value, limit)
		if len(b) > limit {
			return b
		}
	}
	return b
}

// appendFloat writes f so that it reads back as a float: with a '.', an
// exponent, or as inf/nan.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if !strings.ContainsAny(string(b[start:]), ".e") {
		b = append(b, ".0"...)
	}
	return b
}

// appendQuoted writes s between quote characters, escaping the quote, the
// backslash and line breaks. With quote 0 (a regex pattern) s is written raw
// between double quotes, as Gene keeps regex patterns.
func appendQuoted(b []byte, s string, quote byte) []byte {
	if quote == 0 {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, quote)
	for _, r := range s {
		switch r {
		case rune(quote), '\\':
			b = append(b, '\\', byte(r))
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, quote)
}

// appendTemporal writes a date, time or date-time as Gene reads it (and,
// with an offset and seconds, as RFC 3339 does).
func appendTemporal(b []byte, v gene.Value) []byte {
	t, _ := v.Temporal()
	pad := func(b []byte, n, width int) []byte {
		s := strconv.Itoa(n)
		for i := len(s); i < width; i++ {
			b = append(b, '0')
		}
		return append(b, s...)
	}
	k := v.Kind()
	if k == gene.KindDate || k == gene.KindDateTime {
		b = pad(b, t.Year, 4)
		b = append(b, '-')
		b = pad(b, t.Month, 2)
		b = append(b, '-')
		b = pad(b, t.Day, 2)
		if k == gene.KindDate {
			return b
		}
		b = append(b, 'T')
	}
	b = pad(b, t.Hour, 2)
	b = append(b, ':')
	b = pad(b, t.Minute, 2)
	b = append(b, ':')
	b = pad(b, t.Second, 2)
	if t.Micro != 0 {
		frac := []byte(strconv.Itoa(1000000 + t.Micro))[1:]
		for len(frac) > 1 && frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		b = append(b, '.')
		b = append(b, frac...)
	}
	if t.HasOffset {
		if t.Offset == 0 {
			b = append(b, 'Z')
		} else {
			off := t.Offset
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			b = append(b, sign)
			b = pad(b, off/60, 2)
			b = append(b, ':')
			b = pad(b, off%60, 2)
		}
	}
	if t.Zone != "" {
		b = append(b, '[')
		b = append(b, t.Zone...)
		b = append(b, ']')
	}
	return b
}

// describe says what a value is for the Got of a ValidationError: its kind
// and, for scalars and node heads, a short rendering.
func describe(v gene.Value) string {
	switch v.Kind() {
	case gene.KindNil, gene.KindVoid:
		return v.Kind().String()
	case gene.KindList:
		return "list of " + count(len(v.List()), "element")
	case gene.KindProps:
		return "props of " + count(len(v.Props()), "key")
	case gene.KindMap:
		return "map of " + count(len(v.Entries()), "entry")
	case gene.KindNode:
		n := v.Node()
		if !n.HasHead {
			return "node ()"
		}
		return "node (" + clip(appendText(nil, n.Head, maxText)) + " ...)"
	case gene.KindBytes:
		return "bytes of " + count(len(v.Bytes()), "byte")
	}
	return v.Kind().String() + " " + text(v)
}

// count writes n and the noun, plural unless n is 1.
func count(n int, noun string) string {
	s := strconv.Itoa(n) + " "
	if n == 1 {
		return s + noun
	}
	if noun == "entry" {
		return s + "entries"
	}
	return s + noun + "s"
}
