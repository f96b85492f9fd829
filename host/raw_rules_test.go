package host_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/internal/rawclient"
	"github.com/genehost/genehost/proto"
)

// The rules of PROTOCOL.md that a running host must follow, each checked
// over a real socket with raw frames.

// vectorBytes reads a test vector of PROTOCOL.md section 12 from
// proto/testdata/vectors: hex pairs, '#' to the end of a line a comment.
func vectorBytes(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "proto", "testdata", "vectors", name+".hex"))
	require.NoError(t, err)
	var out []byte
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, tok := range strings.Fields(line) {
			x, err := hex.DecodeString(tok)
			require.NoError(t, err, "vector %s: %q", name, tok)
			out = append(out, x...)
		}
	}
	return out
}

// TestRawRefusalIsTheVector: what a host with its default settings writes
// to a HELLO offering only json/1 is, byte for byte, the host-refusal
// vector.
func TestRawRefusalIsTheVector(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	conn := rawclient.Connect(t, ua)
	hello := []byte(`{^version 1 ^encodings ["json/1"] ^window 1048576}`)
	_, err := conn.Write(append(proto.Preface[:], proto.AppendFrame(nil, proto.TypeHello, 0, 0, hello)...))
	require.NoError(t, err)
	got := rawclient.ExpectClosed(t, conn)
	want := vectorBytes(t, "host-refusal")
	assert.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got), "the host's refusal differs from PROTOCOL.md's host-refusal vector")
}

// TestRawErrorTextsNameTheWireLink: a text sent to the peer names the
// link by its id on the wire, not by the host's own link number (which
// counts the links of every transport).
func TestRawErrorTextsNameTheWireLink(t *testing.T) {
	fail := host.HandlerFuncs{ReceiveFunc: func(context.Context, host.Link, []gene.Value) error {
		return errors.New("no thank you")
	}}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo, "fail": fail, "typed": host.Echo},
		map[string]string{"typed": `{^name "typed" ^direction "send+recv" ^validate true ^messages {^n {^from "client" ^schema int}}}`})
	// Another transport's links take the host's first link numbers.
	other := rawclient.Dial(t, ua, proto.EncodingBinary)
	for id := uint32(1); id <= 9; id += 2 {
		require.Equal(t, proto.TypeAccept, other.Open(id, "echo", proto.SubData, proto.DirSendRecv).Type)
	}
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "fail", proto.SubData, proto.DirSendRecv).Type)
	rc.Data(1, rc.Encode("1"), 0)
	e := rc.ExpectReset(1)
	assert.Equal(t, proto.CodeHandlerError, e.Code, "%s", e.Msg)
	assert.Contains(t, e.Msg, `interface "fail", link 1, receive: no thank you`)

	require.Equal(t, proto.TypeAccept, rc.Open(3, "typed", proto.SubData, proto.DirSendRecv).Type)
	rc.Data(3, rc.Encode(`"not an int"`), 0)
	e = rc.ExpectReset(3)
	assert.Equal(t, proto.CodeSchemaMismatch, e.Code, "%s", e.Msg)
	assert.Contains(t, e.Msg, `interface "typed", link 3: value 1 does not match`)
}

// TestRawIgnorableFramesAreSkippedOnAnyLink: an unknown frame type with
// IGNORABLE is skipped whether its link id is 0, open, or never opened
// (PROTOCOL.md section 3); the transport goes on.
func TestRawIgnorableFramesAreSkippedOnAnyLink(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
	for _, link := range []uint32{0, 1, 99, 100} {
		rc.Write(proto.AppendFrame(nil, 0x40, proto.FlagIgnorable, link, []byte("future")))
	}
	rc.Echo(1, `(still "here")`)
	rc.Write(proto.AppendPingFrame(nil, [8]byte{7}))
	f := rc.Next(func(f proto.Frame) bool { return f.Type == proto.TypePong || f.Type == proto.TypeGoAway })
	require.Equal(t, proto.TypePong, f.Type, "the host closed the transport: %q", f.Payload)
}

// TestRawControlLinksAreSendRecv: a control link that could not carry a
// request or its reply is refused with WRONG_DIRECTION (PROTOCOL.md
// section 6.3), on an interface and on $sys.
func TestRawControlLinksAreSendRecv(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	id := uint32(1)
	for _, iface := range []string{"echo", host.SysInterface} {
		for _, dir := range []proto.Direction{proto.DirSend, proto.DirRecv} {
			f := rc.Open(id, iface, proto.SubControl, dir)
			require.Equal(t, proto.TypeReject, f.Type, "%s %s", iface, dir)
			e, err := proto.ParseReason(f.Payload)
			require.NoError(t, err)
			assert.Equal(t, proto.CodeWrongDirection, e.Code, "%s", e.Msg)
			assert.Contains(t, e.Msg, `are "send+recv"`)
			assert.Contains(t, e.Msg, fmt.Sprintf("asked for %q", dir))
			id += 2
		}
		require.Equal(t, proto.TypeAccept, rc.Open(id, iface, proto.SubControl, proto.DirSendRecv).Type)
		id += 2
	}
}

// TestRawDirectionIsTheInterfaces: a data link has exactly its
// interface's direction (PROTOCOL.md section 6.4), refused at OPEN
// otherwise; and a value against an accepted link's direction is reset
// with WRONG_DIRECTION before any handler sees it.
func TestRawDirectionIsTheInterfaces(t *testing.T) {
	var seen atomic.Int64
	feed := host.HandlerFuncs{ReceiveFunc: func(context.Context, host.Link, []gene.Value) error {
		seen.Add(1)
		return nil
	}}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo, "feed": feed, "sink": host.HandlerFuncs{}},
		map[string]string{"feed": `{^name "feed" ^direction "send"}`, "sink": `{^name "sink" ^direction "recv"}`})
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	id := uint32(1)
	for iface, has := range map[string]proto.Direction{"echo": proto.DirSendRecv, "feed": proto.DirSend, "sink": proto.DirRecv} {
		for _, dir := range []proto.Direction{proto.DirSend, proto.DirRecv, proto.DirSendRecv} {
			f := rc.Open(id, iface, proto.SubData, dir)
			if dir == has {
				require.Equal(t, proto.TypeAccept, f.Type, "%s %s", iface, dir)
				rc.Write(proto.AppendResetFrame(nil, id, proto.Errorf(proto.CodeCancelled, "done")))
			} else {
				require.Equal(t, proto.TypeReject, f.Type, "%s %s", iface, dir)
				e, err := proto.ParseReason(f.Payload)
				require.NoError(t, err)
				assert.Equal(t, proto.CodeWrongDirection, e.Code, "%s", e.Msg)
				assert.Contains(t, e.Msg, fmt.Sprintf("interface %q is %s; it has no %q links", iface, has.Describe(), dir))
			}
			id += 2
		}
	}
	// A value from the client on a feed: reset by the transport, never
	// delivered to the handler.
	require.Equal(t, proto.TypeAccept, rc.Open(id, "feed", proto.SubData, proto.DirSend).Type)
	rc.Data(id, rc.Encode("(not for you)"), 0)
	e := rc.ExpectReset(id)
	assert.Equal(t, proto.CodeWrongDirection, e.Code, "%s", e.Msg)
	assert.Contains(t, e.Msg, fmt.Sprintf(`link %d is "send" (host to client only); the client sent a value`, id))
	rc.Write(proto.AppendPingFrame(nil, [8]byte{1}))
	rc.Next(func(f proto.Frame) bool { return f.Type == proto.TypePong })
	assert.Zero(t, seen.Load(), "the feed's handler received the client's value")
}

// TestRawValueOverMaxMessageIsMessageTooLarge: the host grants at most
// max-message-bytes of initial byte credit, so a value over the limit
// also overruns the credit; the size is checked first and the reset is
// MESSAGE_TOO_LARGE, in one frame or in fragments (PROTOCOL.md 4.4).
func TestRawValueOverMaxMessageIsMessageTooLarge(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	const max = 4096
	rc := rawclient.DialWith(t, ua, proto.Config{Encodings: []proto.Encoding{proto.EncodingBinary},
		TransportWindow: 1 << 20, Limits: proto.Limits{MaxMessageBytes: max}})
	require.Equal(t, max, rc.Welcome.Limits.MaxMessageBytes)
	big := rc.Encode(fmt.Sprintf("%q", strings.Repeat("x", max)))
	require.Greater(t, len(big), max)
	for i, frags := range [][][]byte{{big}, {big[:3000], big[3000:]}} {
		id := uint32(1 + 2*i)
		f := rc.Open(id, "echo", proto.SubData, proto.DirSendRecv)
		require.Equal(t, proto.TypeAccept, f.Type)
		a, err := proto.ParseAccept(f.Payload, true)
		require.NoError(t, err)
		assert.LessOrEqual(t, a.Credit.Bytes, uint64(max), "the initial byte credit is capped at max-message-bytes")
		for j, p := range frags {
			flags := proto.FlagMore
			if j == len(frags)-1 {
				flags = 0
			}
			rc.Data(id, p, flags)
		}
		e := rc.ExpectReset(id)
		assert.Equal(t, proto.CodeMessageTooLarge, e.Code, "%d fragments: %s", len(frags), e.Msg)
		assert.Contains(t, e.Msg, fmt.Sprintf("link %d: value", id))
		assert.Contains(t, e.Msg, fmt.Sprintf("exceeds max-message-bytes (%d)", max))
	}
	require.Equal(t, proto.TypeAccept, rc.Open(5, "echo", proto.SubData, proto.DirSendRecv).Type)
	rc.Echo(5, `"the transport goes on"`)
}

// TestRawOpenAfterOwnGoAwayIsRefused: a side that sent GOAWAY opens no
// new link; an OPEN after it is refused with REJECT PROTOCOL_ERROR, and
// the links already open drain on (PROTOCOL.md 7.2).
func TestRawOpenAfterOwnGoAwayIsRefused(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
	rc.Write(proto.AppendGoAwayFrame(nil, proto.GoAway{Code: proto.CodeNoError, Text: "client done"}))
	f := rc.Open(3, "echo", proto.SubData, proto.DirSendRecv)
	require.Equal(t, proto.TypeReject, f.Type)
	e, err := proto.ParseReason(f.Payload)
	require.NoError(t, err)
	assert.Equal(t, proto.CodeProtocolError, e.Code, "%s", e.Msg)
	assert.Equal(t, "the client opened link 3 after its own GOAWAY", e.Msg)
	rc.Echo(1, `"link 1 drains on"`)
}

// TestRawResetAnswersAnOpen: DATA sent before ACCEPT breaks the link's
// credit; the host answers the OPEN with RESET FLOW_CONTROL and never
// with an ACCEPT after it (PROTOCOL.md 6.1).
func TestRawResetAnswersAnOpen(t *testing.T) {
	release := make(chan struct{})
	asked := make(chan struct{}, 1)
	gate := func(iface string, _ proto.Sub, _ gene.Props) error {
		if iface == "gated" {
			asked <- struct{}{}
			<-release
		}
		return nil
	}
	_, ua, _ := serve(t, host.Config{Authorize: gate}, map[string]host.Handler{"echo": host.Echo, "gated": host.Echo}, nil)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	f, err := proto.AppendOpenFrame(nil, 1, proto.Open{Interface: "gated", Direction: proto.DirSendRecv, Credit: proto.Grant{Msgs: 8, Bytes: 1 << 16}})
	require.NoError(t, err)
	rc.Write(f)
	<-asked // the host is deciding on link 1: it has not answered yet
	rc.Data(1, rc.Encode("(too soon)"), 0)
	ans := rc.Next(func(f proto.Frame) bool {
		return f.Link == 1 && (f.Type == proto.TypeReset || f.Type == proto.TypeAccept || f.Type == proto.TypeReject)
	})
	require.Equal(t, proto.TypeReset, ans.Type)
	e, err := proto.ParseReason(ans.Payload)
	require.NoError(t, err)
	assert.Equal(t, proto.CodeFlowControl, e.Code, "%s", e.Msg)
	assert.Contains(t, e.Msg, "link 1: DATA before the link was accepted")
	close(release)
	// No ACCEPT or REJECT for link 1 follows its RESET: none arrives up
	// to the answer of a later link, its echo and a PONG.
	require.Equal(t, proto.TypeAccept, rc.Open(3, "echo", proto.SubData, proto.DirSendRecv).Type)
	rc.Echo(3, "(fine)")
	rc.Write(proto.AppendPingFrame(nil, [8]byte{3}))
	rc.Next(func(f proto.Frame) bool {
		require.False(t, f.Link == 1, "a %s for link 1 after its RESET", f.Type)
		return f.Type == proto.TypePong
	})
}

// TestRawRequestReplyCreditFrames counts the CREDIT frames a host sends
// while a client makes requests one at a time: one per half window of
// values (and one when the window first grows), not one per value on the
// link and another on the transport (PROTOCOL.md 8.3).
func TestRawRequestReplyCreditFrames(t *testing.T) {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo}, nil)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	f := rc.Open(1, "echo", proto.SubData, proto.DirSendRecv)
	require.Equal(t, proto.TypeAccept, f.Type)
	a, err := proto.ParseAccept(f.Payload, true)
	require.NoError(t, err)
	// Room for every reply, granted once.
	rc.Write(proto.AppendCreditFrame(nil, 1, proto.Grant{Msgs: 1 << 20, Bytes: 1 << 30}))
	limit := a.Credit
	const rounds = 300
	credits, sent := 0, uint64(0)
	count := func(f proto.Frame) {
		if f.Type == proto.TypeCredit {
			credits++
			g, err := proto.ParseCredit(f.Payload)
			require.NoError(t, err)
			if f.Link == 1 {
				limit.Msgs, limit.Bytes = max(limit.Msgs, g.Msgs), max(limit.Bytes, g.Bytes)
			}
		}
	}
	req := rc.Encode(`(request ^n 12345)`)
	for i := range rounds {
		require.LessOrEqual(t, sent+1, limit.Msgs, "request %d: the host left the client without message credit", i)
		rc.Data(1, req, 0)
		sent++
		rc.Next(func(f proto.Frame) bool {
			count(f)
			return f.Type == proto.TypeData && f.Link == 1
		})
	}
	rc.Write(proto.AppendPingFrame(nil, [8]byte{9}))
	rc.Next(func(f proto.Frame) bool {
		count(f)
		return f.Type == proto.TypePong
	})
	want := 1 + rounds/int(a.Credit.Msgs/2)
	t.Logf("%d request/reply rounds: %d CREDIT frames from the host (window %d values)", rounds, credits, a.Credit.Msgs)
	assert.LessOrEqual(t, credits, want, "CREDIT frames for %d requests", rounds)
}
