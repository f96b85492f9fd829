package host_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/proto"
)

// rawConn is a client written from PROTOCOL.md with the proto package's
// frame helpers only: it sends whatever frames a test wants, including
// wrong ones, and reads the host's answers.
type rawConn struct {
	t       testing.TB
	c       net.Conn
	r       *proto.Reader
	welcome proto.Welcome
}

func rawDial(t testing.TB, addr string, enc proto.Encoding) *rawConn {
	t.Helper()
	conn, err := net.Dial("unix", strings.TrimPrefix(addr, "unix://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	r := proto.NewReader(conn)
	hello := proto.NewHello(proto.Config{Encodings: []proto.Encoding{enc}, TransportWindow: 1 << 20})
	w, err := proto.ClientHandshake(r, conn, hello)
	require.NoError(t, err)
	return &rawConn{t: t, c: conn, r: r, welcome: w}
}

func (rc *rawConn) write(b []byte) {
	rc.t.Helper()
	_, err := rc.c.Write(b)
	require.NoError(rc.t, err)
}

// open sends OPEN for link id and returns the host's answer frame.
func (rc *rawConn) open(id uint32, iface string, sub proto.Sub, dir proto.Direction) proto.Frame {
	rc.t.Helper()
	f, err := proto.AppendOpenFrame(nil, id, proto.Open{Interface: iface, Sub: sub, Direction: dir,
		Credit: proto.Grant{Msgs: 64, Bytes: 1 << 20}})
	require.NoError(rc.t, err)
	rc.write(f)
	return rc.next(func(f proto.Frame) bool { return f.Type == proto.TypeAccept || f.Type == proto.TypeReject })
}

// next reads frames until match accepts one (skipping CREDIT, PING...).
func (rc *rawConn) next(match func(proto.Frame) bool) proto.Frame {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := rc.r.ReadFrame()
		require.NoError(rc.t, err)
		if match(f) {
			f.Payload = append([]byte(nil), f.Payload...)
			return f
		}
	}
}

func (rc *rawConn) data(id uint32, payload []byte, flags proto.Flags) {
	rc.write(proto.AppendFrame(nil, proto.TypeData, flags, id, payload))
}

// expectReset reads until the RESET of link id and returns its code.
func (rc *rawConn) expectReset(id uint32) *proto.Error {
	rc.t.Helper()
	f := rc.next(func(f proto.Frame) bool { return f.Type == proto.TypeReset && f.Link == id })
	e, err := proto.ParseReason(f.Payload)
	require.NoError(rc.t, err)
	return e
}

// expectGoAway reads until GOAWAY and then the end of the stream.
func (rc *rawConn) expectGoAway() proto.GoAway {
	rc.t.Helper()
	f := rc.next(func(f proto.Frame) bool { return f.Type == proto.TypeGoAway })
	g, err := proto.ParseGoAway(f.Payload)
	require.NoError(rc.t, err)
	_ = rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, rc.c)
	if err != nil {
		// The host closed with our unread frames in its buffer: the
		// kernel resets the connection. Either way it is closed.
		require.ErrorIs(rc.t, err, syscall.ECONNRESET, "the host closes the stream after GOAWAY")
	}
	return g
}

func encode(t testing.TB, enc proto.Encoding, text string) []byte {
	b, err := proto.AppendValue(nil, enc, gene.MustParse(text))
	require.NoError(t, err)
	return b
}

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
			rc := rawDial(t, ua, enc)
			good := uint32(1)
			require.Equal(t, proto.TypeAccept, rc.open(good, "echo", proto.SubData, proto.DirSendRecv).Type)
			id := uint32(3)
			next := func() uint32 { id += 2; return id - 2 }
			check := func(name string, code proto.Code, contains string, send func(id uint32)) {
				t.Run(name, func(t *testing.T) {
					l := next()
					// "hold" keeps the host's direction open: its handler
					// takes its time with the first value.
					require.Equal(t, proto.TypeAccept, rc.open(l, "hold", proto.SubData, proto.DirSendRecv).Type)
					send(l)
					e := rc.expectReset(l)
					assert.Equal(t, code, e.Code, "%s", e.Msg)
					assert.Contains(t, e.Msg, contains)
					// The good link on the same transport still echoes.
					rc.data(good, encode(t, enc, `(ping ^n 1)`), 0)
					f := rc.next(func(f proto.Frame) bool { return f.Type == proto.TypeData && f.Link == good })
					v, err := proto.DecodeValue(enc, f.Payload, gene.Limits{})
					require.NoError(t, err)
					assert.Equal(t, "(ping ^n 1)", gene.Format(v))
				})
			}
			check("malformed value", proto.CodeBadValue, "", func(l uint32) {
				if enc == proto.EncodingText {
					rc.data(l, []byte(`(unclosed "x"`), 0)
				} else {
					rc.data(l, []byte{0xff, 0xfe, 0x00}, 0)
				}
			})
			check("two values in one", proto.CodeBadValue, "", func(l uint32) {
				p := encode(t, enc, "1")
				if enc == proto.EncodingText {
					p = append(p, ' ')
				}
				p = append(p, encode(t, enc, "2")...)
				rc.data(l, p, 0)
			})
			check("too deep", proto.CodeBadValue, "epth", func(l uint32) {
				v := gene.List()
				for i := 0; i < 300; i++ {
					v = gene.List(v)
				}
				p, err := proto.AppendValue(nil, enc, v)
				require.NoError(t, err)
				rc.data(l, p, 0)
			})
			check("credit overrun", proto.CodeFlowControl, "", func(l uint32) {
				// The window is 256 values by default: send more.
				for i := 0; i < 300; i++ {
					rc.data(l, encode(t, enc, "[]"), 0)
				}
			})
			check("data after end", proto.CodeProtocolError, "after its END", func(l uint32) {
				rc.data(l, encode(t, enc, "1"), proto.FlagEnd)
				rc.data(l, encode(t, enc, "2"), 0)
			})
		})
	}
}

func TestRawWrongDirectionIsAResetNamingIt(t *testing.T) {
	ua := rawServer(t)
	rc := rawDial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.open(1, "feed", proto.SubData, proto.DirSend).Type)
	rc.data(1, encode(t, proto.EncodingBinary, "(i am the client)"), 0)
	e := rc.expectReset(1)
	assert.Equal(t, proto.CodeWrongDirection, e.Code)
	assert.Contains(t, e.Msg, `link 1 is "send" (host to client only); the client sent a value`)
	healthy(t, ua)
}

func TestRawRefusals(t *testing.T) {
	ua := rawServer(t)
	rc := rawDial(t, ua, proto.EncodingBinary)
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
		f := rc.open(id, tc.iface, tc.sub, tc.dir)
		require.Equal(t, proto.TypeReject, f.Type, "%s", tc.iface)
		e, err := proto.ParseReason(f.Payload)
		require.NoError(t, err)
		assert.Equal(t, tc.code, e.Code, "%s: %s", tc.iface, e.Msg)
	}
	// An unknown sub-interface name is refused too.
	payload := []byte(`{^interface "echo" ^sub "telemetry" ^direction "send+recv" ^msgs 1 ^bytes 1024}`)
	rc.write(proto.AppendFrame(nil, proto.TypeOpen, 0, 21, payload))
	f := rc.next(func(f proto.Frame) bool { return f.Link == 21 })
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
		send func(rc *rawConn)
	}{
		{"oversized frame", proto.CodeFrameTooLarge, func(rc *rawConn) {
			var h [proto.HeaderSize]byte
			binary.BigEndian.PutUint32(h[0:4], uint32(rc.welcome.Limits.MaxFrameBytes)+1)
			h[4] = byte(proto.TypeData)
			binary.BigEndian.PutUint32(h[6:10], 1)
			rc.write(h[:])
		}},
		{"wrong parity", proto.CodeProtocolError, func(rc *rawConn) {
			f, _ := proto.AppendOpenFrame(nil, 2, proto.Open{Interface: "echo", Direction: proto.DirSendRecv, Credit: proto.Grant{Msgs: 1, Bytes: 1024}})
			rc.write(f)
		}},
		{"frame for a link never opened", proto.CodeProtocolError, func(rc *rawConn) {
			rc.data(99, []byte("1"), 0)
		}},
		{"hello after the handshake", proto.CodeProtocolError, func(rc *rawConn) {
			rc.write(proto.AppendFrame(nil, proto.TypeHello, 0, 0, []byte("{}")))
		}},
		{"control flood", proto.CodeCalm, func(rc *rawConn) {
			var b []byte
			for i := 0; i < 5000; i++ {
				b = proto.AppendPingFrame(b, [8]byte{byte(i)})
			}
			go rc.c.Write(b) // the host may stop reading before the end
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := rawDial(t, ua, proto.EncodingBinary)
			tc.send(rc)
			g := rc.expectGoAway()
			assert.Equal(t, tc.code, g.Code, "%s", g.Text)
			healthy(t, ua)
		})
	}
	t.Run("transport window overrun", func(t *testing.T) {
		// Many links, each within its own credit, together beyond the
		// host's transport window of 1 MiB.
		_, ua2, _ := serve(t, host.Config{Proto: proto.Config{TransportWindow: 1 << 20}}, map[string]host.Handler{"hold": hold}, nil)
		rc := rawDial(t, ua2, proto.EncodingBinary)
		val := encode(t, proto.EncodingBinary, fmt.Sprintf("%q", strings.Repeat("x", 50000)))
		var n uint64
		for id := uint32(1); n <= rc.welcome.Window; id += 2 {
			require.Equal(t, proto.TypeAccept, rc.open(id, "hold", proto.SubData, proto.DirSendRecv).Type)
			for j := 0; j < 10 && n <= rc.welcome.Window; j++ {
				rc.data(id, val, 0)
				n += uint64(len(val))
			}
		}
		g := rc.expectGoAway()
		assert.Equal(t, proto.CodeFlowControl, g.Code, "%s", g.Text)
		assert.Contains(t, g.Text, "transport window")
	})
}

func TestRawBadPrefaceGetsAPlainTextRefusal(t *testing.T) {
	ua := rawServer(t)
	conn, err := net.Dial("unix", strings.TrimPrefix(ua, "unix://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(conn)
	require.NoError(t, err)
	assert.Contains(t, string(b), "genehost")
	healthy(t, ua)
}

func TestRawPeerVanishingMidFrameLosesNothingElse(t *testing.T) {
	var closed = make(chan error, 1)
	h := host.HandlerFuncs{
		ReceiveFunc: host.Echo.(host.HandlerFuncs).ReceiveFunc,
		ClosedFunc:  func(l host.Link, err error) { closed <- err },
	}
	_, ua, _ := serve(t, host.Config{}, map[string]host.Handler{"echo": h}, nil)
	rc := rawDial(t, ua, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
	frame := proto.AppendFrame(nil, proto.TypeData, 0, 1, encode(t, proto.EncodingBinary, `"a value cut short"`))
	rc.write(frame[:len(frame)-5])
	rc.c.Close()
	select {
	case err := <-closed:
		require.Error(t, err, "the link ends with an error, not as an orderly close")
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never heard the link close")
	}
	go func() {
		for range closed {
		}
	}()
	healthy(t, ua)
}

func TestKeepaliveClosesAHalfOpenConnection(t *testing.T) {
	_, ua, _ := serve(t, host.Config{Proto: proto.Config{Keepalive: time.Second}},
		map[string]host.Handler{"echo": host.Echo}, nil)
	rc := rawDial(t, ua, proto.EncodingBinary)
	require.Equal(t, time.Second, rc.welcome.Keepalive)
	// Read (so the host can write its PINGs) but never answer.
	start := time.Now()
	var g proto.GoAway
	for {
		_ = rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := rc.r.ReadFrame()
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
