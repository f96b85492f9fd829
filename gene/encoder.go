package gene

import (
	"fmt"
	"io"
)

// WriteOptions configures an Encoder. The zero value writes compact text.
type WriteOptions struct {
	// Pretty lays each value out over several lines as AppendPretty does.
	Pretty bool
	// Indent is the text of one indentation level for Pretty. Default "  ".
	Indent string
}

// Encoder writes a stream of Gene values as text, one top-level value per
// line (or per line group when pretty), each ended by a newline so that a
// reader on the other end knows an atom such as 42 is complete.
//
// An Encoder is not safe for concurrent use. It keeps one buffer that it
// reuses, so encoding allocates nothing per value once the buffer has grown
// to the size of the values written.
type Encoder struct {
	w   io.Writer
	o   WriteOptions
	buf []byte
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer, o WriteOptions) *Encoder {
	if o.Indent == "" {
		o.Indent = "  "
	}
	return &Encoder{w: w, o: o}
}

// maxKeptBuffer is the buffer size an Encoder always keeps between values.
// A larger buffer is kept only while the values written fill a quarter of
// it, so one huge value does not pin its memory for the life of the stream
// while a stream of large values still reuses it.
const maxKeptBuffer = 1 << 20

// Encode writes v and a newline with a single Write call. A value with no
// text form that reads back as the same value (see WriteError) is refused
// with an error matching ErrUnwritable, and nothing is written for it. A
// failed Write returns its error wrapped.
func (e *Encoder) Encode(v Value) error {
	var (
		buf []byte
		err error
	)
	if e.o.Pretty {
		buf, err = appendPrettyStrict(e.buf[:0], v, e.o.Indent)
	} else {
		buf, err = AppendTextStrict(e.buf[:0], v)
	}
	if err != nil {
		return err
	}
	buf = append(buf, '\n')
	_, werr := e.w.Write(buf)
	if cap(buf) <= maxKeptBuffer || len(buf) >= cap(buf)/4 {
		e.buf = buf[:0]
	} else {
		e.buf = nil
	}
	if werr != nil {
		return fmt.Errorf("gene: encode: %w", werr)
	}
	return nil
}
