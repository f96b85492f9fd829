// Package proto implements the wire format of the genehost protocol,
// version 1, as specified in PROTOCOL.md at the root of the repository:
// the preface, frames and their payloads, the handshake and the limits it
// settles, link ids and directions, the codes of REJECT, RESET and
// GOAWAY. It is what a peer must agree on byte for byte; the machinery
// that runs a transport on it (credit counting, windows, the frame
// scheduler, the control-frame rate limit) is the host's, in
// host/internal/flow, used by host/internal/session for the host and the
// Go client alike. proto knows nothing of interfaces, plugins or
// handlers.
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
// value, fragmented with FlagMore and half-closed with FlagEnd; CREDIT
// grants absolute limits; RESET aborts a link; PING/PONG keep the transport
// alive; GOAWAY drains or ends it. Errors that cross the wire are (Code,
// text) pairs from one append-only table.
//
// # Pieces
//
//   - Frames: Header, Frame, Reader (ReadPreface, ReadFrame: every length
//     is checked against the limit in force before anything is read or
//     allocated), AppendFrame and Append{Credit,Reset,Reject,GoAway,Ping,
//     Pong,End,Hello,Welcome,Open,Accept}Frame, with Parse* for each
//     payload. Assembler joins DATA fragments under max-message-bytes;
//     AppendValue and DecodeValue convert between gene.Value and a DATA
//     payload in the negotiated Encoding.
//   - Handshake: Hello, Welcome, NewHello, Negotiate, Welcome.Check, and
//     the drivers ClientHandshake and HostHandshake.
//   - Links: Side, Direction, Sub, LinkIDs (ids this side opens),
//     PeerLinks (checks ids the peer opens), WrongDirection.
//   - Credit frames: Grant (the absolute limits of a CREDIT, OPEN or
//     ACCEPT), Room (what a sender may send at once), WindowConfig (the
//     windows a side grants).
//   - Errors: Error and Code; every violation this package detects is an
//     *Error carrying the code the peer should receive (GOAWAY for
//     ScopeTransport codes, REJECT or RESET otherwise).
//   - Settings: Limits (announced) and Config (a side's settings), where
//     zero fields mean defaults and Validate checks the rest.
//
// # Goroutines and ownership
//
// Nothing in this package starts a goroutine. A Reader and an Assembler
// belong to one goroutine (the transport's reader); LinkIDs are safe for
// concurrent use; everything else is values and pure functions.
//
// # Invariants
//
// proto imports only the standard library and gene. Nothing here panics
// on peer input: malformed input is an *Error (or an io error for a
// truncated stream). A Reader never allocates for payload bytes that have
// not arrived.
package proto
