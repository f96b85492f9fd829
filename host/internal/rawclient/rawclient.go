// Package rawclient is a test client of the genehost protocol written
// with the proto package's frame helpers only: after the handshake it
// sends whatever frames a test wants, including wrong ones, and reads the
// host's answers. It is shared by the host's protocol tests and the
// bad-input catalogue.
package rawclient

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Conn is one raw transport.
type Conn struct {
	T       testing.TB
	C       net.Conn
	R       *proto.Reader
	Welcome proto.Welcome
	Enc     proto.Encoding
}

// Connect connects to a unix:// address without a handshake.
func Connect(t testing.TB, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("unix", strings.TrimPrefix(addr, "unix://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Dial connects to a unix:// address and runs the handshake offering only
// enc, with a transport window of 1 MiB.
func Dial(t testing.TB, addr string, enc proto.Encoding) *Conn {
	t.Helper()
	return DialWith(t, addr, proto.Config{Encodings: []proto.Encoding{enc}, TransportWindow: 1 << 20})
}

// DialWith connects and runs the handshake with the HELLO of cfg.
func DialWith(t testing.TB, addr string, cfg proto.Config) *Conn {
	t.Helper()
	conn := Connect(t, addr)
	r := proto.NewReader(conn)
	hello := proto.NewHello(cfg)
	w, err := proto.ClientHandshake(r, conn, hello)
	require.NoError(t, err)
	return &Conn{T: t, C: conn, R: r, Welcome: w, Enc: w.Encoding}
}

// Write writes raw bytes.
func (rc *Conn) Write(b []byte) {
	rc.T.Helper()
	_, err := rc.C.Write(b)
	require.NoError(rc.T, err)
}

// Open sends OPEN for link id (granting 64 values and 1 MiB) and returns
// the host's answer frame (ACCEPT or REJECT).
func (rc *Conn) Open(id uint32, iface string, sub proto.Sub, dir proto.Direction) proto.Frame {
	rc.T.Helper()
	f, err := proto.AppendOpenFrame(nil, id, proto.Open{Interface: iface, Sub: sub, Direction: dir,
		Credit: proto.Grant{Msgs: 64, Bytes: 1 << 20}})
	require.NoError(rc.T, err)
	rc.Write(f)
	return rc.Next(func(f proto.Frame) bool {
		return f.Link == id && (f.Type == proto.TypeAccept || f.Type == proto.TypeReject)
	})
}

// Next reads frames until match accepts one (skipping CREDIT, PING...),
// failing the test after 10 seconds or at the end of the stream.
func (rc *Conn) Next(match func(proto.Frame) bool) proto.Frame {
	rc.T.Helper()
	_ = rc.C.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := rc.R.ReadFrame()
		require.NoError(rc.T, err)
		if match(f) {
			f.Payload = append([]byte(nil), f.Payload...)
			return f
		}
	}
}

// Data sends one DATA frame.
func (rc *Conn) Data(id uint32, payload []byte, flags proto.Flags) {
	rc.Write(proto.AppendFrame(nil, proto.TypeData, flags, id, payload))
}

// Encode encodes a value written in Gene text in the transport's encoding.
func (rc *Conn) Encode(text string) []byte {
	b, err := proto.AppendValue(nil, rc.Enc, gene.MustParse(text))
	require.NoError(rc.T, err)
	return b
}

// Echo sends text on link id and checks that the same value comes back.
func (rc *Conn) Echo(id uint32, text string) {
	rc.T.Helper()
	rc.Data(id, rc.Encode(text), 0)
	f := rc.Next(func(f proto.Frame) bool { return f.Type == proto.TypeData && f.Link == id })
	v, err := proto.DecodeValue(rc.Enc, f.Payload, gene.Limits{})
	require.NoError(rc.T, err)
	require.True(rc.T, gene.Equal(gene.MustParse(text), v), "echo of %s gave %s", text, v)
}

// ExpectReset reads until the RESET of link id and returns its reason.
func (rc *Conn) ExpectReset(id uint32) *proto.Error {
	rc.T.Helper()
	f := rc.Next(func(f proto.Frame) bool { return f.Type == proto.TypeReset && f.Link == id })
	e, err := proto.ParseReason(f.Payload)
	require.NoError(rc.T, err)
	return e
}

// ExpectReject reads until the REJECT of link id and returns its reason.
func (rc *Conn) ExpectReject(id uint32) *proto.Error {
	rc.T.Helper()
	f := rc.Next(func(f proto.Frame) bool { return f.Type == proto.TypeReject && f.Link == id })
	e, err := proto.ParseReason(f.Payload)
	require.NoError(rc.T, err)
	return e
}

// ExpectGoAway reads until GOAWAY, checks that the stream then ends, and
// returns the GOAWAY.
func (rc *Conn) ExpectGoAway() proto.GoAway {
	rc.T.Helper()
	f := rc.Next(func(f proto.Frame) bool { return f.Type == proto.TypeGoAway })
	g, err := proto.ParseGoAway(f.Payload)
	require.NoError(rc.T, err)
	ExpectClosed(rc.T, rc.C)
	return g
}

// ExpectClosed reads conn to its end: the host closed it.
func ExpectClosed(t testing.TB, conn net.Conn) []byte {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		// A reset means the host closed with our unread bytes in its
		// buffer: closed all the same.
		require.NoError(t, err, "the host closes the stream")
	}
	return b
}
