package proto

import "strconv"

// Code is a reason code from the one append-only table shared by REJECT,
// RESET and GOAWAY (PROTOCOL.md section 10). Codes are never renumbered or
// reused; a code this package does not know is kept as its number and
// treated like CodeInternal.
type Code uint16

// The codes of protocol version 1, in table order.
const (
	CodeNoError             Code = 0  // not an error: graceful close or drain
	CodeProtocolError       Code = 1  // the peer broke a protocol rule
	CodeInternal            Code = 2  // an internal failure of the sender
	CodeUnsupportedVersion  Code = 3  // protocol version not supported
	CodeUnsupportedEncoding Code = 4  // no offered payload encoding supported
	CodeFrameTooLarge       Code = 5  // a frame exceeded max-frame-bytes
	CodeMessageTooLarge     Code = 6  // a value exceeded max-message-bytes or the link window
	CodeFlowControl         Code = 7  // the peer sent more than its credit
	CodeCalm                Code = 8  // control frames too fast, or not read
	CodeKeepaliveTimeout    Code = 9  // nothing received within the keepalive deadline
	CodeShutdown            Code = 10 // the sender is shutting down or draining
	CodeTooManyLinks        Code = 11 // max-links links already open
	CodeUnknownInterface    Code = 12 // no interface of that name
	CodeUnknownSubInterface Code = 13 // no such sub-interface
	CodeWrongDirection      Code = 14 // a value against the link's direction
	CodeUnauthorized        Code = 15 // the metadata does not authorize the link
	CodeBadValue            Code = 16 // not exactly one valid Gene value within limits
	CodeSchemaMismatch      Code = 17 // a value does not match the interface's schema
	CodeSlowConsumer        Code = 18 // the peer did not return credit in time
	CodeHandlerError        Code = 19 // the interface's handler failed
	CodePluginFailed        Code = 20 // the plugin crashed or is failed
	CodeCancelled           Code = 21 // the sender no longer wants the link
	CodeUnavailable         Code = 22 // the interface is not serving now
)

// Scope tells whether a code ends one link, the whole transport, or may
// do either.
type Scope uint8

// Scopes of codes.
const (
	ScopeLink      Scope = iota + 1 // REJECT or RESET
	ScopeTransport                  // GOAWAY, then the transport closes
	ScopeBoth                       // either
)

// String returns "link", "transport" or "both".
func (s Scope) String() string {
	switch s {
	case ScopeLink:
		return "link"
	case ScopeTransport:
		return "transport"
	case ScopeBoth:
		return "both"
	}
	return "scope(" + strconv.Itoa(int(s)) + ")"
}

type codeInfo struct {
	name    string
	scope   Scope
	meaning string
}

// codeTable is the source of truth for names and meanings; a test checks
// it against the table in PROTOCOL.md.
var codeTable = [...]codeInfo{
	CodeNoError:             {"NO_ERROR", ScopeBoth, "not an error: graceful close or drain"},
	CodeProtocolError:       {"PROTOCOL_ERROR", ScopeBoth, "the peer broke a rule of this protocol; the text says which"},
	CodeInternal:            {"INTERNAL", ScopeBoth, "an internal failure of the sender, not caused by the peer"},
	CodeUnsupportedVersion:  {"UNSUPPORTED_VERSION", ScopeTransport, "the protocol version is not supported"},
	CodeUnsupportedEncoding: {"UNSUPPORTED_ENCODING", ScopeTransport, "none of the offered payload encodings is supported"},
	CodeFrameTooLarge:       {"FRAME_TOO_LARGE", ScopeTransport, "a frame exceeded max-frame-bytes"},
	CodeMessageTooLarge:     {"MESSAGE_TOO_LARGE", ScopeLink, "a value exceeded max-message-bytes or the link's initial byte window"},
	CodeFlowControl:         {"FLOW_CONTROL", ScopeBoth, "the peer sent more than its credit (on link 0: the transport window)"},
	CodeCalm:                {"CALM", ScopeTransport, "the peer sent control frames faster than the rate limit, or does not read them"},
	CodeKeepaliveTimeout:    {"KEEPALIVE_TIMEOUT", ScopeTransport, "nothing received within the keepalive deadline"},
	CodeShutdown:            {"SHUTDOWN", ScopeBoth, "the sender is shutting down or draining"},
	CodeTooManyLinks:        {"TOO_MANY_LINKS", ScopeLink, "max-links links are already open on the transport, or the host's limit of links across its transports"},
	CodeUnknownInterface:    {"UNKNOWN_INTERFACE", ScopeLink, "no interface of that name"},
	CodeUnknownSubInterface: {"UNKNOWN_SUB_INTERFACE", ScopeLink, "the interface has no such sub-interface"},
	CodeWrongDirection:      {"WRONG_DIRECTION", ScopeLink, "a value against the link's direction, or a direction the interface does not offer"},
	CodeUnauthorized:        {"UNAUTHORIZED", ScopeLink, "the metadata does not authorize this link"},
	CodeBadValue:            {"BAD_VALUE", ScopeLink, "a payload is not exactly one valid Gene value within the Gene limits"},
	CodeSchemaMismatch:      {"SCHEMA_MISMATCH", ScopeLink, "a value does not match the interface's schema; the text names the path"},
	CodeSlowConsumer:        {"SLOW_CONSUMER", ScopeLink, "the peer did not return credit within the stall timeout"},
	CodeHandlerError:        {"HANDLER_ERROR", ScopeLink, "the interface's handler failed on this link (its own error; the plugin instance is kept)"},
	CodePluginFailed:        {"PLUGIN_FAILED", ScopeLink, "the plugin code serving the link crashed, or the plugin is failed (cannot load or start)"},
	CodeCancelled:           {"CANCELLED", ScopeLink, "the sender no longer wants the link"},
	CodeUnavailable:         {"UNAVAILABLE", ScopeBoth, "the interface exists but is not serving now (paused, draining, reloading), or the host is over a global limit (connections, memory): retry later"},
}

// Codes returns every code this package knows, in table order.
func Codes() []Code {
	cs := make([]Code, len(codeTable))
	for i := range codeTable {
		cs[i] = Code(i)
	}
	return cs
}

// Known reports whether c is in this version's table.
func (c Code) Known() bool { return int(c) < len(codeTable) }

// String returns the code's name ("FLOW_CONTROL"), or "CODE(99)" for a code
// this package does not know.
func (c Code) String() string {
	if c.Known() {
		return codeTable[c].name
	}
	return "CODE(" + strconv.Itoa(int(c)) + ")"
}

// Meaning returns the one-line meaning from the table, or "" for an
// unknown code.
func (c Code) Meaning() string {
	if c.Known() {
		return codeTable[c].meaning
	}
	return ""
}

// Scope returns where the code applies. Unknown codes have ScopeBoth.
func (c Code) Scope() Scope {
	if c.Known() {
		return codeTable[c].scope
	}
	return ScopeBoth
}

// ParseCode returns the code named name (as String returns it).
func ParseCode(name string) (Code, bool) {
	for i := range codeTable {
		if codeTable[i].name == name {
			return Code(i), true
		}
	}
	return 0, false
}
