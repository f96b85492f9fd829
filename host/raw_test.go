package host_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/internal/rawclient"
	"github.com/genehost/genehost/proto"
)

// healthy checks that a fresh client still gets service from the host.
func healthy(t *testing.T, addr string) {
	t.Helper()
	ctx := ctxT(t)
	c := dial(t, addr, client.Config{})
	l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	v, err := l.Request(ctx, gene.MustParse("(ok?)"))
	require.NoError(t, err)
	require.True(t, v.Node().Head.IsSymbol("ok?"))
}

// hold takes its time with every batch: values stay unconsumed.
var hold = host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	return nil
}}

func rawServer(t *testing.T) string {
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": host.Echo, "feed": host.HandlerFuncs{}, "hold": hold},
		map[string]string{"feed": `{^name "feed" ^direction "send"}`})
	return ua
}

func TestRawLinkErrorsResetOnlyTheLink(t *testing.T) {
	ua := rawServer(t)
	for _, enc := range []proto.Encoding{proto.EncodingBinary, proto.EncodingText} {
		t.Run(string(enc), func(t *testing.T) {
			rc := rawclient.Dial(t, ua, enc)
			good := uint32(1)
			require.Equal(t, proto.TypeAccept, rc.Open(good, "echo", proto.SubData, proto.DirSendRecv).Type)
			id := uint32(3)
			next := func() uint32 { id += 2; return id - 2 }
			check := func(name string, code proto.Code, contains string, send func(id uint32)) {
				t.Run(name, func(t *testing.T) {
					l := next()
					// "hold" keeps the host's direction open: its handler
					// takes its time with the first value.
					require.Equal(t, proto.TypeAccept, rc.Open(l, "hold", proto.SubData, proto.DirSendRecv).Type)
					send(l)
					e := rc.ExpectReset(l)
					assert.Equal(t, code, e.Code, "%s", e.Msg)
					assert.Contains(t, e.Msg, contains)
					// The good link on the same transport still echoes.
					rc.Data(good, encode(t, enc, `(ping ^n 1)`), 0)
					f := rc.Next(func(f proto.Frame) bool { return f.Type == proto.TypeData && f.Link == good })
					v, err := proto.DecodeValue(enc, f.Payload, gene.Limits{})
					require.NoError(t, err)
					assert.Equal(t, "(ping ^n 1)", gene.Format(v))
				})
			}
			check("malformed value", proto.CodeBadValue, "", func(l uint32) {
				if enc == proto.EncodingText {
					rc.Data(l, []byte(`(unclosed "x"`), 0)
				} else {
					rc.Data(l, []byte{0xff, 0xfe, 0x00}, 0)
				}
			})
			check("two values in one", proto.CodeBadValue, "", func(l uint32) {
				p := encode(t, enc, "1")
				if enc == proto.EncodingText {
					p = append(p, ' ')
				}
				p = append(p, encode(t, enc, "2")...)
				rc.Data(l, p, 0)
			})
			check("too deep", proto.CodeBadValue, "epth", func(l uint32) {
				v := gene.List()
				for i := 0; i < 300; i++ {
					v = gene.List(v)
				}
				p, err := proto.AppendValue(nil, enc, v)
				require.NoError(t, err)
				rc.Data(l, p, 0)
			})
			check("credit overrun", proto.CodeFlowControl, "", func(l uint32) {
				// The window is 256 values by default: send more.
				for i := 0; i < 300; i++ {
					rc.Data(l, encode(t, enc, "[]"), 0)
				}
			})
			check("data after end", proto.CodeProtocolError, "after its END", func(l uint32) {
				rc.Data(l, encode(t, enc, "1"), proto.FlagEnd)
				rc.Data(l, encode(t, enc, "2"), 0)
			})
		})
	}
}

func TestRawWrongDirectionIsAResetNamingIt(t *testing.T) {
	ua := rawServer(t)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "feed", proto.SubData, proto.DirSend).Type)
	rc.Data(1, encode(t, proto.EncodingBinary, "(i am the client)"), 0)
	e := rc.ExpectReset(1)
	assert.Equal(t, proto.CodeWrongDirection, e.Code)
	assert.Contains(t, e.Msg, `link 1 is "send" (host to client only); the client sent a value`)
	healthy(t, ua)
}

func TestRawRefusals(t *testing.T) {
	ua := rawServer(t)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	for i, tc := range []struct {
		iface string
		sub   proto.Sub
		dir   proto.Direction
		code  proto.Code
	}{
		{"nope", proto.SubData, proto.DirSendRecv, proto.CodeUnknownInterface},
		{"feed", proto.SubData, proto.DirRecv, proto.CodeWrongDirection},
		{"$sys", proto.SubData, proto.DirSendRecv, proto.CodeUnknownSubInterface},
	} {
		id := uint32(1 + 2*i)
		f := rc.Open(id, tc.iface, tc.sub, tc.dir)
		require.Equal(t, proto.TypeReject, f.Type, "%s", tc.iface)
		e, err := proto.ParseReason(f.Payload)
		require.NoError(t, err)
		assert.Equal(t, tc.code, e.Code, "%s: %s", tc.iface, e.Msg)
	}
	// An unknown sub-interface name is refused too.
	payload := []byte(`{^interface "echo" ^sub "telemetry" ^direction "send+recv" ^msgs 1 ^bytes 1024}`)
	rc.Write(proto.AppendFrame(nil, proto.TypeOpen, 0, 21, payload))
	f := rc.Next(func(f proto.Frame) bool { return f.Link == 21 })
	require.Equal(t, proto.TypeReject, f.Type)
	e, _ := proto.ParseReason(f.Payload)
	assert.Equal(t, proto.CodeUnknownSubInterface, e.Code)
	healthy(t, ua)
}

func TestRawTransportErrorsCloseOnlyThatTransport(t *testing.T) {
	ua := rawServer(t)
	cases := []struct {
		name string
		code proto.Code
		send func(rc *rawclient.Conn)
	}{
		{"oversized frame", proto.CodeFrameTooLarge, func(rc *rawclient.Conn) {
			var h [proto.HeaderSize]byte
			binary.BigEndian.PutUint32(h[0:4], uint32(rc.Welcome.Limits.MaxFrameBytes)+1)
			h[4] = byte(proto.TypeData)
			binary.BigEndian.PutUint32(h[6:10], 1)
			rc.Write(h[:])
		}},
		{"wrong parity", proto.CodeProtocolError, func(rc *rawclient.Conn) {
			f, _ := proto.AppendOpenFrame(nil, 2, proto.Open{Interface: "echo", Direction: proto.DirSendRecv, Credit: proto.Grant{Msgs: 1, Bytes: 1024}})
			rc.Write(f)
		}},
		{"frame for a link never opened", proto.CodeProtocolError, func(rc *rawclient.Conn) {
			rc.Data(99, []byte("1"), 0)
		}},
		{"type 0x00, even IGNORABLE", proto.CodeProtocolError, func(rc *rawclient.Conn) {
			rc.Write(proto.AppendFrame(nil, 0, proto.FlagIgnorable, 0, []byte{1}))
		}},
		{"hello after the handshake", proto.CodeProtocolError, func(rc *rawclient.Conn) {
			rc.Write(proto.AppendFrame(nil, proto.TypeHello, 0, 0, []byte("{}")))
		}},
		{"control flood", proto.CodeCalm, func(rc *rawclient.Conn) {
			var b []byte
			for i := 0; i < 5000; i++ {
				b = proto.AppendPingFrame(b, [8]byte{byte(i)})
			}
			go rc.C.Write(b) // the host may stop reading before the end
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := rawclient.Dial(t, ua, proto.EncodingBinary)
			tc.send(rc)
			g := rc.ExpectGoAway()
			assert.Equal(t, tc.code, g.Code, "%s", g.Text)
			healthy(t, ua)
		})
	}
	t.Run("transport window overrun", func(t *testing.T) {
		// Many links, each within its own credit, together beyond the
		// host's transport window of 1 MiB.
		_, ua2, _ := serve(t, host.Config{Proto: proto.Config{TransportWindow: 1 << 20}}, map[string]host.Handler{"hold": hold}, nil)
		rc := rawclient.Dial(t, ua2, proto.EncodingBinary)
		val := encode(t, proto.EncodingBinary, fmt.Sprintf("%q", strings.Repeat("x", 50000)))
		var n uint64
		for id := uint32(1); n <= rc.Welcome.Window; id += 2 {
			require.Equal(t, proto.TypeAccept, rc.Open(id, "hold", proto.SubData, proto.DirSendRecv).Type)
			for j := 0; j < 10 && n <= rc.Welcome.Window; j++ {
				rc.Data(id, val, 0)
				n += uint64(len(val))
			}
		}
		g := rc.ExpectGoAway()
		assert.Equal(t, proto.CodeFlowControl, g.Code, "%s", g.Text)
		assert.Contains(t, g.Text, "transport window")
	})
}

func TestRawBadPrefaceGetsAPlainTextRefusal(t *testing.T) {
	ua := rawServer(t)
	conn := rawclient.Connect(t, ua)
	_, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	b := rawclient.ExpectClosed(t, conn)
	assert.Contains(t, string(b), "genehost")
	healthy(t, ua)
}

func TestRawPeerVanishingMidFrameLosesNothingElse(t *testing.T) {
	var closed = make(chan error, 1)
	h := host.HandlerFuncs{
		ReceiveFunc: host.Echo.(host.HandlerFuncs).ReceiveFunc,
		ClosedFunc: func(l host.Link, err error) {
			select {
			case closed <- err:
			default:
			}
		},
	}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": h}, nil)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
	frame := proto.AppendFrame(nil, proto.TypeData, 0, 1, encode(t, proto.EncodingBinary, `"a value cut short"`))
	rc.Write(frame[:len(frame)-5])
	rc.C.Close()
	select {
	case err := <-closed:
		require.Error(t, err, "the link ends with an error, not as an orderly close")
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never heard the link close")
	}
	healthy(t, ua)
}

func TestKeepaliveClosesAHalfOpenConnection(t *testing.T) {
	_, ua, _ := serve(t, host.Config{Proto: proto.Config{Keepalive: time.Second}},
		map[string]host.Handler{"echo": host.Echo}, nil)
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	require.Equal(t, time.Second, rc.Welcome.Keepalive)
	// Read (so the host can write its PINGs) but never answer.
	start := time.Now()
	var g proto.GoAway
	for {
		_ = rc.C.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := rc.R.ReadFrame()
		require.NoError(t, err)
		if f.Type == proto.TypeGoAway {
			g, err = proto.ParseGoAway(f.Payload)
			require.NoError(t, err)
			break
		}
	}
	assert.Equal(t, proto.CodeKeepaliveTimeout, g.Code)
	assert.GreaterOrEqual(t, time.Since(start), 2*time.Second-100*time.Millisecond)
}

// TestFloodKeepsHostMemoryBounded measures the host's heap while clients
// flood a handler that never consumes: credit bounds what the host holds.
func TestFloodKeepsHostMemoryBounded(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	h := host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return nil
	}}
	const window = 1 << 20 // bytes per link
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"hole": h},
		map[string]string{"hole": fmt.Sprintf(`{^name "hole" ^direction "recv" ^flow {^window 1000000 ^window-bytes %d ^max-window-bytes %d}}`, window, window)})
	ctx := ctxT(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const links = 8
	payload := gene.String(strings.Repeat("x", 4000))
	sent := make(chan int, links)
	for i := 0; i < links; i++ {
		c := dial(t, ua, client.Config{})
		l, err := c.Open(ctx, "hole", proto.DirRecv, client.LinkOptions{})
		require.NoError(t, err)
		go func() {
			n := 0
			for {
				sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
				err := l.Send(sctx, payload)
				cancel()
				if err != nil {
					sent <- n
					return
				}
				n++
			}
		}()
	}
	total := 0
	for i := 0; i < links; i++ {
		total += <-sent
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("flood: %d values of %d bytes held by %d links; host+client heap grew %d KiB (windows %d KiB)",
		total, 4000, links, grown/1024, links*window/1024)
	// Each link can hold at most its byte window: the values buffered in
	// the host are bounded by the windows (the decoded strings cost about
	// their size), whatever the clients try to send.
	assert.LessOrEqual(t, total*4000, links*window+links*4000)
	assert.Less(t, grown, int64(2*links*window), "memory stays under 2x the configured windows")
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("timed out")
	}
}

func encode(t testing.TB, enc proto.Encoding, text string) []byte {
	b, err := proto.AppendValue(nil, enc, gene.MustParse(text))
	require.NoError(t, err)
	return b
}

// TestSlowlorisHandshakeIsCutOff: a peer that trickles its handshake is
// closed after the handshake timeout, and others are served meanwhile.
func TestSlowlorisHandshakeIsCutOff(t *testing.T) {
	_, ua, _ := serve(t, host.Config{HandshakeTimeout: 500 * time.Millisecond}, map[string]host.Handler{"echo": host.Echo}, nil)
	conn := rawclient.Connect(t, ua)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, b := range proto.Preface {
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	healthy(t, ua)
	rawclient.ExpectClosed(t, conn)
	elapsed := time.Since(start)
	assert.Less(t, elapsed, 5*time.Second)
	assert.GreaterOrEqual(t, elapsed, 400*time.Millisecond)
	<-done
}

// TestPeerThatNeverReadsIsClosed: a client that floods requests whose
// answers it never reads fills the host's control queue or stalls its
// sends; the host closes that transport (CALM or SLOW_CONSUMER) instead
// of buffering without bound, and others are served.
func TestPeerThatNeverReadsIsClosed(t *testing.T) {
	_, ua, _ := serve(t, host.Config{Proto: proto.Config{ControlQueue: 4096}},
		map[string]host.Handler{"echo": host.Echo}, map[string]string{"echo": `{^name "echo" ^direction "send+recv" ^flow {^stall-timeout-ms 300}}`})
	rc := rawclient.Dial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
	// Echo requests whose replies this client never reads, and PINGs
	// whose PONGs it never reads.
	val := rc.Encode(fmt.Sprintf("%q", strings.Repeat("z", 1000)))
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b := proto.AppendFrame(nil, proto.TypeData, 0, 1, val)
			b = proto.AppendPingFrame(b, [8]byte{byte(i)})
			if _, err := rc.C.Write(b); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	defer close(stop)
	healthy(t, ua)
	// Now read: the host has given up on this transport or link.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		_ = rc.C.SetReadDeadline(deadline)
		f, err := rc.R.ReadFrame()
		if err != nil {
			return // closed by the host
		}
		switch {
		case f.Type == proto.TypeGoAway:
			g, err := proto.ParseGoAway(f.Payload)
			require.NoError(t, err)
			assert.Equal(t, proto.CodeCalm, g.Code, "%s", g.Text)
			return
		case f.Type == proto.TypeReset && f.Link == 1:
			e, err := proto.ParseReason(f.Payload)
			require.NoError(t, err)
			// SLOW_CONSUMER: the host waited for credit; FLOW_CONTROL:
			// this client, which reads no CREDIT either, overran its own.
			assert.Contains(t, []proto.Code{proto.CodeSlowConsumer, proto.CodeFlowControl}, e.Code, "%s", e.Msg)
			return
		}
	}
	t.Fatal("the host kept a peer that never reads")
}
