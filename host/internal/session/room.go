package session

import "github.com/genehost/genehost/proto"

// SendRoom returns what the link can send now without waiting (its
// credit, within the transport window for a data link, each value within
// max-message-bytes) and the encoding its values are counted in. ok is
// false when a send would fail whatever its size: the link does not send,
// is not accepted yet, or is closed. It is a snapshot (see
// flow.Credit.Room); the link's send queue being full is not counted.
func (l *Link) SendRoom() (r proto.Room, enc proto.Encoding, ok bool) {
	if l.checkSend() != nil {
		return proto.Room{}, "", false
	}
	snd := l.snd()
	if snd == nil {
		return proto.Room{}, "", false
	}
	r, err := snd.Credit().Room()
	if err != nil {
		return proto.Room{}, "", false
	}
	if l.open.Sub == proto.SubData {
		t, err := l.s.txWin.Room()
		if err != nil {
			return proto.Room{}, "", false
		}
		r.Bytes = min(r.Bytes, t.Bytes)
		r.MaxValue = min(r.MaxValue, t.MaxValue)
	}
	if max := l.s.cfg.Terms.Limits.MaxMessageBytes; max > 0 {
		r.MaxValue = min(r.MaxValue, uint64(max))
	}
	return r, l.s.cfg.Terms.Encoding, true
}
