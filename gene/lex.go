package gene

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Byte classes of the Gene text notation. One table lookup per byte keeps
// the scanning loops branch-light.
const (
	cSpace = 1 << iota // space, tab, CR, LF and the comma separator
	cTerm              // ends an atom: space, delimiters, control characters
	cDigit             // 0-9
	cHigh              // >= 0x80: part of a multi-byte UTF-8 character
	cSlash             // '/': makes an atom a path
	cCtrl              // control character other than whitespace: never valid outside strings
	cHex               // 0-9 a-f A-F
)

var class = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = cTerm | cCtrl
	}
	t[0x7f] = cTerm | cCtrl
	for _, c := range " \t\r\n," {
		t[c] = cSpace | cTerm
	}
	for _, c := range "()[]{};\"'`#" {
		t[c] |= cTerm
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit | cHex
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= cHex
		t[c-'a'+'A'] |= cHex
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = cHigh
	}
	t['/'] |= cSlash
	return t
}()

// isTerm reports whether data[i] ends an atom; the end of input does too.
func isTerm(data []byte, i int) bool { return i >= len(data) || class[data[i]]&cTerm != 0 }

// skipSpace skips whitespace, commas, comments and discarded forms (#_ x).
// It stops at the first byte of a form, a closer, or the end of input.
func (p *parser) skipSpace() error { return p.skipSpaceTo(false) }

// skipSpaceTo is skipSpace that, with comma set, also stops at a comma: in a
// list a comma is the symbol ','.
func (p *parser) skipSpaceTo(comma bool) error {
	data := p.data
	for p.pos < len(data) {
		c := data[p.pos]
		if class[c]&cSpace != 0 {
			if c == ',' && comma {
				return nil
			}
			p.pos++
			continue
		}
		if c != '#' {
			return nil
		}
		if p.pos+1 >= len(data) {
			if p.partial {
				return p.incomplete(p.pos, "'#' at end of input")
			}
			p.pos++ // '#' at the very end is an empty line comment
			return nil
		}
		switch c2 := data[p.pos+1]; {
		case c2 == ' ' || c2 == '\t' || c2 == '\r' || c2 == '\n' || c2 == '!' || (c2 == '#' && p.lenient):
			if err := p.skipLine(); err != nil {
				return err
			}
		case c2 == '<':
			if err := p.skipBlockComment(); err != nil {
				return err
			}
		case c2 == '_':
			if err := p.discard(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// skipLine skips a line comment up to its line break. In partial input a
// comment that runs to the end may continue: the bytes after it are still
// comment, so it is left unread.
func (p *parser) skipLine() error {
	i := bytes.IndexByte(p.data[p.pos:], '\n')
	if i < 0 {
		if p.partial {
			return p.incomplete(len(p.data), "the line comment may continue")
		}
		p.pos = len(p.data)
		return nil
	}
	p.pos += i
	return nil
}

// skipBlockComment skips a nested #< ... ># comment starting at p.pos.
func (p *parser) skipBlockComment() error {
	start := p.pos
	depth := 0
	data := p.data
	for i := p.pos; i+1 < len(data); i++ {
		switch {
		case data[i] == '#' && data[i+1] == '<':
			depth++
			i++
		case data[i] == '>' && data[i+1] == '#':
			depth--
			i++
			if depth == 0 {
				p.pos = i + 1
				return nil
			}
		}
	}
	p.pos = len(data)
	e := p.incomplete(len(data), "unexpected end of input in block comment opened at "+p.at(start)+"; expected '>#'")
	e.Expected = "'>#'"
	return e
}

// discard reads and drops the form after "#_" at p.pos.
func (p *parser) discard() error {
	start := p.pos
	p.pos += 2
	if err := p.enter(start); err != nil {
		return err
	}
	if err := p.skipSpace(); err != nil {
		return err
	}
	if p.pos >= len(p.data) {
		return p.incomplete(p.pos, "'#_' at "+p.at(start)+" has no form to discard")
	}
	if c := p.data[p.pos]; c == ')' || c == ']' || c == '}' {
		return p.fail(p.pos, quoteFound(p.data, p.pos), "a form", "'#_' at "+p.at(start)+" has no form to discard before "+quoteFound(p.data, p.pos))
	}
	if _, err := p.parseForm(); err != nil {
		return err
	}
	p.depth--
	return nil
}

// scanAtom advances over an atom's run of bytes and returns it with the
// union of the classes of its bytes.
func (p *parser) scanAtom() (run []byte, seen uint8) {
	data := p.data
	start := p.pos
	i := start
	for i < len(data) {
		k := class[data[i]]
		if k&cTerm != 0 {
			break
		}
		seen |= k
		i++
	}
	p.pos = i
	return data[start:i], seen
}

// atom reads an atom at p.pos: a number, keyword, date or time, symbol, or
// one of the atom shorthands (paths, $roots, x..., %x).
func (p *parser) atom() (Value, error) {
	start := p.pos
	run, seen := p.scanAtom()
	if p.partial && p.pos >= len(p.data) {
		return Value{}, p.incomplete(p.pos, "the atom at "+p.at(start)+" may continue")
	}
	if len(run) == 0 {
		return Value{}, p.unexpected(start)
	}
	if seen&cHigh != 0 && !utf8.Valid(run) {
		return Value{}, p.fail(start, "invalid UTF-8", "", "invalid UTF-8 in atom")
	}
	return p.classify(run, seen, start)
}

// classify turns an atom's text into a value. start is its offset, for
// errors. The order matters: a spread suffix first, then dates and times
// (recognised before numbers), numbers, keywords, and the path forms.
func (p *parser) classify(run []byte, seen uint8, start int) (Value, error) {
	n := len(run)
	c0 := run[0]
	if n > 3 && run[n-1] == '.' && run[n-2] == '.' && run[n-3] == '.' {
		// The (... x) node nests x one level deeper.
		if err := p.enter(start); err != nil {
			return Value{}, err
		}
		inner, err := p.classify(run[:n-3], seen, start)
		p.depth--
		if err != nil {
			return Value{}, err
		}
		return p.wrap(symSpread, inner), nil
	}
	if class[c0]&cDigit != 0 {
		if n >= 5 && (run[2] == ':' || run[4] == '-') {
			// A zone name may follow a time only when the run ends here.
			v, ok, err := p.temporal(run, start, start+n == p.pos)
			if ok || err != nil {
				return v, err
			}
		}
		if v, ok, err := p.number(run, start); ok || err != nil {
			return v, err
		}
	} else if c0 == '-' && n > 1 && class[run[1]]&cDigit != 0 {
		if v, ok, err := p.number(run, start); ok || err != nil {
			return v, err
		}
	}
	switch n {
	case 3:
		switch string(run) {
		case "nil":
			return Value{}, nil
		case "inf":
			return Float(math.Inf(1)), nil
		case "nan":
			return Float(math.NaN()), nil
		}
	case 4:
		switch string(run) {
		case "true":
			return True, nil
		case "void":
			return Void(), nil
		case "-inf":
			return Float(math.Inf(-1)), nil
		}
	case 5:
		if string(run) == "false" {
			return False, nil
		}
	}
	if (c0 == '^' || c0 == '@') && !isSigil(run) {
		return Value{}, p.fail(start, "'"+string(run)+"'", "",
			"unexpected '"+string(run)+"': props ('^') and meta ('@') belong inside a node or prop map")
	}
	if c0 == '$' && n > 1 {
		return p.path(run, start, true)
	}
	if seen&cSlash != 0 && !allSlashes(run) {
		return p.path(run, start, false)
	}
	return p.symbol(run, start)
}

// isSigil reports whether run is a bare ^, ^^, @ or @@, which read as
// plain symbols.
func isSigil(run []byte) bool {
	switch string(run) {
	case "^", "^^", "@", "@@":
		return true
	}
	return false
}

func allDots(b []byte) bool {
	for _, c := range b {
		if c != '.' {
			return false
		}
	}
	return true
}

func allSlashes(b []byte) bool {
	for _, c := range b {
		if c != '/' {
			return false
		}
	}
	return true
}

// symbol returns a symbol value holding run.
func (p *parser) symbol(run []byte, start int) (Value, error) {
	if len(run) > p.lim.MaxStringBytes {
		return Value{}, p.limit("MaxStringBytes", p.lim.MaxStringBytes, start)
	}
	return Symbol(p.str(run)), nil
}

// number parses an integer or float literal. ok is false when run is not
// a number at all (12ab, 0x1g, 1.), which then reads as a symbol.
func (p *parser) number(run []byte, start int) (Value, bool, error) {
	i := 0
	neg := run[0] == '-'
	if neg {
		i = 1
	}
	if len(run) > i+2 && run[i] == '0' && run[i+1] == 'x' {
		return p.hexInt(run, i+2, neg, start)
	}
	digits := i
	for digits < len(run) && class[run[digits]]&cDigit != 0 {
		digits++
	}
	if digits == len(run) {
		v, err := p.decInt(run, i, neg, start)
		return v, true, err
	}
	// Float: digits [. digits] [e [+-] digits], at least one of the two.
	j := digits
	isFloat := false
	if run[j] == '.' {
		j++
		f := j
		for j < len(run) && class[run[j]]&cDigit != 0 {
			j++
		}
		if j == f {
			return Value{}, false, nil
		}
		isFloat = true
	}
	if j < len(run) && (run[j] == 'e' || run[j] == 'E') {
		j++
		if j < len(run) && (run[j] == '+' || run[j] == '-') {
			j++
		}
		f := j
		for j < len(run) && class[run[j]]&cDigit != 0 {
			j++
		}
		if j == f {
			return Value{}, false, nil
		}
		isFloat = true
	}
	if !isFloat || j != len(run) {
		return Value{}, false, nil
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(run), len(run)), 64)
	if err != nil {
		return Value{}, true, p.fail(start, "'"+string(run)+"'", "", "float '"+string(run)+"' is out of range")
	}
	return Float(f), true, nil
}

// decInt parses the decimal digits run[i:], with the int64 fast path.
func (p *parser) decInt(run []byte, i int, neg bool, start int) (Value, error) {
	digits := run[i:]
	if len(digits) <= 18 {
		var x int64
		for _, c := range digits {
			x = x*10 + int64(c-'0')
		}
		if neg {
			x = -x
		}
		return Int(x), nil
	}
	var u uint64
	fits := true
	for _, c := range digits {
		d := uint64(c - '0')
		if u > (math.MaxUint64-d)/10 {
			fits = false
			break
		}
		u = u*10 + d
	}
	if fits {
		if !neg && u <= math.MaxInt64 {
			return Int(int64(u)), nil
		}
		if neg && u <= 1<<63 {
			return Int(int64(-u)), nil
		}
	}
	sig := digits
	for len(sig) > 1 && sig[0] == '0' {
		sig = sig[1:]
	}
	if len(sig) > p.lim.MaxIntDigits {
		return Value{}, p.limit("MaxIntDigits", p.lim.MaxIntDigits, start)
	}
	b, ok := new(big.Int).SetString(string(run), 10)
	if !ok {
		return Value{}, p.fail(start, "'"+string(run)+"'", "", "invalid integer '"+string(run)+"'")
	}
	return BigInt(b), nil
}

// hexInt parses 0x hex digits run[i:]; a run with a non-hex byte is not a
// number (ok false).
func (p *parser) hexInt(run []byte, i int, neg bool, start int) (Value, bool, error) {
	digits := run[i:]
	for _, c := range digits {
		if class[c]&cHex == 0 {
			return Value{}, false, nil
		}
	}
	sig := digits
	for len(sig) > 1 && sig[0] == '0' {
		sig = sig[1:]
	}
	if len(sig) <= 15 {
		var x int64
		for _, c := range sig {
			x = x<<4 | int64(hexVal(c))
		}
		if neg {
			x = -x
		}
		return Int(x), true, nil
	}
	// A hex number of h digits has at most h*log10(16)+1 decimal digits.
	if len(sig)*1205/1000+1 > p.lim.MaxIntDigits {
		return Value{}, true, p.limit("MaxIntDigits", p.lim.MaxIntDigits, start)
	}
	b, ok := new(big.Int).SetString(string(sig), 16)
	if !ok {
		return Value{}, false, nil
	}
	if neg {
		b.Neg(b)
	}
	return BigInt(b), true, nil
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
