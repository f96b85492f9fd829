// Package flow is the flow-control machinery of one genehost transport
// (PROTOCOL.md sections 8 and 9), on top of package proto's wire format:
// credit counting on the sending side (Credit), windows and the rule of
// when to send CREDIT on the receiving side (Window), one link
// direction's sending and receiving halves (Sender, Receiver), the fair
// frame scheduler that is a transport's only writer (Scheduler), and the
// control-frame rate limit (ControlLimiter).
//
// It is internal to the host's tree: host/internal/session runs every
// transport on it, for the host and for the Go client (host/client), so
// the two cannot disagree on credit. It was part of proto's exports, which
// a peer implementing PROTOCOL.md does not need: what two peers must agree
// on is the wire format (proto); how a side counts and schedules is its
// own business, and a Go program that wants a transport uses host/client.
//
// # Pieces
//
//   - Credit (sender: Take, TryTake, Wait, Grant, Receive, Refund, Room)
//     and Window (receiver: Receive, Consume) for each link direction;
//     NewByteCredit and NewByteWindow for the transport window.
//   - Sender and Receiver: one link's directions, tying Credit and Window
//     to the Scheduler, the transport window and DATA reassembly
//     (proto.Assembler); DiscardRetired for DATA of retired links.
//   - Scheduler: control frames ahead of DATA, links served round-robin,
//     a bounded queue per link and a budget for control frames.
//   - ControlLimiter and Counts: the token bucket of section 9.
//
// # Goroutines and ownership
//
// Nothing in this package starts a goroutine. A transport's writer
// goroutine runs Scheduler.Run; one write is in progress at a time, from
// it or, on a socket, from a sender that found no write in progress after
// a frame was received (Scheduler.Heard) and writes its batch without
// waiting (what the socket does not take at once is left to Run). Run stops when its context is cancelled, after
// Scheduler.Close once what is queued is written, or on a write error. The reader goroutine calls
// Receiver.Data for each DATA frame and Credit.Receive for each CREDIT,
// and owns the ControlLimiter; it never blocks on the application,
// because credit bounds what it buffers. Application goroutines call
// Sender.Send or TrySend, and Receiver.Consume when they have consumed a
// value. Credit, Window, Sender, Receiver and Scheduler are safe for
// concurrent use.
//
// # Invariants
//
// A sender reserves a whole value's credit before its first fragment, and
// the Scheduler never waits for credit, so one link's stall cannot block
// another's frames. A receiver grants credit only for what its
// application consumed.
package flow
