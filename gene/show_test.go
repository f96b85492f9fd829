package gene

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
)

// show renders a value unambiguously for the reader tests: every kind,
// the immutable mark, meta, and a node without a head ("(| ...)") are
// visible, so a test can state exactly what a text reads as.
func show(v Value) string {
	var b strings.Builder
	showTo(&b, v)
	return b.String()
}

func showTo(b *strings.Builder, v Value) {
	if v.Frozen() {
		b.WriteByte('#')
	}
	switch v.Kind() {
	case KindNil:
		b.WriteString("nil")
	case KindVoid:
		b.WriteString("void")
	case KindBool:
		x, _ := v.AsBool()
		b.WriteString(strconv.FormatBool(x))
	case KindInt:
		b.WriteString(v.BigInt().String())
	case KindFloat:
		f, _ := v.AsFloat()
		switch {
		case math.IsNaN(f):
			b.WriteString("nan")
		case math.IsInf(f, 1):
			b.WriteString("inf")
		case math.IsInf(f, -1):
			b.WriteString("-inf")
		default:
			s := strconv.FormatFloat(f, 'g', -1, 64)
			if !strings.ContainsAny(s, ".e") {
				s += ".0"
			}
			b.WriteString(s)
		}
	case KindString:
		b.WriteString(strconv.Quote(v.Str()))
	case KindChar:
		r, _ := v.AsChar()
		b.WriteString(strconv.QuoteRune(r))
	case KindSymbol:
		b.WriteString(v.Str())
	case KindList:
		b.WriteByte('[')
		for i, e := range v.List() {
			if i > 0 {
				b.WriteByte(' ')
			}
			showTo(b, e)
		}
		b.WriteByte(']')
	case KindProps:
		b.WriteByte('{')
		showProps(b, "^", v.Props(), false)
		b.WriteByte('}')
	case KindMap:
		b.WriteString("{{")
		for i, e := range v.Entries() {
			if i > 0 {
				b.WriteByte(' ')
			}
			showTo(b, e.Key)
			b.WriteString(" : ")
			showTo(b, e.Value)
		}
		b.WriteString("}}")
	case KindNode:
		n := v.Node()
		b.WriteByte('(')
		sep := false
		if n.HasHead {
			showTo(b, n.Head)
			sep = true
		} else {
			b.WriteByte('|')
			sep = true
		}
		if len(n.Meta) > 0 {
			b.WriteByte(' ')
			showProps(b, "@", n.Meta, false)
		}
		if len(n.Props) > 0 {
			b.WriteByte(' ')
			showProps(b, "^", n.Props, false)
		}
		for _, e := range n.Body {
			if sep {
				b.WriteByte(' ')
			}
			showTo(b, e)
			sep = true
		}
		b.WriteByte(')')
	case KindBytes:
		b.WriteString("#B16#" + hex.EncodeToString(v.Bytes()))
	case KindRegex:
		r := v.Regex()
		b.WriteString("#\"" + r.Pattern + "\"" + r.Flags)
	case KindDate, KindTime, KindDateTime:
		t, _ := v.Temporal()
		b.WriteString(v.Kind().String() + "(")
		parts := []int{t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, t.Micro}
		switch v.Kind() {
		case KindDate:
			parts = parts[:3]
		case KindTime:
			parts = parts[3:]
		}
		for i, x := range parts {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(x))
		}
		if t.HasOffset {
			b.WriteString(" " + strconv.Itoa(t.Offset))
		}
		if t.Zone != "" {
			b.WriteString(" [" + t.Zone + "]")
		}
		b.WriteByte(')')
	}
}

func showProps(b *strings.Builder, sig string, ps Props, _ bool) {
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sig + p.Key + " ")
		showTo(b, p.Value)
	}
}
