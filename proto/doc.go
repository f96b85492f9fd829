// Package proto implements the transport level of the genehost wire
// protocol, version 1, as specified in PROTOCOL.md at the root of the
// repository: the preface, frames, the handshake, link ids and
// directions, credit accounting, the control-frame rate limit and a fair
// frame scheduler. The host and the Go client are both built on it; it
// knows nothing of interfaces, plugins or handlers.
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
//   - Flow control: Credit (sender: Take, TryTake, Wait, Grant, Refund)
//     and Window (receiver: Receive, Consume) for each link direction;
//     NewByteCredit and NewByteWindow for the transport window;
//     ControlLimiter and Counts for the control-frame rate limit.
//   - Writing: Scheduler, the fair writer.
//   - Errors: Error and Code; every violation this package detects is an
//     *Error carrying the code the peer should receive (GOAWAY for
//     ScopeTransport codes, REJECT or RESET otherwise).
//   - Settings: Limits (announced) and Config (a side's settings), where
//     zero fields mean defaults and Validate checks the rest.
//
// # Goroutines and ownership
//
// A transport has exactly two goroutines that touch the stream, both
// started and stopped by whoever owns the transport (the host's
// connection, or the client):
//
//   - The reader goroutine owns the Reader (and through it the read side
//     of the connection), a PeerLinks, the ControlLimiter, and one
//     Assembler per link direction. It calls Window.Receive for each DATA
//     frame and Credit.Grant for each CREDIT; it never blocks on the
//     application, because credit bounds what it buffers. It stops when
//     ReadFrame returns an error, which the owner causes by closing the
//     connection.
//   - The writer goroutine runs Scheduler.Run and is the only writer of
//     the stream. It stops when its context is cancelled (dropping what is
//     queued), after Scheduler.Close once everything queued is written, or
//     on a write error; a write stuck on a peer that does not read is
//     ended by closing the connection.
//
// Application goroutines call Credit.Take then Scheduler.Send to send a
// value, and Window.Consume (then SendControl of a CREDIT frame when it
// says so) when they have consumed one. Credit, Window, Scheduler and
// LinkIDs are safe for concurrent use; Reader, Assembler, PeerLinks and
// ControlLimiter belong to the reader goroutine. Nothing in this package
// starts a goroutine.
//
// # Invariants
//
// proto imports only the standard library and gene. Nothing here panics
// on peer input: malformed input is an *Error (or an io error for a
// truncated stream). A Reader never allocates for payload bytes that have
// not arrived. A sender reserves a whole value's credit before its first
// fragment, and the Scheduler never waits for credit, so one link's
// stall cannot block another's frames.
package proto
