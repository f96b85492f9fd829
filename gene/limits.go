package gene

import "fmt"

// Limits bound what a reader or binary decoder accepts (NOTATION.md
// section 7). The caller sets them and the wire handshake announces them. A
// zero field means the default; a negative field means no limit.
type Limits struct {
	// MaxDepth is the deepest nesting of lists, maps and nodes. Default 256.
	MaxDepth int
	// MaxElements is the most elements in one container (list items, map
	// entries, node props plus meta plus body). Default 1<<20.
	MaxElements int
	// MaxStringBytes is the longest string, symbol, regex pattern or bytes
	// value, in bytes after decoding. Default 16 MiB.
	MaxStringBytes int
	// MaxIntDigits is the most decimal digits in one integer. Default 4096.
	MaxIntDigits int
	// MaxValueBytes is the most bytes of input one top-level value may span.
	// Default 64 MiB.
	MaxValueBytes int
	// MaxCompositeKeys is the most keys of one general map that are lists,
	// prop maps, general maps or nodes. Such keys are hashed and compared
	// whole, and a JavaScript handler gets each as an object of its own, so
	// they cost far more than scalar keys. Default 4096. It is not announced
	// in the wire handshake: both sides apply their own.
	MaxCompositeKeys int
}

// Default limits.
const (
	DefaultMaxDepth       = 256
	DefaultMaxElements    = 1 << 20
	DefaultMaxStringBytes = 16 << 20
	DefaultMaxIntDigits   = 4096
	DefaultMaxValueBytes  = 64 << 20
	// DefaultMaxCompositeKeys is the default of Limits.MaxCompositeKeys.
	DefaultMaxCompositeKeys = 4096
)

// unlimited stands for "no limit" after defaults are applied.
const unlimited = int(^uint(0) >> 1)

// WithDefaults returns l with zero fields replaced by the defaults and
// negative fields by the largest int, so callers compare against it directly.
func (l Limits) WithDefaults() Limits {
	fix := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return unlimited
		}
		return v
	}
	l.MaxDepth = fix(l.MaxDepth, DefaultMaxDepth)
	l.MaxElements = fix(l.MaxElements, DefaultMaxElements)
	l.MaxStringBytes = fix(l.MaxStringBytes, DefaultMaxStringBytes)
	l.MaxIntDigits = fix(l.MaxIntDigits, DefaultMaxIntDigits)
	l.MaxValueBytes = fix(l.MaxValueBytes, DefaultMaxValueBytes)
	l.MaxCompositeKeys = fix(l.MaxCompositeKeys, DefaultMaxCompositeKeys)
	return l
}

// LimitError reports a value refused because it exceeds a limit. It
// matches ErrLimit with errors.Is.
type LimitError struct {
	Limit string // the Limits field name, e.g. "MaxDepth"
	Max   int    // the limit in force
	// Where is a position ("3:14" in text, "offset 1024" in binary), or "".
	Where string
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("gene: value exceeds %s (%d)", validText(e.Limit), e.Max)
	if e.Where != "" {
		s += " at " + validText(e.Where)
	}
	return s
}

// Is makes errors.Is(err, ErrLimit) true for every LimitError.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }
