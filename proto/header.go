package proto

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// HeaderSize is the size in bytes of every frame header: u32 payload
// length, u8 type, u8 flags, u32 link id, big-endian.
const HeaderSize = 10

// HandshakeMaxBytes is the frame payload limit in force until the
// handshake is complete: HELLO and WELCOME never exceed it.
const HandshakeMaxBytes = 65536

// Type is a frame type (PROTOCOL.md section 4).
type Type uint8

// The frame types of protocol version 1. Type 0 is never valid.
const (
	TypeHello   Type = 0x01 // client's handshake, link 0
	TypeWelcome Type = 0x02 // host's handshake answer, link 0
	TypeOpen    Type = 0x03 // open a link
	TypeAccept  Type = 0x04 // accept an OPEN
	TypeReject  Type = 0x05 // refuse an OPEN: code + text
	TypeData    Type = 0x06 // a fragment of one encoded value
	TypeCredit  Type = 0x07 // absolute credit limits for a link, or the transport window on link 0
	TypeReset   Type = 0x08 // abort a link: code + text
	TypePing    Type = 0x09 // 8 opaque bytes, link 0
	TypePong    Type = 0x0A // the PING's 8 bytes, link 0
	TypeGoAway  Type = 0x0B // last link, code, text; link 0
)

var typeNames = [...]string{
	TypeHello: "HELLO", TypeWelcome: "WELCOME", TypeOpen: "OPEN", TypeAccept: "ACCEPT",
	TypeReject: "REJECT", TypeData: "DATA", TypeCredit: "CREDIT", TypeReset: "RESET",
	TypePing: "PING", TypePong: "PONG", TypeGoAway: "GOAWAY",
}

// Known reports whether t is a frame type of this protocol version.
func (t Type) Known() bool { return t >= TypeHello && t <= TypeGoAway }

// String returns the type's name ("DATA"), or "TYPE(0x40)" if unknown.
func (t Type) String() string {
	if t.Known() {
		return typeNames[t]
	}
	return fmt.Sprintf("TYPE(0x%02x)", uint8(t))
}

// Flags are the flag bits of a frame header.
type Flags uint8

// Flag bits. FlagIgnorable applies to every type; the others to DATA.
const (
	FlagMore      Flags = 0x01 // DATA: the value continues in the next DATA frame of the link
	FlagEnd       Flags = 0x02 // DATA: the sender's direction ends after this frame
	FlagIgnorable Flags = 0x80 // a peer that does not know the type skips the frame
)

// String returns the set flags joined by "|" ("MORE|END"), or "0".
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for _, b := range []struct {
		f    Flags
		name string
	}{{FlagMore, "MORE"}, {FlagEnd, "END"}, {FlagIgnorable, "IGNORABLE"}} {
		if f&b.f != 0 {
			parts = append(parts, b.name)
			f &^= b.f
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("0x%02x", uint8(f)))
	}
	return strings.Join(parts, "|")
}

// Header is a decoded frame header.
type Header struct {
	Length uint32 // payload length in bytes, not counting the header
	Type   Type
	Flags  Flags
	Link   uint32 // link id; 0 is the transport
}

// String formats the header for logs: "DATA link=3 flags=MORE len=100".
func (h Header) String() string {
	return h.Type.String() + " link=" + strconv.FormatUint(uint64(h.Link), 10) +
		" flags=" + h.Flags.String() + " len=" + strconv.FormatUint(uint64(h.Length), 10)
}

// AppendHeader appends the 10-byte encoding of h to dst.
func AppendHeader(dst []byte, h Header) []byte {
	dst = binary.BigEndian.AppendUint32(dst, h.Length)
	dst = append(dst, byte(h.Type), byte(h.Flags))
	return binary.BigEndian.AppendUint32(dst, h.Link)
}

// ParseHeader decodes the first HeaderSize bytes of b. It checks nothing
// but the size of b; Check validates the header.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("proto: frame header needs %d bytes, have %d", HeaderSize, len(b))
	}
	return Header{
		Length: binary.BigEndian.Uint32(b[0:4]),
		Type:   Type(b[4]),
		Flags:  Flags(b[5]),
		Link:   binary.BigEndian.Uint32(b[6:10]),
	}, nil
}

// Check validates h against the frame payload limit maxPayload and the
// structural rules of PROTOCOL.md section 4 that the header alone decides:
// the length limit (CodeFrameTooLarge), unknown types without
// FlagIgnorable, link id 0 where it is not allowed or non-zero where it
// must be 0, fixed payload sizes, and DATA flag combinations (all
// CodeProtocolError). Every error is an *Error that closes the transport.
// An unknown type with FlagIgnorable passes, whatever its link id, so the
// caller can skip it; type 0x00 never passes.
func (h Header) Check(maxPayload uint32) error {
	if h.Length > maxPayload {
		return Errorf(CodeFrameTooLarge, "%s frame on link %d has a %d-byte payload; the limit is %d",
			h.Type, h.Link, h.Length, maxPayload)
	}
	if h.Type == 0 {
		// Reserved so that a zeroed header (a stream out of step,
		// zero-filled memory) is caught, whatever its flags.
		return protoErr("frame type 0x00 on link %d is never valid, IGNORABLE or not", h.Link)
	}
	if !h.Type.Known() {
		if h.Flags&FlagIgnorable != 0 {
			return nil
		}
		return protoErr("unknown frame type 0x%02x on link %d without the IGNORABLE flag", uint8(h.Type), h.Link)
	}
	switch h.Type {
	case TypeHello, TypeWelcome, TypePing, TypePong, TypeGoAway:
		if h.Link != 0 {
			return protoErr("%s frame on link %d; it must be on link 0", h.Type, h.Link)
		}
	case TypeOpen, TypeAccept, TypeReject, TypeData, TypeReset:
		if h.Link == 0 {
			return protoErr("%s frame on link 0; it needs a link id", h.Type)
		}
	}
	var want uint32
	switch h.Type {
	case TypePing, TypePong:
		want = PingSize
	case TypeCredit:
		want = CreditSize
	case TypeReject, TypeReset:
		if h.Length < 2 {
			return protoErr("%s frame on link %d has a %d-byte payload; it needs at least 2 (the code)", h.Type, h.Link, h.Length)
		}
		return nil
	case TypeGoAway:
		if h.Length < 6 {
			return protoErr("GOAWAY frame has a %d-byte payload; it needs at least 6 (last link and code)", h.Length)
		}
		return nil
	case TypeData:
		if h.Flags&(FlagMore|FlagEnd) == FlagMore|FlagEnd {
			return protoErr("DATA frame on link %d has both MORE and END", h.Link)
		}
		if h.Length == 0 && h.Flags&FlagEnd == 0 {
			return protoErr("empty DATA frame on link %d without END", h.Link)
		}
		return nil
	default:
		return nil
	}
	if h.Length != want {
		return protoErr("%s frame on link %d has a %d-byte payload; it must be exactly %d", h.Type, h.Link, h.Length, want)
	}
	return nil
}
