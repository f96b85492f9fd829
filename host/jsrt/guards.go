package jsrt

import (
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"

	"github.com/genehost/genehost/host/plugin"
)

// goja has no allocation limit and recurses in Go where JavaScript nests:
// one line of a script could ask a built-in for gigabytes (new
// ArrayBuffer(2**36), 'x'.repeat(2**31)), which kills the process with
// "fatal error: out of memory" before any deadline, or drive a recursion
// (JSON.parse('['.repeat(6e6))) into "fatal error: stack overflow", which
// no recover catches. The guards below refuse such calls before they
// start, with a RangeError naming the built-in, the size asked for and the
// plugin's memory limit (plugin.Limits.MemoryMB). They bound each request,
// not the sum of many (doc.go, "Limits and failures").

//go:embed guards.js
var guardsSource string

// guardsName names guards.js in stacks; like the prelude, its frames are
// skipped when an error is attributed to a line of the handler.
const guardsName = "genehost:guards.js"

var guardsProgram = sync.OnceValues(func() (*goja.Program, error) {
	return goja.Compile(guardsName, guardsSource, true)
})

const (
	// maxNesting bounds the levels of a structure a built-in recursing in
	// Go may walk: JSON.parse's text, JSON.stringify's value, flat's
	// arrays, a chain of bound functions. At about 1 KiB of Go stack a
	// level that is 10 MiB of stack at most, against Go's 1 GiB ceiling;
	// JSON.stringify's cycle check makes its time quadratic in the depth,
	// so this bounds it to a fraction of a second too.
	maxNesting = 10000
	// maxCallStack is goja's call depth limit (it is unlimited by
	// default): every JavaScript frame, including a handler calling back
	// into a built-in that calls JavaScript again, counts. Recursion
	// through built-ins ([1].map(() => f())) nests Go frames too, and the
	// StackOverflowError unwinds in time quadratic in them: 5000 keeps
	// that under a second.
	maxCallStack = 5000
	// maxJoinNesting bounds arrays joined inside arrays, and chains of
	// bound functions (each named "bound " + its target's name, so a chain
	// of n keeps names of 3n² bytes) (String(a) of
	// a = [[[...]]]): each level is a native call calling JavaScript, and
	// an exception thrown at depth d unwinds in time quadratic in d (Go
	// rescans the stack at every level goja rethrows it), 0.1 s at 1000.
	maxJoinNesting = 1000
	// valueBytes is what one array element or argument costs in goja (an
	// interface value).
	valueBytes = 16
	// regexpMatchTimeout stops one match of a backtracking regular
	// expression (regexp2, which goja uses for backreferences and
	// lookaround); see setRegexpTimeout.
	regexpMatchTimeout = time.Second
)

// setRegexpTimeout sets regexp2's match timeout, which patterns read when
// they are compiled; goja compiles a pattern when the handler is compiled
// (a literal) or runs (new RegExp), always after New. regexp2 is used in
// this program only by goja.
var setRegexpTimeout = sync.OnceFunc(func() {
	regexp2.DefaultMatchTimeout = regexpMatchTimeout
})

// guards holds an instance's limits and the state of its guarded
// built-ins. It belongs to the instance's loop goroutine.
type guards struct {
	vm         *goja.Runtime
	mb         int
	maxChars   int64 // characters of one string (2 bytes each)
	maxElems   int64 // elements of one array, or arguments of one call
	maxBytes   int64 // bytes of one buffer
	rangeError goja.Constructor
	joining    []*goja.Object // arrays being joined, outermost first
}

// installGuards wraps the built-ins of vm that allocate or recurse by a
// size the script chooses.
func installGuards(vm *goja.Runtime, l plugin.Limits) error {
	l = l.WithDefaults()
	vm.SetMaxCallStackSize(maxCallStack)
	bytes := int64(l.MemoryMB) << 20
	g := &guards{vm: vm, mb: l.MemoryMB, maxBytes: bytes, maxChars: bytes / 2, maxElems: bytes / valueBytes}
	var ok bool
	if g.rangeError, ok = goja.AssertConstructor(vm.Get("RangeError")); !ok {
		return fmt.Errorf("jsrt: guards: RangeError is not a constructor")
	}
	if err := g.constructors(); err != nil {
		return err
	}
	g.regexps()
	prog, err := guardsProgram()
	if err != nil {
		return fmt.Errorf("jsrt: compile the guards: %w", err)
	}
	fnv, err := vm.RunProgram(prog)
	if err != nil {
		return fmt.Errorf("jsrt: run the guards: %w", err)
	}
	fn, _ := goja.AssertFunction(fnv)
	lim := vm.NewObject()
	for k, v := range map[string]any{"mb": l.MemoryMB, "chars": g.maxChars, "elems": g.maxElems, "depth": maxNesting, "bindDepth": maxJoinNesting} {
		lim.Set(k, v)
	}
	nat := vm.NewObject()
	nat.Set("join", g.join)
	nat.Set("jsonDepth", g.jsonDepth)
	nat.Set("valueDepth", g.valueDepth)
	if _, err := fn(goja.Undefined(), lim, nat); err != nil {
		return fmt.Errorf("jsrt: run the guards: %w", err)
	}
	return nil
}

// throw throws a RangeError with msg from a native function.
func (g *guards) throw(msg string) {
	e, err := g.rangeError(nil, g.vm.ToValue(msg))
	if err != nil {
		panic(err)
	}
	panic(e)
}

func (g *guards) over(builtin string, n int64, unit string) {
	g.throw(fmt.Sprintf("%s: %d %s asked for, over this plugin's memory limit of %d MiB (^limits {^memory-mb N})", builtin, n, unit, g.mb))
}

func (g *guards) deep(builtin, what string) {
	g.throw(fmt.Sprintf("%s: %s nested deeper than %d levels, the limit for JavaScript run by genehost", builtin, what, maxNesting))
}

// constructors puts a proxy with a size check in front of each
// constructor that allocates by a number it is given: typed arrays (the
// length and array-like forms), ArrayBuffer, SharedArrayBuffer where it
// exists, and Array (Array(n) itself is sparse, but every built-in that
// walks it then loops n times in Go). The proxy is what the global and
// the prototype's constructor name, so instanceof, subclassing (class X
// extends Uint8Array) and species (ta.map) keep working and go through
// the check.
func (g *guards) constructors() error {
	check := map[string]func(args []goja.Value){
		"Array": func(args []goja.Value) {
			if len(args) == 1 {
				if n, ok := number(args[0]); ok && n > float64(g.maxElems) && n <= math.MaxUint32 {
					g.over("Array", int64(n), fmt.Sprintf("elements (%d bytes)", int64(n)*valueBytes))
				}
			}
		},
		"ArrayBuffer":       g.bufferCheck("ArrayBuffer"),
		"SharedArrayBuffer": g.bufferCheck("SharedArrayBuffer"),
	}
	for name, size := range map[string]int64{"Int8Array": 1, "Uint8Array": 1, "Uint8ClampedArray": 1, "Int16Array": 2, "Uint16Array": 2,
		"Int32Array": 4, "Uint32Array": 4, "Float32Array": 4, "Float64Array": 8, "BigInt64Array": 8, "BigUint64Array": 8, "Float16Array": 2} {
		check[name] = g.typedArrayCheck(name, size)
	}
	global := g.vm.GlobalObject()
	for name, chk := range check {
		target, ok := global.Get(name).(*goja.Object)
		if !ok {
			continue // not in this goja (SharedArrayBuffer, Float16Array)
		}
		ctor, ok := goja.AssertConstructor(target)
		if !ok {
			return fmt.Errorf("jsrt: guards: %s is not a constructor", name)
		}
		call, _ := goja.AssertFunction(target)
		p := g.vm.NewProxy(target, &goja.ProxyTrapConfig{
			Construct: func(_ *goja.Object, args []goja.Value, newTarget *goja.Object) *goja.Object {
				chk(args)
				o, err := ctor(newTarget, args...)
				if err != nil {
					panic(err)
				}
				return o
			},
			Apply: func(_ *goja.Object, this goja.Value, args []goja.Value) goja.Value {
				chk(args)
				v, err := call(this, args...)
				if err != nil {
					panic(err)
				}
				return v
			},
		})
		pv := g.vm.ToValue(p)
		proto, _ := target.Get("prototype").(*goja.Object)
		// goja's proxies lack the ordinary instanceof (it throws "Expecting
		// a function in instanceof check"), so the target gets its own.
		hasInstance := g.vm.ToValue(func(call goja.FunctionCall) goja.Value {
			o, ok := call.Argument(0).(*goja.Object)
			if !ok || proto == nil {
				return g.vm.ToValue(false)
			}
			for o = o.Prototype(); o != nil; o = o.Prototype() {
				if o == proto {
					return g.vm.ToValue(true)
				}
			}
			return g.vm.ToValue(false)
		}).(*goja.Object)
		hasInstance.DefineDataProperty("name", g.vm.ToValue("[Symbol.hasInstance]"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		if err := target.DefineDataPropertySymbol(goja.SymHasInstance, hasInstance, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			return fmt.Errorf("jsrt: guards: %s[Symbol.hasInstance]: %w", name, err)
		}
		if proto != nil {
			if err := proto.DefineDataProperty("constructor", pv, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
				return fmt.Errorf("jsrt: guards: %s.prototype.constructor: %w", name, err)
			}
		}
		if err := global.DefineDataProperty(name, pv, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			return fmt.Errorf("jsrt: guards: %s: %w", name, err)
		}
	}
	return nil
}

func (g *guards) bufferCheck(name string) func([]goja.Value) {
	return func(args []goja.Value) {
		if len(args) == 0 {
			return
		}
		if n, ok := number(args[0]); ok && n > float64(g.maxBytes) && n < 1<<53 {
			g.over(name, int64(n), "bytes")
		}
	}
}

// typedArrayCheck checks new T(length) and new T(arrayLike). A buffer or
// a typed array already exists (and was checked); an iterable (an array)
// grows element by element in JavaScript.
func (g *guards) typedArrayCheck(name string, size int64) func([]goja.Value) {
	return func(args []goja.Value) {
		if len(args) == 0 {
			return
		}
		n, ok := number(args[0])
		if !ok {
			o, isObj := args[0].(*goja.Object)
			if !isObj {
				return
			}
			// A buffer has no length; a typed array, a Set or a generator
			// is iterated in JavaScript. An array is iterated too, but its
			// length is known.
			if it := o.GetSymbol(goja.SymIterator); it != nil && !goja.IsUndefined(it) && o.ClassName() != "Array" {
				return
			}
			n = float64(toLength(o.Get("length")))
		}
		if n*float64(size) > float64(g.maxBytes) && n < 1<<53 {
			g.over(name, int64(n), fmt.Sprintf("elements (%d bytes)", int64(n)*size))
		}
	}
}

// toLength is ECMAScript's ToLength.
func toLength(v goja.Value) int64 {
	if v == nil {
		return 0
	}
	f := v.ToFloat()
	switch {
	case math.IsNaN(f) || f <= 0:
		return 0
	case f > 1<<53-1:
		return 1<<53 - 1
	}
	return int64(f)
}

// join is Array.prototype.join with the size of its result checked as it
// grows: the elements may be strings already at the limit, or arrays
// joined in turn.
func (g *guards) join(call goja.FunctionCall) goja.Value {
	o := call.Argument(0).ToObject(g.vm)
	for _, a := range g.joining {
		if a == o {
			return g.vm.ToValue("") // a cycle joins as "", as in goja and V8
		}
	}
	if len(g.joining) >= maxJoinNesting {
		g.throw(fmt.Sprintf("Array.prototype.join: arrays nested deeper than %d levels, the limit for JavaScript run by genehost", maxJoinNesting))
	}
	g.joining = append(g.joining, o)
	defer func() { g.joining = g.joining[:len(g.joining)-1] }()
	n := toLength(o.Get("length"))
	sepv := call.Argument(1)
	var sep goja.String
	if goja.IsUndefined(sepv) {
		sep = g.vm.ToValue(",").(goja.String)
	} else {
		sep = g.str(sepv)
	}
	if n > g.maxElems {
		g.over("Array.prototype.join", n, fmt.Sprintf("elements (%d bytes)", n*valueBytes))
	}
	if n == 0 {
		return g.vm.ToValue("")
	}
	if total := (n - 1) * int64(sep.Length()); total > g.maxChars {
		g.over("Array.prototype.join", total, fmt.Sprintf("characters (%d bytes as UTF-16)", total*2))
	}
	var b goja.StringBuilder
	var total int64
	for i := int64(0); i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
			total += int64(sep.Length())
		}
		e := o.Get(strconv.FormatInt(i, 10))
		if e == nil || goja.IsUndefined(e) || goja.IsNull(e) {
			continue
		}
		s := g.str(e)
		total += int64(s.Length())
		if total > g.maxChars {
			g.over("Array.prototype.join", total, fmt.Sprintf("characters (%d bytes as UTF-16)", total*2))
		}
		b.WriteString(s)
	}
	return b.String()
}

// str is ToString(v) as a goja.String (goja's ToString leaves a number a
// number).
func (g *guards) str(v goja.Value) goja.String {
	p := v.ToString()
	if s, ok := p.(goja.String); ok {
		return s
	}
	return g.vm.ToValue(p.String()).(goja.String)
}

// jsonDepth refuses JSON text nested deeper than maxNesting before goja's
// parser, which recurses in Go once per level, sees it. Brackets inside
// strings are skipped; malformed text is left to the parser.
func (g *guards) jsonDepth(call goja.FunctionCall) goja.Value {
	s := call.Argument(0).String()
	if len(s) <= maxNesting {
		return goja.Undefined()
	}
	depth, inStr := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
			if depth > maxNesting {
				g.deep("JSON.parse", "arrays and objects")
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return goja.Undefined()
}

// valueDepth refuses a value JSON.stringify would recurse through deeper
// than maxNesting, or whose serialisation visits more values than an array
// may hold (a value sharing itself: a = [a, a] twenty times over).
// Objects with a cycle are left to JSON.stringify, which throws.
func (g *guards) valueDepth(call goja.FunctionCall) goja.Value {
	root, ok := call.Argument(0).(*goja.Object)
	if !ok {
		return goja.Undefined()
	}
	var visits int64
	var path []*goja.Object
	var walk func(o *goja.Object)
	walk = func(o *goja.Object) {
		for _, p := range path {
			if p == o {
				return // a cycle: JSON.stringify throws on it
			}
		}
		if len(path) >= maxNesting {
			g.deep("JSON.stringify", "arrays and objects")
		}
		visits++
		if visits > g.maxElems {
			g.over("JSON.stringify", visits, "values to serialise")
		}
		path = append(path, o)
		defer func() { path = path[:len(path)-1] }()
		switch o.ClassName() {
		case "Array":
			n := toLength(o.Get("length"))
			for i := int64(0); i < n; i++ {
				if visits++; visits > g.maxElems {
					g.over("JSON.stringify", visits, "values to serialise")
				}
				if c, ok := o.Get(strconv.FormatInt(i, 10)).(*goja.Object); ok {
					walk(c)
				}
			}
		case "Object":
			for _, k := range o.Keys() {
				if c, ok := o.Get(k).(*goja.Object); ok {
					walk(c)
				}
			}
		}
	}
	walk(root)
	return goja.Undefined()
}

// regexps makes a stopped backtracking match fail its call. regexp2 gives
// up on a match after regexpMatchTimeout, but goja reads that error as "no
// match", so the script would carry on with a wrong answer. The methods a
// script matches with (test, and the ones String.prototype.match, replace,
// search and split call) are wrapped: one that ran for the timeout or
// longer with a pattern only regexp2 runs throws a RangeError instead.
// RegExp.prototype.exec is left alone: replacing it would send every
// regular expression down goja's slow generic paths (split calls exec
// once per character there), so a direct exec that times out returns
// null after regexpMatchTimeout, as does a matchAll iterator.
func (g *guards) regexps() {
	ctor, ok := g.vm.Get("RegExp").(*goja.Object)
	if !ok {
		return
	}
	proto, ok := ctor.Get("prototype").(*goja.Object)
	if !ok {
		return
	}
	wrap := func(name string, orig goja.Value, define func(goja.Value)) {
		fn, ok := goja.AssertFunction(orig)
		if !ok {
			return
		}
		o := orig.(*goja.Object)
		w := g.vm.ToValue(func(call goja.FunctionCall) goja.Value {
			start := time.Now()
			v, err := fn(call.This, call.Arguments...)
			if err != nil {
				panic(err)
			}
			if time.Since(start) >= regexpMatchTimeout {
				if rx, ok := call.This.(*goja.Object); ok && backtracking(rx.Get("source").String()) {
					g.throw(fmt.Sprintf("RegExp.prototype%s: matching /%s/ ran for %s, the limit for a regular expression with backreferences or lookaround (it backtracks); the match was abandoned",
						name, truncate(rx.Get("source").String(), 80), regexpMatchTimeout))
				}
			}
			return v
		}).(*goja.Object)
		w.DefineDataProperty("name", o.Get("name"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		w.DefineDataProperty("length", o.Get("length"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		define(w)
	}
	wrap(".test", proto.Get("test"), func(w goja.Value) {
		proto.DefineDataProperty("test", w, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	})
	for name, sym := range map[string]*goja.Symbol{"[Symbol.match]": goja.SymMatch, "[Symbol.replace]": goja.SymReplace,
		"[Symbol.search]": goja.SymSearch, "[Symbol.split]": goja.SymSplit} {
		wrap(name, proto.GetSymbol(sym), func(w goja.Value) {
			proto.DefineDataPropertySymbol(sym, w, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
		})
	}
}

// backtracking reports whether goja runs source with regexp2 rather than
// Go's regexp: it has a backreference or a lookaround.
func backtracking(source string) bool {
	for i := 0; i < len(source)-1; i++ {
		switch {
		case source[i] == '\\':
			if c := source[i+1]; c >= '1' && c <= '9' || c == 'k' {
				return true
			}
			i++
		case source[i] == '(' && source[i+1] == '?' && i+2 < len(source):
			if c := source[i+2]; c == '=' || c == '!' || c == '<' && i+3 < len(source) && (source[i+3] == '=' || source[i+3] == '!') {
				return true
			}
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
