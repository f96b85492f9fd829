// Package gene owns Gene values: the value model, the text notation
// (reader and writer), the binary encoding, the mapping to and from Go
// values, and schemas that describe the shape of values.
//
// Gene is the data notation of the Gene language (see GENE-DATA.md in the
// project's shared documents). Every value that crosses a genehost socket,
// or the boundary of a plugin, is a Gene value.
//
// # Values
//
// A Value is a small immutable handle for one value of any kind: nil, void,
// booleans, arbitrary-precision integers, floats, strings, chars, symbols,
// lists, prop maps, general maps, nodes (gene expressions), bytes, regexes,
// dates, times and date-times, and the immutable (#) forms of lists, prop
// maps and nodes. Equal, Hash and Compare give structural equality (numbers
// are kind-strict, meta is ignored), a stable hash and a total order.
//
// # Text
//
// Parse, ParseWith and ParseAll read Gene text held in memory; Format,
// AppendText, AppendPretty and Encoder write it. For streams, a Decoder
// reads one top-level value at a time from an io.Reader (a socket, a
// pipe), and a Feeder does the same for bytes the caller hands it as they
// arrive. Both use the same reader as Parse, tell "more input needed" apart
// from invalid input, report errors with line and column counted across
// the stream, and never read past the end of a value they can already
// return: a top-level value is complete once one byte after it (a newline,
// as every Encoder writes) has arrived, or at the end of the input.
//
// # Invariants
//
// Values are never mutated after construction; constructors take ownership
// of the slices they are given. Every reader and decoder enforces Limits
// before it allocates, so hostile input cannot make it spend memory past
// them. The package imports only the standard library and builds for
// GOOS=wasip1, because the Wasm guest SDK reuses it.
package gene
