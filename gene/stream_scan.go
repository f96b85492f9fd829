package gene

// boundary follows just enough of the lexical structure of Gene text to
// tell where a top-level value may end: brackets, strings, chars, regexes
// and comments. It builds nothing. An interpolated string ends where a plain
// string does, so the holes inside it need no tracking.
//
// The Feeder uses it only while a value spans several chunks of input: the
// reader is a recursive descent that cannot resume, so each attempt reads
// the pending value from its start, and attempting at every chunk would
// cost time quadratic in the value's size. The scanner runs over each new
// chunk once and says whether the parser could now succeed (or fail): it
// signals whenever a byte is seen outside every bracket, string and
// comment, when the outermost bracket closes, and at some bytes the parser
// rejects outright (a mismatched closer, a control character, a reserved
// '#' sequence). It may signal when
// the value is not yet complete (the parser then simply reports
// "incomplete" again); it must never stay silent when the parser would
// return a value, which the stream tests and FuzzStream check against the
// parser on every split of their inputs.
type boundary struct {
	// stack holds the open brackets '(' '[' '{'.
	stack   []byte
	mode    uint8
	kind    uint8   // for quote modes: what the quotes open (qString, qRegex)
	triple  bool    // for mString: triple-quoted
	quotes  int     // mQuote: quotes seen; mString triple: closing quotes in a row; mBytes: 1 after the prefix's second '#'
	esc     bool    // mString, mChar: the next byte is escaped
	depth   int     // mBlock: nesting of #< >#
	prev    byte    // mBlock: the previous byte, when it may start a pair
	char    int     // mChar: bytes of the char body seen
	closer  byte    // mString: the closing byte ('"', or '/' for #/re/)
	pre     [2]byte // mBytes: the bytes after "#B" so far
	post    int     // bytes after a top-level form that may still make it x... (or add regex flags)
	lenient bool
}

// Scanner modes.
const (
	mCode   = iota // between tokens
	mAtom          // inside an atom's run of bytes
	mDollar        // after '$' at the start of a token: '"' makes it $"..."
	mHash          // after '#' between tokens
	mQuote         // after 1 or 2 opening quotes: """ or a string?
	mString        // inside a string (interpolated or not) or regex
	mChar          // inside a char literal
	mLine          // inside a line comment
	mBlock         // inside a block comment
	mBytes         // inside a #B bytes literal, whose prefix holds a second '#'
)

// What a quote opens.
const (
	qString = iota
	qRegex
)

func (s *boundary) reset(lenient bool) {
	s.stack = s.stack[:0]
	*s = boundary{stack: s.stack, lenient: lenient}
}

// feed scans b and reports whether the parser may now return a value or an
// error.
func (s *boundary) feed(b []byte) bool {
	signal := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if s.post > 0 {
			// The parser decides on a glued "..." only when it sees the
			// bytes after the form, which may be atom bytes ("()..0").
			s.post--
			signal = true
		}
	again:
		switch s.mode {
		case mAtom:
			if class[c]&cTerm == 0 {
				continue
			}
			s.mode = mCode
			goto again
		case mCode:
			if len(s.stack) == 0 {
				signal = true
			}
			switch c {
			case '(', '[', '{':
				s.stack = append(s.stack, c)
			case ')', ']', '}':
				// Closing the last bracket may end the value at once (a
				// time's [Zone/Name]); other forms wait for one more byte.
				if !s.close(c) || len(s.stack) == 0 {
					signal = true
				}
				if len(s.stack) == 0 && s.mode == mCode {
					s.formEnd()
				}
			case '"':
				s.mode, s.kind, s.quotes = mQuote, qString, 1
			case '\'':
				s.mode, s.char, s.esc = mChar, 0, false
			case '#':
				s.mode = mHash
			case '$':
				s.mode = mDollar
			case '%':
				// A prefix: the form after it starts a token ('%$"..."').
			default:
				if class[c]&cCtrl != 0 {
					signal = true
				} else if class[c]&cTerm == 0 {
					s.mode = mAtom
				}
			}
		case mDollar:
			if c == '"' {
				s.mode, s.kind, s.quotes = mQuote, qString, 1
				continue
			}
			s.mode = mAtom
			goto again
		case mHash:
			s.mode = mCode
			switch c {
			case ' ', '\t', '\r', '!':
				s.mode = mLine
			case '\n':
				// An empty line comment: the line break ends it.
				goto again
			case '<':
				s.mode, s.depth, s.prev = mBlock, 1, 0
			case '"':
				s.mode, s.kind, s.quotes = mQuote, qRegex, 1
			case '/':
				if s.lenient {
					s.mode, s.kind, s.triple, s.closer, s.esc = mString, qRegex, false, '/', false
				}
			case '#':
				if s.lenient {
					s.mode = mLine
				} else {
					signal = true
				}
			case '(', '[', '{':
				s.stack = append(s.stack, c)
			case 'B':
				s.mode, s.quotes, s.char = mBytes, 0, 0
			case '_', 'R', 'D':
				// #_ discards the next form; #Ref and #Deref are atoms.
			default:
				if !s.lenient {
					signal = true // a reserved '#' sequence: an error
				}
				goto again
			}
		case mQuote:
			if c == '"' {
				s.quotes++
				if s.quotes == 3 {
					s.enterString(true)
				}
				continue
			}
			if s.quotes == 2 {
				// "" (or #"" or $""): an empty text, already closed.
				s.formEnd()
				goto again
			}
			s.enterString(false)
			goto again
		case mString:
			if s.esc {
				s.esc = false
				continue
			}
			switch {
			case c == '\\':
				s.esc = true
				s.quotes = 0
			case c == s.closer:
				if !s.triple {
					s.formEnd()
					continue
				}
				s.quotes++
				if s.quotes == 3 {
					s.formEnd()
				}
			default:
				s.quotes = 0
			}
		case mChar:
			switch {
			case s.esc:
				s.esc = false
			case c == '\'' && s.char > 0:
				s.formEnd()
				continue
			case c == '\'' || c == '\n' || c == '\r':
				// '' or a line break: the parser reports an error.
				signal = true
				s.mode = mCode
				continue
			case c == '\\' && s.char == 0:
				s.esc = true
			}
			s.char++
		case mLine:
			if c == '\n' {
				s.mode = mCode
				goto again
			}
		case mBytes:
			if s.quotes == 0 {
				// The prefix after "#B": "16#", "64#" or "#".
				if c == '#' {
					if s.char == 0 || s.char == 2 && (s.pre == [2]byte{'1', '6'} || s.pre == [2]byte{'6', '4'}) {
						s.quotes = 1
						continue
					}
				} else if s.char < 2 && class[c]&cTerm == 0 {
					s.pre[s.char] = c
					s.char++
					continue
				}
				// Not a bytes literal: an atom (#Bx is a symbol in the older
				// dialects) or an error.
				signal = true
				s.mode = mAtom
				goto again
			}
			if class[c]&cTerm != 0 {
				s.mode = mCode
				goto again
			}
		case mBlock:
			switch {
			case s.prev == '#' && c == '<':
				s.depth++
				s.prev = 0
			case s.prev == '>' && c == '#':
				s.depth--
				s.prev = 0
				if s.depth == 0 {
					s.mode = mCode
				}
			default:
				s.prev = c
			}
		}
	}
	return signal
}

// formEnd returns to code after a form that a glued "..." may follow: a
// top-level one makes the next bytes signal.
func (s *boundary) formEnd() {
	s.mode = mCode
	if len(s.stack) == 0 {
		s.post = 4 // "..." and the byte after it
		if s.kind == qRegex {
			s.post += 4 // up to four flags first
		}
	}
}

// enterString starts the text a quote run opened.
func (s *boundary) enterString(triple bool) {
	s.mode, s.triple, s.closer = mString, triple, '"'
	s.quotes, s.esc = 0, false
}

// close pops the bracket c closes. It reports false for a closer that does
// not match, which the parser rejects.
func (s *boundary) close(c byte) bool {
	n := len(s.stack)
	if n == 0 {
		return false
	}
	open := s.stack[n-1]
	if !(open == '(' && c == ')' || open == '[' && c == ']' || open == '{' && c == '}') {
		return false
	}
	s.stack = s.stack[:n-1]
	return true
}
