package proto

import (
	"fmt"
	"sync"
)

// Encoding names a payload encoding of DATA values, with its own version
// (PROTOCOL.md section 5.4).
type Encoding string

// The payload encodings of protocol version 1.
const (
	EncodingText   Encoding = "gene-text/1"
	EncodingBinary Encoding = "gene-binary/1"
)

// Known reports whether e is an encoding this package implements.
func (e Encoding) Known() bool { return e == EncodingText || e == EncodingBinary }

// Side is one end of a transport: the client that connected or the host
// that accepted.
type Side uint8

// The two sides.
const (
	SideClient Side = 1
	SideHost   Side = 2
)

// String returns "client" or "host".
func (s Side) String() string {
	switch s {
	case SideClient:
		return "client"
	case SideHost:
		return "host"
	}
	return fmt.Sprintf("side(%d)", uint8(s))
}

// Peer returns the other side.
func (s Side) Peer() Side { return 3 - s }

// Opened reports whether link id was (or may be) opened by side s: odd ids
// are the client's, even ids the host's. Id 0 belongs to neither.
func (s Side) Opened(id uint32) bool {
	if id == 0 {
		return false
	}
	return (id%2 == 1) == (s == SideClient)
}

// Direction is what a link carries, named from the host's (server's) side
// (PROTOCOL.md section 6.2).
type Direction uint8

// Directions.
const (
	DirSend     Direction = 1 // host to client only (a feed)
	DirRecv     Direction = 2 // client to host only (a sink)
	DirSendRecv Direction = 3 // both
)

// String returns the wire name: "send", "recv" or "send+recv".
func (d Direction) String() string {
	switch d {
	case DirSend:
		return "send"
	case DirRecv:
		return "recv"
	case DirSendRecv:
		return "send+recv"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// Describe explains the direction for error texts: `"send" (host to client
// only)`.
func (d Direction) Describe() string {
	switch d {
	case DirSend:
		return `"send" (host to client only)`
	case DirRecv:
		return `"recv" (client to host only)`
	case DirSendRecv:
		return `"send+recv" (both ways)`
	}
	return d.String()
}

// ParseDirection parses a wire name.
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "send":
		return DirSend, nil
	case "recv":
		return DirRecv, nil
	case "send+recv":
		return DirSendRecv, nil
	}
	return 0, protoErr(`direction %q is not "send", "recv" or "send+recv"`, s)
}

// Sends reports whether side s may send values on a link of direction d.
func (d Direction) Sends(s Side) bool {
	switch s {
	case SideHost:
		return d&DirSend != 0
	case SideClient:
		return d&DirRecv != 0
	}
	return false
}

// WrongDirection returns the WRONG_DIRECTION error for a value that side
// from sent on link of direction d.
func WrongDirection(link uint32, d Direction, from Side) *Error {
	return Errorf(CodeWrongDirection, "link %d is %s; the %s sent a value", link, d.Describe(), from)
}

// Sub is a sub-interface.
type Sub uint8

// Sub-interfaces.
const (
	SubData    Sub = 1
	SubControl Sub = 2
)

// String returns "data" or "control".
func (s Sub) String() string {
	switch s {
	case SubData:
		return "data"
	case SubControl:
		return "control"
	}
	return fmt.Sprintf("sub(%d)", uint8(s))
}

// ParseSub parses a wire name.
func ParseSub(s string) (Sub, error) {
	switch s {
	case "data":
		return SubData, nil
	case "control":
		return SubControl, nil
	}
	return 0, Errorf(CodeUnknownSubInterface, `sub-interface %q is not "data" or "control"`, s)
}

// LinkIDs hands out the ids of the links one side opens: increasing, of
// the side's parity. It is safe for concurrent use.
type LinkIDs struct {
	mu   sync.Mutex
	next uint64
	side Side
}

// NewLinkIDs returns the id allocator for side s, starting at 1 (client)
// or 2 (host).
func NewLinkIDs(s Side) *LinkIDs { return &LinkIDs{side: s, next: uint64(s)} }

// Next returns a new id, or an error when the side's ids are exhausted (the
// caller opens a new transport).
func (a *LinkIDs) Next() (uint32, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next > uint64(^uint32(0)) {
		return 0, fmt.Errorf("proto: the %s has used every link id of this transport", a.side)
	}
	id := uint32(a.next)
	a.next += 2
	return id, nil
}

// Issued reports whether id was handed out by Next: a frame from the peer
// for an id of this side that was never issued is a PROTOCOL_ERROR.
func (a *LinkIDs) Issued(id uint32) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.side.Opened(id) && uint64(id) < a.next
}

// PeerLinks checks the ids of links the peer opens (PROTOCOL.md 6.1). It
// is used by the transport's reader goroutine only.
type PeerLinks struct {
	peer    Side
	highest uint32 // highest id the peer opened, 0 if none
}

// NewPeerLinks returns the checker for links opened by peer.
func NewPeerLinks(peer Side) *PeerLinks { return &PeerLinks{peer: peer} }

// Open checks the id of an OPEN from the peer: the peer's parity and
// higher than every id it opened before. An error is a PROTOCOL_ERROR that
// closes the transport.
func (p *PeerLinks) Open(id uint32) error {
	if !p.peer.Opened(id) {
		return protoErr("the %s opened link %d, an id of the %s's parity", p.peer, id, p.peer.Peer())
	}
	if id <= p.highest {
		return protoErr("the %s opened link %d after link %d; ids must increase", p.peer, id, p.highest)
	}
	p.highest = id
	return nil
}

// Seen reports whether id is a link the peer has opened (now open or
// retired). A frame for a peer id that was never opened is a
// PROTOCOL_ERROR; one for a retired id is ignored.
func (p *PeerLinks) Seen(id uint32) bool { return p.peer.Opened(id) && id <= p.highest }

// Highest returns the highest id the peer has opened: the last of a
// GOAWAY.
func (p *PeerLinks) Highest() uint32 { return p.highest }
