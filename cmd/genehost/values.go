package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/genehost/genehost/gene"
)

// valueSource yields values one at a time, io.EOF at the end.
type valueSource interface {
	Next() (gene.Value, error)
}

// reader returns the values of the text stream r in syntax s: Gene text
// through a gene.Decoder (a value is handed over as soon as it is
// complete), JSON documents through a valueReader (at the end of the line
// that completes them). Syntax errors of Gene text that looks like JSON
// say so.
func (s syntax) reader(r io.Reader, source string) valueSource {
	if s.json {
		return newValueReader(r, source, s)
	}
	return decoderSource{gene.NewDecoder(r, gene.ReadOptions{Source: source})}
}

type decoderSource struct{ dec *gene.Decoder }

func (d decoderSource) Next() (gene.Value, error) {
	v, err := d.dec.Decode()
	return v, jsonHint(err, nil)
}

// valueReader reads values from a text stream as they become complete: a
// value is handed over as soon as the line that finishes it has been
// read, so values typed at a terminal are sent at once. A value may span
// lines; several may share one.
type valueReader struct {
	r       *bufio.Reader
	source  string
	syntax  syntax
	pending []byte // text read but not yet parsed into values
	line    int    // line number (1-based) of pending[0]
	next    int    // line number of the next line to read
	queue   []gene.Value
	err     error
	// resync makes a syntax error non-fatal: Next reports it once, drops
	// the text read so far, and goes on with the next line (interactive
	// use). The end of the input inside a value is still the end: Next
	// reports it once, then io.EOF.
	resync bool
}

func newValueReader(r io.Reader, source string, s syntax) *valueReader {
	return &valueReader{r: bufio.NewReaderSize(r, 64<<10), source: source, syntax: s, line: 1, next: 1}
}

// Next returns the next value, io.EOF at the end of the stream, or a
// syntax error naming the line and column in the whole stream. A syntax
// error that ends the stream is returned once; Next then returns io.EOF.
func (vr *valueReader) Next() (gene.Value, error) {
	for len(vr.queue) == 0 {
		if vr.err != nil {
			err := vr.err
			if !errors.Is(err, io.EOF) && vr.resync {
				vr.err = io.EOF // reported once: what follows is the end
			}
			return gene.Value{}, err
		}
		line, rerr := vr.r.ReadBytes('\n')
		if len(vr.pending) == 0 {
			vr.line = vr.next
		}
		vr.next++
		vr.pending = append(vr.pending, line...)
		vals, perr := vr.syntax.parse(vr.source, vr.pending)
		switch {
		case perr == nil:
			vr.queue = vals
			vr.pending = vr.pending[:0]
		case errors.Is(perr, gene.ErrIncomplete) && rerr == nil:
			// The value goes on in the next line.
		default:
			if vr.resync && rerr == nil {
				err := vr.hint(vr.relocate(perr))
				vr.pending = vr.pending[:0]
				return gene.Value{}, err
			}
			vr.err = vr.hint(vr.relocate(perr))
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

// hint adds the JSON hint to a syntax error of Gene text.
func (vr *valueReader) hint(err error) error {
	if vr.syntax.json {
		return err
	}
	return jsonHint(err, vr.pending)
}
