package jsrt

import (
	"math"
	"strconv"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/gene"
)

// A handler that sends back a value it received unchanged (an echo, a
// router) would pay for converting it to Gene again. toJS remembers, for
// the callback in progress, which Gene value each top-level object it made
// came from (conv.sources); fromJS finds the object there and checks that
// it still reads as that value (same), then returns the source value
// instead of building a new one. The check reads the object as from would
// and answers false on any doubt, so a handler that changed the value, or
// a kind same does not know, takes the ordinary path: the result is the
// one from would give either way, only cheaper.

// remember records that o was made by toJS from v.
func (c *conv) remember(o goja.Value, v gene.Value) {
	if obj, ok := o.(*goja.Object); ok {
		if c.sources == nil {
			c.sources = map[*goja.Object]gene.Value{}
		}
		c.sources[obj] = v
	}
}

// forget drops what remember recorded: the callback is over, and the
// objects may change before they are sent again.
func (c *conv) forget() { clear(c.sources) }

// source returns the Gene value v was made from if v still reads as it.
func (c *conv) source(v goja.Value) (gene.Value, bool) {
	obj, ok := v.(*goja.Object)
	if !ok || len(c.sources) == 0 {
		return gene.Value{}, false
	}
	src, ok := c.sources[obj]
	if !ok || !c.same(v, src, 0) {
		return gene.Value{}, false
	}
	return src, true
}

// same reports whether from(x) would give g exactly. depth bounds the walk
// (g is finite, so a cycle added to x ends in a mismatch anyway).
func (c *conv) same(x goja.Value, g gene.Value, depth int) bool {
	if depth > c.maxDepth || x == nil {
		return false
	}
	if o, ok := x.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(o); isFn {
			return false
		}
	}
	switch g.Kind() {
	case gene.KindNil:
		return goja.IsNull(x)
	case gene.KindVoid:
		return goja.IsUndefined(x)
	case gene.KindBool:
		b, _ := g.AsBool()
		if _, isObj := x.(*goja.Object); isObj {
			return false
		}
		xb, ok := x.Export().(bool)
		return ok && xb == b
	case gene.KindInt:
		i, ok := g.AsInt()
		if !ok || i < -maxSafe || i > maxSafe {
			return false
		}
		if _, isObj := x.(*goja.Object); isObj {
			return false
		}
		switch n := x.Export().(type) {
		case int64:
			return n == i
		case float64:
			return floatLooksInt(n) && int64(n) == i
		}
		return false
	case gene.KindFloat:
		f, _ := g.AsFloat()
		if floatLooksInt(f) {
			return false // a Float object: rare, left to from
		}
		if _, isObj := x.(*goja.Object); isObj {
			return false
		}
		n, ok := x.Export().(float64)
		return ok && math.Float64bits(n) == math.Float64bits(f)
	case gene.KindString:
		return goja.IsString(x) && x.String() == g.Str()
	case gene.KindSymbol:
		o, ok := x.(*goja.Object)
		if !ok || o.Prototype() != c.symProto {
			return false
		}
		name := o.Get("name")
		return goja.IsString(name) && name.String() == g.Str()
	case gene.KindList:
		o, ok := x.(*goja.Object)
		return ok && o.Prototype() == c.arrayProto && o.ClassName() == "Array" &&
			c.sameItems(o, g.List(), depth) && c.frozen(o) == g.Frozen()
	case gene.KindProps:
		o, ok := x.(*goja.Object)
		return ok && o.Prototype() == c.objectProto && o.ClassName() == "Object" &&
			c.sameProps(o, g.Props(), depth) && c.frozen(o) == g.Frozen()
	case gene.KindNode:
		o, ok := x.(*goja.Object)
		if !ok || o.Prototype() != c.geneProto || o.ClassName() != "Object" {
			return false
		}
		n := g.Node()
		h := o.Get("head")
		if n.HasHead {
			if h == c.noHead || !c.same(h, n.Head, depth+1) {
				return false
			}
		} else if h != c.noHead {
			return false
		}
		for _, f := range []struct {
			name string
			ps   gene.Props
		}{{"props", n.Props}, {"meta", n.Meta}} {
			po, ok := o.Get(f.name).(*goja.Object)
			if !ok || po.Prototype() != c.objectProto || po.ClassName() != "Object" || !c.sameProps(po, f.ps, depth+1) {
				return false
			}
		}
		bo, ok := o.Get("body").(*goja.Object)
		return ok && bo.ClassName() == "Array" && c.sameItems(bo, n.Body, depth+1) && c.frozen(o) == g.Frozen()
	case gene.KindDate, gene.KindTime, gene.KindDateTime:
		return c.sameTemporal(x, g)
	}
	return false
}

func (c *conv) sameItems(o *goja.Object, vs []gene.Value, depth int) bool {
	n, ok := o.Get("length").Export().(int64)
	if !ok || n != int64(len(vs)) {
		return false
	}
	for i, v := range vs {
		if !c.same(o.Get(strconv.Itoa(i)), v, depth+1) {
			return false
		}
	}
	return true
}

func (c *conv) sameProps(o *goja.Object, ps gene.Props, depth int) bool {
	keys := o.Keys()
	if len(keys) != len(ps) {
		return false
	}
	for i, p := range ps {
		if keys[i] != p.Key || p.Key == "__proto__" || !c.same(o.Get(p.Key), p.Value, depth+1) {
			return false
		}
	}
	return true
}

func (c *conv) sameTemporal(x goja.Value, g gene.Value) bool {
	o, ok := x.(*goja.Object)
	if !ok {
		return false
	}
	proto := c.dateTimeProto
	switch g.Kind() {
	case gene.KindDate:
		proto = c.dateProto
	case gene.KindTime:
		proto = c.timeProto
	}
	if o.Prototype() != proto {
		return false
	}
	t, _ := g.Temporal()
	num := func(name string, want int) bool {
		f, ok := number(o.Get(name))
		return ok && f == float64(want)
	}
	if g.Kind() != gene.KindTime && !(num("year", t.Year) && num("month", t.Month) && num("day", t.Day)) {
		return false
	}
	if g.Kind() == gene.KindDate {
		return true
	}
	if !(num("hour", t.Hour) && num("minute", t.Minute) && num("second", t.Second) && num("micro", t.Micro)) {
		return false
	}
	off := o.Get("offset")
	if t.HasOffset {
		if !num("offset", t.Offset) {
			return false
		}
	} else if off != nil && !goja.IsUndefined(off) && !goja.IsNull(off) {
		return false
	}
	z := o.Get("zone")
	if t.Zone != "" {
		return goja.IsString(z) && z.String() == t.Zone
	}
	return z == nil || goja.IsUndefined(z) || goja.IsNull(z)
}
