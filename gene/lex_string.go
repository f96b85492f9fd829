package gene

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// parseString reads "..." or """...""" at start.
func (p *parser) parseString(start int) (Value, error) {
	data := p.data
	triple, err := p.tripleAt(start)
	if err != nil {
		return Value{}, err
	}
	i := start + 1
	if triple {
		i = start + 3
	}
	// Fast path: no escapes, the common case.
	if !triple {
		if q := bytes.IndexByte(data[i:], '"'); q >= 0 && bytes.IndexByte(data[i:i+q], '\\') < 0 {
			s, err := p.plainText(data[i:i+q], i)
			if err != nil {
				return Value{}, err
			}
			p.pos = i + q + 1
			return String(s), nil
		}
	}
	end, esc, err := p.textEnd(start, i, triple, false)
	if err != nil {
		return Value{}, err
	}
	var s string
	if esc {
		s, err = p.escapedText(data[i:end], i)
	} else {
		s, err = p.plainText(data[i:end], i)
	}
	if err != nil {
		return Value{}, err
	}
	p.pos = end + 1
	if triple {
		p.pos = end + 3
	}
	return String(s), nil
}

// tripleAt reports whether the quote at data[q] opens a triple-quoted
// string. With partial input, a quote or two at the very end could still be
// either.
func (p *parser) tripleAt(q int) (bool, error) {
	data := p.data
	if q+2 < len(data) {
		return data[q+1] == '"' && data[q+2] == '"', nil
	}
	if p.partial && (q+1 == len(data) || data[q+1] == '"') {
		return false, p.incomplete(len(data), "unexpected end of input in string opened at "+p.at(q))
	}
	return false, nil
}

// textEnd finds the end of string text starting at i: the closing quote
// (or triple quote), or for an interpolated string also "${" or "$(". It
// reports whether the text holds escapes. open is where the string began.
func (p *parser) textEnd(open, i int, triple, interp bool) (end int, esc bool, err error) {
	data := p.data
	for i < len(data) {
		switch data[i] {
		case '\\':
			esc = true
			i += 2
			continue
		case '"':
			if !triple {
				return i, esc, nil
			}
			if i+2 < len(data) && data[i+1] == '"' && data[i+2] == '"' {
				return i, esc, nil
			}
		case '$':
			if interp && i+1 < len(data) && (data[i+1] == '{' || data[i+1] == '(') {
				return i, esc, nil
			}
		}
		i++
	}
	want := "'\"'"
	if triple {
		want = "'\"\"\"'"
	}
	e := p.incomplete(len(data), "unexpected end of input in string opened at "+p.at(open)+"; expected "+want)
	e.Expected = want
	return 0, false, e
}

// plainText returns text without escapes as a string, checking UTF-8 and
// the length limit. off is its offset, for errors.
func (p *parser) plainText(b []byte, off int) (string, error) {
	if len(b) > p.lim.MaxStringBytes {
		return "", p.limit("MaxStringBytes", p.lim.MaxStringBytes, off)
	}
	if !utf8.Valid(b) {
		return "", p.badUTF8(b, off)
	}
	return p.str(b), nil
}

func (p *parser) badUTF8(b []byte, off int) *SyntaxError {
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return p.fail(off+i, quoteFound(b, i), "", "invalid UTF-8 in text")
}

// escapedText decodes text holding backslash escapes straight into the
// string arena. Decoding never makes text longer, so the raw length bounds
// the space needed.
func (p *parser) escapedText(b []byte, off int) (string, error) {
	if len(b) > p.lim.MaxStringBytes {
		n, err := p.decodedLen(b, off)
		if err != nil {
			return "", err
		}
		if n > p.lim.MaxStringBytes {
			return "", p.limit("MaxStringBytes", p.lim.MaxStringBytes, off)
		}
	}
	if !utf8.Valid(b) {
		return "", p.badUTF8(b, off)
	}
	dst := p.reserve(len(b))[:0]
	for j := 0; j < len(b); {
		k := bytes.IndexByte(b[j:], '\\')
		if k < 0 {
			dst = append(dst, b[j:]...)
			break
		}
		dst = append(dst, b[j:j+k]...)
		j += k
		r, n, err := p.escape(b, j, off)
		if err != nil {
			return "", err
		}
		dst = utf8.AppendRune(dst, r)
		j += n
	}
	return p.commit(len(dst)), nil
}

// decode returns text b (at offset off) with its escapes decoded, and for
// each byte of the result, and for its end, the offset of the input it was
// decoded from: the holes of an interpolated string are read from it.
func (p *parser) decode(b []byte, off int) ([]byte, []int, error) {
	if !utf8.Valid(b) {
		return nil, nil, p.badUTF8(b, off)
	}
	text := make([]byte, 0, len(b))
	at := make([]int, 0, len(b)+1)
	for j := 0; j < len(b); {
		if b[j] != '\\' {
			text = append(text, b[j])
			at = append(at, off+j)
			j++
			continue
		}
		r, n, err := p.escape(b, j, off)
		if err != nil {
			return nil, nil, err
		}
		m := len(text)
		text = utf8.AppendRune(text, r)
		for range len(text) - m {
			at = append(at, off+j)
		}
		j += n
	}
	return text, append(at, off+len(b)), nil
}

// decodedLen measures escaped text without storing it, so an over-long
// string is refused before memory is spent on it.
func (p *parser) decodedLen(b []byte, off int) (int, error) {
	n := 0
	for j := 0; j < len(b); {
		if b[j] != '\\' {
			n++
			j++
			continue
		}
		r, m, err := p.escape(b, j, off)
		if err != nil {
			return 0, err
		}
		n += utf8.RuneLen(r)
		j += m
	}
	return n, nil
}

// escape decodes the escape sequence at b[j] (a backslash) and returns the
// character and the sequence's length. Allowed: \n \r \t \0 \\ \" \' \uXXXX
// \u{X..X}; a high surrogate escape followed by a low one is a pair.
func (p *parser) escape(b []byte, j, off int) (rune, int, error) {
	if j+1 >= len(b) {
		return 0, 0, p.incomplete(off+len(b), "unexpected end of input in an escape sequence")
	}
	switch b[j+1] {
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case '0':
		return 0, 2, nil
	case '\\', '"', '\'':
		return rune(b[j+1]), 2, nil
	case 'u':
		r, n, err := p.unicodeEscape(b, j, off)
		if err != nil {
			return 0, 0, err
		}
		if r >= 0xD800 && r < 0xDC00 {
			// A high surrogate is only valid as the first half of a pair.
			if j+n+1 < len(b) && b[j+n] == '\\' && b[j+n+1] == 'u' {
				lo, m, err := p.unicodeEscape(b, j+n, off)
				if err == nil && lo >= 0xDC00 && lo < 0xE000 {
					return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), n + m, nil
				}
			}
			return 0, 0, p.badEscape(b, j, n, off, "is a lone surrogate")
		}
		if r >= 0xDC00 && r < 0xE000 {
			return 0, 0, p.badEscape(b, j, n, off, "is a lone surrogate")
		}
		return r, n, nil
	}
	_, n := utf8.DecodeRune(b[j+1:])
	return 0, 0, p.badEscape(b, j, 1+n, off, "is not a valid escape; use \\n \\r \\t \\0 \\\\ \\\" \\' \\uXXXX or \\u{X..X}")
}

func (p *parser) badEscape(b []byte, j, n, off int, why string) *SyntaxError {
	seq := "'" + string(b[j:min(j+n, len(b))]) + "'"
	return p.fail(off+j, seq, "", "escape "+seq+" "+why)
}

// unicodeEscape decodes \uXXXX or \u{X..X} at b[j].
func (p *parser) unicodeEscape(b []byte, j, off int) (rune, int, error) {
	i := j + 2
	if i < len(b) && b[i] == '{' {
		i++
		var r rune
		d := 0
		for i < len(b) && b[i] != '}' {
			if class[b[i]]&cHex == 0 || d == 6 {
				return 0, 0, p.badEscape(b, j, i-j+1, off, "needs 1 to 6 hex digits in braces")
			}
			r = r<<4 | rune(hexVal(b[i]))
			d++
			i++
		}
		if i >= len(b) {
			return 0, 0, p.badEscape(b, j, i-j, off, "is not closed with '}'")
		}
		if d == 0 {
			return 0, 0, p.badEscape(b, j, i-j+1, off, "needs 1 to 6 hex digits in braces")
		}
		if r > utf8.MaxRune {
			return 0, 0, p.badEscape(b, j, i-j+1, off, "is past U+10FFFF")
		}
		return r, i + 1 - j, nil
	}
	var r rune
	for k := 0; k < 4; k++ {
		if i+k >= len(b) || class[b[i+k]]&cHex == 0 {
			return 0, 0, p.badEscape(b, j, min(i+k+1, len(b))-j, off, "needs exactly 4 hex digits (or \\u{X..X})")
		}
		r = r<<4 | rune(hexVal(b[i+k]))
	}
	return r, 6, nil
}

// parseChar reads a char literal 'c' at start: exactly one Unicode scalar,
// written as itself or as one escape.
func (p *parser) parseChar(start int) (Value, error) {
	data := p.data
	i := start + 1
	eof := func() error {
		e := p.incomplete(len(data), "unexpected end of input in char literal opened at "+p.at(start)+"; expected \"'\"")
		e.Expected = "\"'\""
		return e
	}
	if i >= len(data) {
		return Value{}, eof()
	}
	var r rune
	switch c := data[i]; {
	case c == '\'':
		return Value{}, p.fail(start, "\"''\"", "", "empty char literal; a char holds exactly one character")
	case c == '\n' || c == '\r':
		return Value{}, p.fail(i, quoteFound(data, i), "", "line break in char literal opened at "+p.at(start)+"; write '\\n' or '\\r'")
	case c == '\\':
		// An escape and its closing quote take at most 12 bytes; without a
		// quote after the escape letter the input may still complete it.
		if i+1 >= len(data) || len(data)-i < 12 && bytes.IndexByte(data[i+2:], '\'') < 0 {
			return Value{}, eof()
		}
		var n int
		var err error
		if r, n, err = p.escape(data, i, 0); err != nil {
			return Value{}, err
		}
		i += n
	default:
		var n int
		r, n = utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			if !utf8.FullRune(data[i:]) {
				return Value{}, eof()
			}
			return Value{}, p.fail(i, quoteFound(data, i), "", "invalid UTF-8 in char literal")
		}
		i += n
	}
	if i >= len(data) {
		return Value{}, eof()
	}
	if data[i] != '\'' {
		return Value{}, p.fail(i, quoteFound(data, i), "\"'\"", "char literal opened at "+p.at(start)+" holds more than one character; use a string for text")
	}
	p.pos = i + 1
	return Char(r), nil
}

// hash reads a form that starts with '#' (comments and #_ were skipped
// before): immutable forms, regexes, bytes, #Ref and #Deref. post reports
// whether a glued "..." may follow.
func (p *parser) hash(start int) (Value, bool, error) {
	data := p.data
	if start+1 >= len(data) {
		return Value{}, false, p.incomplete(len(data), "'#' at end of input")
	}
	switch data[start+1] {
	case '(':
		v, err := p.parseNode(start, "#(")
		return v, true, err
	case '[':
		v, err := p.parseList(start, "#[")
		return v, true, err
	case '{':
		if start+2 < len(data) && data[start+2] == '{' {
			return Value{}, false, p.fail(start, "'#{{'", "", "'#{{' is not supported: general maps have no immutable form")
		}
		if p.partial && start+2 >= len(data) {
			return Value{}, false, p.incomplete(len(data), "unexpected end of input after '#{'")
		}
		v, err := p.parseProps(start, "#{")
		return v, true, err
	case '"':
		v, err := p.regex(start)
		return v, true, err
	case '/':
		if p.lenient {
			v, err := p.regex(start)
			return v, true, err
		}
	case 'B':
		for _, pre := range [...]string{"#B16#", "#B64#", "#B#"} {
			if bytes.HasPrefix(data[start:], []byte(pre)) {
				v, err := p.bytesLit(start, pre)
				return v, false, err
			}
			if p.partial && len(data)-start < len(pre) && bytes.HasPrefix([]byte(pre), data[start:]) {
				return Value{}, false, p.incomplete(len(data), "unexpected end of input in a bytes prefix")
			}
		}
	case 'R', 'D':
		for _, f := range [...]struct {
			name string
			head Value
			n    int
		}{{"#Ref", symRef, 2}, {"#Deref", symDeref, 1}} {
			if bytes.HasPrefix(data[start:], []byte(f.name)) && isTerm(data, start+len(f.name)) {
				if p.partial && start+len(f.name) >= len(data) {
					return Value{}, false, p.incomplete(len(data), "unexpected end of input after '"+f.name+"'")
				}
				v, err := p.reference(start, f.name, f.head, f.n)
				return v, false, err
			}
			if p.partial && len(data)-start <= len(f.name) && bytes.HasPrefix([]byte(f.name), data[start:]) {
				return Value{}, false, p.incomplete(len(data), "unexpected end of input after '#'")
			}
		}
	}
	if p.lenient && !isTerm(data, start+1) {
		// The older dialects read #a as a symbol.
		p.pos = start + 1
		run, seen := p.scanAtom()
		if p.partial && p.pos >= len(data) {
			return Value{}, false, p.incomplete(p.pos, "the atom at "+p.at(start)+" may continue")
		}
		if seen&cHigh != 0 && !utf8.Valid(run) {
			return Value{}, false, p.fail(start, "invalid UTF-8", "", "invalid UTF-8 in atom")
		}
		v, err := p.symbol(data[start:p.pos], start)
		return v, false, err
	}
	seq := "'#" + string(data[start+1:start+1+utf8RuneLenAt(data, start+1)]) + "'"
	return Value{}, false, p.fail(start, seq, "",
		"reserved "+seq+": '#' starts only comments, '#_', '#(', '#[', '#{', regexes '#\"' and bytes '#B'")
}

func utf8RuneLenAt(b []byte, i int) int {
	_, n := utf8.DecodeRune(b[i:])
	return max(n, 1)
}

// regex reads #"pattern"flags or #"""pattern"""flags (and, leniently,
// #/pattern/flags). The pattern is kept raw: a backslash only stops the
// next character from ending it.
func (p *parser) regex(start int) (Value, error) {
	data := p.data
	q := start + 1
	closer := data[q]
	triple := false
	if closer == '"' {
		var err error
		if triple, err = p.tripleAt(q); err != nil {
			return Value{}, err
		}
	}
	i := q + 1
	if triple {
		i = q + 3
	}
	begin := i
	for {
		if i >= len(data) {
			e := p.incomplete(len(data), "unexpected end of input in regex opened at "+p.at(start))
			return Value{}, e
		}
		c := data[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == closer && (!triple || i+2 < len(data) && data[i+1] == '"' && data[i+2] == '"') {
			break
		}
		i++
	}
	pattern := data[begin:i]
	i++
	if triple {
		i += 2
	}
	if i > len(data) {
		return Value{}, p.incomplete(len(data), "unexpected end of input in regex opened at "+p.at(start))
	}
	fstart := i
	var seen [4]bool
	for i < len(data) && (data[i] >= 'a' && data[i] <= 'z' || data[i] >= 'A' && data[i] <= 'Z') {
		k := bytes.IndexByte([]byte("imsx"), data[i])
		if k < 0 {
			return Value{}, p.fail(i, quoteFound(data, i), "", "unknown regex flag "+quoteFound(data, i)+"; flags are i, m, s and x")
		}
		if seen[k] {
			return Value{}, p.fail(i, quoteFound(data, i), "", "regex flag "+quoteFound(data, i)+" is repeated")
		}
		seen[k] = true
		i++
	}
	if p.partial && i >= len(data) {
		return Value{}, p.incomplete(len(data), "the regex flags may continue")
	}
	if p.partial && i+3 >= len(data) && allDots(data[i:]) {
		return Value{}, p.incomplete(len(data), "the value may continue with '...'")
	}
	if !isTerm(data, i) && !(data[i] == '.' && i+2 < len(data) && data[i+1] == '.' && data[i+2] == '.' && isTerm(data, i+3)) {
		return Value{}, p.fail(i, quoteFound(data, i), "", "unexpected "+quoteFound(data, i)+" after regex")
	}
	if len(pattern) > p.lim.MaxStringBytes {
		return Value{}, p.limit("MaxStringBytes", p.lim.MaxStringBytes, begin)
	}
	if !utf8.Valid(pattern) {
		return Value{}, p.badUTF8(pattern, begin)
	}
	p.pos = i
	return RegexValue(p.str(pattern), string(data[fstart:i])), nil
}

// bytesLit reads #B16#hex, #B64#base64 or #B#bits; '~' followed by
// whitespace joins the lines of a long literal.
func (p *parser) bytesLit(start int, prefix string) (Value, error) {
	data := p.data
	i := start + len(prefix)
	digits := p.tmp[:0]
	for i < len(data) {
		c := data[i]
		if c == '~' {
			j := i + 1
			for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n') {
				j++
			}
			if j == i+1 && j < len(data) {
				return Value{}, p.fail(i, "'~'", "", "'~' in a bytes literal must be followed by whitespace")
			}
			if j >= len(data) {
				return Value{}, p.incomplete(len(data), "unexpected end of input after '~' in bytes literal opened at "+p.at(start))
			}
			i = j
			continue
		}
		if class[c]&cTerm != 0 {
			break
		}
		ok := false
		switch prefix {
		case "#B16#":
			ok = class[c]&cHex != 0
		case "#B64#":
			ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || class[c]&cDigit != 0 || c == '+' || c == '/' || c == '='
		default:
			ok = c == '0' || c == '1'
		}
		if !ok {
			return Value{}, p.fail(i, quoteFound(data, i), "", "invalid digit "+quoteFound(data, i)+" in "+prefix+" bytes literal")
		}
		digits = append(digits, c)
		i++
	}
	p.tmp = digits
	if p.partial && i >= len(data) {
		return Value{}, p.incomplete(len(data), "the bytes literal may continue")
	}
	var n int
	switch prefix {
	case "#B16#":
		if len(digits)%2 != 0 {
			return Value{}, p.fail(start, "'"+prefix+"'", "", "odd number of hex digits in bytes literal")
		}
		n = len(digits) / 2
	case "#B64#":
		n = base64.RawStdEncoding.DecodedLen(len(bytes.TrimRight(digits, "=")))
	default:
		if len(digits)%8 != 0 {
			return Value{}, p.fail(start, "'"+prefix+"'", "", "bits literal length is not a multiple of 8")
		}
		n = len(digits) / 8
	}
	if n > p.lim.MaxStringBytes {
		return Value{}, p.limit("MaxStringBytes", p.lim.MaxStringBytes, start)
	}
	out := make([]byte, n)
	switch prefix {
	case "#B16#":
		for k := range out {
			out[k] = hexVal(digits[2*k])<<4 | hexVal(digits[2*k+1])
		}
	case "#B64#":
		raw := bytes.TrimRight(digits, "=")
		pad := len(digits) - len(raw)
		if pad > 2 || (pad > 0 && len(digits)%4 != 0) || bytes.IndexByte(raw, '=') >= 0 {
			return Value{}, p.fail(start, "'"+prefix+"'", "", "misplaced '=' padding in base64 bytes literal")
		}
		m, err := base64.RawStdEncoding.Strict().Decode(out, raw)
		if err != nil {
			return Value{}, p.fail(start, "'"+prefix+"'", "", "invalid base64 in bytes literal")
		}
		out = out[:m]
	default:
		for k := range out {
			var b byte
			for _, d := range digits[8*k : 8*k+8] {
				b = b<<1 | (d - '0')
			}
			out[k] = b
		}
	}
	p.pos = i
	return Bytes(out), nil
}
