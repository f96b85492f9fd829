package proto

import (
	"bytes"
	"testing"
)

func BenchmarkAppendFrame(b *testing.B) {
	payload := bytes.Repeat([]byte{'p'}, 100)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(HeaderSize + len(payload)))
	for b.Loop() {
		buf = AppendFrame(buf[:0], TypeData, FlagEnd, 7, payload)
	}
}

func BenchmarkAppendCreditFrame(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendCreditFrame(buf[:0], 7, Grant{Msgs: 100, Bytes: 1 << 20})
	}
}

// rewindReader serves the same stream forever.
type rewindReader struct {
	data []byte
	pos  int
}

func (r *rewindReader) Read(p []byte) (int, error) {
	if r.pos == len(r.data) {
		r.pos = 0
	}
	n := copy(p, r.data[r.pos:])
	r.pos += n
	return n, nil
}

func benchReadFrame(b *testing.B, size int) {
	var stream []byte
	for range 64 {
		stream = AppendFrame(stream, TypeData, 0, 3, bytes.Repeat([]byte{'d'}, size))
	}
	r := NewReader(&rewindReader{data: stream})
	r.SetMaxFrameBytes(MaxFrameBytes)
	b.ReportAllocs()
	b.SetBytes(int64(HeaderSize + size))
	for b.Loop() {
		if _, err := r.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadFrameSmall(b *testing.B) { benchReadFrame(b, 100) }
func BenchmarkReadFrameLarge(b *testing.B) { benchReadFrame(b, 64<<10) }

func BenchmarkParseHello(b *testing.B) {
	p := AppendHelloFrame(nil, vecHello)[HeaderSize:]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHello(p); err != nil {
			b.Fatal(err)
		}
	}
}
