package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/genehost/genehost/gene"
)

// valueReader reads Gene values from a text stream as they become
// complete: a value is handed over as soon as the line that finishes it
// has been read, so values typed at a terminal are sent at once. A value
// may span lines; several may share one.
type valueReader struct {
	r       *bufio.Reader
	source  string
	pending []byte // text read but not yet parsed into values
	line    int    // line number (1-based) of pending[0]
	next    int    // line number of the next line to read
	queue   []gene.Value
	err     error
	// resync makes a syntax error non-fatal: Next reports it once, drops
	// the text read so far, and goes on with the next line (interactive
	// use).
	resync bool
}

func newValueReader(r io.Reader, source string) *valueReader {
	return &valueReader{r: bufio.NewReaderSize(r, 64<<10), source: source, line: 1, next: 1}
}

// Next returns the next value, io.EOF at the end of the stream, or a
// syntax error naming the line and column in the whole stream.
func (vr *valueReader) Next() (gene.Value, error) {
	for len(vr.queue) == 0 {
		if vr.err != nil {
			return gene.Value{}, vr.err
		}
		line, rerr := vr.r.ReadBytes('\n')
		if len(vr.pending) == 0 {
			vr.line = vr.next
		}
		vr.next++
		vr.pending = append(vr.pending, line...)
		vals, perr := gene.ParseAll(vr.pending, gene.ReadOptions{Source: vr.source})
		switch {
		case perr == nil:
			vr.queue = vals
			vr.pending = vr.pending[:0]
		case errors.Is(perr, gene.ErrIncomplete) && rerr == nil:
			// The value goes on in the next line.
		default:
			if vr.resync && rerr == nil {
				vr.pending = vr.pending[:0]
				return gene.Value{}, vr.relocate(perr)
			}
			vr.err = vr.relocate(perr)
		}
		if rerr != nil && vr.err == nil {
			if rerr == io.EOF {
				vr.err = io.EOF
			} else {
				vr.err = fmt.Errorf("read %s: %w", vr.source, rerr)
			}
		}
	}
	v := vr.queue[0]
	vr.queue = vr.queue[1:]
	return v, nil
}

// relocate makes the line of a syntax error count from the start of the
// stream rather than from the start of the pending text.
func (vr *valueReader) relocate(err error) error {
	var se *gene.SyntaxError
	if errors.As(err, &se) {
		cp := *se
		cp.Line += vr.line - 1
		for i := range cp.Open {
			cp.Open[i].Line += vr.line - 1
		}
		return &cp
	}
	return err
}
