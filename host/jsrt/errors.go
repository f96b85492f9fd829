package jsrt

import (
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/dop251/goja"

	"github.com/genehost/genehost/host/plugin"
)

// Sentinel errors.
var (
	// ErrClosed is returned by calls on a closed runtime or instance.
	ErrClosed = errors.New("jsrt: closed")
	// ErrBroken is returned by every call on an instance after one of its
	// callbacks was interrupted: the host discards it and instantiates the
	// module again.
	ErrBroken = errors.New("jsrt: instance is broken after an interrupted callback; instantiate a new one")
)

// HandlerError is a failure of plugin code: an exception thrown or a
// promise rejected by a handler, a value it produced that is not a Gene
// value, or a callback interrupted at its deadline. It names the plugin,
// the handler function, the link and, for exceptions, the place in the
// plugin's source. Err, when set, is the cause (plugin.ErrTimeout for an
// interrupt, a *gene.LimitError for an input over MaxInputBytes).
type HandlerError struct {
	Plugin  string
	Handler string        // "values()", "control.add()", "setTimeout callback", ...
	Link    plugin.LinkID // 0 when no link is concerned
	Message string        // what JavaScript said, e.g. "Error: boom"
	Where   string        // "handler.js:12:7", or ""
	Stack   string        // the JavaScript stack, one frame a line, or ""
	Err     error
}

func (e *HandlerError) Error() string {
	var b strings.Builder
	b.WriteString("jsrt: plugin ")
	b.WriteString(e.Plugin)
	b.WriteString(": ")
	b.WriteString(e.Handler)
	if e.Link != 0 {
		b.WriteString(" on link ")
		b.WriteString(strconv.FormatUint(uint64(e.Link), 10))
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Where != "" {
		b.WriteString(" at ")
		b.WriteString(e.Where)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *HandlerError) Unwrap() error { return e.Err }

// Is makes a HandlerError match plugin.ErrHandler unless it is a deadline
// (the runtime was interrupted mid-way, so the instance is broken).
func (e *HandlerError) Is(target error) bool {
	return target == plugin.ErrHandler && !errors.Is(e.Err, plugin.ErrTimeout)
}

// jsError converts an error returned by goja into a HandlerError for the
// callback in progress.
func (in *instance) jsError(err error) error {
	var ex *goja.Exception
	var intr *goja.InterruptedError
	var syn *goja.CompilerSyntaxError
	var so *goja.StackOverflowError
	switch {
	case errors.As(err, &so):
		// goja's call depth limit (guards.go) unwinds the runtime whole.
		return &HandlerError{Plugin: in.m.name, Handler: in.cur.handler, Link: in.cur.link,
			Message: fmt.Sprintf("RangeError: call stack deeper than %d frames, the limit for JavaScript run by genehost", maxCallStack), Err: err}
	case errors.As(err, &intr):
		in.interrupted = true
		return &HandlerError{Plugin: in.m.name, Handler: in.cur.handler, Link: in.cur.link, Message: "interrupted", Err: plugin.ErrTimeout}
	case errors.As(err, &ex):
		return in.thrown(ex.Value(), ex.Stack())
	case errors.As(err, &syn):
		return &HandlerError{Plugin: in.m.name, Handler: in.cur.handler, Link: in.cur.link, Message: err.Error(), Err: err}
	}
	var he *HandlerError
	if errors.As(err, &he) {
		return err
	}
	return &HandlerError{Plugin: in.m.name, Handler: in.cur.handler, Link: in.cur.link, Message: err.Error(), Err: err}
}

// thrown describes a thrown or rejected JavaScript value. stack is the
// exception's stack when goja captured one; otherwise the value's own
// stack property is read (an Error rejected from an async function).
func (in *instance) thrown(v goja.Value, stack []goja.StackFrame) *HandlerError {
	e := &HandlerError{Plugin: in.m.name, Handler: in.cur.handler, Link: in.cur.link, Message: describeThrown(v)}
	if len(stack) > 0 {
		var lines []string
		for _, f := range stack {
			p := f.Position()
			if p.Filename == "" || p.Filename == preludeName || p.Filename == guardsName {
				continue
			}
			at := fmt.Sprintf("%s:%d:%d", in.rel(p.Filename), p.Line, p.Column)
			if e.Where == "" {
				e.Where = at
			}
			if fn := f.FuncName(); fn != "" {
				at = fn + " (" + at + ")"
			}
			lines = append(lines, at)
		}
		e.Stack = strings.Join(lines, "\n")
		return e
	}
	if o, ok := v.(*goja.Object); ok {
		if s := o.Get("stack"); s != nil && !goja.IsUndefined(s) {
			var lines []string
			for _, m := range stackLine.FindAllStringSubmatch(s.String(), -1) {
				if m[1] == preludeName || m[1] == guardsName {
					continue
				}
				at := in.rel(m[1]) + ":" + m[2] + ":" + m[3]
				if e.Where == "" {
					e.Where = at
				}
				lines = append(lines, at)
			}
			e.Stack = strings.Join(lines, "\n")
		}
	}
	return e
}

// stackLine matches the file:line:col of a frame in goja's stack text.
var stackLine = regexp.MustCompile(`(?m)^\s*at (?:.*\()?([^()\s]+):(\d+):(\d+)`)

// rel shortens a path inside the plugin folder to its name there.
func (in *instance) rel(path string) string {
	if r, err := filepath.Rel(in.m.dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// describeThrown renders a thrown value: "Error: boom" for errors (name and
// message), the value itself otherwise.
func describeThrown(v goja.Value) string {
	if v == nil {
		return "undefined"
	}
	if o, ok := v.(*goja.Object); ok {
		if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
			name := "Error"
			if n := o.Get("name"); n != nil && !goja.IsUndefined(n) {
				name = n.String()
			}
			return name + ": " + m.String()
		}
	}
	return "uncaught " + describe(v)
}

// describe renders a value for an error message, briefly.
func describe(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	if _, ok := v.(*goja.Object); ok {
		return typeName(v)
	}
	s := v.String()
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	if goja.IsString(v) {
		return strconv.Quote(s)
	}
	return s
}

// typeName names the JavaScript type of v for error messages.
func typeName(v goja.Value) string {
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	if _, ok := v.(*goja.Symbol); ok {
		return "a symbol"
	}
	o, ok := v.(*goja.Object)
	if !ok {
		switch v.Export().(type) {
		case bool:
			return "a boolean"
		case string:
			return "a string"
		case int64, float64:
			return "a number"
		case *big.Int:
			return "a bigint"
		}
		return "a value"
	}
	if _, ok := goja.AssertFunction(o); ok {
		return "a function"
	}
	if c := o.Get("constructor"); c != nil {
		if co, ok := c.(*goja.Object); ok {
			if n := co.Get("name"); n != nil && n.String() != "" {
				return "an object of class " + n.String()
			}
		}
	}
	return "an object"
}
