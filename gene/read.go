package gene

import (
	"bytes"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// ReadOptions configure a reader. The zero value means default limits, an
// unnamed source and strict mode.
type ReadOptions struct {
	// Source names the input in errors ("<stdin>", a file name, "link 3").
	Source string
	// Limits bound what is accepted; zero fields mean the defaults.
	Limits Limits
	// Lenient accepts the older dialects of NOTATION.md section 8: '#a' as
	// a symbol, '##' comments, '^a^b 1' as nested prop maps, '^!k' as
	// '^k false', '#/re/' regexes, general maps without ':' between key
	// and value, and '^k : v' for '^k v' (which strict text reads as the
	// prop k holding the symbol ':').
	Lenient bool
}

// Parse reads exactly one top-level value from data, which may be
// surrounded by whitespace and comments. It is ParseWith with the zero
// ReadOptions.
//
// Strings, symbols and containers of the result share a few blocks of
// memory allocated for the whole call (not data, which the caller keeps),
// so keeping one small part of a large value alive keeps those blocks too.
func Parse(data []byte) (Value, error) { return ParseWith(data, ReadOptions{}) }

// ParseWith reads exactly one top-level value from data. Errors are a
// *SyntaxError (matching ErrSyntax, and ErrIncomplete when the input ends
// inside the value or holds no value) or a *LimitError.
func ParseWith(data []byte, o ReadOptions) (Value, error) {
	p := getParser(data, o)
	defer putParser(p)
	v, ok, err := p.next()
	if err != nil {
		return Value{}, err
	}
	if !ok {
		return Value{}, p.incomplete(len(data), "unexpected end of input; expected a value")
	}
	if err := p.skipSpace(); err != nil {
		return Value{}, err
	}
	if p.pos < len(data) {
		// Report what is wrong with the extra text itself, if anything.
		extra := p.pos
		if _, err := p.parseForm(); err != nil {
			return Value{}, err
		}
		return Value{}, p.fail(extra, quoteFound(data, extra), "end of input",
			"unexpected "+quoteFound(data, extra)+" after the value; Parse reads exactly one value (use ParseAll for more)")
	}
	return v, nil
}

// ParseAll reads every top-level value of data, in order. Whitespace,
// comments and discarded forms (#_ x) between them are skipped; an input
// with none yields an empty slice.
func ParseAll(data []byte, o ReadOptions) ([]Value, error) {
	p := getParser(data, o)
	defer putParser(p)
	var out []Value
	for {
		v, ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, v)
	}
}

// MustParse is Parse for tests and examples: it panics if s does not hold
// exactly one valid value.
func MustParse(s string) Value {
	v, err := Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return v
}

// openRec is a form still open while reading: its delimiter and offset.
type openRec struct {
	delim   string
	off     int
	decoded bool // off is an offset of an interpolated string's decoded text
}

// parser reads Gene text held entirely in memory. It is a recursive
// descent over data: children are collected on reusable stacks and copied
// once into exact-size slices carved from per-call slabs, and strings are
// copied once into a per-call byte arena, so reading allocates a handful of
// blocks rather than one per token.
type parser struct {
	data     []byte
	pos      int
	lim      Limits
	src      string
	lenient  bool
	partial  bool // data is a prefix of the input: its end is not the end of input
	depth    int
	maxDepth int // the deepest depth entered in the current node segment (see parseNode)
	valStart int // offset where the current top-level value began
	base     position
	open     []openRec

	// Scratch stacks, reused across values and calls.
	vs  []Value // positional children
	ps  []Prop  // props of prop maps and nodes
	ms  []Prop  // node meta
	es  []Entry // general map entries
	tmp []byte  // bytes literal digits

	// Per-call storage handed out to values; never reused after the call.
	arena []byte
	vslab slab[Value]
	pslab slab[Prop]
	eslab slab[Entry]
	nslab slab[Node]
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

func getParser(data []byte, o ReadOptions) *parser {
	p := parserPool.Get().(*parser)
	p.reset(data, o)
	return p
}

func (p *parser) reset(data []byte, o ReadOptions) {
	p.data = data
	p.pos = 0
	p.lim = o.Limits.WithDefaults()
	p.src = o.Source
	p.lenient = o.Lenient
	p.partial = false
	p.depth = 0
	p.maxDepth = 0
	p.valStart = 0
	p.base = position{data: data, baseLine: 1, baseCol: 1}
	p.open = p.open[:0]
}

// resetWindow prepares p to read data, a window of a longer stream that
// starts at the stream position base. partial says that the window's end
// is not the end of the input. The per-call storage is kept, so that
// values read one after another from a stream share it as ParseAll's do.
func (p *parser) resetWindow(data []byte, o ReadOptions, base position, partial bool) {
	p.reset(data, o)
	p.partial = partial
	base.data = data
	p.base = base
}

// clearScratch empties the scratch stacks after an error left values on
// them, so a parser that is kept (a Feeder's) holds no references.
func (p *parser) clearScratch() {
	clear(p.vs)
	clear(p.ps)
	clear(p.ms)
	clear(p.es)
	p.vs, p.ps, p.ms, p.es = p.vs[:0], p.ps[:0], p.ms[:0], p.es[:0]
}

// putParser returns p to the pool without anything that refers to the
// values it built.
func putParser(p *parser) {
	const keep = 4096
	p.vs = scrub(p.vs, keep)
	p.ps = scrub(p.ps, keep)
	p.ms = scrub(p.ms, keep)
	p.es = scrub(p.es, keep)
	if cap(p.tmp) > 1<<16 {
		p.tmp = nil
	}
	p.data, p.base.data = nil, nil
	p.arena = nil
	p.vslab, p.pslab, p.eslab, p.nslab = slab[Value]{}, slab[Prop]{}, slab[Entry]{}, slab[Node]{}
	parserPool.Put(p)
}

// scrub empties a scratch stack so the pool holds no references, dropping
// it when it grew large. Entries above len were cleared when they were
// popped, so only what an error left on the stack needs clearing.
func scrub[T any](s []T, keep int) []T {
	if cap(s) > keep {
		return nil
	}
	clear(s)
	return s[:0]
}

// next reads the next top-level value; ok is false at the end of input.
// p.valStart is the offset where the value began, or -1 while no value has
// begun (whitespace and comments before it are still being skipped).
func (p *parser) next() (Value, bool, error) {
	p.valStart = -1
	if err := p.skipSpace(); err != nil {
		return Value{}, false, err
	}
	if p.pos >= len(p.data) {
		return Value{}, false, nil
	}
	p.valStart = p.pos
	v, err := p.parseForm()
	if err != nil {
		return Value{}, false, err
	}
	if p.pos-p.valStart > p.lim.MaxValueBytes {
		return Value{}, false, p.limit("MaxValueBytes", p.lim.MaxValueBytes, p.valStart)
	}
	return v, true, nil
}

// parseForm reads one form starting at p.pos, which must be the first byte
// of a form (skipSpace has run and the input has not ended).
func (p *parser) parseForm() (Value, error) {
	start := p.pos
	data := p.data
	var v Value
	var err error
	switch c := data[start]; c {
	case '(':
		v, err = p.parseNode(start, "(")
	case '[':
		v, err = p.parseList(start, "[")
	case '{':
		switch {
		case start+1 < len(data) && data[start+1] == '{':
			v, err = p.parseMap(start)
		case start+1 >= len(data) && p.partial:
			return Value{}, p.incomplete(len(data), "unexpected end of input after '{'")
		default:
			v, err = p.parseProps(start, "{")
		}
	case '"':
		v, err = p.parseString(start)
	case '\'':
		v, err = p.parseChar(start)
	case '#':
		var post bool
		v, post, err = p.hash(start)
		if err != nil || !post {
			return v, err
		}
	case '`':
		return p.prefixed(start, 1, symQuasiquote)
	case '%':
		if p.endsToken(start + 1) {
			return p.atom()
		}
		return p.prefixed(start, 1, symUnquote)
	case '$':
		if start+1 < len(data) && data[start+1] == '"' {
			v, err = p.interpolation(start)
		} else {
			return p.atom()
		}
	case ')', ']', '}', ';':
		return Value{}, p.unexpected(start)
	default:
		if class[c]&cCtrl != 0 {
			return Value{}, p.unexpected(start)
		}
		return p.atom()
	}
	if err != nil {
		return Value{}, err
	}
	return p.postfix(v)
}

// endsToken reports whether the byte at i cannot continue a '%' prefix:
// whitespace, a closer, ';' or the end of input. A lone '%' is a symbol.
func (p *parser) endsToken(i int) bool {
	if i >= len(p.data) {
		return true
	}
	c := p.data[i]
	return class[c]&cSpace != 0 || c == ')' || c == ']' || c == '}' || c == ';'
}

// postfix applies a glued "..." after a non-atom form: (f x)... reads as
// (... (f x)). Atoms carry their "..." in their own text.
func (p *parser) postfix(v Value) (Value, error) {
	data := p.data
	i := p.pos
	if p.partial && i >= len(data) {
		// A glued "..." could still follow: the form ends at the next byte.
		return Value{}, p.incomplete(len(data), "the value may continue with '...'")
	}
	if i >= len(data) || data[i] != '.' {
		return v, nil
	}
	if p.partial && i+3 >= len(data) {
		for j := i; j < len(data) && j < i+3; j++ {
			if data[j] != '.' {
				return v, nil
			}
		}
		return Value{}, p.incomplete(len(data), "the value may continue with '...'")
	}
	if i+2 < len(data) && data[i+1] == '.' && data[i+2] == '.' && isTerm(data, i+3) {
		p.pos = i + 3
		return p.wrap(symSpread, v), nil
	}
	return v, nil
}

// prefixed reads the form after an n-byte prefix at start (` or %) and
// wraps it in a node with the given head.
func (p *parser) prefixed(start, n int, head Value) (Value, error) {
	p.pos = start + n
	if err := p.enter(start); err != nil {
		return Value{}, err
	}
	inner, err := p.operand(start, string(p.data[start:start+n]))
	if err != nil {
		return Value{}, err
	}
	p.depth--
	return p.wrap(head, inner), nil
}

// operand reads the form a prefix at start (named what) applies to.
func (p *parser) operand(start int, what string) (Value, error) {
	if err := p.skipSpace(); err != nil {
		return Value{}, err
	}
	if p.pos >= len(p.data) {
		return Value{}, p.incomplete(p.pos, "unexpected end of input after '"+what+"' at "+p.at(start)+"; expected a form")
	}
	if c := p.data[p.pos]; c == ')' || c == ']' || c == '}' || c == ';' {
		f := quoteFound(p.data, p.pos)
		return Value{}, p.fail(p.pos, f, "a form", "unexpected "+f+" after '"+what+"' at "+p.at(start)+"; expected a form")
	}
	return p.parseForm()
}

// enter counts one more level of nesting, refusing to pass MaxDepth.
func (p *parser) enter(off int) error {
	p.depth++
	p.maxDepth = max(p.maxDepth, p.depth)
	if p.depth > p.lim.MaxDepth {
		return p.limit("MaxDepth", p.lim.MaxDepth, off)
	}
	return nil
}

// push opens a delimited form for error reporting and nesting limits.
func (p *parser) push(delim string, off int) error {
	if err := p.enter(off); err != nil {
		return err
	}
	p.open = append(p.open, openRec{delim, off, p.base.remap != nil})
	return nil
}

func (p *parser) pop() {
	p.open = p.open[:len(p.open)-1]
	p.depth--
}

// closerAt reports whether data[i] closes something; closers are handled by
// the container loops before they call parseForm.
func isCloser(c byte) bool { return c == ')' || c == ']' || c == '}' }

// parseList reads [a b c] (delim "[") or #[a b c] (delim "#[").
func (p *parser) parseList(start int, delim string) (Value, error) {
	p.pos = start + len(delim)
	if err := p.push(delim, start); err != nil {
		return Value{}, err
	}
	base := len(p.vs)
	for {
		if err := p.skipSpaceTo(true); err != nil {
			return Value{}, err
		}
		if p.pos >= len(p.data) {
			return Value{}, p.eofIn()
		}
		c := p.data[p.pos]
		if c == ']' {
			p.pos++
			break
		}
		if isCloser(c) || c == ';' {
			return Value{}, p.unexpected(p.pos)
		}
		if len(p.vs)-base >= p.lim.MaxElements {
			return Value{}, p.limit("MaxElements", p.lim.MaxElements, p.pos)
		}
		if sym, n := p.listToken(c); n > 0 {
			p.vs = append(p.vs, sym)
			p.pos += n
			continue
		}
		v, err := p.parseForm()
		if err != nil {
			return Value{}, err
		}
		p.vs = append(p.vs, v)
	}
	elems := p.takeValues(base)
	p.pop()
	v := List(elems...)
	if delim[0] == '#' {
		v = v.Freeze()
	}
	return v, nil
}

// listToken reads the tokens a list keeps as they are (NOTATION.md, Lists):
// a comma is the symbol ',', and a '^', '^^', '@' or '@@' glued to what
// follows is that symbol, the rest being the next element. It returns the
// symbol and its length, or 0 when c starts an ordinary form.
func (p *parser) listToken(c byte) (Value, int) {
	switch c {
	case ',':
		return symComma, 1
	case '^', '@':
		n := 1
		if p.pos+1 < len(p.data) && p.data[p.pos+1] == c {
			n = 2
		}
		if isTerm(p.data, p.pos+n) {
			return Value{}, 0 // the bare symbol, read as an atom
		}
		return sigils[c][n-1], n
	}
	return Value{}, 0
}

// sigils are the symbols '^' '^^' and '@' '@@' a list keeps apart from
// what they are glued to.
var sigils = map[byte][2]Value{
	'^': {Symbol("^"), Symbol("^^")},
	'@': {Symbol("@"), Symbol("@@")},
}

// parseProps reads {^k v ...} (delim "{") or #{^k v ...} (delim "#{").
func (p *parser) parseProps(start int, delim string) (Value, error) {
	p.pos = start + len(delim)
	if err := p.push(delim, start); err != nil {
		return Value{}, err
	}
	base := len(p.ps)
	var idx map[string]int
	for {
		if err := p.skipSpace(); err != nil {
			return Value{}, err
		}
		if p.pos >= len(p.data) {
			return Value{}, p.eofIn()
		}
		c := p.data[p.pos]
		if c == '}' {
			p.pos++
			break
		}
		if isCloser(c) {
			return Value{}, p.unexpected(p.pos)
		}
		if c != '^' {
			f := quoteFound(p.data, p.pos)
			return Value{}, p.fail(p.pos, f, "'^key' or '}'",
				"unexpected "+f+" in prop map opened at "+p.at(start)+"; expected '^key' or '}'")
		}
		if len(p.ps)-base >= p.lim.MaxElements {
			return Value{}, p.limit("MaxElements", p.lim.MaxElements, p.pos)
		}
		if err := p.propEntry(&p.ps, base, &idx); err != nil {
			return Value{}, err
		}
	}
	ps := p.takeProps(&p.ps, base)
	p.pop()
	v := PropMap(ps...)
	if delim[0] == '#' {
		v = v.Freeze()
	}
	return v, nil
}

// parseMap reads a general map {{k : v ...}}.
func (p *parser) parseMap(start int) (Value, error) {
	p.pos = start + 2
	if err := p.push("{{", start); err != nil {
		return Value{}, err
	}
	base := len(p.es)
	var idx keyIndex
	composite := 0
	for {
		if err := p.skipSpace(); err != nil {
			return Value{}, err
		}
		if p.pos >= len(p.data) {
			return Value{}, p.eofIn()
		}
		c := p.data[p.pos]
		if c == '}' {
			if p.pos+1 < len(p.data) && p.data[p.pos+1] == '}' {
				p.pos += 2
				break
			}
			if p.partial && p.pos+1 >= len(p.data) {
				return Value{}, p.incomplete(len(p.data), "unexpected end of input after '}'; expected '}}'")
			}
			return Value{}, p.unexpected(p.pos)
		}
		if isCloser(c) || c == ';' {
			return Value{}, p.unexpected(p.pos)
		}
		if len(p.es)-base >= p.lim.MaxElements {
			return Value{}, p.limit("MaxElements", p.lim.MaxElements, p.pos)
		}
		keyOff := p.pos
		k, err := p.parseForm()
		if err != nil {
			return Value{}, err
		}
		if err := p.skipSpace(); err != nil {
			return Value{}, err
		}
		if p.pos >= len(p.data) {
			return Value{}, p.eofIn()
		}
		if p.data[p.pos] == ':' && (p.pos+1 < len(p.data) || !p.partial) && isTerm(p.data, p.pos+1) {
			p.pos++
		} else if p.partial && p.data[p.pos] == ':' {
			return Value{}, p.incomplete(len(p.data), "unexpected end of input after ':'")
		} else if !p.lenient {
			f := quoteFound(p.data, p.pos)
			return Value{}, p.fail(p.pos, f, "':'", "unexpected "+f+" after the key at "+p.at(keyOff)+" of a general map entry; expected ':'")
		}
		if isComposite(k.kind) {
			if composite++; composite > p.lim.MaxCompositeKeys {
				return Value{}, p.limit("MaxCompositeKeys", p.lim.MaxCompositeKeys, keyOff)
			}
		}
		v, err := p.operand(keyOff, "key :")
		if err != nil {
			return Value{}, err
		}
		if p.setEntry(base, &idx, k, v) >= 0 {
			return Value{}, p.fail(keyOff, "duplicate key", "",
				"duplicate key "+describeKey(k)+" in the general map opened at "+p.at(start)+": a key may appear once")
		}
	}
	es := p.takeEntries(base)
	p.pop()
	return Map(es...), nil
}

// parseNode reads (head ^prop v @meta v body...) (delim "(") or its
// immutable form (delim "#("), including ';' pipes.
func (p *parser) parseNode(start int, delim string) (Value, error) {
	p.pos = start + len(delim)
	if err := p.push(delim, start); err != nil {
		return Value{}, err
	}
	vbase, pbase, mbase := len(p.vs), len(p.ps), len(p.ms)
	var pidx, midx map[string]int
	var head, prev Value
	hasHead, piped := false, false
	// Pipes nest: in (a; b; c) the first segment ends up two levels below
	// the node, so what it holds is deeper than the parser counted when it
	// read it. Track the deepest level each segment reached, less its
	// index; with k pipes, the value's deepest level is the largest of
	// those plus k.
	outerMax := p.maxDepth
	p.maxDepth = p.depth
	stages, deepest := 0, 0
	for {
		if err := p.skipSpace(); err != nil {
			return Value{}, err
		}
		if p.pos >= len(p.data) {
			return Value{}, p.eofIn()
		}
		c := p.data[p.pos]
		if c == ')' {
			break
		}
		if isCloser(c) {
			return Value{}, p.unexpected(p.pos)
		}
		if len(p.vs)-vbase+len(p.ps)-pbase+len(p.ms)-mbase >= p.lim.MaxElements {
			return Value{}, p.limit("MaxElements", p.lim.MaxElements, p.pos)
		}
		if c == ';' {
			seg, err := p.segment(p.pos, hasHead, head, vbase, pbase, mbase)
			if err != nil {
				return Value{}, err
			}
			if piped {
				seg, err = p.stage(p.pos, prev, seg)
				if err != nil {
					return Value{}, err
				}
			}
			prev, piped = seg, true
			hasHead, head, pidx, midx = false, Value{}, nil, nil
			deepest = max(deepest, p.maxDepth-stages)
			stages++
			p.maxDepth = p.depth
			p.pos++
			continue
		}
		if (c == '^' || c == '@') && !isTerm(p.data, p.pos+1) && !(p.data[p.pos+1] == c && isTerm(p.data, p.pos+2)) {
			var err error
			if c == '^' {
				err = p.propEntry(&p.ps, pbase, &pidx)
			} else {
				err = p.propEntry(&p.ms, mbase, &midx)
			}
			if err != nil {
				return Value{}, err
			}
			continue
		}
		v, err := p.parseForm()
		if err != nil {
			return Value{}, err
		}
		if hasHead {
			p.vs = append(p.vs, v)
		} else {
			head, hasHead = v, true
		}
	}
	end := p.pos
	var v Value
	if piped {
		deepest = max(deepest, p.maxDepth-stages) + stages
		if deepest > p.lim.MaxDepth {
			return Value{}, p.limit("MaxDepth", p.lim.MaxDepth, start)
		}
		p.maxDepth = deepest
	}
	p.maxDepth = max(outerMax, p.maxDepth)
	if piped {
		seg, err := p.segment(end, hasHead, head, vbase, pbase, mbase)
		if err != nil {
			return Value{}, err
		}
		if v, err = p.stage(end, prev, seg); err != nil {
			return Value{}, err
		}
	} else {
		v = NodeValue(p.buildNode(hasHead, head, vbase, pbase, mbase))
	}
	p.pos = end + 1
	p.pop()
	if delim[0] == '#' {
		v = v.Freeze()
	}
	return v, nil
}

// buildNode makes a node of head and the children collected since the
// given stack bases, and pops them.
func (p *parser) buildNode(hasHead bool, head Value, vbase, pbase, mbase int) *Node {
	n := p.newNode()
	n.Head, n.HasHead = head, hasHead
	n.Body = p.takeValues(vbase)
	n.Props = p.takeProps(&p.ps, pbase)
	n.Meta = p.takeProps(&p.ms, mbase)
	return n
}

// propEntry reads one ^key value, ^^key, @key value or @@key entry at p.pos
// into *st above base. idx indexes large entry lists by key.
func (p *parser) propEntry(st *[]Prop, base int, idx *map[string]int) error {
	start := p.pos
	sig := p.data[start]
	flag := start+1 < len(p.data) && p.data[start+1] == sig
	p.pos = start + 1
	if flag {
		p.pos++
	}
	run, seen := p.scanAtom()
	if p.partial && p.pos >= len(p.data) {
		return p.incomplete(p.pos, "the key at "+p.at(start)+" may continue")
	}
	name := string(p.data[start:p.pos])
	if len(run) == 0 {
		f := quoteFound(p.data, p.pos)
		return p.fail(p.pos, f, "a key", "missing key after '"+name+"'; found "+f)
	}
	if seen&cHigh != 0 && !utf8.Valid(run) {
		return p.fail(start, "invalid UTF-8", "", "invalid UTF-8 in key")
	}
	if len(run) > p.lim.MaxStringBytes {
		return p.limit("MaxStringBytes", p.lim.MaxStringBytes, start)
	}
	var keys [][]byte
	value, hasValue := True, flag
	if run[0] == '!' && len(run) > 1 {
		if !p.lenient {
			return p.fail(start, "'"+name+"'", "", "key '"+string(run)+"' starts with '!'; '^!k' is the older dialect for '^k false', read leniently")
		}
		if !flag {
			run, value, hasValue = run[1:], False, true
		}
	}
	if bytes.IndexByte(run, sig) >= 0 {
		if !p.lenient {
			return p.fail(start, "'"+name+"'", "", "key '"+string(run)+"' contains '"+string(sig)+"'; nested keys ('^a^b 1') are an older dialect, read leniently")
		}
		keys = bytes.Split(run, []byte{sig})
		for _, k := range keys {
			if len(k) == 0 {
				return p.fail(start, "'"+name+"'", "", "empty key in '"+name+"'")
			}
		}
		run = keys[0]
	}
	if !hasValue {
		if err := p.skipSpace(); err != nil {
			return err
		}
		if p.pos >= len(p.data) {
			return p.incomplete(p.pos, "unexpected end of input; '"+name+"' at "+p.at(start)+" has no value")
		}
		c := p.data[p.pos]
		if p.lenient && c == ':' && isTerm(p.data, p.pos+1) && sig == '^' {
			p.pos++
			if err := p.skipSpace(); err != nil {
				return err
			}
			if p.pos >= len(p.data) {
				return p.incomplete(p.pos, "unexpected end of input; '"+name+"' at "+p.at(start)+" has no value")
			}
			c = p.data[p.pos]
		}
		if isCloser(c) || c == ';' || ((c == '^' || c == '@') && !isTerm(p.data, p.pos+1)) {
			f := quoteFound(p.data, p.pos)
			if c == '^' || c == '@' {
				// The sigil and the whole character after it.
				f = "'" + string(p.data[p.pos:p.pos+1+utf8RuneLenAt(p.data, p.pos+1)]) + "'"
			}
			return p.fail(p.pos, f, "a value", "'"+name+"' at "+p.at(start)+" has no value; found "+f+" (write '"+string(sig)+string(sig)+string(run)+"' for true)")
		}
		v, err := p.parseForm()
		if err != nil {
			return err
		}
		value = v
	}
	for i := len(keys) - 1; i >= 1; i-- {
		if value.kind != KindVoid {
			ps := p.props(1)
			ps[0] = Prop{Key: p.str(keys[i]), Value: value}
			value = PropMap(ps...)
		}
	}
	if !p.setProp(st, base, idx, p.str(run), value) {
		what := "prop map or node props"
		if sig == '@' {
			what = "node meta"
		}
		return p.fail(start, "'"+name+"'", "", "duplicate key '"+string(sig)+string(run)+"': a key may appear once in a "+what)
	}
	return nil
}

// setProp stores key=v in (*st)[base:], or reports that key is already
// there: a key may appear once in a prop map, in a node's props and in its
// meta, whatever its values (NOTATION.md section 3): the reader refuses a
// repeat, as the binary decoder does, so a value reads the same in both
// encodings and a peer cannot hide one entry behind another. Void still removes the entry: it is kept as a
// tombstone until takeProps drops it, so a repeat of its key is refused
// too and removal never shifts the index.
func (p *parser) setProp(st *[]Prop, base int, idx *map[string]int, key string, v Value) bool {
	s := *st
	n := len(s) - base
	if *idx != nil {
		if _, ok := (*idx)[key]; ok {
			return false
		}
	} else {
		for i := base; i < len(s); i++ {
			if s[i].Key == key {
				return false
			}
		}
	}
	*st = append(s, Prop{Key: key, Value: v})
	if *idx == nil && n >= 16 {
		m := make(map[string]int, 2*n)
		for i, e := range (*st)[base:] {
			m[e.Key] = i
		}
		*idx = m
	} else if *idx != nil {
		(*idx)[key] = n
	}
	return true
}

// setEntry stores k=v among the general map entries above base and
// returns -1, or returns the index (from base) of an earlier key Equal to
// k and stores nothing; the rules are those of setProp. Keys are found
// through idx by a seeded hash (keyindex.go), so a map of n keys costs
// O(n) expected however its keys are shaped.
func (p *parser) setEntry(base int, idx *keyIndex, k, v Value) int {
	p.es = append(p.es, Entry{Key: k, Value: v})
	es := p.es[base:]
	if j := idx.add(es, len(es)-1); j >= 0 {
		p.es = p.es[:len(p.es)-1]
		return j
	}
	return -1
}

// Allocation. Slices handed to values are carved from slabs (slab.go) sized
// from the input, so a message costs a few allocations however many
// containers it holds.

// slabMax is the most elements of one slab block of the text reader.
const slabMax = 4096

func (p *parser) values(n int) []Value {
	if n == 0 {
		return nil
	}
	return p.vslab.take(n, len(p.data)-p.pos, 8, slabMax)
}

func (p *parser) props(n int) []Prop {
	if n == 0 {
		return nil
	}
	return p.pslab.take(n, len(p.data)-p.pos, 16, slabMax)
}

func (p *parser) newNode() *Node { return p.nslab.one(len(p.data)-p.pos, 48, slabMax) }

// takeValues pops the positional children above base into a new slice.
func (p *parser) takeValues(base int) []Value {
	s := p.values(len(p.vs) - base)
	copy(s, p.vs[base:])
	clear(p.vs[base:])
	p.vs = p.vs[:base]
	return s
}

// takeProps pops the entries above base, dropping void tombstones.
func (p *parser) takeProps(st *[]Prop, base int) Props {
	src := (*st)[base:]
	n := 0
	for i := range src {
		if src[i].Value.kind != KindVoid {
			n++
		}
	}
	out := p.props(n)
	j := 0
	for i := range src {
		if src[i].Value.kind != KindVoid {
			out[j] = src[i]
			j++
		}
	}
	clear(src)
	*st = (*st)[:base]
	return out
}

func (p *parser) takeEntries(base int) []Entry {
	src := p.es[base:]
	n := 0
	for i := range src {
		if src[i].Value.kind != KindVoid {
			n++
		}
	}
	var out []Entry
	if n > 0 {
		out = p.eslab.take(n, len(p.data)-p.pos, 32, slabMax)
	}
	j := 0
	for i := range src {
		if src[i].Value.kind != KindVoid {
			out[j] = src[i]
			j++
		}
	}
	clear(src)
	p.es = p.es[:base]
	return out
}

// str copies b into the string arena and returns it as a string.
func (p *parser) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	dst := p.reserve(len(b))
	copy(dst, b)
	return p.commit(len(b))
}

// reserve returns at least n free bytes at the end of the arena; commit
// then turns the first m of them into a string. Large strings get a block
// of their own.
func (p *parser) reserve(n int) []byte {
	if cap(p.arena)-len(p.arena) < n {
		size := 0
		if n <= 1024 {
			// Every string still to come lies in the rest of the input.
			size = min(max(len(p.data)-p.pos, 32), 32<<10)
		}
		p.arena = make([]byte, 0, max(size, n))
	}
	return p.arena[len(p.arena):cap(p.arena)]
}

func (p *parser) commit(m int) string {
	if m == 0 {
		return ""
	}
	start := len(p.arena)
	p.arena = p.arena[:start+m]
	return unsafe.String(&p.arena[start], m)
}

// wrap builds the node (head inner) that a shorthand reads as.
func (p *parser) wrap(head, inner Value) Value {
	body := p.values(1)
	body[0] = inner
	n := p.newNode()
	n.Head, n.HasHead, n.Body = head, true, body
	return NodeValue(n)
}

// Heads of the nodes the shorthands of NOTATION.md section 4 read as.
var (
	symQuasiquote = Symbol("quasiquote")
	symUnquote    = Symbol("unquote")
	symSpread     = Symbol("...")
	symInterp     = Symbol("$")
	symComma      = Symbol(",")
	symSelect     = Symbol("select")
	symPath       = Symbol("path")
	symGene       = Symbol("gene")
	symRef        = Symbol("#Ref")
	symDeref      = Symbol("#Deref")
)
