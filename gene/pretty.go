package gene

// prettyWidth is the line width the pretty printer keeps a form within when
// it decides whether the form stays on one line.
const prettyWidth = 80

// AppendPretty appends the Gene text of v laid out over several lines and
// returns the extended slice. It writes the same tokens as AppendText: a
// list, prop map, general map or node whose compact form fits within 80
// columns at its indentation stays on one line; a longer one puts each
// element, prop, meta entry or map entry on its own line, one indent
// deeper, with the closing delimiter on a line of its own. The head of a
// node stays on the line of its '('. indent is the text of one level ("" is
// taken as two spaces). No trailing newline.
//
// Like AppendText it never fails; see AppendText for values with no text
// form, and use an Encoder with WriteOptions.Pretty to have them refused.
func AppendPretty(dst []byte, v Value, indent string) []byte {
	p := prettyWriter{indent: indent}
	dst, _ = p.value(dst, v, 0, 0)
	return dst
}

// appendPrettyStrict is AppendPretty that refuses a value with no text form.
func appendPrettyStrict(dst []byte, v Value, indent string) ([]byte, error) {
	p := prettyWriter{indent: indent}
	p.w.strict = true
	out, err := p.value(dst, v, 0, 0)
	if err != nil {
		return dst, err.valid()
	}
	return out, nil
}

type prettyWriter struct {
	w      textWriter
	indent string
}

// element writes an element of a list on a line of its own at depth.
func (p *prettyWriter) element(dst []byte, e Value, depth int) ([]byte, *WriteError) {
	if e.kind == KindSymbol && e.Str() == "," {
		return p.w.element(dst, e)
	}
	return p.value(dst, e, depth, p.col(depth))
}

// value writes v at nesting depth, starting at column col of the line.
func (p *prettyWriter) value(dst []byte, v Value, depth, col int) ([]byte, *WriteError) {
	if p.indent == "" {
		p.indent = "  "
	}
	switch v.kind {
	case KindList, KindProps, KindMap, KindNode:
	default:
		return p.w.value(dst, v)
	}
	// Try the compact form, giving up as soon as it passes the line width.
	start := len(dst)
	room := prettyWidth - col
	if room < 1 {
		room = 1
	}
	p.w.limit = start + room
	out, err := p.w.value(dst, v)
	p.w.limit = 0
	if err == nil && len(out)-start <= room {
		return out, nil
	}
	if err != nil && err != errTooLong {
		return dst, err
	}
	dst = dst[:start]
	switch v.kind {
	case KindList:
		if v.frozen {
			dst = append(dst, '#')
		}
		dst = append(dst, '[')
		for i, e := range v.List() {
			dst = p.newline(dst, depth+1)
			if dst, err = p.element(dst, e, depth+1); err != nil {
				return dst, err.within(indexSeg(i))
			}
		}
		dst = p.newline(dst, depth)
		return append(dst, ']'), nil
	case KindProps:
		if v.frozen {
			dst = append(dst, '#')
		}
		dst = append(dst, '{')
		if dst, err = p.props(dst, v.Props(), '^', depth+1); err != nil {
			return dst, err
		}
		dst = p.newline(dst, depth)
		return append(dst, '}'), nil
	case KindMap:
		dst = append(dst, "{{"...)
		for i, e := range v.Entries() {
			dst = p.newline(dst, depth+1)
			if err = p.w.mapPart(e.Key, false); err != nil {
				return dst, err.within(mapSeg(i) + "key")
			}
			keyStart := len(dst)
			if dst, err = p.value(dst, e.Key, depth+1, p.col(depth+1)); err != nil {
				return dst, err.within(mapSeg(i) + "key")
			}
			dst = append(dst, " : "...)
			if err = p.w.mapPart(e.Value, true); err != nil {
				return dst, err.within(mapSeg(i))
			}
			if dst, err = p.value(dst, e.Value, depth+1, p.colAfter(dst, keyStart, depth+1)); err != nil {
				return dst, err.within(mapSeg(i))
			}
		}
		dst = p.newline(dst, depth)
		return append(dst, "}}"...), nil
	}
	return p.node(dst, v, depth, col)
}

func (p *prettyWriter) node(dst []byte, v Value, depth, col int) ([]byte, *WriteError) {
	n := v.Node()
	var err *WriteError
	if !v.frozen && needsSlashPath(n) {
		if out, ok := appendSlashPath(dst, v); ok {
			return out, nil
		}
	}
	if !v.frozen && isRefShape(n) {
		// "#Ref name value" stays one form: break inside the operands only.
		start := len(dst)
		dst = append(dst, n.Head.Str()...)
		for i, e := range n.Body {
			dst = append(dst, ' ')
			if dst, err = p.value(dst, e, depth, col+len(dst)-start); err != nil {
				return dst, err.within(indexSeg(i))
			}
		}
		return dst, nil
	}
	open := len(dst)
	if v.frozen {
		dst = append(dst, '#')
	}
	dst = append(dst, '(')
	if n.HasHead {
		if dst, err = p.value(dst, n.Head, depth+1, col+len(dst)-open); err != nil {
			return dst, err.within("(head)")
		}
	} else if len(n.Body) > 0 {
		if err = p.w.fail(KindNode, "a node without head cannot have a body (its first element would read as the head)"); err != nil {
			return dst, err
		}
	}
	if dst, err = p.props(dst, n.Meta, '@', depth+1); err != nil {
		return dst, err
	}
	if dst, err = p.props(dst, n.Props, '^', depth+1); err != nil {
		return dst, err
	}
	for i, e := range n.Body {
		dst = p.newline(dst, depth+1)
		if dst, err = p.value(dst, e, depth+1, p.col(depth+1)); err != nil {
			return dst, err.within(indexSeg(i))
		}
	}
	dst = p.newline(dst, depth)
	return append(dst, ')'), nil
}

// props writes each entry on its own line at depth.
func (p *prettyWriter) props(dst []byte, ps Props, sigil byte, depth int) ([]byte, *WriteError) {
	var err *WriteError
	var flag bool
	for i := range ps {
		dst = p.newline(dst, depth)
		lineStart := len(dst)
		if dst, flag, err = p.w.propKey(dst, &ps[i], sigil); err != nil || flag {
			if err != nil {
				return dst, err
			}
			continue
		}
		if dst, err = p.value(dst, ps[i].Value, depth, p.colAfter(dst, lineStart, depth)); err != nil {
			return dst, err.within(string(sigil) + ps[i].Key)
		}
	}
	return dst, nil
}

func (p *prettyWriter) newline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for i := 0; i < depth; i++ {
		dst = append(dst, p.indent...)
	}
	return dst
}

// col is the column after the indentation of depth.
func (p *prettyWriter) col(depth int) int { return depth * len(p.indent) }

// colAfter is the column reached by what was written since lineStart, on a
// line indented to depth.
func (p *prettyWriter) colAfter(dst []byte, lineStart, depth int) int {
	return p.col(depth) + len(dst) - lineStart
}
