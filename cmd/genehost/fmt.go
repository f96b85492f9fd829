package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/genehost/genehost/gene"
)

func init() {
	commands["fmt"] = command{summary: "rewrite Gene values from standard input canonically (or as JSON, or binary)", run: runFmt}
}

const fmtHelp = `Usage: genehost fmt [flags]

Read Gene values from standard input and write each one back in canonical
form, one per line, as soon as it is complete (standard input may be a
pipe that never ends). Comments and reader shorthands are not kept: the
output is the values they read as (gene/NOTATION.md section 5).

--to json writes the JSON view of each value (gene/JSON.md), one document
per line. --to bin writes each value as a binary document (gene/BINARY.md
section 6: the header then the value), back to back; --from bin reads such
documents. Binary input is read whole before it is written out.

A value is complete once the byte after it has arrived (an atom such as 42
could otherwise go on), or at the end of the input.

Flags:
%s
Examples:
  echo '{^b 2 ^a 0x10}(f ^^x @doc "d" #_ ignored a/b)' | genehost fmt
  genehost fmt --pretty < manifest.gene
  genehost fmt --to json < events.gene | jq .
  genehost fmt --to bin < value.gene > value.gnb
  genehost fmt --from bin < value.gnb

Errors name the place in the input: "stdin:LINE:COL: message" for text,
"stdin: offset N: message" for binary. Values before the error are
written.

Exit codes:
  0  success
  1  the input is not valid (syntax, limits, binary encoding), or writing failed
  2  bad usage: unknown flag or argument
`

// fmtOptions are the flags of genehost fmt.
type fmtOptions struct {
	pretty   bool
	to, from string
	lenient  bool
}

func runFmt(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o fmtOptions
	fs.BoolVar(&o.pretty, "pretty", false, "indent each value over several lines (gene and json output)")
	fs.StringVar(&o.to, "to", "gene", "output: gene (canonical text), json (the JSON view) or bin (binary documents)")
	fs.StringVar(&o.from, "from", "gene", "input: gene (text) or bin (binary documents)")
	fs.BoolVar(&o.lenient, "lenient", false, "also read the older Gene dialects (gene/NOTATION.md section 8)")
	fs.Usage = func() {
		var b strings.Builder
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
		fmt.Fprintf(fs.Output(), fmtHelp, b.String())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "genehost fmt: %s\nRun 'genehost fmt --help' for usage.\n", fmt.Sprintf(format, a...))
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q: fmt reads standard input", fs.Arg(0))
	case o.to != "gene" && o.to != "json" && o.to != "bin":
		return usageErr("--to %q: want gene, json or bin", o.to)
	case o.from != "gene" && o.from != "bin":
		return usageErr("--from %q: want gene or bin", o.from)
	case o.pretty && o.to == "bin":
		return usageErr("--pretty has no meaning with --to bin")
	case o.lenient && o.from == "bin":
		return usageErr("--lenient applies to text input only")
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	w := newFmtWriter(out, o)
	var err error
	if o.from == "bin" {
		err = fmtBinary(stdin, w)
	} else {
		// Flush what is written before every read, so values reach the
		// output as soon as they are complete, without a write per value.
		in := flushingReader{r: stdin, w: out}
		err = fmtText(in, w, o.lenient)
	}
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write: %w", ferr)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	return exitOK
}

// fmtText streams text values from r to w.
func fmtText(r io.Reader, w *fmtWriter, lenient bool) error {
	d := gene.NewDecoder(r, gene.ReadOptions{Source: "stdin", Lenient: lenient})
	for {
		start := d.InputOffset()
		v, err := d.Decode()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return inputError(err)
		}
		if err := w.write(v); err != nil {
			return fmt.Errorf("stdin: the value after byte %d: %w", start, err)
		}
	}
}

// inputError formats a read error as "stdin:LINE:COL: message".
func inputError(err error) error {
	var se *gene.SyntaxError
	if errors.As(err, &se) {
		return err // already "stdin:LINE:COL: message"
	}
	var le *gene.LimitError
	if errors.As(err, &le) {
		return fmt.Errorf("stdin:%s: value exceeds %s (%d)", le.Where, le.Limit, le.Max)
	}
	return fmt.Errorf("stdin: %w", err)
}

// binaryHeader is the start of every binary document (BINARY.md section 6).
var binaryHeader = gene.AppendBinaryDoc(nil, gene.Value{})[:5]

// fmtBinary reads binary documents, back to back, from r and writes their
// values to w.
func fmtBinary(r io.Reader, w *fmtWriter) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("stdin: read: %w", err)
	}
	for off := 0; off < len(data); {
		if len(data)-off >= len(binaryHeader) && bytes.Equal(data[off:off+len(binaryHeader)], binaryHeader) {
			v, n, err := gene.DecodeBinary(data[off+len(binaryHeader):], gene.BinaryOptions{})
			if err != nil {
				var be *gene.BinaryError
				if errors.As(err, &be) {
					return fmt.Errorf("stdin: offset %d: %s", off+len(binaryHeader)+be.Offset, be.Msg)
				}
				return fmt.Errorf("stdin: %w", err)
			}
			if err := w.write(v); err != nil {
				return fmt.Errorf("stdin: the document at offset %d: %w", off, err)
			}
			off += len(binaryHeader) + n
			continue
		}
		// Not a header: let DecodeBinaryDoc name what is wrong with it.
		_, _, err := gene.DecodeBinaryDoc(data[off:], gene.BinaryOptions{})
		var be *gene.BinaryError
		if errors.As(err, &be) {
			return fmt.Errorf("stdin: offset %d: %s", off+be.Offset, be.Msg)
		}
		return fmt.Errorf("stdin: offset %d: not a Gene binary document", off)
	}
	return nil
}

// fmtWriter writes values in the chosen output form.
type fmtWriter struct {
	w   io.Writer
	o   fmtOptions
	enc *gene.Encoder
	buf []byte
	ind bytes.Buffer
}

func newFmtWriter(w io.Writer, o fmtOptions) *fmtWriter {
	return &fmtWriter{w: w, o: o, enc: gene.NewEncoder(w, gene.WriteOptions{Pretty: o.pretty})}
}

func (f *fmtWriter) write(v gene.Value) error {
	switch f.o.to {
	case "gene":
		return f.enc.Encode(v)
	case "json":
		f.buf = gene.AppendJSON(f.buf[:0], v)
		if f.o.pretty {
			f.ind.Reset()
			if err := json.Indent(&f.ind, f.buf, "", "  "); err != nil {
				return fmt.Errorf("indent the JSON view: %w", err)
			}
			f.buf = append(f.buf[:0], f.ind.Bytes()...)
		}
		f.buf = append(f.buf, '\n')
	case "bin":
		f.buf = gene.AppendBinaryDoc(f.buf[:0], v)
	}
	if _, err := f.w.Write(f.buf); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// flushingReader flushes w before each read from r: whatever has been
// written reaches the output before the program waits for more input.
type flushingReader struct {
	r io.Reader
	w *bufio.Writer
}

func (f flushingReader) Read(p []byte) (int, error) {
	if f.w.Buffered() > 0 {
		if err := f.w.Flush(); err != nil {
			return 0, fmt.Errorf("write: %w", err)
		}
	}
	return f.r.Read(p)
}
