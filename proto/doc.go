// Package proto implements the transport level of the genehost wire
// protocol, version 1, as specified in PROTOCOL.md at the root of the
// repository: the preface, frames, the handshake, credit accounting and a
// fair frame scheduler. The host and the Go client are both built on it;
// it knows nothing of interfaces, plugins or handlers.
//
// # Wire format in brief
//
// Each side first sends the 8-byte Preface (0x89 "GENE" CR LF, version 1).
// Then every unit on the stream is a frame: a 10-byte header (u32 payload
// length, u8 Type, u8 Flags, u32 link id, big-endian) and the payload. The
// client sends HELLO, the host answers WELCOME (or GOAWAY to refuse); both
// are Gene text prop maps that settle the payload Encoding, the Limits in
// force, the keepalive and the transport windows. Links are opened with
// OPEN (odd ids from the client, even from the host, id 0 is the
// transport) and answered with ACCEPT or REJECT; DATA frames carry one Gene
// value each, fragmented with FlagMore and half-closed with FlagEnd; CREDIT
// grants absolute limits; RESET aborts a link; PING/PONG keep the transport
// alive; GOAWAY drains or ends it. Errors that cross the wire are (Code,
// text) pairs from one append-only table (codes.go).
//
// # Main types
//
//   - Header, Frame, Reader: decoding with every length checked against
//     the limit in force before anything is allocated; AppendFrame and
//     the Append*Frame helpers for encoding.
//   - Assembler: joins DATA fragments into whole values under
//     max-message-bytes.
//   - Error and Code: protocol errors; every violation this package
//     detects is an *Error carrying the code the peer should receive.
//   - Limits and Config: the announced limits and a side's settings;
//     zero fields mean defaults, Validate checks the rest.
//   - Side, Direction, Sub, LinkIDs, PeerLinks: link id parity and
//     direction rules.
//
// # Invariants
//
// proto imports only the standard library and gene. Nothing here panics
// on peer input: malformed input is an *Error (or an io error for a
// truncated stream). A Reader never allocates for payload bytes that have
// not arrived.
package proto
