package badinput_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/client"
	"github.com/genehost/genehost/host/internal/leakcheck"
	"github.com/genehost/genehost/host/internal/rawclient"
	"github.com/genehost/genehost/host/jsrt"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/host/plugindir"
	"github.com/genehost/genehost/host/wasmrt"
	"github.com/genehost/genehost/host/worker/workertest"
	"github.com/genehost/genehost/proto"
)

// lowLimits are the Gene limits the catalogue's clients ask for in HELLO,
// so that limit cases stay small.
var lowLimits = proto.Limits{MaxDepth: 16, MaxElements: 64, MaxStringBytes: 256, MaxIntDigits: 32}

var quiet = hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard})

// hold keeps the host's direction of a link open: it takes its time with
// each batch.
var hold = host.HandlerFuncs{ReceiveFunc: func(ctx context.Context, l host.Link, vs []gene.Value) error {
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	return nil
}}

func server(t *testing.T) (*host.Server, string) {
	t.Helper()
	leakcheck.Verify(t)
	s := host.New(host.Config{Logger: quiet})
	reg := func(text string, h host.Handler) {
		m, err := host.ParseManifest(gene.MustParse(text))
		require.NoError(t, err)
		require.NoError(t, s.Register(m, h))
	}
	reg(`{^name "echo" ^direction "send+recv"}`, host.Echo)
	reg(`{^name "hold" ^direction "send+recv"}`, hold)
	reg(`{^name "feed" ^direction "send"}`, host.HandlerFuncs{})
	reg(`{^name "sink" ^direction "recv"}`, hold)
	reg(`{^name "typed" ^direction "send+recv" ^validate true
	      ^messages {^put {^from "client" ^schema (gene ^head put ^props {^key string ^value int})}}}`, host.Echo)
	addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "bad.sock")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s, addr
}

// flowing proves that a fresh transport still gets service.
func flowing(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, addr, client.Config{})
	require.NoError(t, err)
	defer c.Close()
	l, err := c.Open(ctx, "echo", proto.DirSendRecv, client.LinkOptions{})
	require.NoError(t, err)
	v, err := l.Request(ctx, gene.MustParse("(still ^flowing true)"))
	require.NoError(t, err)
	require.True(t, v.Node().Head.IsSymbol("still"))
}

func dial(t *testing.T, addr string, enc proto.Encoding) *rawclient.Conn {
	return rawclient.DialWith(t, addr, proto.Config{Encodings: []proto.Encoding{enc}, TransportWindow: 1 << 20, Limits: lowLimits})
}

func nested(depth int) gene.Value {
	v := gene.List()
	for i := 1; i < depth; i++ {
		v = gene.List(v)
	}
	return v
}

func ints(n int) gene.Value {
	xs := make([]gene.Value, n)
	for i := range xs {
		xs[i] = gene.Int(int64(i))
	}
	return gene.List(xs...)
}

// The codec: every case is checked twice, by the reader directly (the
// exact error kind) and as a DATA value on a live link (a BAD_VALUE reset
// of that link only; a second link on the same transport keeps flowing).
type codecCase struct {
	name    string
	payload []byte
	kind    error // ErrSyntax, ErrIncomplete, ErrLimit, ErrBinary
}

func textCases() []codecCase {
	long := `"` + strings.Repeat("x", 300) + `"`
	return []codecCase{
		{"text: unclosed list", []byte("[1 2"), gene.ErrIncomplete},
		{"text: unclosed string", []byte(`"abc`), gene.ErrIncomplete},
		{"text: unclosed node", []byte("(a ^b 1"), gene.ErrIncomplete},
		{"text: unclosed map", []byte("{^a 1"), gene.ErrIncomplete},
		{"text: stray closer", []byte("]"), gene.ErrSyntax},
		{"text: mismatched closer", []byte("(a 1]"), gene.ErrSyntax},
		{"text: unknown escape", []byte(`"a\qb"`), gene.ErrSyntax},
		{"text: invalid UTF-8", []byte("\"a\xffb\""), gene.ErrSyntax},
		{"text: prop without value", []byte("{^a}"), gene.ErrSyntax},
		{"text: key without a value", []byte("{^a 1 ^b}"), gene.ErrSyntax},
		{"text: two values", []byte("1 2"), gene.ErrSyntax},
		{"text: only a comment", []byte("# nothing here"), gene.ErrIncomplete},
		{"text: unclosed block comment", []byte("#< never closed"), gene.ErrIncomplete},
		{"text: too deep", []byte(strings.Repeat("[", 17) + strings.Repeat("]", 17)), gene.ErrLimit},
		{"text: too many elements", []byte(gene.Format(ints(65))), gene.ErrLimit},
		{"text: string too long", []byte(long), gene.ErrLimit},
		{"text: integer too long", []byte(strings.Repeat("9", 33)), gene.ErrLimit},
		{"text: duplicate prop key", []byte("{^a 1 ^b 2 ^a 3}"), gene.ErrSyntax},
		{"text: duplicate node prop", []byte("(x ^a 1 ^a void)"), gene.ErrSyntax},
		{"text: duplicate map key", []byte("{{[1 {^a 2}] : x [1 {^a 2}] : y}}"), gene.ErrSyntax},
	}
}

func binaryCases() []codecCase {
	valid := gene.AppendBinary(nil, gene.MustParse(`(request ^method "get" ^path "/x" [1 2 3])`))
	return []codecCase{
		{"binary: truncated", valid[:len(valid)/2], gene.ErrBinary},
		{"binary: unknown tag", []byte{0xa0}, gene.ErrBinary},
		{"binary: non-minimal integer", []byte{0xc4, 0x02}, gene.ErrBinary},
		{"binary: string longer than the payload", []byte{0x45, 'a', 'b'}, gene.ErrBinary},
		{"binary: invalid UTF-8 string", []byte{0x42, 0xff, 0xfe}, gene.ErrBinary},
		{"binary: too deep", gene.AppendBinary(nil, nested(17)), gene.ErrLimit},
		{"binary: too many elements", gene.AppendBinary(nil, ints(65)), gene.ErrLimit},
		{"binary: string too long", gene.AppendBinary(nil, gene.String(strings.Repeat("y", 300))), gene.ErrLimit},
		{"binary: duplicate prop key", gene.AppendBinary(nil, gene.PropMap(gene.Prop{Key: "a", Value: gene.Int(1)}, gene.Prop{Key: "a", Value: gene.Int(2)})), gene.ErrBinary},
		{"binary: duplicate map key", gene.AppendBinary(nil, gene.Map(
			gene.Entry{Key: gene.List(gene.Int(1)), Value: gene.Int(1)}, gene.Entry{Key: gene.List(gene.Int(1)), Value: gene.Int(2)})), gene.ErrBinary},
	}
}

func TestCodecCases(t *testing.T) {
	_, addr := server(t)
	limits := lowLimits.WithDefaults().Gene()
	for _, enc := range []proto.Encoding{proto.EncodingText, proto.EncodingBinary} {
		cases := textCases()
		if enc == proto.EncodingBinary {
			cases = binaryCases()
		}
		rc := dial(t, addr, enc)
		good := uint32(1)
		require.Equal(t, proto.TypeAccept, rc.Open(good, "echo", proto.SubData, proto.DirSendRecv).Type)
		id := uint32(3)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var err error
				if enc == proto.EncodingText {
					_, err = gene.ParseWith(tc.payload, gene.ReadOptions{Limits: limits})
				} else {
					_, _, err = gene.DecodeBinary(tc.payload, gene.BinaryOptions{Limits: limits})
				}
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.kind, "%v", err)

				rc.T = t
				require.Equal(t, proto.TypeAccept, rc.Open(id, "hold", proto.SubData, proto.DirSendRecv).Type)
				rc.Data(id, tc.payload, 0)
				e := rc.ExpectReset(id)
				assert.Equal(t, proto.CodeBadValue, e.Code, "%s", e.Msg)
				rc.Echo(good, `(after ^case "x")`)
				id += 2
			})
		}
	}
	t.Run("binary: trailing bytes", func(t *testing.T) {
		rc := dial(t, addr, proto.EncodingBinary)
		require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
		require.Equal(t, proto.TypeAccept, rc.Open(3, "hold", proto.SubData, proto.DirSendRecv).Type)
		rc.Data(3, append(rc.Encode("1"), rc.Encode("2")...), 0)
		e := rc.ExpectReset(3)
		assert.Equal(t, proto.CodeBadValue, e.Code)
		assert.Contains(t, e.Msg, "after the value")
		rc.Echo(1, "(ok)")
	})
}

// Links: errors that reset one link; a good link on the same transport
// keeps flowing.
func TestLinkCases(t *testing.T) {
	_, addr := server(t)
	type linkCase struct {
		name     string
		iface    string
		dir      proto.Direction
		send     func(rc *rawclient.Conn, id uint32)
		code     proto.Code
		contains string
	}
	val := func(rc *rawclient.Conn, text string) []byte { return rc.Encode(text) }
	cases := []linkCase{
		{"value against a send link", "feed", proto.DirSend, func(rc *rawclient.Conn, id uint32) {
			rc.Data(id, val(rc, "(from client)"), 0)
		}, proto.CodeWrongDirection, "host to client only"},
		{"message credit overrun", "hold", proto.DirSendRecv, func(rc *rawclient.Conn, id uint32) {
			for i := 0; i < 300; i++ {
				rc.Data(id, val(rc, "1"), 0)
			}
		}, proto.CodeFlowControl, "message limit"},
		{"byte credit overrun", "hold", proto.DirSendRecv, func(rc *rawclient.Conn, id uint32) {
			// One value larger than the link's byte window, in fragments.
			chunk := make([]byte, 60000)
			for i := 0; i < 20; i++ {
				rc.Data(id, chunk, proto.FlagMore)
			}
		}, 0, "exceed"},
		{"data after END", "hold", proto.DirSendRecv, func(rc *rawclient.Conn, id uint32) {
			rc.Data(id, val(rc, "1"), proto.FlagEnd)
			rc.Data(id, val(rc, "2"), 0)
		}, proto.CodeProtocolError, "after its END"},
		{"credit for a direction the link lacks", "sink", proto.DirRecv, func(rc *rawclient.Conn, id uint32) {
			rc.Write(proto.AppendCreditFrame(nil, id, proto.Grant{Msgs: 10, Bytes: 1000}))
		}, proto.CodeProtocolError, "does not carry"},
		{"schema mismatch", "typed", proto.DirSendRecv, func(rc *rawclient.Conn, id uint32) {
			rc.Data(id, val(rc, `(put ^key "k" ^value "not an int")`), 0)
		}, proto.CodeSchemaMismatch, "^value"},
		{"schema: wrong head", "typed", proto.DirSendRecv, func(rc *rawclient.Conn, id uint32) {
			rc.Data(id, val(rc, `(get ^key "k")`), 0)
		}, proto.CodeSchemaMismatch, "want symbol put, got symbol get"},
	}
	for _, enc := range []proto.Encoding{proto.EncodingText, proto.EncodingBinary} {
		rc := dial(t, addr, enc)
		require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
		id := uint32(3)
		for _, tc := range cases {
			t.Run(string(enc)+"/"+tc.name, func(t *testing.T) {
				rc.T = t
				require.Equal(t, proto.TypeAccept, rc.Open(id, tc.iface, proto.SubData, tc.dir).Type)
				tc.send(rc, id)
				e := rc.ExpectReset(id)
				if tc.code == 0 { // byte overrun: the window or the message cap, both link errors, each named
					switch e.Code {
					case proto.CodeFlowControl:
						assert.Contains(t, e.Msg, "byte limit")
					case proto.CodeMessageTooLarge:
						assert.Contains(t, e.Msg, "max-message-bytes")
					default:
						t.Errorf("code %s, want FLOW_CONTROL or MESSAGE_TOO_LARGE: %s", e.Code, e.Msg)
					}
				} else {
					assert.Equal(t, tc.code, e.Code, "%s", e.Msg)
				}
				assert.Contains(t, e.Msg, tc.contains)
				rc.Echo(1, "(good ^link 1)")
				id += 2
			})
		}
	}
}

// Opening links: refusals (REJECT) leave the transport working.
func TestOpenCases(t *testing.T) {
	_, addr := server(t)
	rc := dial(t, addr, proto.EncodingBinary)
	require.Equal(t, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
	cases := []struct {
		name    string
		payload string
		code    proto.Code
	}{
		{"unknown interface", `{^interface "nope" ^direction "send+recv" ^msgs 1 ^bytes 1024}`, proto.CodeUnknownInterface},
		{"unknown sub-interface", `{^interface "echo" ^sub "metrics" ^direction "send+recv" ^msgs 1 ^bytes 1024}`, proto.CodeUnknownSubInterface},
		{"$sys has no data", `{^interface "$sys" ^direction "send+recv" ^msgs 1 ^bytes 1024}`, proto.CodeUnknownSubInterface},
		{"direction the interface lacks", `{^interface "feed" ^direction "recv"}`, proto.CodeWrongDirection},
		{"missing direction", `{^interface "echo" ^msgs 1 ^bytes 1024}`, proto.CodeProtocolError},
		{"bad direction name", `{^interface "echo" ^direction "sideways" ^msgs 1 ^bytes 1024}`, proto.CodeProtocolError},
		{"missing credit when receiving", `{^interface "echo" ^direction "send+recv"}`, proto.CodeProtocolError},
		{"zero credit", `{^interface "echo" ^direction "send+recv" ^msgs 0 ^bytes 1024}`, proto.CodeProtocolError},
		{"interface name too long", fmt.Sprintf(`{^interface %q ^direction "recv"}`, strings.Repeat("n", 300)), proto.CodeProtocolError},
		{"not a prop map", `[1 2 3]`, proto.CodeProtocolError},
		{"not Gene text", `{^interface "echo"`, proto.CodeProtocolError},
	}
	id := uint32(3)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc.T = t
			rc.Write(proto.AppendFrame(nil, proto.TypeOpen, 0, id, []byte(tc.payload)))
			e := rc.ExpectReject(id)
			assert.Equal(t, tc.code, e.Code, "%s", e.Msg)
			rc.Echo(1, "(open ^still true)")
			id += 2
		})
	}
	t.Run("DATA before ACCEPT", func(t *testing.T) {
		rc := dial(t, addr, proto.EncodingBinary)
		f, err := proto.AppendOpenFrame(nil, 1, proto.Open{Interface: "hold", Direction: proto.DirSendRecv, Credit: proto.Grant{Msgs: 8, Bytes: 4096}})
		require.NoError(t, err)
		rc.Write(append(f, proto.AppendFrame(nil, proto.TypeData, 0, 1, rc.Encode("1"))...))
		// The host either resets the link (its receiver was not ready)
		// or had already accepted it: both are fine; it never crashes.
		fr := rc.Next(func(f proto.Frame) bool {
			return f.Link == 1 && (f.Type == proto.TypeReset || f.Type == proto.TypeAccept)
		})
		if fr.Type == proto.TypeReset {
			e, _ := proto.ParseReason(fr.Payload)
			assert.Equal(t, proto.CodeFlowControl, e.Code)
		}
		flowing(t, addr)
	})
	t.Run("too many links", func(t *testing.T) {
		rc := rawclient.DialWith(t, addr, proto.Config{Limits: proto.Limits{MaxLinks: 2}})
		require.Equal(t, proto.TypeAccept, rc.Open(1, "hold", proto.SubData, proto.DirSendRecv).Type)
		require.Equal(t, proto.TypeAccept, rc.Open(3, "hold", proto.SubData, proto.DirSendRecv).Type)
		f := rc.Open(5, "hold", proto.SubData, proto.DirSendRecv)
		require.Equal(t, proto.TypeReject, f.Type)
		e, _ := proto.ParseReason(f.Payload)
		assert.Equal(t, proto.CodeTooManyLinks, e.Code)
	})
}

// Frames: structural errors close the offending transport with GOAWAY and
// its code; other transports keep flowing.
func TestTransportCases(t *testing.T) {
	_, addr := server(t)
	frame := func(ty proto.Type, flags proto.Flags, link uint32, p []byte) func(*rawclient.Conn) {
		return func(rc *rawclient.Conn) { rc.Write(proto.AppendFrame(nil, ty, flags, link, p)) }
	}
	opened := func(f func(*rawclient.Conn)) func(*rawclient.Conn) {
		return func(rc *rawclient.Conn) {
			require.Equal(rc.T, proto.TypeAccept, rc.Open(1, "hold", proto.SubData, proto.DirSendRecv).Type)
			f(rc)
		}
	}
	cases := []struct {
		name string
		send func(*rawclient.Conn)
		code proto.Code
	}{
		{"frame over max-frame-bytes", func(rc *rawclient.Conn) {
			h := proto.AppendHeader(nil, proto.Header{Length: uint32(rc.Welcome.Limits.MaxFrameBytes) + 1, Type: proto.TypeData, Link: 1})
			rc.Write(h)
		}, proto.CodeFrameTooLarge},
		{"unknown frame type", frame(0x40, 0, 0, []byte{1, 2}), proto.CodeProtocolError},
		{"type zero", frame(0x00, 0, 0, nil), proto.CodeProtocolError},
		{"DATA on link 0", frame(proto.TypeData, 0, 0, []byte{1}), proto.CodeProtocolError},
		{"DATA with MORE and END", opened(frame(proto.TypeData, proto.FlagMore|proto.FlagEnd, 1, []byte{0x01})), proto.CodeProtocolError},
		{"empty DATA without END", opened(frame(proto.TypeData, 0, 1, nil)), proto.CodeProtocolError},
		{"CREDIT of 15 bytes", frame(proto.TypeCredit, 0, 0, make([]byte, 15)), proto.CodeProtocolError},
		{"PING of 7 bytes", frame(proto.TypePing, 0, 0, make([]byte, 7)), proto.CodeProtocolError},
		{"RESET of 1 byte", opened(frame(proto.TypeReset, 0, 1, []byte{0})), proto.CodeProtocolError},
		{"GOAWAY of 5 bytes", frame(proto.TypeGoAway, 0, 0, make([]byte, 5)), proto.CodeProtocolError},
		{"OPEN on link 0", frame(proto.TypeOpen, 0, 0, []byte(`{^interface "echo" ^direction "recv"}`)), proto.CodeProtocolError},
		{"OPEN with the host's parity", frame(proto.TypeOpen, 0, 2, []byte(`{^interface "echo" ^direction "recv"}`)), proto.CodeProtocolError},
		{"OPEN id not increasing", opened(frame(proto.TypeOpen, 0, 1, []byte(`{^interface "echo" ^direction "recv"}`))), proto.CodeProtocolError},
		{"frame for a link never opened", frame(proto.TypeData, 0, 77, []byte{1}), proto.CodeProtocolError},
		{"ACCEPT for a link the host opened", frame(proto.TypeAccept, 0, 2, []byte(`{}`)), proto.CodeProtocolError},
		{"HELLO after the handshake", frame(proto.TypeHello, 0, 0, []byte(`{^version 1}`)), proto.CodeProtocolError},
		{"CREDIT flood on a link", func(rc *rawclient.Conn) {
			// Each CREDIT raises the limits by one byte while the host
			// sends nothing: free before, now charged like a PING.
			require.Equal(rc.T, proto.TypeAccept, rc.Open(1, "echo", proto.SubData, proto.DirSendRecv).Type)
			var b []byte
			for i := uint64(1); i <= 5000; i++ {
				b = proto.AppendCreditFrame(b, 1, proto.Grant{Msgs: 64, Bytes: 1<<20 + i})
			}
			go rc.C.Write(b)
		}, proto.CodeCalm},
		{"CREDIT flood on the transport window", func(rc *rawclient.Conn) {
			var b []byte
			for i := uint64(1); i <= 5000; i++ {
				b = proto.AppendCreditFrame(b, 0, proto.Grant{Bytes: 1<<40 + i})
			}
			go rc.C.Write(b)
		}, proto.CodeCalm},
		{"control-frame flood", func(rc *rawclient.Conn) {
			var b []byte
			for i := 0; i < 5000; i++ {
				b = proto.AppendPingFrame(b, [8]byte{byte(i), byte(i >> 8)})
			}
			go rc.C.Write(b) // the host stops reading before the end
		}, proto.CodeCalm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dial(t, addr, proto.EncodingBinary)
			tc.send(rc)
			g := rc.ExpectGoAway()
			assert.Equal(t, tc.code, g.Code, "%s", g.Text)
			flowing(t, addr)
		})
	}
}

// The handshake: refusals come as GOAWAY after the host's preface (or the
// plain-text refusal for a peer that is not speaking the protocol).
func TestHandshakeCases(t *testing.T) {
	_, addr := server(t)
	hello := func(payload string) []byte {
		return proto.AppendFrame(proto.Preface[:], proto.TypeHello, 0, 0, []byte(payload))
	}
	cases := []struct {
		name  string
		bytes []byte
		code  proto.Code // 0: the plain-text refusal
	}{
		{"not the protocol (HTTP)", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0},
		{"wrong magic", []byte("\x89GENX\r\n\x01"), 0},
		{"unknown version", append([]byte("\x89GENE\r\n\x09"), proto.AppendFrame(nil, proto.TypeHello, 0, 0, []byte(`{^version 9}`))...), proto.CodeUnsupportedVersion},
		{"HELLO with another version", hello(`{^version 2 ^encodings ["gene-text/1"] ^window 65536}`), proto.CodeUnsupportedVersion},
		{"no encodings", hello(`{^version 1 ^window 65536}`), proto.CodeProtocolError},
		{"only unknown encodings", hello(`{^version 1 ^encodings ["protobuf/3"] ^window 65536}`), proto.CodeUnsupportedEncoding},
		{"window below 1024", hello(`{^version 1 ^encodings ["gene-text/1"] ^window 10}`), proto.CodeProtocolError},
		{"limit out of range", hello(`{^version 1 ^encodings ["gene-text/1"] ^window 65536 ^limits {^max-frame-bytes 10}}`), proto.CodeProtocolError},
		{"HELLO not a map", hello(`[1 2]`), proto.CodeProtocolError},
		{"HELLO not Gene", hello(`{^version`), proto.CodeProtocolError},
		{"first frame not HELLO", proto.AppendFrame(proto.Preface[:], proto.TypeOpen, 0, 1, []byte(`{}`)), proto.CodeProtocolError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := rawclient.Connect(t, addr)
			_, err := conn.Write(tc.bytes)
			require.NoError(t, err)
			out := rawclient.ExpectClosed(t, conn)
			if tc.code == 0 {
				assert.Contains(t, string(out), "genehost: this address speaks the genehost protocol")
			} else {
				require.Greater(t, len(out), 8+proto.HeaderSize, "preface and GOAWAY: %q", out)
				h, err := proto.ParseHeader(out[8 : 8+proto.HeaderSize])
				require.NoError(t, err)
				require.Equal(t, proto.TypeGoAway, h.Type)
				g, err := proto.ParseGoAway(out[8+proto.HeaderSize:])
				require.NoError(t, err)
				assert.Equal(t, tc.code, g.Code, "%s", g.Text)
			}
			flowing(t, addr)
		})
	}
}

// Manifests: a bad manifest is refused with the path of the problem; the
// interfaces registered before keep serving.
func TestManifestCases(t *testing.T) {
	s, addr := server(t)
	cases := []struct{ name, text, contains string }{
		{"not a map", `[1 2]`, "want a prop map"},
		{"missing name", `{^direction "send"}`, "name"},
		{"bad name", `{^name "has space" ^direction "send"}`, "name"},
		{"missing direction", `{^name "x"}`, "direction"},
		{"bad direction", `{^name "x" ^direction "both"}`, "direction"},
		{"wrong type", `{^name "x" ^direction "send" ^version 1}`, "version"},
		{"bad schema", `{^name "x" ^direction "send" ^messages {^m {^from "server" ^schema (nonsense)}}}`, "^messages/^m/^schema"},
		{"message from nobody", `{^name "x" ^direction "send" ^messages {^m {^from "moon" ^schema any}}}`, "from"},
		{"example that fails its schema", `{^name "x" ^direction "send" ^messages {^m {^from "server" ^schema int ^examples ["one"]}}}`, "examples"},
		{"bad overflow policy", `{^name "x" ^direction "send" ^flow {^overflow "explode"}}`, "overflow"},
		{"negative window", `{^name "x" ^direction "send" ^flow {^window -1}}`, "window"},
		{"standard operation redeclared", `{^name "x" ^direction "send" ^control {^ping {^doc "mine"}}}`, "ping"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := host.ParseManifest(gene.MustParse(tc.text))
			require.Error(t, err)
			assert.ErrorIs(t, err, host.ErrManifest)
			assert.Contains(t, err.Error(), tc.contains)
		})
	}
	require.Error(t, s.Register(mustManifest(t, `{^name "echo" ^direction "send"}`), host.Echo), "a taken name is refused")
	flowing(t, addr)
}

func mustManifest(t *testing.T, text string) *host.Manifest {
	m, err := host.ParseManifest(gene.MustParse(text))
	require.NoError(t, err)
	return m
}

// Plugins: a broken plugin is reported with its file and reason, and the
// good plugin beside it loads and serves.
func TestPluginCases(t *testing.T) {
	good := map[string]string{
		"plugin.gene": `{^direction "send+recv"}`,
		"handler.js":  `module.exports = { values(link, values) { values.forEach((v) => link.send(v)) } }`,
	}
	cases := []struct {
		name     string
		files    map[string]string
		contains string
	}{
		{"config not Gene", map[string]string{"plugin.gene": `{^direction "send+recv"`, "handler.js": good["handler.js"]}, "plugin.gene"},
		{"config unknown key", map[string]string{"plugin.gene": `{^direction "send+recv" ^colour 1}`, "handler.js": good["handler.js"]}, "colour"},
		{"config name differs from folder", map[string]string{"plugin.gene": `{^name "other" ^direction "send+recv"}`, "handler.js": good["handler.js"]}, "name"},
		{"config unknown runtime", map[string]string{"plugin.gene": `{^direction "send+recv" ^runtime "cobol"}`, "handler.js": good["handler.js"]}, "runtime"},
		{"config bad instances", map[string]string{"plugin.gene": `{^direction "send+recv" ^instances "some"}`, "handler.js": good["handler.js"]}, "instances"},
		{"config bad limits", map[string]string{"plugin.gene": `{^direction "send+recv" ^limits {^memory-pages "lots"}}`, "handler.js": good["handler.js"]}, "memory-pages"},
		{"no code", map[string]string{"plugin.gene": `{^direction "send+recv"}`}, "no handler.js, .wasm module or Go source"},
		{"JS syntax error", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": "module.exports = { values(link, values) { for ( }"}, "handler.js"},
		{"JS throws at load", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "handler.js": `throw new Error("refusing to start")`}, "refusing to start"},
		{"Wasm garbage", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "bad.wasm": "\x00asm garbage"}, "bad.wasm"},
		{"Wasm without the ABI", map[string]string{"plugin.gene": `{^direction "send+recv"}`, "empty.wasm": "\x00asm\x01\x00\x00\x00"}, "empty.wasm"},
		{"manifest error inside the config", map[string]string{"plugin.gene": `{^direction "send+recv" ^flow {^overflow "explode"}}`, "handler.js": good["handler.js"]}, "overflow"},
	}
	jsr := jsrt.New()
	wr, err := wasmrt.New(wasmrt.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { jsr.Close(context.Background()); wr.Close(context.Background()) })
	runtimes := map[string]plugin.Runtime{"js": jsr, "wasm": wr}
	isolated := workertest.Runtimes(t, quiet) // JavaScript runs in workers by default
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name string, files map[string]string) {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
				for f, content := range files {
					require.NoError(t, os.WriteFile(filepath.Join(dir, name, f), []byte(content), 0o644))
				}
			}
			write("good", good)
			write("broken", tc.files)
			s := host.New(host.Config{Logger: quiet})
			addr, err := s.Listen(host.ListenerConfig{Address: "unix://" + filepath.Join(t.TempDir(), "p.sock")})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			d, err := plugindir.Open(context.Background(), plugindir.Options{Dir: dir, Runtimes: runtimes, Isolated: isolated, Registry: s, Logger: quiet, CacheDir: t.TempDir()})
			require.Error(t, err, "the broken plugin is reported")
			require.NotNil(t, d)
			t.Cleanup(func() { d.Close() })
			assert.Contains(t, err.Error(), "broken")
			assert.Contains(t, err.Error(), tc.contains)
			assert.NotContains(t, err.Error(), filepath.Join(dir, "good"))
			// The broken plugin is a failed interface, refused with its
			// error; the good one serves beside it.
			assert.Equal(t, []string{"broken", "good"}, s.Interfaces())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := client.Dial(ctx, addr, client.Config{})
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Open(ctx, "broken", proto.DirSendRecv, client.LinkOptions{})
			var pe *proto.Error
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, proto.CodePluginFailed, pe.Code)
			assert.Contains(t, pe.Msg, tc.contains)
			l, err := c.Open(ctx, "good", proto.DirSendRecv, client.LinkOptions{})
			require.NoError(t, err)
			v, err := l.Request(ctx, gene.MustParse("(beside ^broken true)"))
			require.NoError(t, err)
			assert.True(t, v.Node().Head.IsSymbol("beside"))
		})
	}
}
