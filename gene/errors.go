package gene

import "errors"

// Sentinel errors. Typed errors (SyntaxError, LimitError, ...) match one of
// these with errors.Is.
var (
	// ErrSyntax matches every error reading Gene text.
	ErrSyntax = errors.New("gene: syntax error")
	// ErrIncomplete matches a read error where more input could still
	// complete the value (an open '(' or an unterminated string at the end
	// of the input). A streaming decoder waits for more bytes instead.
	ErrIncomplete = errors.New("gene: incomplete value")
	// ErrLimit matches every LimitError.
	ErrLimit = errors.New("gene: limit exceeded")
	// ErrBinary matches every error decoding the binary encoding.
	ErrBinary = errors.New("gene: invalid binary encoding")
)
