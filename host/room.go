package host

import "github.com/genehost/genehost/proto"

// RoomLink is implemented by the host's links: Room says what a link can
// take now without waiting, in values and in bytes of the Gene binary
// encoding (gene.AppendBinary), each value within MaxValue bytes. ok is
// false when the host cannot say: the link does not send or is closed,
// or its transport encodes values otherwise (text), so a caller cannot
// count a value's bytes. A plugin runtime in another process
// (host/worker) uses it to accept sends without a round trip.
type RoomLink interface {
	Room() (r proto.Room, ok bool)
}

var _ RoomLink = (*link)(nil)

// Room implements RoomLink.
func (l *link) Room() (proto.Room, bool) {
	r, enc, ok := l.sl.SendRoom()
	if !ok || enc != proto.EncodingBinary {
		return proto.Room{}, false
	}
	if max := l.m.Flow.MaxMessageBytes; max > 0 {
		r.MaxValue = min(r.MaxValue, uint64(max))
	}
	return r, true
}
