package gene

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// Feeder reads Gene text that arrives in pieces: the caller hands it bytes
// as they come (Feed) and takes complete top-level values out (Next). It is
// the incremental mode under Decoder, for callers that own the I/O (an
// event loop, a frame reassembler, a test splitting input at every byte).
//
// Next tells the three outcomes apart: a value; "need more bytes" (ok
// false, err nil), when the input so far is a valid prefix of a value; and
// an error, when no further input could make it valid. After End, the end
// of the input is known: a final atom completes, a value cut short is an
// error matching ErrIncomplete, and the clean end is io.EOF.
//
// The reader cannot resume in the middle of a value, so while a value
// larger than 4 KiB arrives in pieces, Next reads it again only when a
// piece may finish it (a light scan of the new bytes sees its outermost
// form close) or when the bytes pending have doubled since the last try:
// the total work stays linear in the input. A value is therefore returned
// as soon as it is complete, but an error inside a large value that is
// still open may be reported a little later than the bytes that make it.
//
// A top-level value is complete once one byte after it has arrived: an atom
// such as 42 (or a form such as (f x), which a glued "..." could still
// extend) may continue until a delimiter or whitespace follows it. Our
// writers end every top-level value with a newline for this reason. At End,
// the end of input completes the last value.
//
// Errors carry line and column counted across the whole stream, and their
// Offset is the byte offset in the stream. Limits apply per top-level value;
// a value whose bytes exceed MaxValueBytes is refused as soon as that many
// bytes of it are buffered, not when it ends.
//
// Values returned never share memory with the fed bytes. Like ParseAll,
// values read by one Feeder share a few blocks of memory, so keeping one
// small value alive may keep some of its neighbours' storage alive too.
//
// A Feeder is not safe for concurrent use. Once Next returns an error
// (other than "need more"), every later call returns the same error.
type Feeder struct {
	o   ReadOptions
	max int // Limits.MaxValueBytes with defaults applied
	p   *parser

	buf   []byte
	start int // buf[start:] is not yet consumed
	// Stream position of buf[start]: byte offset, line and column.
	off       int64
	line, col int
	ended     bool
	err       error

	// While the value at buf[start:] is incomplete: the scanner, run
	// lazily from buf[start] up to buf[scanned]; and the end of the buffer
	// and the pending length at the parser's last attempt.
	waiting  bool
	scan     boundary
	scanned  int
	triedEnd int
	tried    int

	attempts int // parser runs, for tests of the retry policy
}

// feederAlwaysRetry is the pending size under which Next reruns the parser
// on every new byte without asking the scanner first: small values cost
// little to reread, and rereading finds their errors as soon as they arrive.
// Tests set it to 0 to drive every value through the scanner.
var feederAlwaysRetry = 4096

// NewFeeder returns a Feeder reading with the options o.
func NewFeeder(o ReadOptions) *Feeder {
	f := &Feeder{o: o, p: new(parser), line: 1, col: 1}
	f.max = o.Limits.WithDefaults().MaxValueBytes
	return f
}

// Feed appends b to the input; the Feeder copies it, so the caller may
// reuse b at once. Feed after End panics.
func (f *Feeder) Feed(b []byte) {
	if f.ended {
		panic("gene: Feeder.Feed after End")
	}
	f.compact(len(b))
	f.buf = append(f.buf, b...)
}

// End marks the end of the input: no more bytes will be fed.
func (f *Feeder) End() { f.ended = true }

// Buffered returns the bytes fed but not yet consumed by a returned value
// or skipped as whitespace and comments. The slice is valid until the next
// call on f.
func (f *Feeder) Buffered() []byte { return f.buf[f.start:] }

// InputOffset returns the stream offset of the first byte not yet consumed:
// just after the last value returned, or after the whitespace and comments
// skipped since.
func (f *Feeder) InputOffset() int64 { return f.off }

// feederKeptBuffer is the buffer size a Feeder always keeps; a larger one
// is given up once the bytes pending fill less than a quarter of it.
const feederKeptBuffer = 1 << 20

// compact makes room for n more bytes, moving the unconsumed bytes to the
// front of the buffer when that frees enough space.
func (f *Feeder) compact(n int) {
	if f.start == 0 {
		return
	}
	if f.start != len(f.buf) && (cap(f.buf)-len(f.buf) >= n && f.start < len(f.buf)/2) {
		return
	}
	var m int
	if rest := len(f.buf) - f.start; cap(f.buf) > feederKeptBuffer && rest+n < cap(f.buf)/4 {
		// A large value has passed: do not pin its buffer for the life of
		// the stream.
		nb := make([]byte, rest, max(rest+n, feederKeptBuffer/16))
		m = copy(nb, f.buf[f.start:])
		f.buf = nb
	} else {
		m = copy(f.buf, f.buf[f.start:])
		f.buf = f.buf[:m]
	}
	f.scanned -= f.start
	f.triedEnd -= f.start
	f.start = 0
}

// Next returns the next top-level value. ok false with a nil error means
// the input so far ends inside a value (or holds only whitespace and
// comments): feed more bytes, or End, and call again. Errors are a
// *SyntaxError or a *LimitError, or io.EOF at the clean end of the input
// after End.
func (f *Feeder) Next() (v Value, ok bool, err error) {
	if f.err != nil {
		return Value{}, false, f.err
	}
	if f.start == len(f.buf) && !f.ended {
		return Value{}, false, nil
	}
	if f.waiting && !f.ended && !f.mayFinish() {
		return Value{}, false, nil
	}
	p := f.p
	f.attempts++
	p.resetWindow(f.buf[f.start:], f.o, position{baseOff: f.off, baseLine: f.line, baseCol: f.col}, !f.ended)
	v, ok, err = p.next()
	if err == nil {
		f.advance(p.pos)
		f.waiting = false
		if ok {
			return v, true, nil
		}
		if f.ended {
			f.err = io.EOF
			return Value{}, false, io.EOF
		}
		return Value{}, false, nil
	}
	p.clearScratch()
	if f.ended || !isIncomplete(err) {
		f.err = err
		return Value{}, false, err
	}
	// Incomplete: drop the whitespace and comments before the value, and
	// wait for more bytes.
	if p.valStart > 0 {
		f.advance(p.valStart)
		f.waiting = false
	}
	pending := len(f.buf) - f.start
	if pending > f.max {
		e := &LimitError{Limit: "MaxValueBytes", Max: f.max, Where: where(f.line, f.col)}
		f.err = e
		return Value{}, false, e
	}
	if !f.waiting {
		f.waiting = true
		f.scan.reset(f.o.Lenient)
		f.scanned = f.start
	}
	f.triedEnd = len(f.buf)
	f.tried = pending
	return Value{}, false, nil
}

// mayFinish decides, while a value is incomplete, whether the bytes that
// arrived since the last attempt are worth another run of the parser: a
// small value always is; a large one when the scanner sees a byte that may
// end it (or an error), or when it has doubled since, so that errors the
// scanner cannot see are still found in time linear in the input.
func (f *Feeder) mayFinish() bool {
	pending := len(f.buf) - f.start
	if pending <= feederAlwaysRetry || pending > f.max || pending >= 2*f.tried {
		return true
	}
	if f.scanned < f.triedEnd {
		// Bytes the parser has seen: they set the scanner's state only.
		f.scan.feed(f.buf[f.scanned:f.triedEnd])
		f.scanned = f.triedEnd
	}
	signal := f.scan.feed(f.buf[f.scanned:])
	f.scanned = len(f.buf)
	return signal
}

// isIncomplete reports whether err says more input could complete the
// value; limit errors never do.
func isIncomplete(err error) bool {
	se, ok := err.(*SyntaxError)
	return ok && se.Incomplete
}

// advance consumes n bytes, moving the stream position past them.
func (f *Feeder) advance(n int) {
	if n == 0 {
		return
	}
	b := f.buf[f.start : f.start+n]
	if nl := bytes.Count(b, []byte{'\n'}); nl > 0 {
		f.line += nl
		f.col = 1 + utf8.RuneCount(b[bytes.LastIndexByte(b, '\n')+1:])
	} else {
		f.col += utf8.RuneCount(b)
	}
	f.off += int64(n)
	f.start += n
}
