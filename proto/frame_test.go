package proto

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{Length: 0x01020304, Type: TypeData, Flags: FlagMore | FlagIgnorable, Link: 0xfffffffe}
	b := AppendHeader(nil, h)
	require.Len(t, b, HeaderSize)
	require.Equal(t, []byte{1, 2, 3, 4, 6, 0x81, 0xff, 0xff, 0xff, 0xfe}, b)
	got, err := ParseHeader(b)
	require.NoError(t, err)
	require.Equal(t, h, got)
	_, err = ParseHeader(b[:9])
	require.ErrorContains(t, err, "needs 10 bytes, have 9")
	assert.Equal(t, "DATA link=4294967294 flags=MORE|IGNORABLE len=16909060", h.String())
}

func TestReadFrameSequence(t *testing.T) {
	var stream []byte
	stream = AppendFrame(stream, TypeData, FlagMore, 1, []byte("abc"))
	stream = AppendCreditFrame(stream, 1, Grant{Msgs: 1, Bytes: 2})
	stream = AppendEndFrame(stream, 1)
	big := bytes.Repeat([]byte{7}, 200_000)
	stream = AppendFrame(stream, TypeData, 0, 3, big)

	// One byte per Read: the reader must reassemble headers and payloads
	// from arbitrary splits.
	r := NewReader(iotest.OneByteReader(bytes.NewReader(stream)))
	r.SetMaxFrameBytes(MaxFrameBytes)
	f, err := r.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, Header{Length: 3, Type: TypeData, Flags: FlagMore, Link: 1}, f.Header)
	assert.Equal(t, "abc", string(f.Payload))
	f, err = r.ReadFrame()
	require.NoError(t, err)
	g, err := ParseCredit(f.Payload)
	require.NoError(t, err)
	assert.Equal(t, Grant{Msgs: 1, Bytes: 2}, g)
	f, err = r.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, Header{Type: TypeData, Flags: FlagEnd, Link: 1}, f.Header)
	assert.Empty(t, f.Payload)
	f, err = r.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, big, f.Payload)
	_, err = r.ReadFrame()
	require.Equal(t, io.EOF, err)
}

// hdr builds a header's bytes for the malformed cases.
func hdr(length uint32, t Type, f Flags, link uint32) []byte {
	return AppendHeader(nil, Header{Length: length, Type: t, Flags: f, Link: link})
}

func TestReadFrameMalformed(t *testing.T) {
	withPayload := func(h []byte, n int) []byte { return append(h, make([]byte, n)...) }
	cases := []struct {
		name  string
		input []byte
		code  Code   // expected *Error code, when the error is one
		eof   bool   // expected io.ErrUnexpectedEOF
		msg   string // expected text in the error
	}{
		{name: "truncated header", input: []byte{0, 0, 0}, eof: true, msg: "inside a frame header (3 of 10 bytes)"},
		{name: "truncated payload", input: withPayload(hdr(10, TypeData, 0, 1), 4), eof: true, msg: "(4 of 10 bytes)"},
		{name: "oversized length", input: hdr(65537, TypeData, 0, 1), code: CodeFrameTooLarge, msg: "65537-byte payload; the limit is 65536"},
		{name: "huge length", input: hdr(0xffffffff, TypeData, 0, 1), code: CodeFrameTooLarge, msg: "limit is 65536"},
		{name: "type zero, empty", input: hdr(0, 0, 0, 0), code: CodeProtocolError, msg: "frame type 0x00 on link 0 is never valid"},
		{name: "unknown type", input: withPayload(hdr(2, 0x40, 0, 0), 2), code: CodeProtocolError, msg: "unknown frame type 0x40 on link 0 without the IGNORABLE flag"},
		{name: "type zero", input: withPayload(hdr(2, 0, 0, 0), 2), code: CodeProtocolError, msg: "frame type 0x00 on link 0 is never valid"},
		{name: "type zero, ignorable", input: withPayload(hdr(2, 0, FlagIgnorable, 5), 2), code: CodeProtocolError, msg: "frame type 0x00 on link 5 is never valid, IGNORABLE or not"},
		{name: "data on link 0", input: withPayload(hdr(1, TypeData, 0, 0), 1), code: CodeProtocolError, msg: "DATA frame on link 0"},
		{name: "open on link 0", input: withPayload(hdr(1, TypeOpen, 0, 0), 1), code: CodeProtocolError, msg: "OPEN frame on link 0"},
		{name: "accept on link 0", input: withPayload(hdr(1, TypeAccept, 0, 0), 1), code: CodeProtocolError, msg: "ACCEPT frame on link 0"},
		{name: "reset on link 0", input: withPayload(hdr(2, TypeReset, 0, 0), 2), code: CodeProtocolError, msg: "RESET frame on link 0"},
		{name: "reject on link 0", input: withPayload(hdr(2, TypeReject, 0, 0), 2), code: CodeProtocolError, msg: "REJECT frame on link 0"},
		{name: "ping on a link", input: withPayload(hdr(8, TypePing, 0, 3), 8), code: CodeProtocolError, msg: "PING frame on link 3; it must be on link 0"},
		{name: "hello on a link", input: withPayload(hdr(2, TypeHello, 0, 1), 2), code: CodeProtocolError, msg: "HELLO frame on link 1"},
		{name: "goaway on a link", input: withPayload(hdr(6, TypeGoAway, 0, 2), 6), code: CodeProtocolError, msg: "GOAWAY frame on link 2"},
		{name: "short ping", input: withPayload(hdr(7, TypePing, 0, 0), 7), code: CodeProtocolError, msg: "PING frame on link 0 has a 7-byte payload; it must be exactly 8"},
		{name: "long pong", input: withPayload(hdr(9, TypePong, 0, 0), 9), code: CodeProtocolError, msg: "exactly 8"},
		{name: "short credit", input: withPayload(hdr(15, TypeCredit, 0, 1), 15), code: CodeProtocolError, msg: "exactly 16"},
		{name: "short reset", input: withPayload(hdr(1, TypeReset, 0, 1), 1), code: CodeProtocolError, msg: "at least 2 (the code)"},
		{name: "short reject", input: withPayload(hdr(0, TypeReject, 0, 1), 0), code: CodeProtocolError, msg: "at least 2 (the code)"},
		{name: "short goaway", input: withPayload(hdr(5, TypeGoAway, 0, 0), 5), code: CodeProtocolError, msg: "at least 6"},
		{name: "more and end", input: withPayload(hdr(1, TypeData, FlagMore|FlagEnd, 1), 1), code: CodeProtocolError, msg: "both MORE and END"},
		{name: "empty data", input: hdr(0, TypeData, 0, 1), code: CodeProtocolError, msg: "empty DATA frame on link 1 without END"},
		{name: "empty data with more", input: hdr(0, TypeData, FlagMore, 1), code: CodeProtocolError, msg: "without END"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(c.input)).ReadFrame()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
			if c.eof {
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
				return
			}
			var pe *Error
			require.True(t, errors.As(err, &pe), "want *Error, got %T: %v", err, err)
			assert.Equal(t, c.code, pe.Code)
		})
	}
}

func TestReadFrameIgnorableUnknown(t *testing.T) {
	stream := AppendFrame(nil, 0x41, FlagIgnorable|0x04, 9, []byte("future"))
	stream = AppendPingFrame(stream, [8]byte{1})
	r := NewReader(bytes.NewReader(stream))
	f, err := r.ReadFrame()
	require.NoError(t, err)
	assert.False(t, f.Type.Known())
	assert.Equal(t, "TYPE(0x41)", f.Type.String())
	assert.Equal(t, "future", string(f.Payload))
	f, err = r.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, TypePing, f.Type)
}

func TestReadFrameUndefinedFlagsIgnored(t *testing.T) {
	// Undefined flag bits do not make a frame invalid.
	f, err := NewReader(bytes.NewReader(AppendFrame(nil, TypePing, 0x7c, 0, make([]byte, 8)))).ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, Flags(0x7c), f.Flags)
}

func TestReadFrameAllocatesAsBytesArrive(t *testing.T) {
	// A header that announces 16 MiB followed by 100 bytes must not make
	// the reader allocate 16 MiB.
	input := append(hdr(MaxFrameBytes, TypeData, 0, 1), make([]byte, 100)...)
	r := NewReader(bytes.NewReader(input))
	r.SetMaxFrameBytes(MaxFrameBytes)
	_, err := r.ReadFrame()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.LessOrEqual(t, cap(r.buf), 2*payloadStep)

	// A length over the limit is refused before any payload byte is read.
	r = NewReader(bytes.NewReader(append(hdr(70000, TypeData, 0, 1), make([]byte, 70000)...)))
	_, err = r.ReadFrame()
	require.ErrorIs(t, err, &Error{Code: CodeFrameTooLarge})
	assert.Zero(t, cap(r.buf))
}

func TestReadFrameReusesBuffer(t *testing.T) {
	var stream []byte
	for range 3 {
		stream = AppendFrame(stream, TypeData, 0, 1, []byte("0123456789"))
	}
	r := NewReader(bytes.NewReader(stream))
	f1, err := r.ReadFrame()
	require.NoError(t, err)
	f2, err := r.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, &f1.Payload[0], &f2.Payload[0], "payload buffer is reused")
}

func TestPreface(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		version int
		err     error
		msg     string
	}{
		{name: "ours", input: string(Preface[:]), version: 1},
		{name: "other version", input: string(Preface[:7]) + "\x02", version: 2},
		{name: "http", input: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", err: ErrBadPreface, msg: `it sent "GET / HT"`},
		{name: "http short", input: "GET", err: ErrBadPreface, msg: `it sent "GET"`},
		{name: "tls", input: "\x16\x03\x01\x02\x00\x01\x00\x01", err: ErrBadPreface},
		{name: "truncated", input: string(Preface[:5]), err: io.ErrUnexpectedEOF, msg: "5 of 8 bytes"},
		{name: "empty", input: "", err: io.ErrUnexpectedEOF, msg: "closed before the preface"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := NewReader(bytes.NewReader([]byte(c.input))).ReadPreface()
			if c.err != nil {
				require.ErrorIs(t, err, c.err)
				assert.Contains(t, err.Error(), c.msg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.version, v)
		})
	}
	assert.Contains(t, BadPrefaceReply, "HTTP/1.0 400 Bad Request\r\n")
}

func TestAppendDataAndAssembler(t *testing.T) {
	value := bytes.Repeat([]byte("0123456789"), 1000) // 10000 bytes
	stream := AppendData(nil, 5, value, 4096, true)
	r := NewReader(bytes.NewReader(stream))
	a := Assembler{Max: 10000}
	var flags []Flags
	for {
		f, err := r.ReadFrame()
		require.NoError(t, err)
		require.Equal(t, uint32(5), f.Link)
		assert.LessOrEqual(t, len(f.Payload), 4096)
		flags = append(flags, f.Flags)
		got, done, err := a.Add(f.Payload, f.Flags)
		require.NoError(t, err)
		if done {
			assert.Equal(t, value, got)
			break
		}
		assert.True(t, a.InProgress())
	}
	assert.Equal(t, []Flags{FlagMore, FlagMore, FlagEnd}, flags)
	assert.False(t, a.InProgress())

	assert.Equal(t, AppendEndFrame(nil, 5), AppendData(nil, 5, nil, 4096, true))
	assert.Empty(t, AppendData(nil, 5, nil, 4096, false))
}

func TestAssemblerLimits(t *testing.T) {
	a := Assembler{Max: 10}
	_, _, err := a.Add(make([]byte, 11), 0)
	require.ErrorIs(t, err, &Error{Code: CodeMessageTooLarge})

	_, done, err := a.Add(make([]byte, 6), FlagMore)
	require.NoError(t, err)
	require.False(t, done)
	_, _, err = a.Add(make([]byte, 5), 0)
	require.ErrorIs(t, err, &Error{Code: CodeMessageTooLarge})
	assert.Contains(t, err.Error(), "11 bytes and more to come")
	assert.False(t, a.InProgress(), "the refused value is dropped")

	// A single-frame value aliases the payload; an END-only frame is no
	// value.
	p := []byte("xyz")
	v, done, err := a.Add(p, FlagEnd)
	require.NoError(t, err)
	require.True(t, done)
	assert.Equal(t, &p[0], &v[0])
	v, done, err = a.Add(nil, FlagEnd)
	require.NoError(t, err)
	assert.False(t, done)
	assert.Nil(t, v)

	// An empty END frame completes a value in progress.
	_, _, err = a.Add([]byte("ab"), FlagMore)
	require.NoError(t, err)
	v, done, err = a.Add(nil, FlagEnd)
	require.NoError(t, err)
	require.True(t, done)
	assert.Equal(t, "ab", string(v))
}

func TestPayloadParsers(t *testing.T) {
	_, err := ParseCredit(make([]byte, 15))
	assert.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	_, err = ParseReason([]byte{1})
	assert.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	_, err = ParseGoAway(make([]byte, 5))
	assert.ErrorIs(t, err, &Error{Code: CodeProtocolError})
	_, err = ParsePing(make([]byte, 9))
	assert.ErrorIs(t, err, &Error{Code: CodeProtocolError})

	e, err := ParseReason([]byte{0, 99, 'o', 0xff, 'k'})
	require.NoError(t, err)
	assert.Equal(t, Code(99), e.Code)
	assert.Equal(t, "o\uFFFDk", e.Msg)
	assert.Equal(t, "proto: CODE(99): o\uFFFDk", e.Error())

	// Long texts are cut at a character boundary.
	long := bytes.Repeat([]byte("é"), MaxReasonBytes)
	f := AppendResetFrame(nil, 1, &Error{Code: CodeInternal, Msg: string(long)})
	e, err = ParseReason(f[HeaderSize:])
	require.NoError(t, err)
	assert.Equal(t, MaxReasonBytes, len(e.Msg))
	assert.Equal(t, string(long[:MaxReasonBytes]), e.Msg)

	assert.True(t, GoAway{Code: CodeShutdown}.Graceful())
	assert.False(t, GoAway{Code: CodeCalm}.Graceful())
	assert.NoError(t, GoAway{}.Err())
	assert.ErrorIs(t, GoAway{Code: CodeCalm, Text: "x"}.Err(), &Error{Code: CodeCalm})
	// The transport window's message field is always sent as 0.
	g, err := ParseCredit(AppendCreditFrame(nil, 0, Grant{Msgs: 5, Bytes: 6})[HeaderSize:])
	require.NoError(t, err)
	assert.Equal(t, Grant{Bytes: 6}, g)
}
