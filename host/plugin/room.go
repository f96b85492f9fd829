package plugin

// Room is what a link can take at once without waiting: Values more
// values and Bytes more bytes of their Gene binary encoding
// (gene.AppendBinary), each value at most MaxValue bytes.
type Room struct {
	Values, Bytes, MaxValue uint64
}

// RoomHost is implemented by a Host that can say ahead of time whether
// sends on a link would go through without waiting. The worker runtime
// (host/worker) hands an instance in a worker process this room with
// each callback, so the worker answers the plugin's sends itself and
// ships them one-way instead of asking the host for each; a Host without
// it gets every send as a round trip.
type RoomHost interface {
	// Room returns the link's room now; ok is false when the host cannot
	// say (a closed link, a link that does not send, values counted in
	// another encoding). It is a snapshot: a send the caller makes on it
	// may still find less room (other senders on the link), and must then
	// wait as Send does, never be dropped.
	Room(link LinkID) (r Room, ok bool)
}
