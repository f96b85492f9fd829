package gene

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Decoder reads a stream of Gene text values from an io.Reader, one
// top-level value per Decode call, for streams with no end in sight (a
// socket, a pipe). It is a Feeder that reads its own input.
//
// Decode returns a value as soon as the bytes read so far complete it: it
// calls Read only while the buffered input ends inside a value, so it never
// blocks waiting for bytes past the end of a value it could already
// return. A top-level value is complete once one byte after it has been
// read (a delimiter, whitespace or the start of the next value), because
// an atom such as 42, or a form followed by a glued "...", may continue;
// at the end of the input (io.EOF from the reader) the last value is
// complete as it stands. Our Encoder ends every value with a newline, so a
// peer using it is never kept waiting.
//
// Read may return more bytes than the current value needs; the Decoder
// keeps them for the next Decode (Buffered returns them). It asks for at
// most MaxValueBytes past the start of the pending value, so a value over
// the limit fails with a *LimitError before it is buffered whole.
//
// Errors: io.EOF at the clean end of the input; a *SyntaxError (matching
// ErrSyntax, and ErrIncomplete when the input ends inside a value) with
// line and column counted across the whole stream; a *LimitError; or the
// reader's error, wrapped. After an error every Decode returns it again.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	r   io.Reader
	f   *Feeder
	err error // sticky read error, returned after the buffered values
}

// NewDecoder returns a Decoder reading from r with the options o.
func NewDecoder(r io.Reader, o ReadOptions) *Decoder {
	return &Decoder{r: r, f: NewFeeder(o)}
}

// decoderMinRead is the least free space a Decoder offers to Read.
const decoderMinRead = 4096

// maxEmptyReads is how many Read calls in a row may return nothing before
// the Decoder gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// Decode reads and returns the next top-level value.
func (d *Decoder) Decode() (Value, error) {
	f := d.f
	empty := 0
	for {
		v, ok, err := f.Next()
		if ok {
			return v, nil
		}
		if err != nil {
			return Value{}, err
		}
		if d.err != nil {
			return Value{}, d.err
		}
		n, err := d.read()
		if n > 0 {
			empty = 0
		} else if err == nil {
			if empty++; empty >= maxEmptyReads {
				err = io.ErrNoProgress
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			f.End()
		case err != nil:
			d.err = fmt.Errorf("gene: decode: read: %w", err)
		}
	}
}

// read reads once from r into the Feeder's buffer, growing it as the
// pending value grows, and never past MaxValueBytes+1 bytes of pending
// input (one byte over lets the Feeder tell an over-long value from one
// exactly at the limit).
func (d *Decoder) read() (int, error) {
	f := d.f
	pending := len(f.buf) - f.start
	want := max(decoderMinRead, pending)
	if room := f.max - pending + 1; f.max < unlimited && room < want {
		want = max(room, 1)
	}
	f.compact(want)
	if cap(f.buf)-len(f.buf) < want {
		nb := make([]byte, len(f.buf), len(f.buf)+max(want, len(f.buf)))
		copy(nb, f.buf)
		f.buf = nb
	}
	end := len(f.buf)
	n, err := d.r.Read(f.buf[end : end+want])
	if n < 0 || n > want {
		return 0, fmt.Errorf("reader returned %d bytes for a buffer of %d", n, want)
	}
	f.buf = f.buf[:end+n]
	return n, err
}

// Buffered returns a reader of the bytes read from r but not yet consumed
// by a returned value. It is valid until the next Decode.
func (d *Decoder) Buffered() io.Reader { return bytes.NewReader(d.f.Buffered()) }

// InputOffset returns the stream offset just past the last value returned
// (and any whitespace and comments skipped after it).
func (d *Decoder) InputOffset() int64 { return d.f.InputOffset() }
