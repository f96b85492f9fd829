//go:build !wasip1

package guest

import (
	"encoding/binary"
	"maps"
	"slices"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

// The TestHost's streams (TestGrants.Streams): the semantics of ABI.md
// "Streams" in memory, for one host. Deliveries are what the handler's
// links receive: the TestHost records them as values sent on the link
// (Sent), after the callback that made them possible returns, as the
// host pushes them. Messages are not delivered again on an ack timeout
// (the test clock does not run it); a link's unacknowledged messages are
// when it detaches or closes.

type testStream struct {
	msgs   map[uint64]gene.Value // by seq; trimmed ones are gone
	head   uint64
	groups map[string]*testGroup
}

type testGroup struct {
	next     uint64            // the next seq never delivered
	acked    uint64            // every seq <= acked is acknowledged
	inflight map[uint64]uint64 // seq -> link
	attempts map[uint64]uint64
	again    []uint64 // seqs due again, oldest first
	members  []testMember
}

type testMember struct {
	link     uint64
	prefetch int
}

type testEntry struct {
	stream string
	value  []byte
}

// testValidName is plugin.ValidName: 1 to 128 of A-Z a-z 0-9 _ . -.
func testValidName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// streamCheck checks the grant and the names of a stream call.
func (h *TestHost) streamCheck(names ...string) abi.Status {
	if !h.grants.Streams {
		return h.fail(abi.NotGranted, "streams: streams are not granted (TestGrants.Streams)")
	}
	for _, n := range names {
		if !testValidName(n) {
			return h.fail(abi.BadName, "streams: invalid name %q: want 1 to 128 of A-Z a-z 0-9 _ . -", n)
		}
	}
	return abi.OK
}

func (h *TestHost) stream(name string) *testStream {
	if h.streams == nil {
		h.streams = map[string]*testStream{}
	}
	s := h.streams[name]
	if s == nil {
		s = &testStream{msgs: map[uint64]gene.Value{}, groups: map[string]*testGroup{}}
		h.streams[name] = s
	}
	return s
}

// streamPublish appends entries; seqs, when not nil, receives their seqs
// as u64 LE. It returns the last seq, or -status.
func (h *TestHost) streamPublish(entries []testEntry, seqs []byte) int64 {
	vals := make([]gene.Value, len(entries))
	for i, e := range entries {
		if st := h.streamCheck(e.stream); st != abi.OK {
			return -int64(st)
		}
		v, n, err := gene.DecodeBinary(e.value, gene.BinaryOptions{})
		if err != nil || n != len(e.value) {
			h.fail(abi.BadValue, "streams: publish: entry %d is not one value", i)
			return -int64(abi.BadValue)
		}
		vals[i] = v
	}
	var last uint64
	for i, e := range entries {
		s := h.stream(e.stream)
		s.head++
		s.msgs[s.head] = vals[i]
		last = s.head
		if seqs != nil {
			binary.LittleEndian.PutUint64(seqs[8*i:], s.head)
		}
	}
	return int64(last)
}

func (h *TestHost) streamPublishBatch(recs []byte, count int, out []byte) abi.Status {
	entries := make([]testEntry, 0, count)
	for len(recs) > 0 {
		k, v, rest, err := abi.NextScanRecord(recs)
		if err != nil {
			return h.fail(abi.BadValue, "streams: publish batch: %v", err)
		}
		entries = append(entries, testEntry{string(k), v})
		recs = rest
	}
	if len(entries) != count || len(out) < 8*count {
		return h.fail(abi.BadValue, "streams: publish batch: %d records for %d entries", len(entries), count)
	}
	if n := h.streamPublish(entries, out); n < 0 {
		return abi.Status(-n)
	}
	return abi.OK
}

func (h *TestHost) streamAttach(link uint64, stream, group string, prefetch int, latest bool) int64 {
	if st := h.streamCheck(stream, group); st != abi.OK {
		return -int64(st)
	}
	if links[link] == nil {
		h.fail(abi.LinkClosed, "streams: attach: no open link %d", link)
		return -int64(abi.LinkClosed)
	}
	s := h.stream(stream)
	g := s.groups[group]
	if g == nil {
		g = &testGroup{next: 1, inflight: map[uint64]uint64{}, attempts: map[uint64]uint64{}}
		if latest {
			g.next, g.acked = s.head+1, s.head
		}
		s.groups[group] = g
	}
	if prefetch <= 0 {
		prefetch = 16
	}
	m := testMember{link: link, prefetch: min(prefetch, 1024)}
	if i := slices.IndexFunc(g.members, func(m testMember) bool { return m.link == link }); i >= 0 {
		g.members[i] = m
	} else {
		g.members = append(g.members, m)
	}
	return int64(g.acked)
}

func (h *TestHost) streamDetach(link uint64, stream, group string) abi.Status {
	if st := h.streamCheck(stream, group); st != abi.OK {
		return st
	}
	g := h.stream(stream).groups[group]
	if g == nil || !g.detach(link) {
		return abi.NotFound
	}
	return abi.OK
}

// detach removes link from g, its messages due again, and reports whether
// it was a member.
func (g *testGroup) detach(link uint64) bool {
	i := slices.IndexFunc(g.members, func(m testMember) bool { return m.link == link })
	if i < 0 {
		return false
	}
	g.members = slices.Delete(g.members, i, i+1)
	for _, seq := range slices.Sorted(maps.Keys(g.inflight)) {
		if g.inflight[seq] == link {
			delete(g.inflight, seq)
			g.again = append(g.again, seq)
		}
	}
	return true
}

func (h *TestHost) streamAck(stream, group string, seq uint64) abi.Status {
	if st := h.streamCheck(stream, group); st != abi.OK {
		return st
	}
	g := h.stream(stream).groups[group]
	if g == nil {
		return h.fail(abi.NotDelivered, "streams: ack: %s/%s: message %d has not been delivered", stream, group, seq)
	}
	if _, ok := g.inflight[seq]; !ok {
		if seq <= g.acked || (seq < g.next && !slices.Contains(g.again, seq)) {
			return abi.OK // acknowledged before
		}
		return h.fail(abi.NotDelivered, "streams: ack: %s/%s: message %d has not been delivered", stream, group, seq)
	}
	delete(g.inflight, seq)
	for g.acked+1 < g.next {
		if _, busy := g.inflight[g.acked+1]; busy || slices.Contains(g.again, g.acked+1) {
			break
		}
		g.acked++
	}
	return abi.OK
}

func (h *TestHost) streamReset(stream, group string, seq uint64) int64 {
	if st := h.streamCheck(stream, group); st != abi.OK {
		return -int64(st)
	}
	s := h.stream(stream)
	g := s.groups[group]
	if g == nil {
		g = &testGroup{inflight: map[uint64]uint64{}, attempts: map[uint64]uint64{}}
		s.groups[group] = g
	}
	first := s.head + 1
	for q := range s.msgs {
		first = min(first, q)
	}
	seq = min(max(seq, first), s.head+1)
	g.next, g.acked = seq, seq-1
	clear(g.inflight)
	clear(g.attempts)
	g.again = nil
	return int64(seq)
}

func (h *TestHost) streamTrim(stream string, through uint64, out []byte) abi.Status {
	if st := h.streamCheck(stream); st != abi.OK {
		return st
	}
	s := h.stream(stream)
	through = min(through, s.head)
	for _, g := range s.groups {
		through = min(through, g.acked)
	}
	var deleted uint64
	for q := range s.msgs {
		if q <= through {
			delete(s.msgs, q)
			deleted++
		}
	}
	binary.LittleEndian.PutUint64(out, through)
	binary.LittleEndian.PutUint64(out[8:], deleted)
	return abi.OK
}

func (h *TestHost) streamInfo(out []byte) int64 {
	if st := h.streamCheck(); st != abi.OK {
		return -int64(st)
	}
	var infos []gene.Value
	for _, name := range slices.Sorted(maps.Keys(h.streams)) {
		s := h.streams[name]
		var gs []gene.Value
		for _, gn := range slices.Sorted(maps.Keys(s.groups)) {
			g := s.groups[gn]
			gs = append(gs, gene.PropMap(
				gene.Prop{Key: "group", Value: gene.String(gn)},
				gene.Prop{Key: "acked", Value: gene.Int(int64(g.acked))},
				gene.Prop{Key: "consumers", Value: gene.Int(int64(len(g.members)))},
				gene.Prop{Key: "unacked", Value: gene.Int(int64(len(g.inflight) + len(g.again)))},
			))
		}
		infos = append(infos, gene.PropMap(
			gene.Prop{Key: "stream", Value: gene.String(name)},
			gene.Prop{Key: "head", Value: gene.Int(int64(s.head))},
			gene.Prop{Key: "groups", Value: gene.List(gs...)},
		))
	}
	b := gene.AppendBinary(nil, gene.List(infos...))
	if len(b) <= len(out) {
		copy(out, b)
	}
	return int64(len(b))
}

func (h *TestHost) topicPublish(topic string, v []byte) int64 {
	if st := h.streamCheck(topic); st != abi.OK {
		return -int64(st)
	}
	val, n, err := gene.DecodeBinary(v, gene.BinaryOptions{})
	if err != nil || n != len(v) {
		h.fail(abi.BadValue, "topics: publish: not one value")
		return -int64(abi.BadValue)
	}
	subs := h.topics[topic]
	msg := gene.NodeValue(&gene.Node{Head: gene.Symbol("message"), HasHead: true, Props: gene.Props{
		{Key: "topic", Value: gene.String(topic)}, {Key: "value", Value: val}}})
	for _, l := range subs {
		h.pending = append(h.pending, testDelivery{l, msg})
	}
	return int64(len(subs))
}

func (h *TestHost) topicSubscribe(link uint64, topic string) abi.Status {
	if st := h.streamCheck(topic); st != abi.OK {
		return st
	}
	if links[link] == nil {
		return h.fail(abi.LinkClosed, "topics: subscribe: no open link %d", link)
	}
	if h.topics == nil {
		h.topics = map[string][]uint64{}
	}
	if !slices.Contains(h.topics[topic], link) {
		h.topics[topic] = append(h.topics[topic], link)
	}
	return abi.OK
}

func (h *TestHost) topicUnsubscribe(link uint64, topic string) abi.Status {
	if st := h.streamCheck(topic); st != abi.OK {
		return st
	}
	i := slices.Index(h.topics[topic], link)
	if i < 0 {
		return abi.NotFound
	}
	h.topics[topic] = slices.Delete(h.topics[topic], i, i+1)
	return abi.OK
}

// testDelivery is a topic message waiting for the callback to return.
type testDelivery struct {
	link uint64
	msg  gene.Value
}

// streamsClosed ends a closed link's attachments and subscriptions.
func (h *TestHost) streamsClosed(link uint64) {
	for _, s := range h.streams {
		for _, g := range s.groups {
			g.detach(link)
		}
	}
	for t, subs := range h.topics {
		h.topics[t] = slices.DeleteFunc(subs, func(l uint64) bool { return l == link })
	}
}

// push delivers, after a callback, the topic messages it published and
// every stream message an attached link has room for (fewer than its
// prefetch unacknowledged), as the host would.
func (h *TestHost) push() {
	for _, d := range h.pending {
		h.sent[d.link] = append(h.sent[d.link], d.msg)
	}
	h.pending = h.pending[:0]
	for _, name := range slices.Sorted(maps.Keys(h.streams)) {
		s := h.streams[name]
		for _, gn := range slices.Sorted(maps.Keys(s.groups)) {
			s.push(name, gn, s.groups[gn], h.sent)
		}
	}
}

func (s *testStream) push(name, group string, g *testGroup, sent map[uint64][]gene.Value) {
	for len(g.members) > 0 {
		var seq uint64
		switch {
		case len(g.again) > 0:
			seq = g.again[0]
		case g.next <= s.head:
			seq = g.next
		default:
			return
		}
		val, kept := s.msgs[seq]
		if !kept { // trimmed or reset past: nothing to deliver
			if len(g.again) > 0 {
				g.again = g.again[1:]
			} else {
				g.next++
			}
			continue
		}
		i := slices.IndexFunc(g.members, func(m testMember) bool { return g.unacked(m.link) < m.prefetch })
		if i < 0 {
			return
		}
		link := g.members[i].link
		if len(g.again) > 0 {
			g.again = g.again[1:]
		} else {
			g.next++
		}
		g.inflight[seq] = link
		g.attempts[seq]++
		sent[link] = append(sent[link], gene.NodeValue(&gene.Node{Head: gene.Symbol("message"), HasHead: true, Props: gene.Props{
			{Key: "topic", Value: gene.String(name)},
			{Key: "group", Value: gene.String(group)},
			{Key: "seq", Value: gene.Int(int64(seq))},
			{Key: "value", Value: val},
			{Key: "attempt", Value: gene.Int(int64(g.attempts[seq]))},
		}}))
		// Round robin: the member served goes last.
		m := g.members[i]
		g.members = append(slices.Delete(g.members, i, i+1), m)
	}
}

func (g *testGroup) unacked(link uint64) int {
	n := 0
	for _, l := range g.inflight {
		if l == link {
			n++
		}
	}
	return n
}
