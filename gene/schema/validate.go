package schema

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/genehost/genehost/gene"
)

// The checkers. Each has an ok method that allocates nothing and a fail
// method, run only after ok said no, that builds the explanation.

// anyC matches every value.
type anyC struct{ base }

func (c *anyC) ok(gene.Value, int) bool { return true }
func (c *anyC) fail(v gene.Value, _ int) *failure {
	return &failure{want: "any", got: describe(v)}
}
func (c *anyC) value() gene.Value { return c.form("any", nil) }

// kindC matches every value of one kind (bool, char, regex, date, time,
// datetime, and the bare props and node).
type kindC struct {
	base
	kind gene.Kind
}

func (c *kindC) ok(v gene.Value, _ int) bool { return v.Kind() == c.kind }
func (c *kindC) fail(v gene.Value, _ int) *failure {
	return &failure{want: c.kind.String(), got: describe(v), kind: true}
}
func (c *kindC) value() gene.Value { return c.form(c.kind.String(), nil) }

// numC matches int, float or number, within optional inclusive bounds.
type numC struct {
	base
	name       string // "int", "float" or "number"
	ints, flts bool   // which kinds it accepts
	// The bounds as written (for Value and messages), and as the int64
	// (int) or float64 (float, number) the check compares with.
	minV, maxV     gene.Value
	hasMin, hasMax bool
	imin, imax     int64
	fmin, fmax     float64
}

func (c *numC) ok(v gene.Value, _ int) bool {
	switch v.Kind() {
	case gene.KindInt:
		if !c.ints {
			return false
		}
		if !c.hasMin && !c.hasMax {
			return true
		}
		i, small := v.AsInt()
		if !small {
			return c.bigOK(v)
		}
		if c.name == "int" {
			return (!c.hasMin || i >= c.imin) && (!c.hasMax || i <= c.imax)
		}
		return c.inFloat(float64(i))
	case gene.KindFloat:
		if !c.flts {
			return false
		}
		f, _ := v.AsFloat()
		return c.inFloat(f)
	}
	return false
}

// bigOK checks an integer outside the int64 range (rare, so it may
// allocate).
func (c *numC) bigOK(v gene.Value) bool {
	b := v.BigInt()
	if c.name == "int" {
		// Every int64 bound lies between the negative and positive big ones.
		if b.Sign() > 0 {
			return !c.hasMax
		}
		return !c.hasMin
	}
	f, _ := new(big.Float).SetInt(b).Float64()
	return c.inFloat(f)
}

func (c *numC) inFloat(f float64) bool {
	// Written so that nan fails any bound.
	return (!c.hasMin || f >= c.fmin) && (!c.hasMax || f <= c.fmax)
}

func (c *numC) fail(v gene.Value, _ int) *failure {
	k := v.Kind()
	if !(k == gene.KindInt && c.ints) && !(k == gene.KindFloat && c.flts) {
		return &failure{want: c.name, got: describe(v), kind: true}
	}
	return &failure{want: c.rangeText(), got: describe(v)}
}

func (c *numC) rangeText() string {
	switch {
	case c.hasMin && c.hasMax:
		return c.name + " in " + text(c.minV) + ".." + text(c.maxV)
	case c.hasMin:
		return c.name + " >= " + text(c.minV)
	}
	return c.name + " <= " + text(c.maxV)
}

func (c *numC) value() gene.Value {
	var ps gene.Props
	if c.hasMin {
		ps = append(ps, gene.Prop{Key: "min", Value: c.minV})
	}
	if c.hasMax {
		ps = append(ps, gene.Prop{Key: "max", Value: c.maxV})
	}
	return c.form(c.name, ps)
}

// sizes are optional length bounds; -1 means unset.
type sizes struct{ minLen, maxLen int }

func (s sizes) fits(n int) bool {
	return (s.minLen < 0 || n >= s.minLen) && (s.maxLen < 0 || n <= s.maxLen)
}

func (s sizes) set() bool { return s.minLen >= 0 || s.maxLen >= 0 }

// text says what the bounds allow: "at most 3 elements", "1..256 chars".
func (s sizes) text(noun string) string {
	switch {
	case s.minLen >= 0 && s.maxLen >= 0 && s.minLen == s.maxLen:
		return count(s.minLen, noun)
	case s.minLen >= 0 && s.maxLen >= 0:
		return strconv.Itoa(s.minLen) + ".." + count(s.maxLen, noun)
	case s.minLen >= 0:
		return "at least " + count(s.minLen, noun)
	}
	return "at most " + count(s.maxLen, noun)
}

func (s sizes) props(ps gene.Props) gene.Props {
	if s.minLen >= 0 {
		ps = append(ps, gene.Prop{Key: "min-len", Value: gene.Int(int64(s.minLen))})
	}
	if s.maxLen >= 0 {
		ps = append(ps, gene.Prop{Key: "max-len", Value: gene.Int(int64(s.maxLen))})
	}
	return ps
}

// strC matches a string or symbol (length in Unicode code points, optional
// pattern) or bytes (length in bytes).
type strC struct {
	base
	kind gene.Kind
	sizes
	pattern gene.Value // as written: a regex or a string
	re      *regexp.Regexp
}

func (c *strC) length(v gene.Value) int {
	if c.kind == gene.KindBytes {
		return len(v.Bytes())
	}
	return utf8.RuneCountInString(v.Str())
}

// quickFits reports whether the byte length alone proves that a string
// fits its bounds (a UTF-8 string of n bytes has n/4 to n code points), so
// that most strings are never counted.
func (c *strC) quickFits(v gene.Value) bool {
	n := len(v.Str())
	if c.kind == gene.KindBytes {
		n = len(v.Bytes())
		return c.fits(n)
	}
	return (c.maxLen < 0 || n <= c.maxLen) && (c.minLen < 0 || (n+3)/4 >= c.minLen)
}

func (c *strC) ok(v gene.Value, _ int) bool {
	if v.Kind() != c.kind {
		return false
	}
	if c.sizes.set() && !c.quickFits(v) && !c.fits(c.length(v)) {
		return false
	}
	return c.re == nil || c.re.MatchString(v.Str())
}

func (c *strC) noun() string {
	if c.kind == gene.KindBytes {
		return "byte"
	}
	return "char"
}

func (c *strC) fail(v gene.Value, _ int) *failure {
	name := c.kind.String()
	if v.Kind() != c.kind {
		return &failure{want: name, got: describe(v), kind: true}
	}
	if n := c.length(v); c.sizes.set() && !c.fits(n) {
		return &failure{want: name + " of " + c.sizes.text(c.noun()), got: name + " of " + count(n, c.noun())}
	}
	return &failure{want: name + " matching " + text(c.pattern), got: describe(v)}
}

func (c *strC) value() gene.Value {
	ps := c.sizes.props(nil)
	if c.re != nil {
		ps = append(ps, gene.Prop{Key: "pattern", Value: c.pattern})
	}
	return c.form(c.kind.String(), ps)
}

// listC matches a list whose elements all match elem (nil: any).
type listC struct {
	base
	elem checker
	sizes
}

func (c *listC) ok(v gene.Value, depth int) bool {
	if v.Kind() != gene.KindList {
		return false
	}
	es := v.List()
	if !c.fits(len(es)) {
		return false
	}
	if c.elem != nil {
		for _, e := range es {
			if !c.elem.ok(e, depth) {
				return false
			}
		}
	}
	return true
}

func (c *listC) fail(v gene.Value, depth int) *failure {
	if v.Kind() != gene.KindList {
		return &failure{want: "list", got: describe(v), kind: true}
	}
	es := v.List()
	if !c.fits(len(es)) {
		return &failure{want: "list of " + c.sizes.text("element"), got: describe(v)}
	}
	for i, e := range es {
		if !c.elem.ok(e, depth) {
			return c.elem.fail(e, depth).at(index(i))
		}
	}
	return nil // unreachable: ok said no
}

func (c *listC) value() gene.Value {
	var body []gene.Value
	if c.elem != nil {
		body = []gene.Value{c.elem.value()}
	}
	return c.form("list", c.sizes.props(nil), body...)
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

// tupleC matches a list with one element per schema, then any number
// matching rest (nil: no more elements).
type tupleC struct {
	base
	elems []checker
	rest  checker
}

func (c *tupleC) ok(v gene.Value, depth int) bool {
	if v.Kind() != gene.KindList {
		return false
	}
	es := v.List()
	if len(es) < len(c.elems) || (c.rest == nil && len(es) > len(c.elems)) {
		return false
	}
	for i, e := range es {
		if i < len(c.elems) {
			if !c.elems[i].ok(e, depth) {
				return false
			}
		} else if !c.rest.ok(e, depth) {
			return false
		}
	}
	return true
}

func (c *tupleC) fail(v gene.Value, depth int) *failure {
	if v.Kind() != gene.KindList {
		return &failure{want: "list", got: describe(v), kind: true}
	}
	es := v.List()
	if len(es) < len(c.elems) || (c.rest == nil && len(es) > len(c.elems)) {
		want := "list of " + count(len(c.elems), "element")
		if c.rest != nil {
			want = "list of at least " + count(len(c.elems), "element")
		}
		return &failure{want: want, got: describe(v)}
	}
	for i, e := range es {
		sc := c.rest
		if i < len(c.elems) {
			sc = c.elems[i]
		}
		if !sc.ok(e, depth) {
			return sc.fail(e, depth).at(index(i))
		}
	}
	return nil
}

func (c *tupleC) value() gene.Value {
	body := make([]gene.Value, len(c.elems))
	for i, e := range c.elems {
		body[i] = e.value()
	}
	var ps gene.Props
	if c.rest != nil {
		ps = gene.Props{{Key: "rest", Value: c.rest.value()}}
	}
	return c.node("tuple", ps, body...)
}

// propKey is one key of a props schema.
type propKey struct {
	name     string
	c        checker
	optional bool
	meta     gene.Props // meta written on (optional ...)
	discrim  bool       // c is a literal or enum: checked first on failure
}

// propsC matches a prop map with the given keys; extra keys only if open.
type propsC struct {
	base
	keys     []propKey
	open     bool
	required int            // keys not optional
	index    map[string]int // key name to position, for long key lists
}

// find returns the position of the schema key name, or -1.
func (c *propsC) find(name string) int {
	if c.index != nil {
		if i, ok := c.index[name]; ok {
			return i
		}
		return -1
	}
	for i := range c.keys {
		if c.keys[i].name == name {
			return i
		}
	}
	return -1
}

func (c *propsC) ok(v gene.Value, depth int) bool {
	return v.Kind() == gene.KindProps && c.okProps(v.Props(), depth)
}

func (c *propsC) okProps(ps gene.Props, depth int) bool {
	seen := 0
	for _, p := range ps {
		i := c.find(p.Key)
		if i < 0 {
			if !c.open {
				return false
			}
			continue
		}
		k := &c.keys[i]
		if !k.c.ok(p.Value, depth) {
			return false
		}
		if !k.optional {
			seen++
		}
	}
	return seen == c.required
}

func (c *propsC) fail(v gene.Value, depth int) *failure {
	if v.Kind() != gene.KindProps {
		return &failure{want: "props", got: describe(v), kind: true}
	}
	ps := v.Props()
	// Discriminators first, so that one-of can tell which alternative a
	// value meant before it blames a detail.
	for i := range c.keys {
		k := &c.keys[i]
		if !k.discrim {
			continue
		}
		pv, present := ps.Get(k.name)
		if !present && !k.optional {
			return (&failure{want: summary(k.c), got: "missing key", lit: true}).at("^" + k.name)
		}
		if present && !k.c.ok(pv, depth) {
			return k.c.fail(pv, depth).at("^" + k.name)
		}
	}
	for i := range c.keys {
		k := &c.keys[i]
		if _, present := ps.Get(k.name); !present && !k.optional {
			return (&failure{want: summary(k.c), got: "missing key"}).at("^" + k.name)
		}
	}
	for _, p := range ps {
		i := c.find(p.Key)
		if i < 0 {
			if c.open {
				continue
			}
			return (&failure{want: "no key ^" + p.Key, got: describe(p.Value)}).at("^" + p.Key)
		}
		if k := &c.keys[i]; !k.c.ok(p.Value, depth) {
			return k.c.fail(p.Value, depth).at("^" + p.Key)
		}
	}
	return nil
}

func (c *propsC) value() gene.Value {
	ps := make(gene.Props, 0, len(c.keys)+1)
	for _, k := range c.keys {
		kv := k.c.value()
		if _, isBool := kv.AsBool(); isBool && k.name == "open" {
			// ^open true would read back as the open flag.
			kv = gene.Gene(gene.Symbol("literal"), kv)
		}
		if k.optional {
			kv = base{meta: k.meta}.node("optional", nil, kv)
		}
		ps = append(ps, gene.Prop{Key: k.name, Value: kv})
	}
	if c.open {
		ps = append(ps, gene.Prop{Key: "open", Value: gene.True})
	}
	return c.node("props", ps)
}

// mapofC matches a prop map with any keys whose values match elem.
type mapofC struct {
	base
	elem checker
	sizes
}

func (c *mapofC) ok(v gene.Value, depth int) bool {
	if v.Kind() != gene.KindProps {
		return false
	}
	ps := v.Props()
	if !c.fits(len(ps)) {
		return false
	}
	for _, p := range ps {
		if !c.elem.ok(p.Value, depth) {
			return false
		}
	}
	return true
}

func (c *mapofC) fail(v gene.Value, depth int) *failure {
	if v.Kind() != gene.KindProps {
		return &failure{want: "props", got: describe(v), kind: true}
	}
	ps := v.Props()
	if !c.fits(len(ps)) {
		return &failure{want: "props of " + c.sizes.text("key"), got: describe(v)}
	}
	for _, p := range ps {
		if !c.elem.ok(p.Value, depth) {
			return c.elem.fail(p.Value, depth).at("^" + p.Key)
		}
	}
	return nil
}

func (c *mapofC) value() gene.Value {
	return c.node("mapof", c.sizes.props(nil), c.elem.value())
}

// mapC matches a general map whose keys match key and values match val
// (nil: any).
type mapC struct {
	base
	key, val checker
	sizes
}

func (c *mapC) ok(v gene.Value, depth int) bool {
	if v.Kind() != gene.KindMap {
		return false
	}
	es := v.Entries()
	if !c.fits(len(es)) {
		return false
	}
	if c.key == nil {
		return true
	}
	for _, e := range es {
		if !c.key.ok(e.Key, depth) || !c.val.ok(e.Value, depth) {
			return false
		}
	}
	return true
}

func (c *mapC) fail(v gene.Value, depth int) *failure {
	if v.Kind() != gene.KindMap {
		return &failure{want: "map", got: describe(v), kind: true}
	}
	es := v.Entries()
	if !c.fits(len(es)) {
		return &failure{want: "map of " + c.sizes.text("entry"), got: describe(v)}
	}
	for _, e := range es {
		seg := "{" + text(e.Key) + "}"
		if !c.key.ok(e.Key, depth) {
			return c.key.fail(e.Key, depth).at("(key)").at(seg)
		}
		if !c.val.ok(e.Value, depth) {
			return c.val.fail(e.Value, depth).at(seg)
		}
	}
	return nil
}

func (c *mapC) value() gene.Value {
	var body []gene.Value
	if c.key != nil {
		body = []gene.Value{c.key.value(), c.val.value()}
	}
	return c.form("map", c.sizes.props(nil), body...)
}

// geneC matches a node whose head, props (as a prop map) and body (as a
// list) match the given schemas (nil: any).
type geneC struct {
	base
	head, props, body checker
}

func (c *geneC) ok(v gene.Value, depth int) bool {
	if v.Kind() != gene.KindNode {
		return false
	}
	n := v.Node()
	if c.head != nil && !c.head.ok(n.Head, depth) {
		return false
	}
	// PropMap and List wrap the node's own slices: no copy, no allocation.
	if c.props != nil && !c.props.ok(gene.PropMap(n.Props...), depth) {
		return false
	}
	return c.body == nil || c.body.ok(gene.List(n.Body...), depth)
}

func (c *geneC) fail(v gene.Value, depth int) *failure {
	if v.Kind() != gene.KindNode {
		return &failure{want: "node", got: describe(v), kind: true}
	}
	n := v.Node()
	if c.head != nil && !c.head.ok(n.Head, depth) {
		f := c.head.fail(n.Head, depth)
		if !n.HasHead {
			f.got = "no head"
		}
		return f.at("(head)")
	}
	if pv := gene.PropMap(n.Props...); c.props != nil && !c.props.ok(pv, depth) {
		return whole(c.props.fail(pv, depth), "(props)")
	}
	bv := gene.List(n.Body...)
	return whole(c.body.fail(bv, depth), "(body)")
}

// whole names the props or body of a node when the failure is about them
// as a whole rather than about one of their entries.
func whole(f *failure, seg string) *failure {
	if len(f.segs) == 0 {
		f.at(seg)
	}
	return f
}

func (c *geneC) value() gene.Value {
	var ps gene.Props
	if c.head != nil {
		hv := c.head.value()
		if l, ok := c.head.(*litC); ok && len(l.meta) == 0 && l.v.Kind() == gene.KindSymbol {
			hv = l.v // a literal head symbol is written bare
		} else if hv.Kind() == gene.KindSymbol {
			hv = gene.Gene(hv) // a type name is written (symbol), not symbol
		}
		ps = append(ps, gene.Prop{Key: "head", Value: hv})
	}
	if c.props != nil {
		ps = append(ps, gene.Prop{Key: "props", Value: c.props.value()})
	}
	if c.body != nil {
		ps = append(ps, gene.Prop{Key: "body", Value: c.body.value()})
	}
	return c.node("gene", ps)
}

// oneOfC matches a value that matches at least one alternative.
type oneOfC struct {
	base
	alts []checker
}

func (c *oneOfC) ok(v gene.Value, depth int) bool {
	for _, a := range c.alts {
		if a.ok(v, depth) {
			return true
		}
	}
	return false
}

// fail reports the alternative the value most likely meant: the one that
// got deepest into the value, skipping those whose kind or discriminating
// literal did not match. When every alternative was skipped it lists them.
func (c *oneOfC) fail(v gene.Value, depth int) *failure {
	var best *failure
	for _, a := range c.alts {
		f := a.fail(v, depth)
		if f.notApplicable() {
			continue
		}
		if best == nil || len(f.segs) > len(best.segs) {
			best = f
		}
	}
	if best != nil {
		return best
	}
	names := make([]string, len(c.alts))
	for i, a := range c.alts {
		names[i] = brief(a)
	}
	return &failure{want: "one of " + strings.Join(names, ", "), got: describe(v), kind: true}
}

// brief names an alternative of one-of by what tells it apart: a node
// schema by its literal head, (get ...); a props schema by its
// discriminating keys, (props ^op "get" ...); anything else by its summary.
func brief(c checker) string {
	switch c := c.(type) {
	case *geneC:
		if l, ok := c.head.(*litC); ok {
			return "(" + text(l.v) + " ...)"
		}
	case *propsC:
		var b strings.Builder
		b.WriteString("(props")
		for _, k := range c.keys {
			if k.discrim && !k.optional {
				b.WriteString(" ^" + k.name + " " + summary(k.c))
			}
		}
		if b.Len() > len("(props") {
			return b.String() + " ...)"
		}
	}
	return summary(c)
}

func (c *oneOfC) value() gene.Value {
	body := make([]gene.Value, len(c.alts))
	for i, a := range c.alts {
		body[i] = a.value()
	}
	return c.node("one-of", nil, body...)
}

// litC matches one value (under gene.Equal).
type litC struct {
	base
	v gene.Value
}

func (c *litC) ok(v gene.Value, _ int) bool { return gene.Equal(v, c.v) }
func (c *litC) fail(v gene.Value, _ int) *failure {
	return &failure{want: wantLit(c.v), got: describe(v), lit: true}
}

func (c *litC) value() gene.Value {
	if len(c.meta) == 0 && shorthandLiteral(c.v.Kind()) {
		return c.v
	}
	return c.node("literal", nil, c.v)
}

// shorthandLiteral reports whether a value of kind k stands for itself in
// schema position.
func shorthandLiteral(k gene.Kind) bool {
	switch k {
	case gene.KindNil, gene.KindBool, gene.KindInt, gene.KindFloat, gene.KindString,
		gene.KindChar, gene.KindBytes, gene.KindDate, gene.KindTime, gene.KindDateTime:
		return true
	}
	return false
}

// wantLit renders an expected literal: kind and text for scalars, the text
// alone for containers.
func wantLit(v gene.Value) string {
	switch v.Kind() {
	case gene.KindList, gene.KindProps, gene.KindMap, gene.KindNode, gene.KindBytes:
		return text(v)
	}
	return describe(v)
}

// enumC matches any of a set of values.
type enumC struct {
	base
	vals []gene.Value
}

func (c *enumC) ok(v gene.Value, _ int) bool {
	for _, e := range c.vals {
		if gene.Equal(v, e) {
			return true
		}
	}
	return false
}

func (c *enumC) fail(v gene.Value, _ int) *failure {
	names := make([]string, len(c.vals))
	for i, e := range c.vals {
		names[i] = text(e)
	}
	return &failure{want: "one of " + strings.Join(names, ", "), got: describe(v), lit: true}
}

func (c *enumC) value() gene.Value { return c.node("enum", nil, c.vals...) }

// refC matches what the named definition matches.
type refC struct {
	base
	d *def
}

func (c *refC) ok(v gene.Value, depth int) bool {
	return depth < maxRefDepth && c.d.c.ok(v, depth+1)
}

func (c *refC) fail(v gene.Value, depth int) *failure {
	if depth >= maxRefDepth {
		return &failure{want: "a value nested less than " + strconv.Itoa(maxRefDepth) + " references deep", got: describe(v)}
	}
	return c.d.c.fail(v, depth+1)
}

func (c *refC) value() gene.Value { return c.node("ref", nil, gene.Symbol(c.d.name)) }
