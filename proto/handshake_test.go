package proto

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHelloMalformed(t *testing.T) {
	const ok = `^encodings ["gene-text/1"] ^window 65536`
	cases := []struct {
		name    string
		payload string
		code    Code
		msg     string
	}{
		{"not gene", `{^version 1`, CodeProtocolError, "HELLO payload is not valid Gene text"},
		{"not a prop map", `[1 2]`, CodeProtocolError, "must be one prop map {^key value ...}, got a list"},
		{"two values", `{^version 1} {}`, CodeProtocolError, "not valid Gene text"},
		{"no version", `{` + ok + `}`, CodeProtocolError, "HELLO: ^version is missing"},
		{"version 2", `{^version 2 ` + ok + `}`, CodeUnsupportedVersion, "the client speaks protocol version 2; this host speaks 1"},
		{"version string", `{^version "1" ` + ok + `}`, CodeProtocolError, "^version must be an integer, got a string"},
		{"no encodings", `{^version 1 ^window 65536}`, CodeProtocolError, "^encodings is missing"},
		{"encodings not list", `{^version 1 ^encodings "gene-text/1" ^window 65536}`, CodeProtocolError, "^encodings must be a list of strings, got a string"},
		{"encoding not string", `{^version 1 ^encodings [gene-text] ^window 65536}`, CodeProtocolError, "^encodings[0] must be a string, got a symbol"},
		{"empty encodings", `{^version 1 ^encodings [] ^window 65536}`, CodeProtocolError, "^encodings is empty"},
		{"no window", `{^version 1 ^encodings ["gene-text/1"]}`, CodeProtocolError, "^window is missing"},
		{"small window", `{^version 1 ^encodings ["gene-text/1"] ^window 100}`, CodeProtocolError, "^window is 100; it must be between 1024 and"},
		{"huge window", `{^version 1 ^encodings ["gene-text/1"] ^window 123456789012345678901234567890}`, CodeProtocolError, "^window is 123456789012345678901234567890"},
		{"bad limit", `{^version 1 ` + ok + ` ^limits {^max-frame-bytes 100}}`, CodeProtocolError, "HELLO ^limits: ^max-frame-bytes is 100; it must be between 4096 and 16777216"},
		{"zero limit", `{^version 1 ` + ok + ` ^limits {^max-depth 0}}`, CodeProtocolError, "^max-depth is 0"},
		{"limits not map", `{^version 1 ` + ok + ` ^limits 5}`, CodeProtocolError, "^limits must be a prop map, got a int"},
		{"negative keepalive", `{^version 1 ` + ok + ` ^keepalive -1}`, CodeProtocolError, "^keepalive is -1"},
		{"long name", `{^version 1 ` + ok + ` ^name "` + strings.Repeat("n", 300) + `"}`, CodeProtocolError, "^name is 300 bytes; at most 256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseHello([]byte(c.payload))
			require.ErrorIs(t, err, &Error{Code: c.code})
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestParseHelloLenient(t *testing.T) {
	// Whitespace, comments, unknown keys and any key order are accepted.
	h, err := ParseHello([]byte(" \n# a comment\n{^window 4096 ^future-key [1 2] ^encodings [\"x/9\" \"gene-text/1\"] ^version 1}\n"))
	require.NoError(t, err)
	assert.Equal(t, Hello{Version: 1, Encodings: []Encoding{"x/9", EncodingText}, Window: 4096}, h)
}

func TestParseWelcomeNeedsEveryLimit(t *testing.T) {
	w := AppendWelcomeFrame(nil, vecWelcome)
	_, err := ParseWelcome(bytes.Replace(w[HeaderSize:], []byte("^max-links 1024 "), nil, 1))
	require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	assert.Contains(t, err.Error(), "WELCOME ^limits: ^max-links is missing")
	_, err = ParseWelcome([]byte(`{^version 1 ^encoding "gene-text/1" ^keepalive 0 ^window 4096}`))
	assert.ErrorContains(t, err, "^limits is missing")
}

func TestNegotiate(t *testing.T) {
	host := Config{
		Limits:          Limits{MaxFrameBytes: 32768, MaxMessageBytes: 8 << 20},
		Encodings:       []Encoding{EncodingText, EncodingBinary},
		Keepalive:       20 * time.Second,
		TransportWindow: 4 << 20,
		Name:            "genehost/test",
	}
	h := Hello{
		Version:   1,
		Encodings: []Encoding{"json/1", EncodingBinary, EncodingText},
		Window:    2 << 20,
		Keepalive: 60 * time.Second,
		Limits:    Limits{MaxFrameBytes: 65536, MaxLinks: 10},
	}
	w, err := Negotiate(h, host)
	require.NoError(t, err)
	assert.Equal(t, EncodingBinary, w.Encoding, "the client's preference among what the host supports")
	assert.Equal(t, 32768, w.Limits.MaxFrameBytes, "the smaller of both")
	assert.Equal(t, 10, w.Limits.MaxLinks)
	assert.Equal(t, 2<<20, w.Limits.MaxMessageBytes, "capped by the client's window")
	assert.Equal(t, gene.DefaultMaxDepth, w.Limits.MaxDepth)
	assert.Equal(t, 20*time.Second, w.Keepalive)
	assert.Equal(t, uint64(4<<20), w.Window)
	assert.Equal(t, "genehost/test", w.Name)
	require.NoError(t, w.Check(h), "what the host settles passes the client's check")

	_, err = Negotiate(Hello{Version: 1, Encodings: []Encoding{"json/1"}, Window: 4096}, host)
	require.ErrorIs(t, err, &Error{Code: CodeUnsupportedEncoding})
	assert.Contains(t, err.Error(), `the client offers ["json/1"]; this host supports ["gene-text/1" "gene-binary/1"]`)
	_, err = Negotiate(Hello{Version: 3, Encodings: []Encoding{EncodingText}, Window: 4096}, host)
	require.ErrorIs(t, err, &Error{Code: CodeUnsupportedVersion})
}

func TestNegotiateKeepalive(t *testing.T) {
	s := time.Second
	for _, c := range []struct{ host, client, want time.Duration }{
		{30 * s, 0, 30 * s},
		{30 * s, 10 * s, 10 * s},
		{30 * s, 60 * s, 30 * s},
		{0, 10 * s, 10 * s},
		{0, 0, 0},
		{30 * s, 100 * time.Millisecond, s},
		{0, 100 * time.Millisecond, s},
	} {
		assert.Equal(t, c.want, negotiateKeepalive(c.host, c.client), "host %v client %v", c.host, c.client)
	}
	// A host Config with negative Keepalive disables it.
	w, err := Negotiate(Hello{Version: 1, Encodings: []Encoding{EncodingText}, Window: 1 << 30}, Config{Keepalive: -1})
	require.NoError(t, err)
	assert.Zero(t, w.Keepalive)
}

func TestWelcomeCheck(t *testing.T) {
	good := vecWelcome
	require.NoError(t, good.Check(vecHello))
	cases := []struct {
		name   string
		modify func(*Welcome)
		msg    string
	}{
		{"version", func(w *Welcome) { w.Version = 2 }, "protocol version 2"},
		{"encoding not offered", func(w *Welcome) { w.Encoding = "json/1" }, `chose encoding "json/1", which the client did not offer`},
		{"limit out of range", func(w *Welcome) { w.Limits.MaxFrameBytes = 10 }, "limit max-frame-bytes is 10"},
		{"limit above wish", func(w *Welcome) { w.Limits.MaxMessageBytes = 8 << 20 }, "max-message-bytes is 8388608, above the 4194304 the client asked for"},
		{"message above window", func(w *Welcome) { w.Window = 1 << 20 }, "max-message-bytes 4194304 exceeds a transport window"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := good
			c.modify(&w)
			err := w.Check(vecHello)
			require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestNewHello(t *testing.T) {
	h := NewHello(Config{Name: "cli/1", Limits: Limits{MaxLinks: 4}})
	assert.Equal(t, Hello{
		Version: 1, Encodings: []Encoding{EncodingBinary, EncodingText}, Name: "cli/1",
		Keepalive: DefaultKeepalive, Window: DefaultTransportWindow, Limits: Limits{MaxLinks: 4},
	}, h)
	assert.Zero(t, NewHello(Config{Keepalive: -1}).Keepalive)
}

// pipeHandshake runs both sides over net.Pipe.
func pipeHandshake(t *testing.T, h Hello, host Config) (Welcome, error, Hello, Welcome, error) {
	t.Helper()
	c, s := net.Pipe()
	defer c.Close()
	type hostResult struct {
		h   Hello
		w   Welcome
		err error
	}
	hr := make(chan hostResult, 1)
	go func() {
		defer s.Close()
		hh, hw, err := HostHandshake(NewReader(s), s, host)
		hr <- hostResult{hh, hw, err}
	}()
	cw, cerr := ClientHandshake(NewReader(c), c, h)
	c.Close()
	r := <-hr
	return cw, cerr, r.h, r.w, r.err
}

func TestHandshakeOverPipe(t *testing.T) {
	h := NewHello(Config{Name: "cli", Limits: Limits{MaxFrameBytes: 8192}})
	cw, cerr, hh, hw, herr := pipeHandshake(t, h, Config{Name: "host"})
	require.NoError(t, cerr)
	require.NoError(t, herr)
	assert.Equal(t, hw, cw, "both sides agree")
	assert.Equal(t, h, hh)
	assert.Equal(t, 8192, cw.Limits.MaxFrameBytes)
	assert.Equal(t, "host", cw.Name)
}

func TestHandshakeRefused(t *testing.T) {
	h := NewHello(Config{Encodings: []Encoding{EncodingText}})
	_, cerr, _, _, herr := pipeHandshake(t, h, Config{Encodings: []Encoding{EncodingBinary}})
	require.ErrorIs(t, herr, &Error{Code: CodeUnsupportedEncoding})
	require.ErrorIs(t, cerr, &Error{Code: CodeUnsupportedEncoding})
	assert.Contains(t, cerr.Error(), `refused by the peer: the client offers ["gene-text/1"]`)
}

func TestHostHandshakeWrongPeers(t *testing.T) {
	t.Run("http client", func(t *testing.T) {
		var out bytes.Buffer
		_, _, err := HostHandshake(NewReader(strings.NewReader("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), &out, Config{})
		require.ErrorIs(t, err, ErrBadPreface)
		assert.Equal(t, BadPrefaceReply, out.String())
	})
	t.Run("other version", func(t *testing.T) {
		var out bytes.Buffer
		in := append(Preface[:7:7], 2)
		_, _, err := HostHandshake(NewReader(bytes.NewReader(in)), &out, Config{})
		require.ErrorIs(t, err, &Error{Code: CodeUnsupportedVersion})
		// The answer is readable by any version: preface, then GOAWAY.
		r := NewReader(&out)
		v, err := r.ReadPreface()
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		f, err := r.ReadFrame()
		require.NoError(t, err)
		g, err := ParseGoAway(f.Payload)
		require.NoError(t, err)
		assert.Equal(t, GoAway{Code: CodeUnsupportedVersion, Text: "the client speaks protocol version 2; this host speaks 1"}, g)
	})
	t.Run("no hello", func(t *testing.T) {
		var out bytes.Buffer
		in := append(Preface[:], AppendPingFrame(nil, [8]byte{})...)
		_, _, err := HostHandshake(NewReader(bytes.NewReader(in)), &out, Config{})
		require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
		assert.Contains(t, err.Error(), "expected HELLO during the handshake, got PING")
		assert.True(t, bytes.HasPrefix(out.Bytes(), Preface[:]))
	})
	t.Run("malformed hello", func(t *testing.T) {
		var out bytes.Buffer
		in := append(Preface[:], AppendFrame(nil, TypeHello, 0, 0, []byte(`{^version 1}`))...)
		_, _, err := HostHandshake(NewReader(bytes.NewReader(in)), &out, Config{})
		require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
		assert.Contains(t, err.Error(), "^encodings is missing")
	})
	t.Run("oversized hello", func(t *testing.T) {
		var out bytes.Buffer
		in := append(Preface[:], hdr(HandshakeMaxBytes+1, TypeHello, 0, 0)...)
		_, _, err := HostHandshake(NewReader(bytes.NewReader(in)), &out, Config{})
		require.ErrorIs(t, err, &Error{Code: CodeFrameTooLarge})
	})
	t.Run("client hangs up", func(t *testing.T) {
		_, _, err := HostHandshake(NewReader(bytes.NewReader(Preface[:])), io.Discard, Config{})
		require.ErrorIs(t, err, io.EOF)
	})
}

func TestClientHandshakeWrongPeers(t *testing.T) {
	run := func(answer []byte) error {
		_, err := ClientHandshake(NewReader(bytes.NewReader(answer)), io.Discard, NewHello(Config{}))
		return err
	}
	err := run([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	require.ErrorIs(t, err, ErrBadPreface)
	assert.Contains(t, err.Error(), `it sent "HTTP/1.1"`)

	err = run(append(Preface[:7:7], 3))
	require.Error(t, err, "a host of another version that closes")

	bad := AppendFrame(append(Preface[:], nil...), TypeWelcome, 0, 0, []byte(`{^version 1 ^encoding "gene-text/1" ^keepalive 0 ^window 4096}`))
	err = run(bad)
	require.ErrorIs(t, err, &Error{Code: CodeProtocolError})

	w := vecWelcome
	w.Encoding = "json/1"
	err = run(append(Preface[:], AppendWelcomeFrame(nil, w)...))
	assert.ErrorContains(t, err, `chose encoding "json/1"`)
}

func TestOpenAccept(t *testing.T) {
	// A client opening a "send" link receives: credit is required.
	_, err := ParseOpen([]byte(`{^interface "feed" ^direction "send"}`), SideClient)
	require.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	assert.Contains(t, err.Error(), "OPEN: ^msgs is missing")
	// The host opening a "send" link does not receive: credit is ignored.
	o, err := ParseOpen([]byte(`{^interface "feed" ^direction "send" ^msgs 5 ^bytes 5}`), SideHost)
	require.NoError(t, err)
	assert.Equal(t, Open{Interface: "feed", Sub: SubData, Direction: DirSend}, o)

	cases := []struct {
		name, payload string
		code          Code
		msg           string
	}{
		{"no interface", `{^direction "send+recv" ^msgs 1 ^bytes 1}`, CodeProtocolError, "^interface is missing"},
		{"empty interface", `{^interface "" ^direction "recv"}`, CodeProtocolError, "^interface is empty"},
		{"long interface", `{^interface "` + strings.Repeat("i", 257) + `" ^direction "recv"}`, CodeProtocolError, "at most 256"},
		{"bad sub", `{^interface "kv" ^sub "admin" ^direction "recv"}`, CodeUnknownSubInterface, `sub-interface "admin"`},
		{"bad direction", `{^interface "kv" ^direction "both"}`, CodeProtocolError, `OPEN: direction "both" is not`},
		{"zero credit", `{^interface "kv" ^direction "send+recv" ^msgs 0 ^bytes 10}`, CodeProtocolError, "^msgs is 0; it must be between 1"},
		{"meta not map", `{^interface "kv" ^direction "recv" ^meta [1]}`, CodeProtocolError, "^meta must be a prop map, got a list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseOpen([]byte(c.payload), SideClient)
			require.ErrorIs(t, err, &Error{Code: c.code})
			assert.Contains(t, err.Error(), c.msg)
		})
	}

	// Sub defaults to data; control is accepted.
	o, err = ParseOpen([]byte(`{^interface "kv" ^sub "control" ^direction "send+recv" ^msgs 1 ^bytes 1}`), SideClient)
	require.NoError(t, err)
	assert.Equal(t, SubControl, o.Sub)
	assert.True(t, o.Receives(SideClient))
	assert.True(t, o.Receives(SideHost))

	// Metadata must have a text form.
	_, err = AppendOpenFrame(nil, 1, Open{Interface: "kv", Direction: DirRecv, Meta: gene.Props{{Key: "k", Value: gene.Symbol("a b")}}})
	require.ErrorIs(t, err, gene.ErrUnwritable)

	_, err = ParseAccept([]byte(`{^manifest-hash "x"}`), true)
	assert.ErrorContains(t, err, "ACCEPT: ^msgs is missing")
	a, err := ParseAccept([]byte(`{}`), false)
	require.NoError(t, err)
	assert.Equal(t, Accept{}, a)
	a, err = ParseAccept(AppendAcceptFrame(nil, 2, Accept{})[HeaderSize:], false)
	require.NoError(t, err)
	assert.Equal(t, Accept{}, a)
}

func TestValues(t *testing.T) {
	v := gene.MustParse(`(put ^key "a" [1 2.5 #B16#ff])`)
	for _, enc := range []Encoding{EncodingText, EncodingBinary} {
		t.Run(string(enc), func(t *testing.T) {
			p, err := AppendValue(nil, enc, v)
			require.NoError(t, err)
			got, err := DecodeValue(enc, p, gene.Limits{})
			require.NoError(t, err)
			assert.True(t, gene.Equal(v, got))

			_, err = DecodeValue(enc, p, gene.Limits{MaxDepth: 1})
			require.ErrorIs(t, err, &Error{Code: CodeBadValue})
			require.ErrorIs(t, err, gene.ErrLimit, "the gene error is kept")
			assert.Contains(t, err.Error(), "MaxDepth")

			// A Decoder decodes the same, value after value, with the
			// same errors.
			d := NewDecoder(enc, gene.Limits{})
			for range 3 {
				got, err := d.Decode(p)
				require.NoError(t, err)
				assert.True(t, gene.Equal(v, got))
			}
			_, err = NewDecoder(enc, gene.Limits{MaxDepth: 1}).Decode(p)
			require.ErrorIs(t, err, &Error{Code: CodeBadValue})
			require.ErrorIs(t, err, gene.ErrLimit)
		})
	}
	_, err := NewDecoder(EncodingBinary, gene.Limits{}).Decode([]byte{0x01, 0x02})
	assert.ErrorContains(t, err, "1 bytes after the value (at offset 1)")
	_, err = DecodeValue(EncodingText, []byte(`(put`), gene.Limits{})
	require.ErrorIs(t, err, &Error{Code: CodeBadValue})
	var se *gene.SyntaxError
	assert.True(t, errors.As(err, &se))
	_, err = DecodeValue(EncodingText, []byte(`1 2`), gene.Limits{})
	require.ErrorIs(t, err, &Error{Code: CodeBadValue})
	_, err = DecodeValue(EncodingBinary, []byte{0x01, 0x02}, gene.Limits{})
	require.ErrorIs(t, err, &Error{Code: CodeBadValue})
	assert.Contains(t, err.Error(), "1 bytes after the value (at offset 1)")
	_, err = DecodeValue(EncodingBinary, []byte{0xa0}, gene.Limits{})
	require.ErrorIs(t, err, gene.ErrBinary)
	_, err = DecodeValue("json/1", []byte("1"), gene.Limits{})
	assert.ErrorContains(t, err, `unknown encoding "json/1"`)

	_, err = AppendValue(nil, EncodingText, gene.Symbol("a b"))
	require.ErrorIs(t, err, gene.ErrUnwritable)
	p, err := AppendValue(nil, EncodingBinary, gene.Symbol("a b"))
	require.NoError(t, err, "binary carries every value")
	got, err := DecodeValue(EncodingBinary, p, gene.Limits{})
	require.NoError(t, err)
	assert.Equal(t, "a b", got.Str())
}
