package flow

import "errors"

// Sentinel errors of the flow-control machinery; they stay local (they
// never cross the wire as such).
var (
	// ErrQueueFull is returned by Scheduler.TrySend when the link's send
	// queue is full.
	ErrQueueFull = errors.New("flow: send queue full")
	// ErrControlFull is returned when the control queue's budget is spent:
	// the peer does not read its control frames. The transport should be
	// closed with proto.CodeCalm.
	ErrControlFull = errors.New("flow: control queue full")
	// ErrClosed is returned by operations on a closed Scheduler or Credit.
	ErrClosed = errors.New("flow: closed")
)
