//go:build !wasip1

package guest

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/genehost/genehost/abi"
	"github.com/genehost/genehost/gene"
)

// TestHost runs the registered Handler in-process, without WebAssembly,
// for `go test` of a plugin's package: it calls the handler as genehost
// would (Open, Values, Control, Close, Timer) and answers its host calls
// itself, recording what the handler sends and logs, keeping an in-memory
// key-value store and timers that fire only when Advance moves time, and
// streams and topics whose deliveries it records as sent on the link.
// Only one TestHost is active at a time (the handler's host calls reach
// the latest one made); tests that use it must not run in parallel.
//
//	func TestEcho(t *testing.T) {
//		h := guest.NewTestHost(guest.TestGrants{})
//		l, _ := h.Open("send+recv")
//		h.Send(l, gene.Int(1))
//		fmt.Println(h.Sent(l)) // [1]
//	}
type TestHost struct {
	grants  TestGrants
	nextID  uint64
	sent    map[uint64][]gene.Value
	closed  map[uint64]string
	resumed []uint64
	logs    []string
	lastErr string
	kv      map[string][]byte
	now     time.Duration
	timers  map[uint64]time.Duration // due time by id
	batch   []byte                   // the batch Send delivers, reused
	streams map[string]*testStream   // by name
	topics  map[string][]uint64      // subscribed links by topic
	pending []testDelivery           // topic messages of the current callback
}

// TestGrants are the capabilities a TestHost grants the handler, as
// ^grants in plugin.gene.
type TestGrants struct{ KV, Timers, Streams bool }

var active *TestHost

func testHostActive() bool { return active != nil }

// NewTestHost makes a TestHost with grants and makes it the active one.
func NewTestHost(grants TestGrants) *TestHost {
	h := &TestHost{grants: grants, sent: map[uint64][]gene.Value{}, closed: map[uint64]string{},
		kv: map[string][]byte{}, timers: map[uint64]time.Duration{}}
	active = h
	return h
}

func (h *TestHost) use() {
	active = h
	if handler == nil {
		panic("guest: no handler registered (call guest.Register from an init function of the package under test)")
	}
}

// Open opens a data link of direction dir ("send", "recv" or "send+recv",
// from the server's side) and calls the handler's Open.
func (h *TestHost) Open(dir string) (Link, error) {
	h.use()
	h.nextID++
	info := &LinkInfo{ID: h.nextID, Interface: "test", Direction: dir, Peer: "testhost"}
	links[info.ID] = info
	l := Link{id: info.ID, info: info}
	defer h.push()
	if err := handler.Open(l); err != nil {
		delete(links, info.ID)
		return Link{}, err
	}
	return l, nil
}

// Send delivers vs to the handler as one batch, as a client's values
// arriving on l: encoded as the host encodes them, then decoded for
// Values, or split undecoded for a ReceivedHandler's Received.
func (h *TestHost) Send(l Link, vs ...gene.Value) (Flow, error) {
	h.use()
	if _, ok := h.closed[l.id]; ok {
		return Continue, fmt.Errorf("link %d is closed", l.id)
	}
	defer h.push()
	h.batch = abi.AppendBatch(h.batch[:0], vs)
	return handleValues(l, len(vs), h.batch)
}

// Sent returns what the handler sent on l since the last call, and
// forgets it.
func (h *TestHost) Sent(l Link) []gene.Value {
	vs := h.sent[l.id]
	delete(h.sent, l.id)
	return vs
}

// Control calls the handler's Control; l is the zero Link for an
// interface-wide operation.
func (h *TestHost) Control(l Link, op string, arg gene.Value) (gene.Value, error) {
	h.use()
	defer h.push()
	return handler.Control(l, op, arg)
}

// Close closes l as a client would (reason "" for an orderly close).
func (h *TestHost) Close(l Link, reason string) {
	h.use()
	h.closed[l.id] = reason
	handler.Close(l, reason)
	delete(links, l.id)
	h.streamsClosed(l.id)
	h.push()
}

// Closed reports whether the handler closed l, and the reason it gave.
func (h *TestHost) Closed(l Link) (reason string, closed bool) {
	reason, closed = h.closed[l.id]
	return
}

// Resumed returns the links the handler resumed, in order.
func (h *TestHost) Resumed() []uint64 { return h.resumed }

// Logs returns the handler's log lines as "LEVEL LINK MESSAGE".
func (h *TestHost) Logs() []string { return h.logs }

// KV returns the value the store holds under key, and whether it does.
func (h *TestHost) KV(key string) ([]byte, bool) {
	v, ok := h.kv[key]
	return v, ok
}

// Advance moves the test clock by d and fires, in order of their due time,
// the timers due by then (timers they set included).
func (h *TestHost) Advance(d time.Duration) int {
	h.use()
	end := h.now + max(d, 0)
	fired := 0
	for {
		var next uint64
		for id, at := range h.timers {
			if at <= end && (next == 0 || at < h.timers[next] || at == h.timers[next] && id < next) {
				next = id
			}
		}
		if next == 0 {
			h.now = end
			return fired
		}
		h.now = max(h.now, h.timers[next])
		delete(h.timers, next)
		handler.Timer(next)
		h.push()
		fired++
	}
}

func (h *TestHost) fail(st abi.Status, format string, args ...any) abi.Status {
	h.lastErr = fmt.Sprintf(format, args...)
	return st
}

func (h *TestHost) send(link uint64, b []byte) abi.Status {
	info := links[link]
	switch {
	case info == nil:
		return h.fail(abi.LinkClosed, "send: no open link %d", link)
	case info.Direction == "recv":
		return h.fail(abi.Direction, "send: link %d is a recv link", link)
	}
	v, n, err := gene.DecodeBinary(b, gene.BinaryOptions{})
	if err != nil {
		return h.fail(abi.BadValue, "send: %v", err)
	}
	if n != len(b) {
		return h.fail(abi.BadValue, "send: %d bytes after the value", len(b)-n)
	}
	h.sent[link] = append(h.sent[link], v)
	return abi.OK
}

func (h *TestHost) closeLink(link uint64, reason string) abi.Status {
	if links[link] == nil {
		return h.fail(abi.LinkClosed, "close: no open link %d", link)
	}
	h.closed[link] = reason
	return abi.OK
}

func (h *TestHost) log(level int32, link uint64, msg string) {
	h.logs = append(h.logs, fmt.Sprintf("%s %d %s", abi.LevelName(level), link, msg))
}

func (h *TestHost) timerSet(d int64) int64 {
	if !h.grants.Timers {
		h.fail(abi.NotGranted, "timer: timers are not granted (TestGrants.Timers)")
		return -int64(abi.NotGranted)
	}
	h.nextID++
	h.timers[h.nextID] = h.now + max(time.Duration(d), 0)
	return int64(h.nextID)
}

func (h *TestHost) kvGranted() abi.Status {
	if !h.grants.KV {
		return h.fail(abi.NotGranted, "kv: the key-value store is not granted (TestGrants.KV)")
	}
	return abi.OK
}

func (h *TestHost) kvGet(k, buf []byte) int64 {
	if st := h.kvGranted(); st != abi.OK {
		return -int64(st)
	}
	v, ok := h.kv[string(k)]
	if !ok {
		h.fail(abi.NotFound, "kv get: no key %q", k)
		return -int64(abi.NotFound)
	}
	copy(buf, v)
	return int64(len(v))
}

func (h *TestHost) kvPut(k, v []byte) abi.Status {
	if st := h.kvGranted(); st != abi.OK {
		return st
	}
	h.kv[string(k)] = bytes.Clone(v)
	return abi.OK
}

func (h *TestHost) kvDelete(k []byte) abi.Status {
	if st := h.kvGranted(); st != abi.OK {
		return st
	}
	if _, ok := h.kv[string(k)]; !ok {
		return abi.NotFound
	}
	delete(h.kv, string(k))
	return abi.OK
}

func (h *TestHost) kvScan(prefix, after, buf []byte) int64 {
	if st := h.kvGranted(); st != abi.OK {
		return -int64(st)
	}
	var keys []string
	for k := range h.kv {
		if bytes.HasPrefix([]byte(k), prefix) && (len(after) == 0 || k > string(after)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := buf[:0]
	for _, k := range keys {
		if len(out)+abi.ScanRecordSize([]byte(k), h.kv[k]) > len(buf) {
			if len(out) == 0 {
				return -int64(abi.ShortBuffer)
			}
			break
		}
		out = abi.AppendScanRecord(out, []byte(k), h.kv[k])
	}
	return int64(len(out))
}

func (h *TestHost) kvCAS(k, expect, next, buf []byte) int64 {
	if st := h.kvGranted(); st != abi.OK {
		return -int64(st)
	}
	cur, ok := h.kv[string(k)]
	if ok != (expect != nil) || ok && !bytes.Equal(cur, expect) {
		if !ok {
			return -int64(abi.NotFound)
		}
		copy(buf, cur)
		return int64(len(cur)) + 1
	}
	if next == nil {
		delete(h.kv, string(k))
	} else {
		h.kv[string(k)] = bytes.Clone(next)
	}
	return 0
}

func (h *TestHost) kvIncr(k []byte, by int64) (int64, abi.Status) {
	if st := h.kvGranted(); st != abi.OK {
		return 0, st
	}
	var n int64
	if cur, ok := h.kv[string(k)]; ok {
		v, _, err := gene.DecodeBinaryDoc(cur, gene.BinaryOptions{})
		i, isInt := v.AsInt()
		if err != nil || !isInt {
			return 0, h.fail(abi.BadValue, "kv incr: key %q does not hold an integer", k)
		}
		n = i
	}
	sum := n + by
	if (by > 0 && sum < n) || (by < 0 && sum > n) {
		return 0, h.fail(abi.BadValue, "kv incr: key %q: overflow", k)
	}
	h.kv[string(k)] = gene.AppendBinaryDoc(nil, gene.Int(sum))
	return sum, abi.OK
}
