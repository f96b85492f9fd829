package proto

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/genehost/genehost/gene"
)

// splitReader returns data in pieces whose sizes come from splits, so a
// fuzz input also chooses where the stream is cut between reads.
type splitReader struct {
	data   []byte
	splits []byte
	i      int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(r.data)
	if len(r.splits) > 0 {
		n = 1 + int(r.splits[r.i%len(r.splits)])%32
		if r.splits[r.i%len(r.splits)] >= 0xf0 {
			n = len(r.data) // now and then a large read
		}
		r.i++
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// FuzzReadFrame reads frames from arbitrary input cut at arbitrary points
// and checks that the reader never panics, never allocates far beyond the
// bytes that arrived, reports only *Error or io errors, and that every
// frame it accepts re-encodes to the bytes it was read from. It also feeds
// each payload to the parser of its type.
func FuzzReadFrame(f *testing.F) {
	entries, _ := os.ReadDir(filepath.Join("testdata", "vectors"))
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "vectors", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		b := parseHexF(data)
		if bytes.HasPrefix(b, Preface[:]) {
			b = b[len(Preface):]
		}
		f.Add(b, []byte{3, 1, 4, 1, 5, 9, 2, 6})
		f.Add(b, []byte{})
	}
	f.Add(hdr(0xffffffff, TypeData, 0, 1), []byte{0})
	f.Add(append(hdr(5, TypeData, FlagMore, 1), "abcde"...), []byte{1})

	f.Fuzz(func(t *testing.T, data, splits []byte) {
		r := NewReader(&splitReader{data: data, splits: splits})
		r.SetMaxFrameBytes(MinFrameBytes)
		var asm Assembler
		asm.Max = 2 * MinFrameBytes
		off := 0
		for {
			fr, err := r.ReadFrame()
			if limit := max(2*len(data), payloadStep); cap(r.buf) > limit {
				t.Fatalf("buffer of %d bytes for %d input bytes", cap(r.buf), len(data))
			}
			if err != nil {
				var pe *Error
				if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &pe) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			n := HeaderSize + len(fr.Payload)
			if got := AppendFrame(nil, fr.Type, fr.Flags, fr.Link, fr.Payload); !bytes.Equal(got, data[off:off+n]) {
				t.Fatalf("frame %s re-encodes differently", fr.Header)
			}
			off += n
			exercisePayload(fr, &asm)
		}
	})
}

// exercisePayload runs the payload parsers; they must not panic.
func exercisePayload(fr Frame, asm *Assembler) {
	switch fr.Type {
	case TypeHello:
		if h, err := ParseHello(fr.Payload); err == nil {
			_, _ = Negotiate(h, Config{})
		}
	case TypeWelcome:
		if w, err := ParseWelcome(fr.Payload); err == nil {
			_ = w.Check(vecHello)
		}
	case TypeOpen:
		_, _ = ParseOpen(fr.Payload, SideClient)
		_, _ = ParseOpen(fr.Payload, SideHost)
	case TypeAccept:
		_, _ = ParseAccept(fr.Payload, true)
	case TypeReject, TypeReset:
		_, _ = ParseReason(fr.Payload)
	case TypeCredit:
		_, _ = ParseCredit(fr.Payload)
	case TypePing, TypePong:
		_, _ = ParsePing(fr.Payload)
	case TypeGoAway:
		_, _ = ParseGoAway(fr.Payload)
	case TypeData:
		v, done, err := asm.Add(fr.Payload, fr.Flags)
		if err == nil && done {
			_, _ = DecodeValue(EncodingText, v, gene.Limits{})
			_, _ = DecodeValue(EncodingBinary, v, gene.Limits{})
		}
	}
}

// parseHexF is parseHex for fuzz seeding (no *testing.T); bad tokens are
// skipped.
func parseHexF(data []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if j := bytes.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		for _, tok := range bytes.Fields(line) {
			var b byte
			ok := len(tok) == 2
			for _, c := range tok {
				switch {
				case c >= '0' && c <= '9':
					b = b<<4 | (c - '0')
				case c >= 'a' && c <= 'f':
					b = b<<4 | (c - 'a' + 10)
				default:
					ok = false
				}
			}
			if ok {
				out = append(out, b)
			}
		}
	}
	return out
}
