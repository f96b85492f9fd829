package schema

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/genehost/genehost/gene"
)

// Parse compiles the schema value v (see the package documentation for the
// notation). defs holds the named definitions that (ref Name) refers to; it
// may be nil. Definitions are compiled when first reached, once each, so
// they may refer to each other and to themselves. Examples and defaults
// attached as meta are checked against the schema they are attached to.
//
// Parse returns a *ParseError naming the definition and the path inside the
// schema value of the first problem: an unknown type name or constructor,
// a wrong number of arguments, an unknown or ill-typed option, an unknown
// definition, a definition that refers to itself without descending into
// the value, or an example that does not match.
func Parse(v gene.Value, defs map[string]gene.Value) (*Schema, error) {
	p := newParser(defs)
	root, err := p.parse(v, "")
	if err == nil {
		err = p.finish()
	}
	if err != nil {
		return nil, err
	}
	return &Schema{root: root, defs: p.defs}, nil
}

// MustParse is like Parse but panics on error. It is meant for schemas
// written in the program, such as package-level variables and tests.
func MustParse(v gene.Value, defs map[string]gene.Value) *Schema {
	s, err := Parse(v, defs)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseDefs compiles every definition in defs, including those nothing
// refers to, and returns one Schema per name: the definition's own schema,
// whose Value is the definition in canonical form. A manifest uses it to
// check and export all of its shared shapes. Errors are those of Parse.
func ParseDefs(defs map[string]gene.Value) (map[string]*Schema, error) {
	p := newParser(defs)
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := p.ref(n, ""); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	out := make(map[string]*Schema, len(names))
	for _, n := range names {
		d := p.defs[n]
		reach := map[string]*def{}
		collectRefs(d.c, reach)
		out[n] = &Schema{root: d.c, defs: reach}
	}
	return out, nil
}

type parser struct {
	src  map[string]gene.Value
	defs map[string]*def
	// def is the definition being compiled, for error messages.
	def      string
	examples []example
}

// example is a value written as @example, @examples or @default, checked
// once every definition is compiled.
type example struct {
	c         checker
	v         gene.Value
	def, path string
}

func newParser(defs map[string]gene.Value) *parser {
	return &parser{src: defs, defs: map[string]*def{}}
}

func (p *parser) errf(path, format string, args ...any) error {
	return &ParseError{Def: p.def, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// join appends a path segment.
func join(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "/" + seg
}

// typeNames are the symbols that name a type in schema position.
var typeNames = map[string]bool{
	"any": true, "nil": true, "bool": true, "int": true, "float": true, "number": true,
	"string": true, "char": true, "symbol": true, "bytes": true, "date": true, "time": true,
	"datetime": true, "regex": true, "list": true, "props": true, "map": true, "node": true,
}

// typeKinds gives the kind that the type names without a checker of their
// own (and string, symbol, bytes) match.
var typeKinds = map[string]gene.Kind{
	"bool": gene.KindBool, "char": gene.KindChar, "date": gene.KindDate, "time": gene.KindTime,
	"datetime": gene.KindDateTime, "regex": gene.KindRegex, "props": gene.KindProps, "node": gene.KindNode,
	"string": gene.KindString, "symbol": gene.KindSymbol, "bytes": gene.KindBytes,
}

// parse compiles one schema value found at path.
func (p *parser) parse(v gene.Value, path string) (checker, error) {
	switch v.Kind() {
	case gene.KindSymbol:
		name := v.Str()
		if !typeNames[name] {
			return nil, p.unknownName(name, path)
		}
		return p.typed(name, base{}, nil, path)
	case gene.KindNode:
		return p.node(v.Node(), path)
	case gene.KindProps:
		return p.props(v.Props(), base{}, path)
	case gene.KindList:
		return nil, p.errf(path, "a list is not a schema; write (list T) for a list of T or (tuple A B ...) for fixed positions")
	case gene.KindMap:
		return nil, p.errf(path, "a general map is not a schema; write (map K V)")
	case gene.KindVoid:
		return nil, p.errf(path, "void is not a schema")
	case gene.KindRegex:
		return nil, p.errf(path, "a regex is not a schema; write (string ^pattern %s) to match strings, or (literal %s) for the regex itself", text(v), text(v))
	}
	return &litC{v: v}, nil
}

func (p *parser) unknownName(name, path string) error {
	if _, ok := p.src[name]; ok {
		return p.errf(path, "unknown type name %s; write (ref %s) to use the definition", name, name)
	}
	if constructors[name] {
		return p.errf(path, "%s is a constructor, not a type name; write (%s ...)", name, name)
	}
	return p.errf(path, "unknown type name %s", name)
}

// constructors are the heads of node schemas that are not type names.
var constructors = map[string]bool{
	"tuple": true, "mapof": true, "gene": true, "one-of": true, "literal": true,
	"enum": true, "ref": true, "optional": true,
}

// node compiles a schema written as a node: (name @meta... ^opt v ... args...).
func (p *parser) node(n *gene.Node, path string) (checker, error) {
	if !n.HasHead || n.Head.Kind() != gene.KindSymbol {
		return nil, p.errf(path, "a node schema must start with a type name or constructor, got %s", text(gene.NodeValue(n)))
	}
	name := n.Head.Str()
	b, err := p.meta(n.Meta, path)
	if err != nil {
		return nil, err
	}
	var c checker
	switch {
	case name == "props":
		if err := p.arity(n, path, 0, 0); err != nil {
			return nil, err
		}
		c, err = p.props(n.Props, b, path)
	case typeNames[name]:
		c, err = p.typed(name, b, n, path)
	case constructors[name]:
		c, err = p.construct(name, b, n, path)
	default:
		return nil, p.unknownName(name, join(path, "(head)"))
	}
	if err != nil {
		return nil, err
	}
	p.noteExamples(c, b.meta, path)
	return c, nil
}

// meta checks the well-known meta keys; others are kept as they are.
func (p *parser) meta(ms gene.Props, path string) (base, error) {
	for _, m := range ms {
		at := join(path, "@"+m.Key)
		switch m.Key {
		case "doc", "title":
			if m.Value.Kind() != gene.KindString {
				return base{}, p.errf(at, "@%s must be a string, got %s", m.Key, describe(m.Value))
			}
		case "examples":
			if m.Value.Kind() != gene.KindList {
				return base{}, p.errf(at, "@examples must be a list, got %s", describe(m.Value))
			}
		case "deprecated":
			if m.Value.Kind() != gene.KindBool {
				return base{}, p.errf(at, "@deprecated must be a bool, got %s", describe(m.Value))
			}
		}
	}
	return base{meta: ms}, nil
}

func (p *parser) noteExamples(c checker, ms gene.Props, path string) {
	for _, m := range ms {
		at := join(path, "@"+m.Key)
		switch m.Key {
		case "example", "default":
			p.examples = append(p.examples, example{c: c, v: m.Value, def: p.def, path: at})
		case "examples":
			for i, e := range m.Value.List() {
				p.examples = append(p.examples, example{c: c, v: e, def: p.def, path: join(at, index(i))})
			}
		}
	}
}

// arity checks the number of positional arguments.
func (p *parser) arity(n *gene.Node, path string, lo, hi int) error {
	name := n.Head.Str()
	k := len(n.Body)
	if k >= lo && (hi < 0 || k <= hi) {
		return nil
	}
	var want string
	switch {
	case hi == 0:
		want = "no arguments"
	case lo == hi:
		want = count(lo, "argument")
	case hi < 0:
		want = "at least " + count(lo, "argument")
	case lo == 0:
		want = "at most " + count(hi, "argument")
	default:
		want = fmt.Sprintf("%d to %d arguments", lo, hi)
	}
	return p.errf(path, "(%s) takes %s, got %d", name, want, k)
}

// options checks that the node's props are among allowed.
func (p *parser) options(n *gene.Node, path string, allowed ...string) error {
	for _, o := range n.Props {
		found := false
		for _, a := range allowed {
			found = found || a == o.Key
		}
		if found {
			continue
		}
		name := n.Head.Str()
		if len(allowed) == 0 {
			return p.errf(join(path, "^"+o.Key), "(%s) takes no options, got ^%s", name, o.Key)
		}
		return p.errf(join(path, "^"+o.Key), "unknown option ^%s for (%s); it takes ^%s", o.Key, name, strings.Join(allowed, " ^"))
	}
	return nil
}

// typed compiles a type name, bare (n nil) or as a node with options.
func (p *parser) typed(name string, b base, n *gene.Node, path string) (checker, error) {
	if n == nil {
		n = &gene.Node{Head: gene.Symbol(name), HasHead: true}
	}
	args := 0
	var opts []string
	switch name {
	case "int", "float", "number":
		opts = []string{"min", "max"}
	case "string", "symbol":
		opts = []string{"min-len", "max-len", "pattern"}
	case "bytes", "map":
		opts = []string{"min-len", "max-len"}
		if name == "map" {
			args = 2
		}
	case "list":
		opts, args = []string{"min-len", "max-len"}, 1
	}
	if err := p.options(n, path, opts...); err != nil {
		return nil, err
	}
	lo := args
	if name == "list" || name == "map" {
		lo = 0 // (list) and (map) accept anything inside
	}
	if err := p.arity(n, path, lo, args); err != nil {
		return nil, err
	}
	if name == "map" && len(n.Body) == 1 {
		return nil, p.errf(path, "(map) takes 0 or 2 arguments (key and value schemas), got 1")
	}
	switch name {
	case "any":
		return &anyC{b}, nil
	case "nil":
		if len(b.meta) == 0 {
			return &litC{v: gene.Nil()}, nil
		}
		return &litC{base: b, v: gene.Nil()}, nil
	case "int", "float", "number":
		return p.number(name, b, n, path)
	case "string", "symbol", "bytes":
		return p.str(name, b, n, path)
	case "list":
		c := &listC{base: b}
		var err error
		if c.sizes, err = p.sizes(n, path); err != nil {
			return nil, err
		}
		if len(n.Body) == 1 {
			if c.elem, err = p.parse(n.Body[0], join(path, "[0]")); err != nil {
				return nil, err
			}
		}
		return c, nil
	case "map":
		c := &mapC{base: b}
		var err error
		if c.sizes, err = p.sizes(n, path); err != nil {
			return nil, err
		}
		if len(n.Body) == 2 {
			if c.key, err = p.parse(n.Body[0], join(path, "[0]")); err != nil {
				return nil, err
			}
			if c.val, err = p.parse(n.Body[1], join(path, "[1]")); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	return &kindC{base: b, kind: typeKinds[name]}, nil
}

func (p *parser) number(name string, b base, n *gene.Node, path string) (checker, error) {
	c := &numC{base: b, name: name, ints: name != "float", flts: name != "int"}
	for _, o := range n.Props {
		at := join(path, "^"+o.Key)
		var f float64
		switch o.Value.Kind() {
		case gene.KindInt:
			i, small := o.Value.AsInt()
			if !small {
				return nil, p.errf(at, "^%s %s is out of the 64-bit range", o.Key, text(o.Value))
			}
			f = float64(i)
			if o.Key == "min" {
				c.imin = i
			} else {
				c.imax = i
			}
		case gene.KindFloat:
			if name == "int" {
				return nil, p.errf(at, "^%s of (int) must be an integer, got %s", o.Key, describe(o.Value))
			}
			f, _ = o.Value.AsFloat()
			if math.IsNaN(f) {
				return nil, p.errf(at, "^%s must not be nan", o.Key)
			}
		default:
			return nil, p.errf(at, "^%s must be a number, got %s", o.Key, describe(o.Value))
		}
		if o.Key == "min" {
			c.minV, c.hasMin, c.fmin = o.Value, true, f
		} else {
			c.maxV, c.hasMax, c.fmax = o.Value, true, f
		}
	}
	if c.hasMin && c.hasMax && c.fmin > c.fmax {
		return nil, p.errf(path, "^min %s is greater than ^max %s", text(c.minV), text(c.maxV))
	}
	return c, nil
}

// sizes reads ^min-len and ^max-len.
func (p *parser) sizes(n *gene.Node, path string) (sizes, error) {
	s := sizes{-1, -1}
	for _, o := range n.Props {
		if o.Key != "min-len" && o.Key != "max-len" {
			continue
		}
		i, small := o.Value.AsInt()
		if !small || i < 0 || i > math.MaxInt32 {
			return s, p.errf(join(path, "^"+o.Key), "^%s must be an integer from 0 to %d, got %s", o.Key, math.MaxInt32, describe(o.Value))
		}
		if o.Key == "min-len" {
			s.minLen = int(i)
		} else {
			s.maxLen = int(i)
		}
	}
	if s.minLen >= 0 && s.maxLen >= 0 && s.minLen > s.maxLen {
		return s, p.errf(path, "^min-len %d is greater than ^max-len %d", s.minLen, s.maxLen)
	}
	return s, nil
}

func (p *parser) str(name string, b base, n *gene.Node, path string) (checker, error) {
	c := &strC{base: b, kind: typeKinds[name]}
	var err error
	if c.sizes, err = p.sizes(n, path); err != nil {
		return nil, err
	}
	pv, ok := n.Props.Get("pattern")
	if !ok {
		return c, nil
	}
	at := join(path, "^pattern")
	var src, flags string
	switch pv.Kind() {
	case gene.KindRegex:
		src, flags = pv.Regex().Pattern, pv.Regex().Flags
	case gene.KindString:
		src = pv.Str()
	default:
		return nil, p.errf(at, "^pattern must be a regex or a string, got %s", describe(pv))
	}
	if strings.Contains(flags, "x") {
		return nil, p.errf(at, "regex flag x (extended) is not supported")
	}
	if flags != "" {
		src = "(?" + flags + ")" + src
	}
	if c.re, err = regexp.Compile(src); err != nil {
		return nil, p.errf(at, "bad pattern: %v", err)
	}
	c.pattern = pv
	return c, nil
}

// props compiles (props ^k T ...) or its shorthand {^k T ...}.
func (p *parser) props(ps gene.Props, b base, path string) (checker, error) {
	c := &propsC{base: b}
	for _, kp := range ps {
		at := join(path, "^"+kp.Key)
		if _, isBool := kp.Value.AsBool(); isBool && kp.Key == "open" {
			c.open, _ = kp.Value.AsBool()
			continue
		}
		k := propKey{name: kp.Key}
		sv := kp.Value
		if n := sv.Node(); n != nil && n.HasHead && n.Head.IsSymbol("optional") {
			if err := p.options(n, at); err != nil {
				return nil, err
			}
			if err := p.arity(n, at, 1, 1); err != nil {
				return nil, err
			}
			ob, err := p.meta(n.Meta, at)
			if err != nil {
				return nil, err
			}
			k.optional, k.meta, sv, at = true, ob.meta, n.Body[0], join(at, "[0]")
		}
		var err error
		if k.c, err = p.parse(sv, at); err != nil {
			return nil, err
		}
		if k.optional {
			p.noteExamples(k.c, k.meta, join(path, "^"+kp.Key))
		}
		switch k.c.(type) {
		case *litC, *enumC:
			k.discrim = true
		}
		if !k.optional {
			c.required++
		}
		c.keys = append(c.keys, k)
	}
	if len(c.keys) > 8 {
		c.index = make(map[string]int, len(c.keys))
		for i, k := range c.keys {
			c.index[k.name] = i
		}
	}
	return c, nil
}

// construct compiles the constructors that are not type names.
func (p *parser) construct(name string, b base, n *gene.Node, path string) (checker, error) {
	var err error
	switch name {
	case "optional":
		return nil, p.errf(path, "(optional T) is only allowed as the value of a key in (props ...)")
	case "tuple":
		if err = p.options(n, path, "rest"); err != nil {
			return nil, err
		}
		c := &tupleC{base: b, elems: make([]checker, len(n.Body))}
		if c.elems, err = p.all(n.Body, path); err != nil {
			return nil, err
		}
		if rv, ok := n.Props.Get("rest"); ok {
			if c.rest, err = p.parse(rv, join(path, "^rest")); err != nil {
				return nil, err
			}
		}
		return c, nil
	case "mapof":
		if err = p.options(n, path, "min-len", "max-len"); err != nil {
			return nil, err
		}
		if err = p.arity(n, path, 1, 1); err != nil {
			return nil, err
		}
		c := &mapofC{base: b}
		if c.sizes, err = p.sizes(n, path); err != nil {
			return nil, err
		}
		if c.elem, err = p.parse(n.Body[0], join(path, "[0]")); err != nil {
			return nil, err
		}
		return c, nil
	case "gene":
		if err = p.options(n, path, "head", "props", "body"); err != nil {
			return nil, err
		}
		if err = p.arity(n, path, 0, 0); err != nil {
			return nil, err
		}
		c := &geneC{base: b}
		for _, o := range n.Props {
			at := join(path, "^"+o.Key)
			var sc checker
			if o.Key == "head" && o.Value.Kind() == gene.KindSymbol {
				sc = &litC{v: o.Value} // a bare head symbol is the head itself
			} else if sc, err = p.parse(o.Value, at); err != nil {
				return nil, err
			}
			switch o.Key {
			case "head":
				c.head = sc
			case "props":
				c.props = sc
			case "body":
				c.body = sc
			}
		}
		return c, nil
	case "one-of":
		if err = p.options(n, path); err != nil {
			return nil, err
		}
		if err = p.arity(n, path, 1, -1); err != nil {
			return nil, err
		}
		c := &oneOfC{base: b}
		if c.alts, err = p.all(n.Body, path); err != nil {
			return nil, err
		}
		return c, nil
	case "literal":
		if err = p.options(n, path); err != nil {
			return nil, err
		}
		if err = p.arity(n, path, 1, 1); err != nil {
			return nil, err
		}
		return &litC{base: b, v: n.Body[0]}, nil
	case "enum":
		if err = p.options(n, path); err != nil {
			return nil, err
		}
		if err = p.arity(n, path, 1, -1); err != nil {
			return nil, err
		}
		for i, v := range n.Body {
			for j := range i {
				if gene.Equal(v, n.Body[j]) {
					return nil, p.errf(join(path, index(i)), "duplicate enum value %s", text(v))
				}
			}
		}
		return &enumC{base: b, vals: n.Body}, nil
	}
	// ref
	if err = p.options(n, path); err != nil {
		return nil, err
	}
	if err = p.arity(n, path, 1, 1); err != nil {
		return nil, err
	}
	nv := n.Body[0]
	if nv.Kind() != gene.KindSymbol {
		return nil, p.errf(join(path, "[0]"), "(ref) takes a definition name (a symbol), got %s", describe(nv))
	}
	d, err := p.ref(nv.Str(), path)
	if err != nil {
		return nil, err
	}
	return &refC{base: b, d: d}, nil
}

// all compiles the positional arguments of a node.
func (p *parser) all(vs []gene.Value, path string) ([]checker, error) {
	cs := make([]checker, len(vs))
	for i, v := range vs {
		var err error
		if cs[i], err = p.parse(v, join(path, index(i))); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// ref returns the named definition, compiling it on first use.
func (p *parser) ref(name, path string) (*def, error) {
	if d, ok := p.defs[name]; ok {
		return d, nil // possibly still being compiled: a recursive ref
	}
	v, ok := p.src[name]
	if !ok {
		return nil, p.errf(path, "unknown definition %s", name)
	}
	d := &def{name: name}
	p.defs[name] = d
	outer := p.def
	p.def = name
	c, err := p.parse(v, "")
	p.def = outer
	if err != nil {
		return nil, err
	}
	d.c = c
	return d, nil
}

// finish runs the checks that need every definition compiled.
func (p *parser) finish() error {
	if err := p.checkCycles(); err != nil {
		return err
	}
	for _, e := range p.examples {
		if e.c.ok(e.v, 0) {
			continue
		}
		msg := strings.TrimPrefix(e.c.fail(e.v, 0).err().Error(), "schema: ")
		return &ParseError{Def: e.def, Path: e.path, Msg: "value does not match: " + msg}
	}
	return nil
}

// checkCycles rejects definitions that reach themselves without descending
// into the value (through refs and one-of alone): validating against them
// would never end.
func (p *parser) checkCycles() error {
	names := make([]string, 0, len(p.defs))
	for n := range p.defs {
		names = append(names, n)
	}
	sort.Strings(names)
	const (
		unseen = iota
		active
		done
	)
	state := map[*def]int{}
	var stack []string
	var visit func(d *def) error
	visit = func(d *def) error {
		state[d] = active
		stack = append(stack, d.name)
		for _, r := range shallowRefs(d.c, nil) {
			switch state[r] {
			case active:
				i := 0
				for stack[i] != r.name {
					i++
				}
				loop := append(append([]string(nil), stack[i:]...), r.name)
				return &ParseError{Def: r.name, Msg: "refers to itself without descending into the value (" +
					strings.Join(loop, " -> ") + "); validation would never end"}
			case unseen:
				if err := visit(r); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[d] = done
		return nil
	}
	for _, n := range names {
		if d := p.defs[n]; state[d] == unseen {
			if err := visit(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// shallowRefs appends the definitions c applies to the same value it is
// given (not to a part of it).
func shallowRefs(c checker, out []*def) []*def {
	switch c := c.(type) {
	case *refC:
		return append(out, c.d)
	case *oneOfC:
		for _, a := range c.alts {
			out = shallowRefs(a, out)
		}
	}
	return out
}

// children returns the checkers directly inside c.
func children(c checker) []checker {
	switch c := c.(type) {
	case *listC:
		return []checker{c.elem}
	case *tupleC:
		return append(append([]checker(nil), c.elems...), c.rest)
	case *propsC:
		out := make([]checker, len(c.keys))
		for i, k := range c.keys {
			out[i] = k.c
		}
		return out
	case *mapofC:
		return []checker{c.elem}
	case *mapC:
		return []checker{c.key, c.val}
	case *geneC:
		return []checker{c.head, c.props, c.body}
	case *oneOfC:
		return c.alts
	case *refC:
		return []checker{c.d.c}
	}
	return nil
}

// collectRefs adds every definition reachable from c to seen.
func collectRefs(c checker, seen map[string]*def) {
	if c == nil {
		return
	}
	if r, ok := c.(*refC); ok {
		if _, done := seen[r.d.name]; done {
			return
		}
		seen[r.d.name] = r.d
	}
	for _, ch := range children(c) {
		collectRefs(ch, seen)
	}
}
