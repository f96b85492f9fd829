package schema

import (
	"errors"
	"strings"
)

// Sentinel errors. ParseError matches ErrInvalid and ValidationError matches
// ErrMismatch with errors.Is.
var (
	// ErrInvalid matches every error parsing a schema.
	ErrInvalid = errors.New("schema: invalid schema")
	// ErrMismatch matches every error validating a value.
	ErrMismatch = errors.New("schema: value does not match")
)

// ParseError reports a schema value that Parse cannot compile.
type ParseError struct {
	// Def is the definition the problem is in, or "" for the schema itself.
	Def string
	// Path locates the offending part inside the schema value (or inside
	// the definition), in the notation of ValidationError.Path; "" is the
	// whole value.
	Path string
	// Msg says what is wrong.
	Msg string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("schema: ")
	if e.Def != "" {
		b.WriteString("definition ")
		b.WriteString(e.Def)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString("at ")
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true for every ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrInvalid }

// ValidationError reports the first place where a value does not match a
// schema.
//
// Path locates that place from the top of the value, as segments joined by
// "/": `^key` is the value of a prop (in a prop map or in a node's props),
// `[i]` is element i (from 0) of a list or of a node's body, `(head)` is a
// node's head, `(props)` and `(body)` are a node's props or body as a whole
// (when their size is wrong), `{k}` is the value of a general map under key
// k (k in Gene text) and `{k}/(key)` is that key itself. The empty path is
// the whole value. Example: `^items/[2]/^name`.
//
// Want says what the schema expects there and Got describes what was found
// (its kind and a short rendering, or "missing key").
type ValidationError struct {
	Path string
	Want string
	Got  string
}

func (e *ValidationError) Error() string {
	if e.Path == "" {
		return "schema: want " + e.Want + ", got " + e.Got
	}
	return "schema: at " + e.Path + ": want " + e.Want + ", got " + e.Got
}

// Is makes errors.Is(err, ErrMismatch) true for every ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrMismatch }

// failure is a ValidationError under construction: the checkers build it
// only after a value failed, and add path segments while unwinding.
type failure struct {
	segs []string // innermost first
	want string
	got  string
	// kind and lit tell one-of which alternatives did not apply at all: a
	// value of the wrong kind, or a literal (a discriminator such as a
	// message tag) that did not match.
	kind, lit bool
}

func (f *failure) at(seg string) *failure {
	f.segs = append(f.segs, seg)
	return f
}

// notApplicable reports whether f says "this alternative is not the one
// meant" rather than "this alternative is meant but wrong inside".
func (f *failure) notApplicable() bool {
	switch len(f.segs) {
	case 0:
		return f.kind || f.lit
	case 1:
		return f.lit
	}
	return false
}

func (f *failure) path() string {
	n := len(f.segs)
	if n == 0 {
		return ""
	}
	var b strings.Builder
	for i := n - 1; i >= 0; i-- {
		b.WriteString(f.segs[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	return b.String()
}

func (f *failure) err() *ValidationError {
	return &ValidationError{Path: f.path(), Want: f.want, Got: f.got}
}
