package schema

// A stand-in for gene.MustParse while the codec's reader is being written:
// just enough of the notation for these tests. It goes away when the reader
// lands on main.

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/genehost/genehost/gene"
)

// g reads one Gene value from src, failing the test on error.
func g(t testing.TB, src string) gene.Value {
	t.Helper()
	r := &miniReader{s: src}
	v, err := r.value()
	if err == nil {
		r.skip()
		if r.i < len(r.s) {
			err = fmt.Errorf("trailing input %q", r.s[r.i:])
		}
	}
	if err != nil {
		t.Fatalf("reading %q: %v", src, err)
	}
	return v
}

type miniReader struct {
	s string
	i int
}

func (r *miniReader) skip() {
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ',':
			r.i++
		case c == '#' && (r.i+1 == len(r.s) || r.s[r.i+1] == ' '):
			for r.i < len(r.s) && r.s[r.i] != '\n' {
				r.i++
			}
		default:
			return
		}
	}
}

func isDelim(c byte) bool { return strings.IndexByte(" \t\r\n,()[]{}\"';", c) >= 0 }

func (r *miniReader) word() string {
	j := r.i
	for r.i < len(r.s) && !isDelim(r.s[r.i]) {
		r.i++
	}
	return r.s[j:r.i]
}

func (r *miniReader) value() (gene.Value, error) {
	r.skip()
	if r.i >= len(r.s) {
		return gene.Value{}, fmt.Errorf("unexpected end")
	}
	switch c := r.s[r.i]; {
	case c == '(':
		r.i++
		return r.node()
	case c == '[':
		r.i++
		vs, err := r.seq(']')
		return gene.List(vs...), err
	case strings.HasPrefix(r.s[r.i:], "{{"):
		r.i += 2
		vs, err := r.seq('}')
		if err != nil {
			return gene.Value{}, err
		}
		r.i++ // second '}'
		var es []gene.Entry
		for k := 0; k+2 < len(vs)+1; k += 3 {
			if k+2 >= len(vs) || !vs[k+1].IsSymbol(":") {
				return gene.Value{}, fmt.Errorf("bad map")
			}
			es = append(es, gene.Entry{Key: vs[k], Value: vs[k+2]})
		}
		return gene.Map(es...), nil
	case c == '{':
		r.i++
		var ps gene.Props
		for {
			r.skip()
			if r.i < len(r.s) && r.s[r.i] == '}' {
				r.i++
				return gene.PropMap(ps...), nil
			}
			k, v, _, err := r.prop()
			if err != nil {
				return gene.Value{}, err
			}
			ps.Set(k, v)
		}
	case c == '"':
		s, err := r.str('"')
		return gene.String(s), err
	case c == '\'':
		s, err := r.str('\'')
		rn, _ := utf8.DecodeRuneInString(s)
		return gene.Char(rn), err
	case strings.HasPrefix(r.s[r.i:], "#\""):
		r.i++
		j := r.i + 1
		k := strings.IndexByte(r.s[j:], '"')
		pat := r.s[j : j+k]
		r.i = j + k + 1
		return gene.RegexValue(pat, r.word()), nil
	case strings.HasPrefix(r.s[r.i:], "#B16#"):
		r.i += 5
		b, err := hex.DecodeString(r.word())
		return gene.Bytes(b), err
	}
	return r.atom(r.word())
}

func (r *miniReader) str(q byte) (string, error) {
	r.i++
	var b strings.Builder
	for r.i < len(r.s) {
		c := r.s[r.i]
		r.i++
		switch c {
		case q:
			return b.String(), nil
		case '\\':
			e := r.s[r.i]
			r.i++
			switch e {
			case 'n':
				e = '\n'
			case 't':
				e = '\t'
			case 'r':
				e = '\r'
			}
			b.WriteByte(e)
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated string")
}

func (r *miniReader) seq(end byte) ([]gene.Value, error) {
	var vs []gene.Value
	for {
		r.skip()
		if r.i < len(r.s) && r.s[r.i] == end {
			r.i++
			return vs, nil
		}
		v, err := r.value()
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
}

// prop reads ^k v, ^^k, @k v or @@k and reports whether it was meta.
func (r *miniReader) prop() (string, gene.Value, bool, error) {
	meta := r.s[r.i] == '@'
	if r.s[r.i] != '^' && !meta {
		return "", gene.Value{}, false, fmt.Errorf("want a key at %q", r.s[r.i:])
	}
	r.i++
	flag := r.i < len(r.s) && (r.s[r.i] == '^' || r.s[r.i] == '@')
	if flag {
		r.i++
	}
	k := r.word()
	if flag {
		return k, gene.True, meta, nil
	}
	v, err := r.value()
	return k, v, meta, err
}

func (r *miniReader) node() (gene.Value, error) {
	n := &gene.Node{}
	first := true
	for {
		r.skip()
		if r.i >= len(r.s) {
			return gene.Value{}, fmt.Errorf("unclosed (")
		}
		switch r.s[r.i] {
		case ')':
			r.i++
			return gene.NodeValue(n), nil
		case '^', '@':
			k, v, meta, err := r.prop()
			if err != nil {
				return gene.Value{}, err
			}
			if meta {
				n.Meta.Set(k, v)
			} else if v.Kind() != gene.KindVoid {
				n.Props.Set(k, v)
			}
			continue
		}
		v, err := r.value()
		if err != nil {
			return gene.Value{}, err
		}
		if first {
			n.Head, n.HasHead = v, true
		} else {
			n.Body = append(n.Body, v)
		}
		first = false
	}
}

func (r *miniReader) atom(w string) (gene.Value, error) {
	switch w {
	case "":
		return gene.Value{}, fmt.Errorf("unexpected %q", r.s[r.i:])
	case "nil":
		return gene.Nil(), nil
	case "void":
		return gene.Void(), nil
	case "true", "false":
		return gene.Bool(w == "true"), nil
	case "inf", "-inf", "nan":
		f, _ := strconv.ParseFloat(w, 64)
		if w == "nan" {
			f = math.NaN()
		}
		return gene.Float(f), nil
	}
	if len(w) == 10 && w[4] == '-' && w[7] == '-' {
		y, _ := strconv.Atoi(w[:4])
		m, _ := strconv.Atoi(w[5:7])
		d, _ := strconv.Atoi(w[8:])
		return gene.Date(gene.Temporal{Year: y, Month: m, Day: d}), nil
	}
	if len(w) == 20 && w[10] == 'T' && w[19] == 'Z' {
		n := func(a, b int) int { x, _ := strconv.Atoi(w[a:b]); return x }
		return gene.DateTime(gene.Temporal{Year: n(0, 4), Month: n(5, 7), Day: n(8, 10),
			Hour: n(11, 13), Minute: n(14, 16), Second: n(17, 19), HasOffset: true}), nil
	}
	if len(w) >= 5 && w[2] == ':' && w[0] >= '0' && w[0] <= '9' {
		h, _ := strconv.Atoi(w[:2])
		m, _ := strconv.Atoi(w[3:5])
		return gene.Time(gene.Temporal{Hour: h, Minute: m}), nil
	}
	if i, err := strconv.ParseInt(w, 10, 64); err == nil {
		return gene.Int(i), nil
	}
	if b, ok := new(big.Int).SetString(w, 10); ok {
		return gene.BigInt(b), nil
	}
	if strings.ContainsAny(w, ".e") && (w[0] == '-' || (w[0] >= '0' && w[0] <= '9')) {
		if f, err := strconv.ParseFloat(w, 64); err == nil {
			return gene.Float(f), nil
		}
	}
	return gene.Symbol(w), nil
}
