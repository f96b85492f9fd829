package jsrt

import (
	"math"
	"math/big"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/gene"
)

// maxSafe is Number.MAX_SAFE_INTEGER: the integers a JavaScript number
// holds exactly, and so the ones that cross as plain numbers.
const maxSafe = 1<<53 - 1

// conv converts between Gene values and JavaScript values in one runtime
// (see the mapping in sdk/js/README.md). It belongs to the loop goroutine.
type conv struct {
	vm       *goja.Runtime
	maxDepth int

	noHead goja.Value // gene.NO_HEAD

	// Prototypes of the prelude's classes and of the built-ins that carry
	// Gene values; an object's prototype says what it converts to.
	symProto, charProto, floatProto, geneProto, regexProto *goja.Object
	dateProto, timeProto, dateTimeProto, linkProto         *goja.Object
	objectProto, mapProto, uint8Proto, jsDateProto         *goja.Object
	regExpProto, promiseProto, arrayProto                  *goja.Object

	mapCtor, uint8Ctor          goja.Value
	hostErrorCtor, noCreditCtor goja.Value
	freeze, isFrozen, takeTimer goja.Callable
	watchFor                    goja.Callable
	dateTimeFromDate            goja.Callable

	// path holds the objects being converted, outermost first, to refuse
	// cycles.
	path []*goja.Object

	// sources maps the objects toJS made for the callback in progress to
	// the values they came from (see convert_same.go).
	sources map[*goja.Object]gene.Value

	// items is scratch space for the elements of the arrays being made
	// (NewArray copies them), nested arrays stacked one after the other;
	// it is empty between conversions.
	items []any
}

func newConv(vm *goja.Runtime, pre *goja.Object) *conv {
	proto := func(ctor goja.Value) *goja.Object { return ctor.(*goja.Object).Get("prototype").(*goja.Object) }
	global := func(name string) goja.Value { return vm.Get(name) }
	fn := func(v goja.Value) goja.Callable { f, _ := goja.AssertFunction(v); return f }
	dt := pre.Get("GeneDateTime").(*goja.Object)
	return &conv{
		vm:               vm,
		maxDepth:         gene.Limits{}.WithDefaults().MaxDepth,
		noHead:           pre.Get("NO_HEAD"),
		symProto:         proto(pre.Get("Sym")),
		charProto:        proto(pre.Get("Char")),
		floatProto:       proto(pre.Get("Float")),
		geneProto:        proto(pre.Get("Gene")),
		regexProto:       proto(pre.Get("GeneRegex")),
		dateProto:        proto(pre.Get("GeneDate")),
		timeProto:        proto(pre.Get("GeneTime")),
		dateTimeProto:    proto(dt),
		linkProto:        proto(pre.Get("Link")),
		objectProto:      proto(global("Object")),
		mapProto:         proto(global("Map")),
		uint8Proto:       proto(global("Uint8Array")),
		jsDateProto:      proto(global("Date")),
		regExpProto:      proto(global("RegExp")),
		promiseProto:     proto(global("Promise")),
		arrayProto:       proto(global("Array")),
		mapCtor:          global("Map"),
		uint8Ctor:        global("Uint8Array"),
		hostErrorCtor:    pre.Get("HostError"),
		noCreditCtor:     pre.Get("NoCreditError"),
		freeze:           fn(pre.Get("freeze")),
		isFrozen:         fn(pre.Get("isFrozen")),
		takeTimer:        fn(pre.Get("takeTimer")),
		watchFor:         fn(pre.Get("watchFor")),
		dateTimeFromDate: fn(dt.Get("fromDate")),
	}
}

// toJS converts a Gene value. It cannot fail: every Gene value has a
// JavaScript form.
func (c *conv) toJS(v gene.Value) goja.Value {
	vm := c.vm
	switch v.Kind() {
	case gene.KindNil:
		return goja.Null()
	case gene.KindVoid:
		return goja.Undefined()
	case gene.KindBool:
		b, _ := v.AsBool()
		return vm.ToValue(b)
	case gene.KindInt:
		if i, ok := v.AsInt(); ok && i >= -maxSafe && i <= maxSafe {
			return vm.ToValue(i)
		}
		return vm.ToValue(v.BigInt())
	case gene.KindFloat:
		f, _ := v.AsFloat()
		if floatLooksInt(f) {
			o := vm.CreateObject(c.floatProto)
			o.Set("value", f)
			return o
		}
		return vm.ToValue(f)
	case gene.KindString:
		return vm.ToValue(v.Str())
	case gene.KindChar:
		r, _ := v.AsChar()
		o := vm.CreateObject(c.charProto)
		o.Set("value", string(r))
		return o
	case gene.KindSymbol:
		o := vm.CreateObject(c.symProto)
		o.Set("name", v.Str())
		return o
	case gene.KindList:
		a := c.array(v.List())
		if v.Frozen() {
			c.freeze(goja.Undefined(), a)
		}
		return a
	case gene.KindProps:
		o := c.props(v.Props())
		if v.Frozen() {
			c.freeze(goja.Undefined(), o)
		}
		return o
	case gene.KindMap:
		es := v.Entries()
		pairs := make([]any, len(es))
		for i, e := range es {
			pairs[i] = vm.NewArray(c.toJS(e.Key), c.toJS(e.Value))
		}
		m, err := vm.New(c.mapCtor, vm.NewArray(pairs...))
		if err != nil {
			// new Map(array of pairs) cannot throw unless a handler
			// replaced Map.prototype.set; fall back to an empty map
			// rather than lose the callback.
			m, _ = vm.New(c.mapCtor)
		}
		return m
	case gene.KindNode:
		return c.node(v)
	case gene.KindBytes:
		buf := vm.NewArrayBuffer(append([]byte(nil), v.Bytes()...))
		u, _ := vm.New(c.uint8Ctor, vm.ToValue(buf))
		return u
	case gene.KindRegex:
		r := v.Regex()
		o := vm.CreateObject(c.regexProto)
		o.Set("pattern", r.Pattern)
		o.Set("flags", r.Flags)
		return o
	case gene.KindDate, gene.KindTime, gene.KindDateTime:
		return c.temporal(v)
	}
	return goja.Undefined()
}

// floatLooksInt reports whether f would read back as an integer if sent as
// a plain number (a safe integer, -0 included), and so must cross as a
// Float object.
func floatLooksInt(f float64) bool {
	return f == math.Trunc(f) && math.Abs(f) <= maxSafe
}

func (c *conv) array(vs []gene.Value) *goja.Object {
	return c.arrayOf(len(vs), func(i int) goja.Value { return c.toJS(vs[i]) })
}

// arrayOf makes an array of n elements, element i being at(i), which may
// make arrays of its own, or run JavaScript that throws out of one (new
// Map calls Map.prototype.set, which a handler may replace): the defer
// gives the scratch space back either way.
func (c *conv) arrayOf(n int, at func(i int) goja.Value) *goja.Object {
	start := len(c.items)
	defer func() {
		clear(c.items[start:]) // keep no object alive
		c.items = c.items[:start]
	}()
	for i := range n {
		x := at(i)
		c.items = append(c.items, x)
	}
	return c.vm.NewArray(c.items[start:]...)
}

func (c *conv) props(ps gene.Props) *goja.Object {
	o := c.vm.NewObject()
	for _, p := range ps {
		if p.Key == "__proto__" {
			// A plain Set would change the prototype.
			o.DefineDataProperty(p.Key, c.toJS(p.Value), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE)
			continue
		}
		o.Set(p.Key, c.toJS(p.Value))
	}
	return o
}

func (c *conv) node(v gene.Value) *goja.Object {
	n := v.Node()
	o := c.vm.CreateObject(c.geneProto)
	if n.HasHead {
		o.Set("head", c.toJS(n.Head))
	} else {
		o.Set("head", c.noHead)
	}
	props, meta, body := c.props(n.Props), c.props(n.Meta), c.array(n.Body)
	o.Set("props", props)
	o.Set("meta", meta)
	o.Set("body", body)
	if v.Frozen() {
		for _, x := range []*goja.Object{props, meta, body, o} {
			c.freeze(goja.Undefined(), x)
		}
	}
	return o
}

func (c *conv) temporal(v gene.Value) *goja.Object {
	t, _ := v.Temporal()
	var o *goja.Object
	switch v.Kind() {
	case gene.KindDate:
		o = c.vm.CreateObject(c.dateProto)
	case gene.KindTime:
		o = c.vm.CreateObject(c.timeProto)
	default:
		o = c.vm.CreateObject(c.dateTimeProto)
	}
	if v.Kind() != gene.KindTime {
		o.Set("year", t.Year)
		o.Set("month", t.Month)
		o.Set("day", t.Day)
	}
	if v.Kind() != gene.KindDate {
		o.Set("hour", t.Hour)
		o.Set("minute", t.Minute)
		o.Set("second", t.Second)
		o.Set("micro", t.Micro)
		offset, zone := goja.Null(), goja.Null()
		if t.HasOffset {
			offset = c.vm.ToValue(t.Offset)
		}
		if t.Zone != "" {
			zone = c.vm.ToValue(t.Zone)
		}
		o.Set("offset", offset)
		o.Set("zone", zone)
	}
	return o
}

// bigCopy returns a copy of b for gene.BigInt, which keeps what it is
// given.
func bigCopy(b *big.Int) *big.Int { return new(big.Int).Set(b) }
