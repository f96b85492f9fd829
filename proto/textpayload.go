package proto

import (
	"encoding/binary"
	"fmt"

	"github.com/genehost/genehost/gene"
)

// textLimits bound the Gene text payloads of HELLO, WELCOME, OPEN and
// ACCEPT (PROTOCOL.md section 4): depth 32, 1024 elements per container.
// Strings are bounded by the frame size.
var textLimits = gene.Limits{
	MaxDepth:       32,
	MaxElements:    1024,
	MaxStringBytes: MaxFrameBytes,
	MaxIntDigits:   40,
	MaxValueBytes:  MaxFrameBytes,
}

// appendTextFrame appends a frame whose payload is the Gene text of v,
// patching the length once the payload is written.
func appendTextFrame(dst []byte, t Type, link uint32, v gene.Value, strict bool) ([]byte, error) {
	off := len(dst)
	dst = AppendHeader(dst, Header{Type: t, Link: link})
	var err error
	if strict {
		dst, err = gene.AppendTextStrict(dst, v)
		if err != nil {
			return dst[:off], fmt.Errorf("proto: %s payload: %w", t, err)
		}
	} else {
		dst = gene.AppendText(dst, v)
	}
	binary.BigEndian.PutUint32(dst[off:], uint32(len(dst)-off-HeaderSize))
	return dst, nil
}

// textPayload reads a Gene text payload that must be one prop map and
// gives typed access to its keys. The first problem is kept in err, so
// callers read every key and check err once.
type textPayload struct {
	frame string // "HELLO", "OPEN", ... for error texts
	props gene.Props
	err   error
}

func parseTextPayload(frame string, p []byte) *textPayload {
	tp := &textPayload{frame: frame}
	v, err := gene.ParseWith(p, gene.ReadOptions{Source: frame, Limits: textLimits})
	if err != nil {
		tp.err = protoErr("%s payload is not valid Gene text: %v", frame, err)
		return tp
	}
	if v.Kind() != gene.KindProps {
		tp.err = protoErr("%s payload must be one prop map {^key value ...}, got a %s", frame, v.Kind())
		return tp
	}
	tp.props = v.Props()
	return tp
}

func (tp *textPayload) fail(format string, args ...any) {
	if tp.err == nil {
		tp.err = protoErr(tp.frame+": "+format, args...)
	}
}

func (tp *textPayload) get(key string, required bool) (gene.Value, bool) {
	if tp.err != nil {
		return gene.Value{}, false
	}
	v, ok := tp.props.Get(key)
	if !ok && required {
		tp.fail("^%s is missing", key)
	}
	return v, ok
}

// str reads a string key.
func (tp *textPayload) str(key string, required bool, maxLen int) string {
	v, ok := tp.get(key, required)
	if !ok {
		return ""
	}
	if v.Kind() != gene.KindString {
		tp.fail("^%s must be a string, got a %s", key, v.Kind())
		return ""
	}
	s := v.Str()
	if maxLen > 0 && len(s) > maxLen {
		tp.fail("^%s is %d bytes; at most %d", key, len(s), maxLen)
		return ""
	}
	return s
}

// integer reads an integer key in [lo, hi].
func (tp *textPayload) integer(key string, required bool, lo, hi int64) (int64, bool) {
	v, ok := tp.get(key, required)
	if !ok {
		return 0, false
	}
	n, isInt := v.AsInt()
	if !isInt {
		if v.Kind() == gene.KindInt {
			tp.fail("^%s is %s; it must be between %d and %d", key, gene.Format(v), lo, hi)
		} else {
			tp.fail("^%s must be an integer, got a %s", key, v.Kind())
		}
		return 0, false
	}
	if n < lo || n > hi {
		tp.fail("^%s is %d; it must be between %d and %d", key, n, lo, hi)
		return 0, false
	}
	return n, true
}

// strings reads a list of strings.
func (tp *textPayload) strings(key string, required bool) []string {
	v, ok := tp.get(key, required)
	if !ok {
		return nil
	}
	if v.Kind() != gene.KindList {
		tp.fail("^%s must be a list of strings, got a %s", key, v.Kind())
		return nil
	}
	var out []string
	for i, e := range v.List() {
		if e.Kind() != gene.KindString {
			tp.fail("^%s[%d] must be a string, got a %s", key, i, e.Kind())
			return nil
		}
		out = append(out, e.Str())
	}
	return out
}

// propMap reads a prop map key.
func (tp *textPayload) propMap(key string) (gene.Props, bool) {
	v, ok := tp.get(key, false)
	if !ok {
		return nil, false
	}
	if v.Kind() != gene.KindProps {
		tp.fail("^%s must be a prop map, got a %s", key, v.Kind())
		return nil, false
	}
	return v.Props(), true
}

// credit reads ^msgs and ^bytes, required (at least 1) when receives.
func (tp *textPayload) credit(receives bool) Grant {
	if !receives {
		return Grant{}
	}
	m, _ := tp.integer("msgs", true, 1, maxWindow)
	b, _ := tp.integer("bytes", true, 1, maxWindow)
	return Grant{Msgs: uint64(m), Bytes: uint64(b)}
}

// props builds prop map entries, leaving out empty optional ones.
type propsBuilder gene.Props

func (pb *propsBuilder) int(key string, n int64) {
	*pb = append(*pb, gene.Prop{Key: key, Value: gene.Int(n)})
}

func (pb *propsBuilder) str(key, s string) {
	*pb = append(*pb, gene.Prop{Key: key, Value: gene.String(s)})
}

func (pb *propsBuilder) value(key string, v gene.Value) {
	*pb = append(*pb, gene.Prop{Key: key, Value: v})
}

func (pb *propsBuilder) build() gene.Value { return gene.PropMap(*pb...) }
