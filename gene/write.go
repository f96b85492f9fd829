package gene

import (
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
// as the same value (GENE-DATA.md section 5): a symbol or prop key that would
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
		s += " at " + e.Path
	}
	return s + ": " + e.Reason
}

// Is makes errors.Is(err, ErrUnwritable) true for every WriteError.
func (e *WriteError) Is(target error) bool { return target == ErrUnwritable }

// within prefixes a path segment as the error travels out of a container.
func (e *WriteError) within(seg string) *WriteError {
	e.Path = seg + e.Path
	return e
}

// AppendText appends the canonical compact Gene text of v to dst and returns
// the extended slice (GENE-DATA.md section 5): one space between elements,
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
		return dst, err
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
		if dst, err = w.value(dst, e); err != nil {
			return dst, err.within(indexSeg(i))
		}
	}
	return append(dst, ']'), nil
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
	if why := symbolProblem(p.Key); why != "" {
		if err = w.fail(KindSymbol, "key "+strconv.Quote(p.Key)+" "+why); err != nil {
			return dst, false, err.within(string(sigil) + p.Key)
		}
	}
	if p.Value.kind == KindBool && p.Value.n != 0 {
		dst = append(dst, sigil, sigil)
		return append(dst, p.Key...), true, nil
	}
	if p.Value.kind == KindVoid {
		if err = w.fail(KindVoid, "a void entry is dropped by the reader"); err != nil {
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

// mapPart checks what only a general map forbids: the separator symbol ':'
// as a key or value, and a void value (the reader drops the entry).
func (w *textWriter) mapPart(v Value, isValue bool) *WriteError {
	switch {
	case v.kind == KindSymbol && v.Str() == ":":
		return w.fail(KindSymbol, `symbol ":" reads as the key separator in a general map`)
	case isValue && v.kind == KindVoid:
		return w.fail(KindVoid, "a void entry is dropped by the reader")
	}
	return nil
}

func (w *textWriter) node(dst []byte, v Value) ([]byte, *WriteError) {
	n := v.Node()
	if !v.frozen && isRefShape(n) {
		return w.ref(dst, n)
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
// "#Deref name"; it is written back in that form.
func isRefShape(n *Node) bool {
	if !n.HasHead || n.Head.kind != KindSymbol || len(n.Props) > 0 || len(n.Meta) > 0 {
		return false
	}
	switch n.Head.Str() {
	case "#Ref":
		return len(n.Body) == 2 && n.Body[0].kind == KindSymbol
	case "#Deref":
		return len(n.Body) == 1 && n.Body[0].kind == KindSymbol
	}
	return false
}

func (w *textWriter) ref(dst []byte, n *Node) ([]byte, *WriteError) {
	dst = append(dst, n.Head.Str()...)
	dst = append(dst, ' ')
	dst, err := w.symbol(dst, n.Body[0].Str())
	if err != nil {
		return dst, err.within(indexSeg(0))
	}
	if len(n.Body) == 2 {
		dst = append(dst, ' ')
		if dst, err = w.value(dst, n.Body[1]); err != nil {
			return dst, err.within(indexSeg(1))
		}
	}
	return dst, nil
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
	for i := 0; i < len(re.Flags); i++ {
		switch re.Flags[i] {
		case 'i', 'm', 's', 'x':
		default:
			if err := w.fail(KindRegex, "flag "+strconv.Quote(re.Flags[i:i+1])+" is not one of i m s x"); err != nil {
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
	case regexFitsQuoted(p):
		dst = append(dst, '#', '"')
		dst = append(dst, p...)
		dst = append(dst, '"')
		return append(dst, re.Flags...), nil
	case regexFitsTriple(p):
		dst = append(dst, `#"""`...)
		dst = append(dst, p...)
		dst = append(dst, `"""`...)
		return append(dst, re.Flags...), nil
	default:
		if err := w.fail(KindRegex, "pattern "+strconv.Quote(p)+` holds both a bare '"' and '"""' or ends in '"' or an unpaired '\'`); err != nil {
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

// regexFitsQuoted reports whether #"p" reads back as pattern p: the reader
// keeps the pattern raw, letting a backslash carry the next byte (so \"
// does not end it) and ending at the first other '"'.
func regexFitsQuoted(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 == len(p) {
				return false
			}
			i++
		case '"':
			return false
		}
	}
	return true
}

// regexFitsTriple reports whether #"""p""" reads back as pattern p: p must
// not hold '"""', end in '"' (the closer would start early) or end in an
// unpaired backslash (it would carry the first closing quote).
func regexFitsTriple(p string) bool {
	if len(p) > 0 && p[len(p)-1] == '"' {
		return false
	}
	run := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '"':
			if i+2 < len(p) && p[i+1] == '"' && p[i+2] == '"' {
				return false
			}
			run = 0
		case '\\':
			run++
		default:
			run = 0
		}
	}
	return run%2 == 0
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

// symbolStop marks the ASCII bytes that end a symbol when read: whitespace
// and the delimiters of GENE-DATA.md section 2.
var symbolStop = func() (t [256]bool) {
	for _, c := range " \t\r\n()[]{},;\"'`#" {
		t[c] = true
	}
	return t
}()

// symbolPlain marks the bytes that can appear anywhere in a symbol without
// further checks: ASCII other than controls, whitespace, delimiters and '/'.
// symbolLead marks the plain bytes that can also start one without looking
// like a number or a reader prefix.
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

func symbolProblemSlow(s string) string {
	if s == "" {
		return "is empty"
	}
	for i := 0; i < len(s); i++ {
		if symbolStop[s[i]] {
			return "contains " + strconv.QuoteRune(rune(s[i]))
		}
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	switch s {
	case "nil", "void", "true", "false":
		return "reads as the keyword " + s
	}
	switch s[0] {
	case '^', '@':
		return "starts with '" + s[:1] + "' (reads as a prop or meta)"
	case '%':
		return "starts with '%' (reads as unquote)"
	case '$':
		if len(s) > 1 {
			return "starts with '$' (reads as a standard-library path)"
		}
	}
	if s != "/" {
		for i := 0; i < len(s); i++ {
			if s[i] == '/' {
				return "contains '/' (reads as a path)"
			}
		}
	}
	if len(s) > 3 && s[len(s)-3:] == "..." {
		return "ends with '...' (reads as a spread)"
	}
	if looksNumeric(s) {
		return "reads as a number, date or time"
	}
	return ""
}

// looksNumeric reports text the reader takes for a number, date or time:
// anything starting with a digit, or with a sign or '.' and then a digit,
// and the float words inf and nan with or without a sign.
func looksNumeric(s string) bool {
	c := s[0]
	if c == '+' || c == '-' || c == '.' {
		if len(s) == 1 {
			return false
		}
		c = s[1]
	}
	if c >= '0' && c <= '9' {
		return true
	}
	switch s {
	case "inf", "-inf", "+inf", "nan", "-nan", "+nan":
		return true
	}
	return false
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
