// Package gene owns Gene values: the value model, the text notation
// (reader and writer), the binary encoding, the mapping to and from Go
// values, and schemas that describe the shape of values.
//
// Gene is the data notation of the Gene language; NOTATION.md in this
// directory describes it exactly as this package reads and writes it.
// Every value that crosses a genehost socket, or the boundary of a plugin,
// is a Gene value.
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
// # Duplicate keys
//
// A key appears at most once in a prop map, in a node's props and in a
// node's meta, and a general map key at most once under Equal (0.0 and
// -0.0 are the same key). The text reader refuses a repeated key with a
// SyntaxError naming the key and its line and column, whatever the values
// (NOTATION.md section 3), and the binary decoder refuses it with a
// BinaryError naming the key and its offset (BINARY.md), so a value reads
// alike in both encodings and no entry can hide behind another. An entry whose value is void is still
// dropped, and its key still counts: {^a void} reads as {}, {^a 1 ^a void}
// is refused.
//
// # General map keys
//
// Both readers find general map keys by a hash consistent with Equal and
// seeded at random per process, and Equal compares maps the same way, so
// reading, checking and comparing a map of n keys costs O(n) expected
// whatever its keys are (DuplicateKey offers the check to callers that
// build maps). Keys that are lists, prop maps, general maps or nodes cost
// more than scalars (each is hashed and compared whole, and a JavaScript
// handler gets each as an object): Limits.MaxCompositeKeys bounds them per
// map, 4096 by default, and both readers refuse more with a LimitError
// naming the limit and where.
//
// # Invariants
//
// Values are never mutated after construction; constructors take ownership
// of the slices they are given. Every reader and decoder enforces Limits
// before it allocates, so hostile input cannot make it spend memory past
// them. The package imports only the standard library and builds for
// GOOS=wasip1, because the Wasm guest SDK reuses it.
package gene
