package gene

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// SyntaxError reports Gene text that cannot be read (NOTATION.md section
// 6). It matches ErrSyntax with errors.Is, and also ErrIncomplete when
// Incomplete is set.
type SyntaxError struct {
	// Source names the input ("<stdin>", a file name, "link 3"), or "".
	Source string
	// Offset is the byte offset of the offending token from the start of
	// the input (of the stream, for a Decoder or Feeder).
	Offset int64
	// Line and Col locate the offending token, 1-based; Col counts
	// characters (Unicode scalars), not bytes.
	Line, Col int
	// Found is what the reader found, quoted ("')'", "end of input");
	// Expected is what it wanted instead ("']'"), or "".
	Found, Expected string
	// Msg is the whole human-readable message, without the position.
	// Found, Expected and Msg are valid UTF-8: bytes of the input that
	// are not are quoted as \xNN.
	Msg string
	// Open lists the forms still open around the error (outermost first,
	// innermost last): their opening delimiter and where it was.
	Open []OpenForm
	// Incomplete reports that more input could complete the value: the
	// input ended inside an open form, string or comment.
	Incomplete bool
	// Excerpt is the text of the offending line, for display.
	Excerpt string
}

// OpenForm is a form that was still open when a SyntaxError occurred.
type OpenForm struct {
	Delim     string // the opening delimiter: "(", "[", "{", "{{", "#(", "${", "$\"", ...
	Line, Col int    // where it was opened, 1-based, Col in characters
}

// Error formats the error as "source:line:col: message", or
// "gene: line:col: message" when the source has no name.
func (e *SyntaxError) Error() string {
	var b []byte
	if e.Source != "" {
		b = append(b, validText(e.Source)...)
	} else {
		b = append(b, "gene"...)
	}
	b = append(b, ':')
	if e.Source == "" {
		b = append(b, ' ')
	}
	b = strconv.AppendInt(b, int64(e.Line), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(e.Col), 10)
	b = append(b, ": "...)
	b = append(b, validText(e.Msg)...)
	return string(b)
}

// Is makes errors.Is(err, ErrSyntax) true for every SyntaxError and
// errors.Is(err, ErrIncomplete) true for an incomplete one.
func (e *SyntaxError) Is(target error) bool {
	return target == ErrSyntax || (e.Incomplete && target == ErrIncomplete)
}

// position maps byte offsets of one input to lines and columns. The input
// may be a window of a longer stream: base* describe where data[0] is.
type position struct {
	data     []byte
	baseOff  int64 // stream offset of data[0]
	baseLine int   // line of data[0], 1-based
	baseCol  int   // column of data[0], 1-based
	// remap is set while the holes of an interpolated string holding
	// escapes are read from its decoded text: the parser's offsets are then
	// offsets of that text, and remap[off] is the offset in data it came
	// from (one entry more than the text, for its end).
	remap []int
}

// raw maps an offset of the text being read to an offset of data.
func (p position) raw(off int) int {
	if p.remap == nil {
		return off
	}
	return p.remap[min(max(off, 0), len(p.remap)-1)]
}

// lineCol returns the 1-based line and character column of offset off of
// the text being read.
func (p position) lineCol(off int) (line, col int) { return p.lineColRaw(p.raw(off)) }

// lineColRaw returns the 1-based line and character column of offset off in
// p.data. It is only used on the error path, so it simply counts.
func (p position) lineColRaw(off int) (line, col int) {
	if off > len(p.data) {
		off = len(p.data)
	}
	head := p.data[:off]
	nl := bytes.Count(head, []byte{'\n'})
	line = p.baseLine + nl
	if nl == 0 {
		return line, p.baseCol + utf8.RuneCount(head)
	}
	last := bytes.LastIndexByte(head, '\n')
	return line, 1 + utf8.RuneCount(head[last+1:])
}

// excerpt returns the line of p.data holding offset off, shortened around
// off when it is long.
func (p position) excerpt(off int) string {
	off = p.raw(off)
	if off > len(p.data) {
		off = len(p.data)
	}
	start := bytes.LastIndexByte(p.data[:off], '\n') + 1
	end := len(p.data)
	if i := bytes.IndexByte(p.data[off:], '\n'); i >= 0 {
		end = off + i
	}
	const max = 160
	if end-start > max {
		s := off - max/2
		if s < start {
			s = start
		}
		e := s + max
		if e > end {
			e = end
		}
		start, end = s, e
		for start < off && !utf8.RuneStart(p.data[start]) {
			start++
		}
		for end > off && end < len(p.data) && !utf8.RuneStart(p.data[end]) {
			end--
		}
	}
	line := bytes.TrimRight(p.data[start:end], "\r")
	if !utf8.Valid(line) {
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	return string(line)
}

// where formats a position as "line:col", as LimitError.Where wants it.
func where(line, col int) string {
	return strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

// quoteFound names the token starting at data[off] for an error message:
// the character quoted, or "end of input".
func quoteFound(data []byte, off int) string {
	if off >= len(data) {
		return "end of input"
	}
	r, n := utf8.DecodeRune(data[off:])
	if r == utf8.RuneError && n <= 1 {
		return "byte 0x" + strconv.FormatUint(uint64(data[off]), 16)
	}
	return quoteRune(r)
}

// quoteRune quotes one character for an error message, escaping control
// characters.
func quoteRune(r rune) string {
	if r < 0x20 || r == 0x7f {
		return "U+" + hex4(r)
	}
	return "'" + string(r) + "'"
}

func hex4(r rune) string {
	s := strconv.FormatUint(uint64(r), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// Error constructors of the parser. They run only on the error path.

// at formats the position of offset off as "line:col".
func (p *parser) at(off int) string {
	l, c := p.base.lineCol(off)
	return where(l, c)
}

// frameAt returns where an open form began: forms opened inside the holes
// of an interpolated string hold offsets of its decoded text.
func (p *parser) frameAt(o openRec) (line, col int) {
	if o.decoded {
		return p.base.lineCol(o.off)
	}
	return p.base.lineColRaw(o.off)
}

// fail returns a SyntaxError at offset off. While partial input ends
// inside a UTF-8 sequence, an error may quote the cut character, so it is
// reported as incomplete: the next bytes decide how it reads.
func (p *parser) fail(off int, found, expected, msg string) *SyntaxError {
	if p.partial && cutRune(p.data) {
		return p.incomplete(len(p.data), "the input ends inside a UTF-8 sequence")
	}
	return p.failAt(off, found, expected, msg)
}

// cutRune reports whether b ends with the first bytes of a UTF-8 sequence
// that more bytes could complete.
func cutRune(b []byte) bool {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			return !utf8.FullRune(b[i:])
		}
	}
	return false
}

func (p *parser) failAt(off int, found, expected, msg string) *SyntaxError {
	l, c := p.base.lineCol(off)
	e := &SyntaxError{
		Source:   p.src,
		Offset:   p.base.baseOff + int64(p.base.raw(off)),
		Line:     l,
		Col:      c,
		Found:    validText(found),
		Expected: validText(expected),
		Msg:      validText(msg),
		Excerpt:  p.base.excerpt(off),
	}
	for _, o := range p.open {
		ol, oc := p.frameAt(o)
		e.Open = append(e.Open, OpenForm{Delim: o.delim, Line: ol, Col: oc})
	}
	return e
}

// incomplete returns a SyntaxError for input that ends too early: more
// input could still complete the value.
func (p *parser) incomplete(off int, msg string) *SyntaxError {
	e := p.failAt(off, "end of input", "", msg)
	e.Incomplete = true
	return e
}

// closerOf returns the delimiter that closes an opening one.
func closerOf(delim string) string {
	switch delim {
	case "(", "#(", "$(":
		return ")"
	case "[", "#[":
		return "]"
	case "{", "#{", "${":
		return "}"
	case "{{":
		return "}}"
	case "$\"":
		return "\""
	case "$\"\"\"":
		return "\"\"\""
	}
	return ""
}

// eofIn reports the end of input inside the innermost open form.
func (p *parser) eofIn() *SyntaxError {
	o := p.open[len(p.open)-1]
	want := closerOf(o.delim)
	e := p.incomplete(len(p.data), "unexpected end of input while reading '"+o.delim+"' opened at "+where(p.frameAt(o))+"; expected '"+want+"'")
	e.Expected = "'" + want + "'"
	return e
}

// unexpected reports the byte at off where it cannot start a form: a
// closer that does not match the innermost open form (or closes nothing),
// ';' outside a node, or a control character.
func (p *parser) unexpected(off int) *SyntaxError {
	f := quoteFound(p.data, off)
	if p.data[off] == ';' && (len(p.open) == 0 || p.open[len(p.open)-1].delim[len(p.open[len(p.open)-1].delim)-1] != '(') {
		return p.fail(off, f, "", "unexpected ';': pipes are only allowed inside a node")
	}
	if len(p.open) == 0 || !isCloser(p.data[off]) {
		return p.fail(off, f, "", "unexpected "+f)
	}
	o := p.open[len(p.open)-1]
	want := closerOf(o.delim)
	e := p.fail(off, f, "'"+want+"'", "unexpected "+f+" while reading '"+o.delim+"' opened at "+where(p.frameAt(o))+"; expected '"+want+"'")
	return e
}

// limit returns the LimitError for a limit exceeded at offset off.
func (p *parser) limit(name string, max, off int) *LimitError {
	l, c := p.base.lineCol(off)
	w := where(l, c)
	return &LimitError{Limit: name, Max: max, Where: w}
}
