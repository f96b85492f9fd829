package gene

// The reader shorthands of NOTATION.md section 4. Each reads as an ordinary
// node, so the rest of genehost (and the writer) never sees the sugar:
//
//	`x            (quasiquote x)
//	%x            (unquote x)
//	x...          (... x)
//	$"a ${n} $(f)" ($ "a " n " " (f))
//	(a; b c; d)   (((a) b c) d)
//	(x; f _ y)    (f (x) y)
//	/user/name    (select user name)
//	user/name     (path user name)
//	$parse        (path gene parse)
//	#Ref n v      (#Ref n v)
//	#Deref n      (#Deref n)
//
// #Ref and #Deref are kept as nodes whose head is the symbol "#Ref" or
// "#Deref" (a symbol no other text can produce, since '#' cannot appear in
// a symbol), with the name and value as the body, so that a writer can
// print them back exactly as written.

import (
	"bytes"
	"strings"
)

// path reads a slash path or a $root path from an atom's text: /a/b reads
// as (select a b), a/b as (path a b) and $a/b as (path gene a b). Empty
// segments inside a path collapse (a//b is a/b); a trailing '/' is an
// error.
func (p *parser) path(run []byte, start int, root bool) (Value, error) {
	// The path node nests its segments one level deeper.
	if err := p.enter(start); err != nil {
		return Value{}, err
	}
	v, err := p.pathNode(run, start, root)
	p.depth--
	return v, err
}

func (p *parser) pathNode(run []byte, start int, root bool) (Value, error) {
	head := symPath
	rest := run
	base := len(p.vs)
	switch {
	case root:
		p.vs = append(p.vs, symGene)
		rest = run[1:]
	case run[0] == '/':
		head = symSelect
		rest = run[1:]
	}
	for i := 0; ; i++ {
		k := bytes.IndexByte(rest, '/')
		seg := rest
		if k >= 0 {
			seg = rest[:k]
		}
		if len(seg) == 0 {
			if k < 0 {
				clear(p.vs[base:])
				p.vs = p.vs[:base]
				return Value{}, p.fail(start, "'"+string(run)+"'", "", "path '"+string(run)+"' ends with '/'")
			}
		} else {
			if len(p.vs)-base >= p.lim.MaxElements {
				clear(p.vs[base:])
				p.vs = p.vs[:base]
				return Value{}, p.limit("MaxElements", p.lim.MaxElements, start)
			}
			v, err := p.pathSegment(seg, start)
			if err != nil {
				clear(p.vs[base:])
				p.vs = p.vs[:base]
				return Value{}, err
			}
			p.vs = append(p.vs, v)
		}
		if k < 0 {
			break
		}
		rest = rest[k+1:]
	}
	n := p.newNode()
	n.Head, n.HasHead = head, true
	n.Body = p.takeValues(base)
	return NodeValue(n), nil
}

// pathSegment reads one segment of a path: %name as (unquote name), a
// decimal integer (users/-1) as an integer, anything else as a symbol.
func (p *parser) pathSegment(seg []byte, start int) (Value, error) {
	if seg[0] == '%' {
		if len(seg) == 1 {
			return Value{}, p.fail(start, "'%'", "", "empty '%' segment in a path")
		}
		if err := p.enter(start); err != nil {
			return Value{}, err
		}
		p.depth--
		name, err := p.symbol(seg[1:], start)
		if err != nil {
			return Value{}, err
		}
		return p.wrap(symUnquote, name), nil
	}
	i := 0
	if seg[0] == '-' && len(seg) > 1 {
		i = 1
	}
	digits := i
	for digits < len(seg) && class[seg[digits]]&cDigit != 0 {
		digits++
	}
	if digits == len(seg) && digits > i {
		return p.decInt(seg, i, i == 1, start)
	}
	return p.symbol(seg, start)
}

// segment builds the node of one ';' pipe segment from the children
// collected since the stack bases. off is the ';' or ')' that ends it.
func (p *parser) segment(off int, hasHead bool, head Value, vbase, pbase, mbase int) (Value, error) {
	if !hasHead && len(p.ps) == pbase && len(p.ms) == mbase {
		f := quoteFound(p.data, off)
		return Value{}, p.fail(off, f, "a form", "empty pipe stage before "+f)
	}
	return NodeValue(p.buildNode(hasHead, head, vbase, pbase, mbase)), nil
}

// stage folds the result of the previous pipe segments into the next
// segment seg (NOTATION.md section 4): as the head, (a; b c) reading as
// ((a) b c); or, when the segment holds a '_', in place of that '_',
// (x; f _ y) reading as (f (x) y). A segment that is a single node with a
// '_' among its children is that node: (x; (or _ d)) is (or (x) d).
func (p *parser) stage(off int, prev, seg Value) (Value, error) {
	n := seg.Node()
	if n.HasHead && len(n.Body) == 0 && len(n.Props) == 0 && len(n.Meta) == 0 && n.Head.kind == KindNode {
		if inner := n.Head.Node(); countSlots(inner) > 0 {
			return p.fillSlot(off, n.Head, prev)
		}
	}
	if countSlots(n) > 0 {
		return p.fillSlot(off, seg, prev)
	}
	body := p.values(len(n.Body) + 1)
	i := 0
	if n.HasHead {
		body[0] = n.Head
		i = 1
	} else {
		body = body[: len(body)-1 : len(body)-1]
	}
	copy(body[i:], n.Body)
	n.Head, n.HasHead, n.Body = prev, true, body
	return seg, nil
}

// isSlot reports whether v is the pipe slot symbol '_'.
func isSlot(v Value) bool { return v.kind == KindSymbol && v.n == 1 && *(*byte)(v.p) == '_' }

// countSlots counts the '_' children of a node: its head, body, and prop
// and meta values. Only direct children count; nested forms keep their '_'.
func countSlots(n *Node) int {
	c := 0
	if n.HasHead && isSlot(n.Head) {
		c++
	}
	for _, v := range n.Body {
		if isSlot(v) {
			c++
		}
	}
	for _, pr := range n.Props {
		if isSlot(pr.Value) {
			c++
		}
	}
	for _, pr := range n.Meta {
		if isSlot(pr.Value) {
			c++
		}
	}
	return c
}

// fillSlot replaces the single '_' child of the node v (built by this
// parser, so not yet shared) with prev.
func (p *parser) fillSlot(off int, v, prev Value) (Value, error) {
	n := v.Node()
	if countSlots(n) > 1 {
		return Value{}, p.fail(off, quoteFound(p.data, off), "", "pipe stage ending at "+p.at(off)+" has more than one '_' slot")
	}
	switch {
	case n.HasHead && isSlot(n.Head):
		n.Head = prev
		return v, nil
	}
	for i := range n.Body {
		if isSlot(n.Body[i]) {
			n.Body[i] = prev
			return v, nil
		}
	}
	for i := range n.Props {
		if isSlot(n.Props[i].Value) {
			n.Props[i].Value = prev
			return v, nil
		}
	}
	for i := range n.Meta {
		if isSlot(n.Meta[i].Value) {
			n.Meta[i].Value = prev
		}
	}
	return v, nil
}

// interpolation reads $"text ${form} $(call) ..." (or the triple-quoted
// form) at start as ($ "text " form " " (call) ...). The string ends where a
// plain string would, at the first closing quote that is not escaped. Its
// text, escapes decoded, is then split at each "${" and "$(": each hole is
// read from the decoded text like any other form, so a string, char, regex
// or comment inside it hides the brackets it holds ($"$(f \")\")" calls f
// with ")"). Empty text parts are left out.
func (p *parser) interpolation(start int) (Value, error) {
	triple, err := p.tripleAt(start + 1)
	if err != nil {
		return Value{}, err
	}
	delim, i, q := "$\"", start+2, 1
	if triple {
		delim, i, q = "$\"\"\"", start+4, 3
	}
	end, esc, err := p.textEnd(start, i, triple, false)
	if err != nil {
		return Value{}, err
	}
	if err := p.push(delim, start); err != nil {
		return Value{}, err
	}
	// Read the holes from the text alone: the raw bytes before the closing
	// quote or, when the text holds escapes, the decoded text, whose
	// offsets p.base maps back to the input for errors.
	data, base, partial := p.data, p.base, p.partial
	view := data[:end]
	if esc {
		text, at, err := p.decode(data[i:end], i)
		if err != nil {
			return Value{}, err
		}
		view, i = text, 0
		p.base.remap = at
	}
	p.data, p.partial = view, false
	v, err := p.holes(start, i)
	p.data, p.base, p.partial = data, base, partial
	if err != nil {
		return Value{}, err
	}
	p.pos = end + q
	p.pop()
	return v, nil
}

// holes reads the parts of an interpolated string opened at start from its
// text p.data[i:], which ends where the string does.
func (p *parser) holes(start, i int) (Value, error) {
	text := p.data
	base := len(p.vs)
	for {
		end := len(text)
		for j := i; j+1 < len(text); j++ {
			if text[j] == '$' && (text[j+1] == '{' || text[j+1] == '(') {
				end = j
				break
			}
		}
		if end > i {
			s, err := p.plainText(text[i:end], i)
			if err != nil {
				return Value{}, err
			}
			p.vs = append(p.vs, String(s))
		}
		if end == len(text) {
			break
		}
		if len(p.vs)-base >= p.lim.MaxElements {
			return Value{}, p.limit("MaxElements", p.lim.MaxElements, end)
		}
		var v Value
		var err error
		if text[end+1] == '(' {
			v, err = p.parseNode(end, "$(")
		} else {
			v, err = p.interpolatedForm(end)
		}
		if err != nil {
			return Value{}, p.holeEnded(start, err)
		}
		p.vs = append(p.vs, v)
		i = p.pos
	}
	n := p.newNode()
	n.Head, n.HasHead = symInterp, true
	n.Body = p.takeValues(base)
	return NodeValue(n), nil
}

// holeEnded turns "end of input" inside a hole into the error it is: the
// string closed before the hole did. Nothing after the string can change
// that, so it is not incomplete.
func (p *parser) holeEnded(start int, err error) error {
	e, ok := err.(*SyntaxError)
	if !ok || !e.Incomplete {
		return err
	}
	e.Incomplete = false
	e.Found = "'\"'"
	e.Msg = strings.Replace(e.Msg, "unexpected end of input",
		"the interpolated string opened at "+where(p.base.lineColRaw(start))+" ends", 1) +
		" (a '\"' inside a hole of $\"...\" is written \\\")"
	return e
}

// interpolatedForm reads ${form} at start: exactly one form.
func (p *parser) interpolatedForm(start int) (Value, error) {
	p.pos = start + 2
	if err := p.push("${", start); err != nil {
		return Value{}, err
	}
	if err := p.skipSpace(); err != nil {
		return Value{}, err
	}
	if p.pos >= len(p.data) {
		return Value{}, p.eofIn()
	}
	if c := p.data[p.pos]; isCloser(c) || c == ';' {
		if c == '}' {
			return Value{}, p.fail(p.pos, "'}'", "a form", "empty '${}' at "+p.at(start)+"; expected a form")
		}
		return Value{}, p.unexpected(p.pos)
	}
	v, err := p.parseForm()
	if err != nil {
		return Value{}, err
	}
	if err := p.skipSpace(); err != nil {
		return Value{}, err
	}
	if p.pos >= len(p.data) {
		return Value{}, p.eofIn()
	}
	if p.data[p.pos] != '}' {
		if isCloser(p.data[p.pos]) {
			return Value{}, p.unexpected(p.pos)
		}
		f := quoteFound(p.data, p.pos)
		return Value{}, p.fail(p.pos, f, "'}'", "unexpected "+f+" in '${' opened at "+p.at(start)+"; it holds exactly one form, expected '}'")
	}
	p.pos++
	p.pop()
	return v, nil
}

// reference reads #Ref name value or #Deref name at start: a node with the
// head symbol #Ref or #Deref and the n operands as its body.
func (p *parser) reference(start int, name string, head Value, n int) (Value, error) {
	p.pos = start + len(name)
	if err := p.enter(start); err != nil {
		return Value{}, err
	}
	body := make([]Value, 0, n)
	for range n {
		v, err := p.operand(start, name)
		if err != nil {
			return Value{}, err
		}
		body = append(body, v)
	}
	p.depth--
	node := p.newNode()
	node.Head, node.HasHead, node.Body = head, true, body
	return NodeValue(node), nil
}
