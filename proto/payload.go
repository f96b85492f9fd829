package proto

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// Fixed payload sizes.
const (
	// PingSize is the payload size of PING and PONG.
	PingSize   = 8
	CreditSize = 16
)

// MaxReasonBytes caps the text the Append helpers put in REJECT, RESET and
// GOAWAY; longer text is cut at a character boundary, so the frame always
// fits the smallest max-frame-bytes.
const MaxReasonBytes = 1024

// Grant is a pair of absolute credit limits (PROTOCOL.md section 8): the
// sender may have sent, in total, up to Msgs values and Bytes bytes of DATA
// payload. On link 0 only Bytes is used (the transport window).
type Grant struct {
	Msgs  uint64
	Bytes uint64
}

// AppendCreditFrame appends a CREDIT frame granting g on link (0 for the
// transport window, whose Msgs is sent as 0).
func AppendCreditFrame(dst []byte, link uint32, g Grant) []byte {
	if link == 0 {
		g.Msgs = 0
	}
	dst = AppendHeader(dst, Header{Length: CreditSize, Type: TypeCredit, Link: link})
	dst = binary.BigEndian.AppendUint64(dst, g.Msgs)
	return binary.BigEndian.AppendUint64(dst, g.Bytes)
}

// ParseCredit decodes a CREDIT payload.
func ParseCredit(p []byte) (Grant, error) {
	if len(p) != CreditSize {
		return Grant{}, protoErr("CREDIT payload has %d bytes; it must be exactly %d", len(p), CreditSize)
	}
	return Grant{Msgs: binary.BigEndian.Uint64(p[0:8]), Bytes: binary.BigEndian.Uint64(p[8:16])}, nil
}

// AppendResetFrame appends a RESET frame for link carrying e's code and
// text.
func AppendResetFrame(dst []byte, link uint32, e *Error) []byte {
	return appendReasonFrame(dst, TypeReset, link, e)
}

// AppendRejectFrame appends a REJECT frame for link carrying e's code and
// text.
func AppendRejectFrame(dst []byte, link uint32, e *Error) []byte {
	return appendReasonFrame(dst, TypeReject, link, e)
}

func appendReasonFrame(dst []byte, t Type, link uint32, e *Error) []byte {
	text := clipText(e.Msg)
	dst = AppendHeader(dst, Header{Length: uint32(2 + len(text)), Type: t, Link: link})
	dst = binary.BigEndian.AppendUint16(dst, uint16(e.Code))
	return append(dst, text...)
}

// ParseReason decodes a REJECT or RESET payload: the code and the text
// (invalid UTF-8 replaced by U+FFFD).
func ParseReason(p []byte) (*Error, error) {
	if len(p) < 2 {
		return nil, protoErr("REJECT/RESET payload has %d bytes; it needs at least 2 (the code)", len(p))
	}
	return &Error{Code: Code(binary.BigEndian.Uint16(p)), Msg: validText(p[2:])}, nil
}

// GoAway is the content of a GOAWAY frame (PROTOCOL.md sections 4.8, 7.2).
type GoAway struct {
	// Last is the highest link id opened by the receiver of the GOAWAY that
	// the sender has processed or may still process.
	Last uint32
	Code Code
	Text string
}

// Graceful reports whether the GOAWAY starts a drain (NO_ERROR or
// SHUTDOWN) rather than announcing a failing transport.
func (g GoAway) Graceful() bool { return g.Code == CodeNoError || g.Code == CodeShutdown }

// Err returns the GOAWAY as an *Error (nil for NO_ERROR).
func (g GoAway) Err() error {
	if g.Code == CodeNoError {
		return nil
	}
	return &Error{Code: g.Code, Msg: g.Text}
}

// AppendGoAwayFrame appends a GOAWAY frame.
func AppendGoAwayFrame(dst []byte, g GoAway) []byte {
	text := clipText(g.Text)
	dst = AppendHeader(dst, Header{Length: uint32(6 + len(text)), Type: TypeGoAway})
	dst = binary.BigEndian.AppendUint32(dst, g.Last)
	dst = binary.BigEndian.AppendUint16(dst, uint16(g.Code))
	return append(dst, text...)
}

// ParseGoAway decodes a GOAWAY payload.
func ParseGoAway(p []byte) (GoAway, error) {
	if len(p) < 6 {
		return GoAway{}, protoErr("GOAWAY payload has %d bytes; it needs at least 6 (last link and code)", len(p))
	}
	return GoAway{
		Last: binary.BigEndian.Uint32(p[0:4]),
		Code: Code(binary.BigEndian.Uint16(p[4:6])),
		Text: validText(p[6:]),
	}, nil
}

// AppendPingFrame appends a PING frame carrying data.
func AppendPingFrame(dst []byte, data [PingSize]byte) []byte {
	return AppendFrame(dst, TypePing, 0, 0, data[:])
}

// AppendPongFrame appends the PONG answering a PING that carried data.
func AppendPongFrame(dst []byte, data [PingSize]byte) []byte {
	return AppendFrame(dst, TypePong, 0, 0, data[:])
}

// ParsePing decodes a PING or PONG payload.
func ParsePing(p []byte) ([PingSize]byte, error) {
	var d [PingSize]byte
	if len(p) != PingSize {
		return d, protoErr("PING/PONG payload has %d bytes; it must be exactly %d", len(p), PingSize)
	}
	copy(d[:], p)
	return d, nil
}

// AppendEndFrame appends an empty DATA frame with END: the half-close of
// the sender's direction of link without a value.
func AppendEndFrame(dst []byte, link uint32) []byte {
	return AppendHeader(dst, Header{Type: TypeData, Flags: FlagEnd, Link: link})
}

// clipText makes s valid UTF-8 and cuts it to MaxReasonBytes at a
// character boundary.
func clipText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxReasonBytes {
		return s
	}
	i := MaxReasonBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
