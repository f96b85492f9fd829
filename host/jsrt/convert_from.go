package jsrt

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/gene"
)

// convError is a JavaScript value that has no Gene form. path is built
// while the error unwinds, so successful conversions pay nothing for it.
type convError struct {
	path []string // innermost last once reversed
	msg  string
}

func (e *convError) Error() string {
	if len(e.path) == 0 {
		return e.msg
	}
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		b.WriteString(e.path[i])
	}
	return "at " + b.String() + ": " + e.msg
}

func (e *convError) in(seg string) *convError {
	e.path = append(e.path, seg)
	return e
}

func convErrorf(format string, args ...any) *convError {
	return &convError{msg: fmt.Sprintf(format, args...)}
}

// fromJS converts a JavaScript value to a Gene value. Functions, symbols,
// cycles, objects of classes with no Gene form, and malformed instances
// of the prelude's classes are refused with an error that names where in
// the value the problem is.
func (c *conv) fromJS(v goja.Value) (gene.Value, error) {
	if g, ok := c.source(v); ok {
		return g, nil
	}
	c.path = c.path[:0]
	g, err := c.from(v)
	if err != nil {
		return gene.Value{}, err
	}
	return g, nil
}

func (c *conv) from(v goja.Value) (gene.Value, *convError) {
	if v == nil || goja.IsUndefined(v) {
		return gene.Void(), nil
	}
	if goja.IsNull(v) {
		return gene.Nil(), nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return c.primitive(v)
	}
	if _, ok := goja.AssertFunction(o); ok {
		return gene.Value{}, convErrorf("a function has no Gene form")
	}
	for _, p := range c.path {
		if p == o {
			return gene.Value{}, convErrorf("the value contains itself (a cycle)")
		}
	}
	if len(c.path) >= c.maxDepth {
		return gene.Value{}, convErrorf("nested deeper than %d", c.maxDepth)
	}
	c.path = append(c.path, o)
	g, err := c.object(o)
	c.path = c.path[:len(c.path)-1]
	return g, err
}

func (c *conv) primitive(v goja.Value) (gene.Value, *convError) {
	if _, ok := v.(*goja.Symbol); ok {
		return gene.Value{}, convErrorf("a JavaScript symbol has no Gene form (use gene.sym(name) for a Gene symbol)")
	}
	switch x := v.Export().(type) {
	case bool:
		return gene.Bool(x), nil
	case int64:
		if x >= -maxSafe && x <= maxSafe {
			return gene.Int(x), nil
		}
		return gene.Float(float64(x)), nil
	case float64:
		if floatLooksInt(x) {
			return gene.Int(int64(x)), nil
		}
		return gene.Float(x), nil
	case string:
		return gene.String(x), nil
	case *big.Int:
		return gene.BigInt(bigCopy(x)), nil
	}
	return gene.Value{}, convErrorf("a JavaScript symbol has no Gene form (use gene.sym(name) for a Gene symbol)")
}

func (c *conv) object(o *goja.Object) (gene.Value, *convError) {
	switch proto := o.Prototype(); {
	case proto == c.objectProto || proto == nil:
		if o.ClassName() == "Array" {
			break
		}
		ps, err := c.propsOf(o)
		if err != nil {
			return gene.Value{}, err
		}
		g := gene.PropMap(ps...)
		if c.frozen(o) {
			g = g.Freeze()
		}
		return g, nil
	case proto == c.symProto:
		s, err := c.str(o, "name")
		return gene.Symbol(s), err
	case proto == c.charProto:
		s, err := c.str(o, "value")
		if err != nil {
			return gene.Value{}, err
		}
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || n != len(s) {
			return gene.Value{}, convErrorf("Char.value must be exactly one character, got %q", s)
		}
		return gene.Char(r), nil
	case proto == c.floatProto:
		f, ok := o.Get("value").Export().(float64)
		if !ok {
			i, isInt := o.Get("value").Export().(int64)
			if !isInt {
				return gene.Value{}, convErrorf("Float.value must be a number")
			}
			f = float64(i)
		}
		return gene.Float(f), nil
	case proto == c.geneProto:
		return c.nodeOf(o)
	case proto == c.regexProto:
		p, err := c.str(o, "pattern")
		if err != nil {
			return gene.Value{}, err
		}
		f, err := c.str(o, "flags")
		if err != nil {
			return gene.Value{}, err
		}
		if strings.Trim(f, "imsx") != "" {
			return gene.Value{}, convErrorf("GeneRegex.flags must be made of i, m, s and x, got %q", f)
		}
		return gene.RegexValue(p, f), nil
	case proto == c.dateProto || proto == c.timeProto || proto == c.dateTimeProto:
		return c.temporalOf(o, proto)
	case proto == c.mapProto:
		return c.mapOf(o)
	case proto == c.uint8Proto:
		var b []byte
		if err := c.vm.ExportTo(o, &b); err != nil {
			return gene.Value{}, convErrorf("cannot read the Uint8Array: %v", err)
		}
		return gene.Bytes(append([]byte(nil), b...)), nil
	case proto == c.jsDateProto:
		t, ok := o.Export().(time.Time)
		if !ok || t.IsZero() {
			return gene.Value{}, convErrorf("an invalid Date has no Gene form")
		}
		t = t.UTC()
		return gene.DateTime(gene.Temporal{Year: t.Year(), Month: int(t.Month()), Day: t.Day(), Hour: t.Hour(),
			Minute: t.Minute(), Second: t.Second(), Micro: t.Nanosecond() / 1000, HasOffset: true}), nil
	case proto == c.regExpProto:
		src, flags := o.Get("source").String(), o.Get("flags").String()
		if strings.Trim(flags, "ims") != "" {
			return gene.Value{}, convErrorf("a RegExp with flags %q has no Gene form (Gene regex flags are i, m, s, x); use new GeneRegex(pattern, flags)", flags)
		}
		return gene.RegexValue(src, flags), nil
	case proto == c.promiseProto:
		return gene.Value{}, convErrorf("a Promise has no Gene form (missing await?)")
	}
	if o.ClassName() == "Array" {
		return c.listOf(o)
	}
	return gene.Value{}, convErrorf("%s has no Gene form", typeName(o))
}

// frozen reports Object.isFrozen(o).
func (c *conv) frozen(o *goja.Object) bool {
	r, err := c.isFrozen(goja.Undefined(), o)
	return err == nil && r.ToBoolean()
}

func (c *conv) str(o *goja.Object, field string) (string, *convError) {
	v := o.Get(field)
	if !goja.IsString(v) {
		return "", convErrorf("%s.%s must be a string, got %s", className(o), field, typeName(v))
	}
	return v.String(), nil
}

func className(o *goja.Object) string {
	if c, ok := o.Get("constructor").(*goja.Object); ok {
		return c.Get("name").String()
	}
	return "object"
}

func (c *conv) listOf(o *goja.Object) (gene.Value, *convError) {
	n := o.Get("length").ToInteger()
	if n > int64(gene.DefaultMaxElements) {
		return gene.Value{}, convErrorf("an array of %d elements is over the limit of %d", n, gene.DefaultMaxElements)
	}
	vs := make([]gene.Value, n)
	for i := range vs {
		g, err := c.from(o.Get(strconv.Itoa(i)))
		if err != nil {
			return gene.Value{}, err.in("[" + strconv.Itoa(i) + "]")
		}
		vs[i] = g
	}
	g := gene.List(vs...)
	if c.frozen(o) {
		g = g.Freeze()
	}
	return g, nil
}

func (c *conv) propsOf(o *goja.Object) (gene.Props, *convError) {
	keys := o.Keys()
	ps := make(gene.Props, len(keys))
	for i, k := range keys {
		g, err := c.from(o.Get(k))
		if err != nil {
			return nil, err.in("." + k)
		}
		ps[i] = gene.Prop{Key: k, Value: g}
	}
	return ps, nil
}

// mapOf reads a JavaScript Map as a general map. Its keys are checked for
// duplicates by gene.DuplicateKey, O(n) expected however they are shaped,
// and bounded as the Gene readers bound a received map: at most
// gene.DefaultMaxElements entries, of which at most
// gene.DefaultMaxCompositeKeys lists, prop maps, general maps or nodes.
func (c *conv) mapOf(o *goja.Object) (gene.Value, *convError) {
	var es []gene.Entry
	var err *convError
	i, composite := 0, 0
	c.vm.ForOf(o, func(pair goja.Value) bool {
		if i >= gene.DefaultMaxElements {
			err = convErrorf("a Map of more than %d entries is over the limit of %d", gene.DefaultMaxElements, gene.DefaultMaxElements)
			return false
		}
		p, ok := pair.(*goja.Object)
		if !ok {
			err = convErrorf("a Map entry is not a [key, value] pair")
			return false
		}
		var k, v gene.Value
		if k, err = c.from(p.Get("0")); err != nil {
			err = err.in(fmt.Sprintf("{key %d}", i))
			return false
		}
		switch k.Kind() {
		case gene.KindList, gene.KindProps, gene.KindMap, gene.KindNode:
			if composite++; composite > gene.DefaultMaxCompositeKeys {
				err = convErrorf("a Map with more than %d keys that are arrays, objects, Maps or Genes is over the limit of %d (MaxCompositeKeys)",
					gene.DefaultMaxCompositeKeys, gene.DefaultMaxCompositeKeys).in(fmt.Sprintf("{key %d}", i))
				return false
			}
		}
		if v, err = c.from(p.Get("1")); err != nil {
			err = err.in(fmt.Sprintf("{%d}", i))
			return false
		}
		es = append(es, gene.Entry{Key: k, Value: v})
		i++
		return true
	})
	if err != nil {
		return gene.Value{}, err
	}
	if i, _ := gene.DuplicateKey(es); i >= 0 {
		return gene.Value{}, convErrorf("two keys are the same Gene value (%s)", describeGene(es[i].Key)).in(fmt.Sprintf("{key %d}", i))
	}
	return gene.Map(es...), nil
}

func describeGene(v gene.Value) string {
	s := v.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

func (c *conv) nodeOf(o *goja.Object) (gene.Value, *convError) {
	n := &gene.Node{}
	if h := o.Get("head"); h != c.noHead {
		g, err := c.from(h)
		if err != nil {
			return gene.Value{}, err.in(".head")
		}
		n.Head, n.HasHead = g, true
	}
	for _, f := range []struct {
		name string
		dst  *gene.Props
	}{{"props", &n.Props}, {"meta", &n.Meta}} {
		v := o.Get(f.name)
		if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
			continue
		}
		po, ok := v.(*goja.Object)
		if !ok || (po.Prototype() != c.objectProto && po.Prototype() != nil) || po.ClassName() == "Array" {
			return gene.Value{}, convErrorf("Gene.%s must be a plain object, got %s", f.name, typeName(v))
		}
		ps, err := c.propsOf(po)
		if err != nil {
			return gene.Value{}, err.in("." + f.name)
		}
		*f.dst = ps
	}
	if v := o.Get("body"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
		bo, ok := v.(*goja.Object)
		if !ok || bo.ClassName() != "Array" {
			return gene.Value{}, convErrorf("Gene.body must be an array, got %s", typeName(v))
		}
		l, err := c.listOf(bo)
		if err != nil {
			return gene.Value{}, err.in(".body")
		}
		n.Body = l.List()
	}
	g := gene.NodeValue(n)
	if c.frozen(o) {
		g = g.Freeze()
	}
	return g, nil
}

func (c *conv) temporalOf(o *goja.Object, proto *goja.Object) (gene.Value, *convError) {
	var t gene.Temporal
	field := func(name string, dst *int, min, max int) *convError {
		v := o.Get(name)
		f, ok := number(v)
		if !ok || f != math.Trunc(f) || f < float64(min) || f > float64(max) {
			return convErrorf("%s.%s must be an integer from %d to %d, got %s", className(o), name, min, max, describe(v))
		}
		*dst = int(f)
		return nil
	}
	type spec struct {
		name     string
		dst      *int
		min, max int
	}
	var specs []spec
	if proto != c.timeProto {
		specs = append(specs, spec{"year", &t.Year, -999999, 999999}, spec{"month", &t.Month, 1, 12}, spec{"day", &t.Day, 1, 31})
	}
	if proto != c.dateProto {
		specs = append(specs, spec{"hour", &t.Hour, 0, 23}, spec{"minute", &t.Minute, 0, 59},
			spec{"second", &t.Second, 0, 60}, spec{"micro", &t.Micro, 0, 999999})
	}
	for _, s := range specs {
		if err := field(s.name, s.dst, s.min, s.max); err != nil {
			return gene.Value{}, err
		}
	}
	switch proto {
	case c.dateProto:
		return gene.Date(t), nil
	}
	if v := o.Get("offset"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
		if err := field("offset", &t.Offset, -1439, 1439); err != nil {
			return gene.Value{}, err
		}
		t.HasOffset = true
	}
	if v := o.Get("zone"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
		z, err := c.str(o, "zone")
		if err != nil {
			return gene.Value{}, err
		}
		t.Zone = z
	}
	if proto == c.timeProto {
		return gene.Time(t), nil
	}
	return gene.DateTime(t), nil
}

// number returns v as a float64 if it is a JavaScript number. Nothing is
// converted: the guards rely on that, since a constructor given an object
// reads it as an array-like or a buffer.
func number(v goja.Value) (float64, bool) {
	if v == nil {
		return 0, false
	}
	switch x := v.Export().(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
