package proto

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for conditions that stay local (they never cross the
// wire as such).
var (
	// ErrNoCredit is returned by the non-blocking credit and send calls
	// when the peer has not granted enough credit yet.
	ErrNoCredit = errors.New("proto: no credit")
	// ErrLinkClosed is returned by a send on a link whose queue was
	// removed (the link was reset), and by a send after the link's END.
	ErrLinkClosed = errors.New("proto: link closed for sending")
)

// Error is an error that crosses the wire: a code from the table and a
// human-readable text. REJECT, RESET and GOAWAY frames carry one, and
// every protocol violation this package detects is reported as one, with
// the code the peer should receive.
type Error struct {
	Code Code
	Msg  string // UTF-8 text for logs; programs decide on Code

	cause error // a local cause (a gene decode error), never sent
}

// Unwrap returns the local cause, if any (for example the *gene.SyntaxError
// behind a BAD_VALUE).
func (e *Error) Unwrap() error { return e.cause }

// Errorf returns an *Error with a formatted message. Invalid UTF-8 in the
// message (quoted from a peer's bytes) is replaced by U+FFFD, since the
// text may cross the wire, where all text is UTF-8.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: strings.ToValidUTF8(fmt.Sprintf(format, args...), "\uFFFD")}
}

// Wrap is Errorf with a local cause: errors.Is and errors.As see cause
// through the *Error (Unwrap), but only the code and the text cross the
// wire.
func Wrap(cause error, code Code, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.cause = cause
	return e
}

// Error returns "proto: CODE: text" (or "proto: CODE" without text).
func (e *Error) Error() string {
	if e.Msg == "" {
		return "proto: " + e.Code.String()
	}
	return "proto: " + e.Code.String() + ": " + e.Msg
}

// Is reports whether target is an *Error with the same code and either no
// message or the same message, so errors.Is(err, &proto.Error{Code:
// proto.CodeFlowControl}) matches every flow-control error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Msg == "" || t.Msg == e.Msg)
}

// CodeOf returns the code to send for err: CodeNoError for nil, the code
// of an *Error in its chain, and CodeInternal for anything else.
func CodeOf(err error) Code {
	if err == nil {
		return CodeNoError
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return CodeInternal
}

// protoErr builds a PROTOCOL_ERROR.
func protoErr(format string, args ...any) *Error {
	return Errorf(CodeProtocolError, format, args...)
}
