package proto

// Room is what a sender may send at once without waiting: Values more
// values and Bytes more payload bytes, each value at most MaxValue bytes
// (host/internal/flow's Credit.Room computes it; host.RoomLink shows it).
type Room struct {
	Values, Bytes, MaxValue uint64
}
