package proto

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Frame is one decoded frame: its header and its payload.
type Frame struct {
	Header
	// Payload is the frame's payload. A Frame returned by Reader.ReadFrame
	// shares the Reader's buffer: it is valid only until the next
	// ReadFrame call, so callers copy (or decode) what they keep.
	Payload []byte
}

// String formats the frame header for logs.
func (f Frame) String() string { return f.Header.String() }

// AppendFrame appends a whole frame (header and payload) to dst. The
// header's Length is taken from len(payload).
func AppendFrame(dst []byte, t Type, flags Flags, link uint32, payload []byte) []byte {
	dst = AppendHeader(dst, Header{Length: uint32(len(payload)), Type: t, Flags: flags, Link: link})
	return append(dst, payload...)
}

// readerBufSize is the bufio buffer NewReader puts in front of a plain
// io.Reader, so reading a header is not one system call per frame. It is
// kept small because every idle transport holds one; payloads larger than
// it are read straight into the payload buffer.
const readerBufSize = 16 << 10

// Reader reads frames from a byte stream. It checks every header before it
// reads the payload, and grows its payload buffer only as payload bytes
// actually arrive, so a header that announces a large length costs no
// memory until the bytes come. It reuses one buffer for all payloads.
//
// A Reader is owned by one goroutine (the transport's reader).
type Reader struct {
	r   io.Reader
	hdr [HeaderSize]byte
	buf []byte
	max uint32
}

// NewReader returns a Reader on r with the handshake payload limit
// (HandshakeMaxBytes) in force. It adds a bufio.Reader unless r already is
// one.
func NewReader(r io.Reader) *Reader {
	if _, ok := r.(*bufio.Reader); !ok {
		r = bufio.NewReaderSize(r, readerBufSize)
	}
	return &Reader{r: r, max: HandshakeMaxBytes}
}

// SetMaxFrameBytes sets the payload limit checked by ReadFrame, normally
// the max-frame-bytes of the WELCOME once the handshake is done.
func (r *Reader) SetMaxFrameBytes(n int) {
	if n < 0 {
		n = 0
	}
	r.max = uint32(min(n, int(^uint32(0)>>1)))
}

// MaxFrameBytes returns the payload limit in force.
func (r *Reader) MaxFrameBytes() int { return int(r.max) }

// ReadFrame reads the next frame. It returns io.EOF when the stream ends
// cleanly before a frame, an error wrapping io.ErrUnexpectedEOF when it
// ends inside one, and an *Error (which closes the transport with its code)
// when the header breaks a rule checked by Header.Check. Frames of unknown
// types with FlagIgnorable are returned like any other: the caller skips
// them (and counts them for the control rate limit).
//
// The returned Payload is valid until the next call.
func (r *Reader) ReadFrame() (Frame, error) {
	if n, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		if err == io.EOF {
			return Frame{}, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, fmt.Errorf("proto: stream ends inside a frame header (%d of %d bytes): %w", n, HeaderSize, err)
		}
		return Frame{}, fmt.Errorf("proto: reading frame header: %w", err)
	}
	h, _ := ParseHeader(r.hdr[:])
	if err := h.Check(r.max); err != nil {
		return Frame{}, err
	}
	p, err := r.readPayload(int(h.Length))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, fmt.Errorf("proto: reading %s payload (%d of %d bytes): %w", h, len(p), h.Length, err)
	}
	return Frame{Header: h, Payload: p}, nil
}

// payloadStep is how much the payload buffer grows at most per step when
// a frame is larger than the buffer: the buffer never runs more than one
// step ahead of the bytes received.
const payloadStep = 64 << 10

// readPayload reads n bytes into the reused buffer. On error it returns
// the part that arrived.
func (r *Reader) readPayload(n int) ([]byte, error) {
	if n <= cap(r.buf) {
		b := r.buf[:n]
		m, err := io.ReadFull(r.r, b)
		return b[:m], err
	}
	b := r.buf[:0]
	for len(b) < n {
		if len(b) == cap(b) {
			grow := min(n, max(2*cap(b), payloadStep), len(b)+payloadStep*16)
			nb := make([]byte, len(b), grow)
			copy(nb, b)
			b = nb
		}
		end := min(n, cap(b))
		m, err := io.ReadFull(r.r, b[len(b):end])
		b = b[:len(b)+m]
		if err != nil {
			r.buf = b[:0]
			return b, err
		}
	}
	r.buf = b[:0]
	return b, nil
}

// Preface is what each side sends first: the magic 0x89 "GENE" CR LF, then
// the protocol version.
var Preface = [8]byte{0x89, 'G', 'E', 'N', 'E', '\r', '\n', Version}

// Version is the protocol version this package speaks.
const Version = 1

// BadPrefaceReply is what a host writes, before closing, to a peer whose
// first bytes are not the preface magic (an HTTP client, a port scanner):
// a plain-text HTTP 400 that both a browser and a human with nc can read.
const BadPrefaceReply = "HTTP/1.0 400 Bad Request\r\n" +
	"Content-Type: text/plain\r\n" +
	"Connection: close\r\n" +
	"\r\n" +
	"genehost: this address speaks the genehost protocol; the peer did not send its preface (see PROTOCOL.md)\n"

// ErrBadPreface matches the error ReadPreface returns when the magic is
// wrong: the peer does not speak this protocol.
var ErrBadPreface = errors.New("proto: peer is not speaking the genehost protocol")

// ReadPreface reads the peer's 8-byte preface and returns the protocol
// version it announces. Wrong magic gives an error matching ErrBadPreface
// that quotes the first bytes received; the version is not checked here,
// the caller compares it with Version.
func (r *Reader) ReadPreface() (int, error) {
	var p [len(Preface)]byte
	n, err := io.ReadFull(r.r, p[:])
	if n > 0 && !magicPrefix(p[:n]) {
		return 0, fmt.Errorf("%w: it sent %q", ErrBadPreface, p[:n])
	}
	if err != nil {
		if err == io.EOF {
			return 0, fmt.Errorf("proto: stream closed before the preface: %w", io.ErrUnexpectedEOF)
		}
		return 0, fmt.Errorf("proto: reading preface (%d of %d bytes): %w", n, len(p), err)
	}
	return int(p[len(p)-1]), nil
}

// magicPrefix reports whether b agrees with the preface magic as far as
// both go.
func magicPrefix(b []byte) bool {
	for i := 0; i < len(b) && i < len(Preface)-1; i++ {
		if b[i] != Preface[i] {
			return false
		}
	}
	return true
}
