package proto

import "math"

// Room is what a sender may send at once without waiting: Values more
// values and Bytes more payload bytes, each value at most MaxValue bytes.
type Room struct {
	Values, Bytes, MaxValue uint64
}

// Room returns what TryTake would grant now without waiting, or the
// error the Credit was closed with. It is a snapshot: grants raise it and
// other senders' takes lower it afterwards.
func (c *Credit) Room() (Room, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return Room{}, c.err
	}
	r := Room{MaxValue: math.MaxUint64}
	if c.maxValue > 0 {
		r.MaxValue = c.maxValue
	}
	if c.sent.Msgs < c.limit.Msgs {
		r.Values = c.limit.Msgs - c.sent.Msgs
	}
	if c.sent.Bytes < c.limit.Bytes {
		r.Bytes = c.limit.Bytes - c.sent.Bytes
	}
	return r, nil
}
