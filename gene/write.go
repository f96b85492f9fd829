package gene

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrUnwritable matches every WriteError: the value has no Gene text form
// that reads back as the same value.
var ErrUnwritable = errors.New("gene: value has no text form")

// WriteError reports a part of a value that has no text form that reads back
// as the same value (NOTATION.md section 5): a symbol or prop key that would
// read as something else (empty, holding whitespace or a delimiter, looking
// like a number, keyword, date or reader shorthand), a prop, meta or map
// entry whose value is void (the reader drops it), a node without head that
// has a body, a regex pattern no quoting can carry, a char that is not a
// Unicode scalar, or a date or time field out of range. It matches
// ErrUnwritable with errors.Is.
type WriteError struct {
	// Path locates the offending part inside the written value: "[2]" for
	// a list or body element, "^name" and "@name" for props and meta,
	// "(head)" for a node head, "{{3}}" and "{{3}}key" for the value and key
	// of general map entry 3. Empty for the value itself.
	Path string
	// Kind is the kind of the offending part.
	Kind Kind
	// Reason says what is wrong, for example `symbol "a b" contains a space`.
	Reason string
}

func (e *WriteError) Error() string {
	s := "gene: cannot write " + e.Kind.String()
	if e.Path != "" {
		s += " at " + validText(e.Path)
	}
	return s + ": " + validText(e.Reason)
}

// Is makes errors.Is(err, ErrUnwritable) true for every WriteError.
func (e *WriteError) Is(target error) bool { return target == ErrUnwritable }

// valid makes the texts of e valid UTF-8 (a path through a key holding
// invalid UTF-8 quotes that key's bytes) and returns it.
func (e *WriteError) valid() *WriteError {
	e.Path, e.Reason = validText(e.Path), validText(e.Reason)
	return e
}

// within prefixes a path segment as the error travels out of a container.
func (e *WriteError) within(seg string) *WriteError {
	e.Path = seg + e.Path
	return e
}

// AppendText appends the canonical compact Gene text of v to dst and returns
// the extended slice (NOTATION.md section 5): one space between elements,
// props and meta in insertion order with meta first, no trailing newline.
// Reading the result gives a value Equal to v, and writing that again gives
// the same bytes.
//
// AppendText never fails. A value with no such text form (see WriteError)
// is written with the spelling the Gene printer would use, which does not
// read back as the same value; that is fit for logs and messages only. Use
// AppendTextStrict or an Encoder wherever the text will be read again.
func AppendText(dst []byte, v Value) []byte {
	w := textWriter{}
	dst, _ = w.value(dst, v)
	return dst
}

// AppendTextStrict is AppendText that refuses a value with no text form that
// reads back as the same value. On error it returns dst unextended and a
// *WriteError naming the offending part.
func AppendTextStrict(dst []byte, v Value) ([]byte, error) {
	w := textWriter{strict: true}
	out, err := w.value(dst, v)
	if err != nil {
		return dst, err.valid()
	}
	return out, nil
}

// Format returns the canonical compact Gene text of v, as AppendText writes
// it (never failing; see AppendText for values with no text form).
func Format(v Value) string { return string(AppendText(nil, v)) }

// String returns the canonical compact Gene text of v; it is Format(v).
func (v Value) String() string { return Format(v) }

// textWriter writes compact text. In strict mode the first part with no
// text form stops the write with a WriteError; otherwise such parts are
// written with the Gene printer's spelling and no error is reported.
type textWriter struct {
	strict bool
	// limit, when positive, aborts the write with errTooLong once the
	// output passes that length; the pretty printer uses it to test whether
	// a form fits on one line without writing all of a large one.
	limit int
}

// errTooLong is the sentinel the limit check returns; never seen outside.
var errTooLong = &WriteError{Reason: "longer than the line limit"}

// fail records a part with no text form: an error in strict mode, nothing
// (write on) otherwise.
func (w *textWriter) fail(k Kind, reason string) *WriteError {
	if !w.strict {
		return nil
	}
	return &WriteError{Kind: k, Reason: reason}
}

func (w *textWriter) value(dst []byte, v Value) ([]byte, *WriteError) {
	if w.limit > 0 && len(dst) > w.limit {
		return dst, errTooLong
	}
	switch v.kind {
	case KindNil:
		return append(dst, "nil"...), nil
	case KindVoid:
		return append(dst, "void"...), nil
	case KindBool:
		if v.n != 0 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case KindInt:
		if v.p == nil {
			return strconv.AppendInt(dst, int64(v.n), 10), nil
		}
		return v.bigRef().Append(dst, 10), nil
	case KindFloat:
		return appendFloat(dst, math.Float64frombits(v.n)), nil
	case KindString:
		return appendQuoted(dst, v.Str()), nil
	case KindChar:
		return w.char(dst, rune(v.n))
	case KindSymbol:
		return w.symbol(dst, v.Str())
	case KindList:
		return w.list(dst, v)
	case KindProps:
		if v.frozen {
			dst = append(dst, '#')
		}
		dst = append(dst, '{')
		dst, err := w.props(dst, v.Props(), '^', false)
		return append(dst, '}'), err
	case KindMap:
		return w.generalMap(dst, v.Entries())
	case KindNode:
		return w.node(dst, v)
	case KindBytes:
		return appendHexBytes(dst, v.Bytes()), nil
	case KindRegex:
		return w.regex(dst, v.Regex())
	case KindDate, KindTime, KindDateTime:
		return w.temporal(dst, v.kind, (*Temporal)(v.p))
	}
	return dst, w.fail(v.kind, "unknown kind")
}

func (w *textWriter) list(dst []byte, v Value) ([]byte, *WriteError) {
	if v.frozen {
		dst = append(dst, '#')
	}
	dst = append(dst, '[')
	var err *WriteError
	for i, e := range v.List() {
		if i > 0 {
			dst = append(dst, ' ')
		}
		if dst, err = w.element(dst, e); err != nil {
			return dst, err.within(indexSeg(i))
		}
	}
	return append(dst, ']'), nil
}

// element writes an element of a list, where the symbol ',' is written as
// it is: a comma between a list's elements reads as that symbol.
func (w *textWriter) element(dst []byte, e Value) ([]byte, *WriteError) {
	if e.kind == KindSymbol && e.Str() == "," {
		return append(dst, ','), nil
	}
	return w.value(dst, e)
}

// props writes prop or meta entries with the given sigil ('^' or '@'),
// each preceded by a space when lead is set and separated by one space.
func (w *textWriter) props(dst []byte, ps Props, sigil byte, lead bool) ([]byte, *WriteError) {
	var err *WriteError
	var flag bool
	for i := range ps {
		if lead || i > 0 {
			dst = append(dst, ' ')
		}
		if dst, flag, err = w.propKey(dst, &ps[i], sigil); err != nil || flag {
			if err != nil {
				return dst, err
			}
			continue
		}
		if dst, err = w.value(dst, ps[i].Value); err != nil {
			return dst, err.within(string(sigil) + ps[i].Key)
		}
	}
	return dst, nil
}

// propKey writes "^key " ready for the value, or the whole entry "^^key"
// when the value is true (flag is then set). It checks the key, and that
// the value is not void, which the reader would drop.
func (w *textWriter) propKey(dst []byte, p *Prop, sigil byte) (out []byte, flag bool, err *WriteError) {
	if why := keyProblem(p.Key, sigil); why != "" {
		if err = w.fail(KindSymbol, "key "+strconv.Quote(p.Key)+" "+why); err != nil {
			return dst, false, err.within(string(sigil) + p.Key)
		}
	}
	if p.Value.kind == KindBool && p.Value.n != 0 {
		dst = append(dst, sigil, sigil)
		return append(dst, p.Key...), true, nil
	}
	switch {
	case p.Value.kind == KindVoid:
		if err = w.fail(KindVoid, "a void entry is dropped by the reader"); err != nil {
			return dst, false, err.within(string(sigil) + p.Key)
		}
	case p.Value.kind == KindSymbol && (p.Value.Str() == "^^" || p.Value.Str() == "@@"):
		if err = w.fail(KindSymbol, "symbol "+p.Value.Str()+" right after a key reads as the next entry"); err != nil {
			return dst, false, err.within(string(sigil) + p.Key)
		}
	}
	dst = append(dst, sigil)
	dst = append(dst, p.Key...)
	return append(dst, ' '), false, nil
}

func (w *textWriter) generalMap(dst []byte, es []Entry) ([]byte, *WriteError) {
	dst = append(dst, "{{"...)
	var err *WriteError
	for i := range es {
		e := &es[i]
		if i > 0 {
			dst = append(dst, ' ')
		}
		if err = w.mapPart(e.Key, false); err != nil {
			return dst, err.within(mapSeg(i) + "key")
		}
		if dst, err = w.value(dst, e.Key); err != nil {
			return dst, err.within(mapSeg(i) + "key")
		}
		dst = append(dst, " : "...)
		if err = w.mapPart(e.Value, true); err != nil {
			return dst, err.within(mapSeg(i))
		}
		if dst, err = w.value(dst, e.Value); err != nil {
			return dst, err.within(mapSeg(i))
		}
	}
	return append(dst, "}}"...), nil
}

// mapPart checks what only a general map forbids: a void value, which the
// reader drops with its entry.
func (w *textWriter) mapPart(v Value, isValue bool) *WriteError {
	if isValue && v.kind == KindVoid {
		return w.fail(KindVoid, "a void entry is dropped by the reader")
	}
	return nil
}

func (w *textWriter) node(dst []byte, v Value) ([]byte, *WriteError) {
	n := v.Node()
	if !v.frozen && isRefShape(n) {
		return w.ref(dst, n)
	}
	if !v.frozen && needsSlashPath(n) {
		if out, ok := appendSlashPath(dst, v); ok {
			return out, nil
		}
	}
	if v.frozen {
		dst = append(dst, '#')
	}
	dst = append(dst, '(')
	var err *WriteError
	lead := false
	if n.HasHead {
		if dst, err = w.value(dst, n.Head); err != nil {
			return dst, err.within("(head)")
		}
		lead = true
	} else if len(n.Body) > 0 {
		if err = w.fail(KindNode, "a node without head cannot have a body (its first element would read as the head)"); err != nil {
			return dst, err
		}
	}
	if dst, err = w.props(dst, n.Meta, '@', lead); err != nil {
		return dst, err
	}
	lead = lead || len(n.Meta) > 0
	if dst, err = w.props(dst, n.Props, '^', lead); err != nil {
		return dst, err
	}
	lead = lead || len(n.Props) > 0
	for i, e := range n.Body {
		if lead || i > 0 {
			dst = append(dst, ' ')
		}
		if dst, err = w.value(dst, e); err != nil {
			return dst, err.within(indexSeg(i))
		}
	}
	return append(dst, ')'), nil
}

// isRefShape reports a node the reader builds from "#Ref name value" or
// "#Deref name" (any forms as operands); it is written back in that form.
func isRefShape(n *Node) bool {
	if !n.HasHead || n.Head.kind != KindSymbol || len(n.Props) > 0 || len(n.Meta) > 0 {
		return false
	}
	switch n.Head.Str() {
	case "#Ref":
		return len(n.Body) == 2
	case "#Deref":
		return len(n.Body) == 1
	}
	return false
}

func (w *textWriter) ref(dst []byte, n *Node) ([]byte, *WriteError) {
	dst = append(dst, n.Head.Str()...)
	var err *WriteError
	for i, e := range n.Body {
		dst = append(dst, ' ')
		if dst, err = w.value(dst, e); err != nil {
			return dst, err.within(indexSeg(i))
		}
	}
	return dst, nil
}

// needsSlashPath reports a (path ...) or (select ...) node, as the reader
// builds from a/b and /a/b, holding a segment that has no spelling of its
// own: path segments are read as raw names, so a/nil or a/1.5 hold the
// symbols nil and 1.5, which only the slash form can write.
func needsSlashPath(n *Node) bool {
	if !n.HasHead || n.Head.kind != KindSymbol || len(n.Props) > 0 || len(n.Meta) > 0 || len(n.Body) == 0 {
		return false
	}
	if h := n.Head.Str(); h != "path" && h != "select" {
		return false
	}
	for _, e := range n.Body {
		if e.kind == KindNode {
			if u := e.Node(); u.HasHead && u.Head.IsSymbol("unquote") && len(u.Body) == 1 {
				e = u.Body[0]
			}
		}
		if e.kind == KindSymbol && symbolProblem(e.Str()) != "" {
			return true
		}
	}
	return false
}

// appendSlashPath writes a path node in the slash form (a/b, /a/b) when
// that reads back as exactly this node; ok is false otherwise. It runs only
// for the rare nodes needsSlashPath picks, so it simply asks the reader.
func appendSlashPath(dst []byte, v Value) ([]byte, bool) {
	n := v.Node()
	start := len(dst)
	if n.Head.Str() == "select" {
		dst = append(dst, '/')
	}
	for i, e := range n.Body {
		if i > 0 {
			dst = append(dst, '/')
		}
		switch {
		case e.kind == KindSymbol:
			dst = append(dst, e.Str()...)
		case e.kind == KindInt && e.p == nil:
			dst = strconv.AppendInt(dst, int64(e.n), 10)
		case e.kind == KindNode && e.Node().HasHead && e.Node().Head.IsSymbol("unquote") &&
			len(e.Node().Body) == 1 && e.Node().Body[0].kind == KindSymbol:
			dst = append(dst, '%')
			dst = append(dst, e.Node().Body[0].Str()...)
		default:
			return dst[:start], false
		}
	}
	back, err := Parse(dst[start:])
	if err != nil || Compare(back, v) != 0 || !bytes.Equal(AppendJSON(nil, back), AppendJSON(nil, v)) {
		return dst[:start], false
	}
	return dst, true
}

func (w *textWriter) symbol(dst []byte, s string) ([]byte, *WriteError) {
	if why := symbolProblem(s); why != "" {
		if err := w.fail(KindSymbol, "symbol "+strconv.Quote(s)+" "+why); err != nil {
			return dst, err
		}
	}
	return append(dst, s...), nil
}

func (w *textWriter) char(dst []byte, r rune) ([]byte, *WriteError) {
	if !utf8.ValidRune(r) {
		if err := w.fail(KindChar, "U+"+strconv.FormatInt(int64(r), 16)+" is not a Unicode scalar value"); err != nil {
			return dst, err
		}
		r = utf8.RuneError
	}
	return appendChar(dst, r), nil
}

func (w *textWriter) regex(dst []byte, re *Regex) ([]byte, *WriteError) {
	var seen [4]bool
	for i := 0; i < len(re.Flags); i++ {
		k := strings.IndexByte("imsx", re.Flags[i])
		why := ""
		switch {
		case k < 0:
			why = "flag " + strconv.Quote(re.Flags[i:i+1]) + " is not one of i m s x"
		case seen[k]:
			why = "flag " + strconv.Quote(re.Flags[i:i+1]) + " is repeated"
		default:
			seen[k] = true
		}
		if why != "" {
			if err := w.fail(KindRegex, why); err != nil {
				return dst, err
			}
		}
	}
	p := re.Pattern
	switch {
	case !utf8.ValidString(p):
		if err := w.fail(KindRegex, "pattern is not valid UTF-8"); err != nil {
			return dst, err
		}
	case regexFits(p, false):
		dst = append(dst, '#', '"')
		dst = append(dst, p...)
		dst = append(dst, '"')
		return append(dst, re.Flags...), nil
	case regexFits(p, true):
		dst = append(dst, `#"""`...)
		dst = append(dst, p...)
		dst = append(dst, `"""`...)
		return append(dst, re.Flags...), nil
	default:
		if err := w.fail(KindRegex, "pattern "+strconv.Quote(p)+` fits neither #"..." nor #"""...""" (a bare '"' and '"""', a '"' at the end, or an unpaired '\' at the end)`); err != nil {
			return dst, err
		}
	}
	// The Gene printer's spelling: bare quotes escaped. It reads back with
	// the added backslashes, since patterns are kept raw.
	dst = append(dst, '#', '"')
	for i := 0; i < len(p); i++ {
		if p[i] == '"' {
			dst = append(dst, '\\')
		}
		dst = append(dst, p[i])
	}
	dst = append(dst, '"')
	return append(dst, re.Flags...), nil
}

// regexFits reports whether #"p" (or #"""p""" when triple) reads back as
// pattern p. It runs the reader's scan over p and the closing quotes: the
// pattern is kept raw, a backslash carries the byte after it, and the
// first closing quote (or '"""') not so carried ends the pattern; that
// must be exactly where p ends.
func regexFits(p string, triple bool) bool {
	closer := 1
	if triple {
		closer = 3
	}
	n := len(p) + closer
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return '"'
	}
	for i := 0; i < n; {
		switch c := at(i); {
		case c == '\\':
			i += 2
		case c == '"' && (!triple || i+2 < n && at(i+1) == '"' && at(i+2) == '"'):
			return i == len(p)
		default:
			i++
		}
	}
	return false
}

func indexSeg(i int) string { return "[" + strconv.Itoa(i) + "]" }
func mapSeg(i int) string   { return "{{" + strconv.Itoa(i) + "}}" }

// appendFloat writes f as the Gene printer does: the shortest digits that
// read back to the same bits; fixed notation from 0.000000ddd (six zeros
// after the point) up to seventeen integer digits, d.ddde±x outside that;
// always with a '.' or an exponent, or as inf, -inf, nan.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e16 {
		// Well inside the fixed-notation range: strconv's shortest fixed
		// form is the printer's, plus ".0" when it has no fraction.
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, '.', '0')
	}
	return appendFloatLayout(dst, f)
}

// appendFloatLayout writes a finite non-zero f in the printer's notation
// from strconv's shortest round-trip digits, which it gives as
// -d.ddddde±dd.
func appendFloatLayout(dst []byte, f float64) []byte {
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	if s[0] == '-' {
		dst = append(dst, '-')
		s = s[1:]
	}
	var digits [24]byte
	nd := 0
	i := 0
	for ; s[i] != 'e'; i++ {
		if s[i] != '.' {
			digits[nd] = s[i]
			nd++
		}
	}
	exp := 0
	neg := s[i+1] == '-'
	for _, c := range s[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if neg {
		exp = -exp
	}
	point := exp + 1 // digits[:point] are the integer part
	d := digits[:nd]
	switch {
	case point < -6 || point > 17:
		dst = append(dst, d[0])
		if nd > 1 {
			dst = append(dst, '.')
			dst = append(dst, d[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	case point <= 0:
		dst = append(dst, '0', '.')
		for ; point < 0; point++ {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	case point < nd:
		dst = append(dst, d[:point]...)
		dst = append(dst, '.')
		return append(dst, d[point:]...)
	default:
		dst = append(dst, d...)
		for ; point > nd; point-- {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	}
}

// noEscape marks the ASCII bytes a string literal carries as is.
var noEscape = func() (t [256]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range "\"\\\n\t\r" {
		t[c] = false
	}
	return t
}()

// appendQuoted writes s as a string literal: it escapes only '"', '\',
// newline, tab and CR, writes everything else as UTF-8, and replaces each
// invalid UTF-8 byte with U+FFFD.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if noEscape[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', c)
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const upperHex = "0123456789ABCDEF"
const lowerHex = "0123456789abcdef"

// appendChar writes a char literal: \n \r \t \0 \\ \' escaped, other
// control characters (below U+0020, and U+007F) as \uXXXX, the rest as
// UTF-8.
func appendChar(dst []byte, r rune) []byte {
	dst = append(dst, '\'')
	switch r {
	case '\n':
		dst = append(dst, '\\', 'n')
	case '\r':
		dst = append(dst, '\\', 'r')
	case '\t':
		dst = append(dst, '\\', 't')
	case 0:
		dst = append(dst, '\\', '0')
	case '\\':
		dst = append(dst, '\\', '\\')
	case '\'':
		dst = append(dst, '\\', '\'')
	default:
		if r < 0x20 || r == 0x7f {
			dst = append(dst, '\\', 'u', '0', '0', upperHex[r>>4], upperHex[r&0xf])
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '\'')
}

func appendHexBytes(dst []byte, b []byte) []byte {
	dst = append(dst, "#B16#"...)
	for _, c := range b {
		dst = append(dst, lowerHex[c>>4], lowerHex[c&0xf])
	}
	return dst
}

// symbolStop marks the bytes that end an atom when read: whitespace, the
// comma, the delimiters of NOTATION.md section 1 and control characters.
var symbolStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t[0x7f] = true
	for _, c := range " ,()[]{};\"'`#" {
		t[c] = true
	}
	return t
}()

// symbolPlain marks the bytes that can appear anywhere in a symbol without
// further checks: printable ASCII other than delimiters and '/'.
// symbolLead marks the plain bytes that can also start one: not a digit,
// sign or '.', and not a reader prefix.
var symbolPlain, symbolLead = func() (plain, lead [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		plain[c] = !symbolStop[c] && c != '/'
		lead[c] = plain[c] && !('0' <= c && c <= '9') && !strings.ContainsRune("+-.^@%$", rune(c))
	}
	return
}()

// symbolProblem returns why s would not read back as the symbol s, or "".
func symbolProblem(s string) string {
	// Fast path for the common symbol: plain ASCII, a safe first byte, not
	// ending in '.', and not a word the reader takes for something else.
	if len(s) > 0 && symbolLead[s[0]] && s[len(s)-1] != '.' {
		i := 1
		for i < len(s) && symbolPlain[s[i]] {
			i++
		}
		if i == len(s) {
			switch s {
			case "nil", "void", "true", "false", "inf", "nan":
			default:
				return ""
			}
		}
	}
	return symbolProblemSlow(s)
}

// symbolProblemSlow applies the reader's rules for an atom (NOTATION.md
// sections 2 and 4) in full.
func symbolProblemSlow(s string) string {
	if s == "" {
		return "is empty"
	}
	if why := atomTextProblem(s); why != "" {
		return why
	}
	switch s {
	case "nil", "void", "true", "false":
		return "reads as the keyword " + s
	case "inf", "-inf", "nan":
		return "reads as the float " + s
	}
	switch c := s[0]; {
	case (c == '^' || c == '@') && s != "^" && s != "^^" && s != "@" && s != "@@":
		return "starts with '" + s[:1] + "' (reads as a prop or meta)"
	case c == '%' && len(s) > 1:
		return "starts with '%' (reads as (unquote ...))"
	case c == '$' && len(s) > 1:
		return "starts with '$' (reads as a standard-library path)"
	}
	if strings.IndexByte(s, '/') >= 0 && strings.Trim(s, "/") != "" {
		return "contains '/' (reads as a path)"
	}
	if len(s) > 3 && strings.HasSuffix(s, "...") {
		return "ends with '...' (reads as (... x))"
	}
	if c := s[0]; '0' <= c && c <= '9' || c == '-' && len(s) > 1 && '0' <= s[1] && s[1] <= '9' {
		// Numbers, dates and times: what does not parse as one is a
		// symbol (12ab, 1., 12:3); ask the reader.
		v, err := Parse([]byte(s))
		switch {
		case err != nil:
			return "does not read as a symbol: " + err.Error()
		case v.kind != KindSymbol || v.Str() != s:
			return "reads as the " + v.kind.String() + " " + Format(v)
		}
	}
	return ""
}

// atomTextProblem returns why s cannot be the text of one atom: empty is
// allowed here; invalid UTF-8, whitespace, delimiters and control
// characters are not.
func atomTextProblem(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; symbolStop[c] {
			if c < 0x20 || c == 0x7f {
				return "contains the control character U+00" + string(upperHex[c>>4]) + string(upperHex[c&0xf])
			}
			return "contains " + strconv.QuoteRune(rune(c))
		}
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return ""
}

// keyProblem returns why key would not read back as the key of a prop
// (sigil '^') or meta entry ('@'), or "". Keys are read as raw atom text,
// so numbers, keywords and paths are fine keys.
func keyProblem(key string, sigil byte) string {
	switch {
	case key == "":
		return "is empty"
	case len(key) > 1 && key[0] == '!':
		return "starts with '!' (the older dialect's false flag)"
	case strings.IndexByte(key, sigil) >= 0:
		return "contains '" + string(sigil) + "' (the older dialect's nested keys)"
	}
	return atomTextProblem(key)
}

func (w *textWriter) temporal(dst []byte, k Kind, t *Temporal) ([]byte, *WriteError) {
	if why := temporalProblem(k, t); why != "" {
		if err := w.fail(k, why); err != nil {
			return dst, err
		}
	}
	return appendTemporal(dst, k, t), nil
}

func appendTemporal(dst []byte, k Kind, t *Temporal) []byte {
	switch k {
	case KindDate:
		return appendDate(dst, t)
	case KindTime:
		return appendClock(dst, t)
	}
	dst = appendDate(dst, t)
	dst = append(dst, 'T')
	return appendClock(dst, t)
}

func appendDate(dst []byte, t *Temporal) []byte {
	dst = appendPadded(dst, t.Year, 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, t.Month, 2)
	dst = append(dst, '-')
	return appendPadded(dst, t.Day, 2)
}

// appendClock writes hh:mm[:ss[.ffffff]][zone] as the Gene printer does:
// seconds only when seconds, fraction or a zone are present, the fraction
// without trailing zeros, Z for a bare zero offset, and +hh:mm[Name].
func appendClock(dst []byte, t *Temporal) []byte {
	dst = appendPadded(dst, t.Hour, 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, t.Minute, 2)
	if t.Second != 0 || t.Micro != 0 || t.HasOffset || t.Zone != "" {
		dst = append(dst, ':')
		dst = appendPadded(dst, t.Second, 2)
	}
	switch {
	case t.Micro < 0 || t.Micro > 999999:
		// Out of range; only the lenient writer gets here.
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, int64(t.Micro), 10)
	case t.Micro != 0:
		var frac [6]byte
		m := t.Micro
		for i := 5; i >= 0; i-- {
			frac[i] = byte('0' + m%10)
			m /= 10
		}
		n := 6
		for n > 1 && frac[n-1] == '0' {
			n--
		}
		dst = append(dst, '.')
		dst = append(dst, frac[:n]...)
	}
	if t.HasOffset {
		if t.Offset == 0 && t.Zone == "" {
			dst = append(dst, 'Z')
		} else {
			off := t.Offset
			if off < 0 {
				dst = append(dst, '-')
				off = -off
			} else {
				dst = append(dst, '+')
			}
			dst = appendPadded(dst, off/60, 2)
			dst = append(dst, ':')
			dst = appendPadded(dst, off%60, 2)
		}
	}
	if t.Zone != "" {
		dst = append(dst, '[')
		dst = append(dst, t.Zone...)
		dst = append(dst, ']')
	}
	return dst
}

// appendPadded writes n in decimal with leading zeros to width digits.
func appendPadded(dst []byte, n, width int) []byte {
	if n < 0 {
		return strconv.AppendInt(dst, int64(n), 10)
	}
	digits := 1
	for m := n; m >= 10; m /= 10 {
		digits++
	}
	for ; digits < width; digits++ {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(n), 10)
}

// temporalProblem returns why t would not read back as a value of kind k
// (a field out of range, a bad zone name), or "".
func temporalProblem(k Kind, t *Temporal) string {
	if k != KindTime {
		switch {
		case t.Year < 0 || t.Year > 9999:
			return "year " + strconv.Itoa(t.Year) + " is not four digits"
		case t.Month < 1 || t.Month > 12:
			return "month " + strconv.Itoa(t.Month) + " is out of range"
		case t.Day < 1 || t.Day > daysIn(t.Year, t.Month):
			return "day " + strconv.Itoa(t.Day) + " is out of range for the month"
		}
	}
	if k == KindDate {
		return ""
	}
	switch {
	case t.Hour < 0 || t.Hour > 23:
		return "hour " + strconv.Itoa(t.Hour) + " is out of range"
	case t.Minute < 0 || t.Minute > 59:
		return "minute " + strconv.Itoa(t.Minute) + " is out of range"
	case t.Second < 0 || t.Second > 59:
		return "second " + strconv.Itoa(t.Second) + " is out of range"
	case t.Micro < 0 || t.Micro > 999999:
		return "microsecond " + strconv.Itoa(t.Micro) + " is out of range"
	case t.HasOffset && (t.Offset < -(23*60+59) || t.Offset > 23*60+59):
		return "offset " + strconv.Itoa(t.Offset) + " minutes is out of range"
	case !t.HasOffset && t.Offset != 0:
		return "offset set without HasOffset"
	case k == KindDateTime && t.Zone != "" && !t.HasOffset:
		return "a date-time zone name needs an offset"
	}
	for i := 0; i < len(t.Zone); i++ {
		c := t.Zone[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '/' || c == '_' || c == '-' || c == '+' || c == '.') {
			return "zone name " + strconv.Quote(t.Zone) + " holds " + strconv.QuoteRune(rune(c))
		}
	}
	return ""
}

// daysIn returns the number of days in month m of year y (Gregorian).
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
