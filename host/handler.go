package host

import (
	"context"
	"fmt"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Handler is the behaviour of an interface: what happens when a client
// opens a data link, sends a value on it, and closes it. In Go an
// interface is a Manifest plus a Handler; plugins plug into the same seam
// (host/plugindir adapts a plugin to a Handler).
//
// The host calls the methods of one link from one goroutine at a time, in
// order: Open, then Receive for each value, then Closed. Different links
// run concurrently.
type Handler interface {
	// Open is called when a client opens a data link, once the host has
	// accepted it (interface, direction, authorization and health were
	// checked; those refusals are REJECTs the handler never sees). Open
	// may already send on l. An error resets the link: the client gets a
	// RESET whose code is proto.CodeOf(err) (HANDLER_ERROR unless err is
	// a *proto.Error) and whose reason is the error's text. No value is
	// delivered before Open returns.
	Open(ctx context.Context, l Link) error
	// Receive is called with the values the client sent on l, in order,
	// one or more at a time (a batch holds what had arrived when the
	// previous call returned). Returning consumes them: their credit goes
	// back to the client, unless l.Pause was called. An error resets the
	// link with HANDLER_ERROR (or the *proto.Error's code) and reaches
	// the client as the reset's reason; other links are untouched.
	// values is only valid during the call.
	Receive(ctx context.Context, l Link, values []gene.Value) error
	// Closed is called once when l is gone, for any reason: err is nil
	// for an orderly close by both sides, otherwise what ended it.
	Closed(l Link, err error)
}

// Controller is implemented by handlers that serve the control
// operations their manifest declares. The host answers the standard
// operations (manifest, ping, health, stats, pause, resume) itself.
type Controller interface {
	// Control runs op with arg (Void when none was given). l is the data
	// link the request named with ^link, or nil for an interface-wide
	// operation. The result is checked against the operation's schema.
	Control(ctx context.Context, l Link, op string, arg gene.Value) (gene.Value, error)
}

// Link is one data link as the handler sees it. Its methods are safe for
// concurrent use and may be called from any goroutine, including after
// the link closed (they then fail with an error matching ErrLinkClosed).
type Link interface {
	// ID is unique within the host process for its lifetime.
	ID() uint64
	// WireID is the link's id on its transport, the number the peer
	// knows it by: texts sent to the peer name the link by it.
	WireID() uint32
	// Interface is the name of the interface the link was opened on.
	Interface() string
	// Direction is what the link carries, named from the server's side.
	Direction() proto.Direction
	// Peer is the remote address of the transport, for logs.
	Peer() string
	// Meta is the metadata the client sent with OPEN (Nil when none).
	Meta() gene.Value

	// Send queues v toward the client, following the interface's
	// overflow policy: with Block (the default) it waits for credit until
	// ctx is done; lossy policies never wait and count what they drop.
	// It fails on a link that does not send (wrong direction), a closed
	// link, or a value over the size limit.
	Send(ctx context.Context, v gene.Value) error
	// TrySend is Send without waiting: it fails with ErrNoCredit when the
	// client has not granted room for v, or when values queued by a
	// drop-oldest or latest-only policy wait ahead of it (it never
	// overtakes them, and never drops or queues).
	TrySend(v gene.Value) error
	// Pause stops delivering values to Receive and stops returning
	// credit, so the client is held back by flow control; Resume undoes
	// it. Both also serve the pause/resume control operations.
	Pause()
	Resume()
	// Close ends the link: nil closes it in order (END, values already
	// queued are delivered first); an error resets it with that reason
	// (HANDLER_ERROR, or the *proto.Error's code).
	Close(err error) error
	// Done is closed when the link is gone.
	Done() <-chan struct{}
}

// HandlerFuncs builds a Handler from functions; nil fields do nothing
// (Open accepts every link).
type HandlerFuncs struct {
	OpenFunc    func(ctx context.Context, l Link) error
	ReceiveFunc func(ctx context.Context, l Link, values []gene.Value) error
	ClosedFunc  func(l Link, err error)
	ControlFunc func(ctx context.Context, l Link, op string, arg gene.Value) (gene.Value, error)
}

// Open implements Handler.
func (h HandlerFuncs) Open(ctx context.Context, l Link) error {
	if h.OpenFunc == nil {
		return nil
	}
	return h.OpenFunc(ctx, l)
}

// Receive implements Handler.
func (h HandlerFuncs) Receive(ctx context.Context, l Link, values []gene.Value) error {
	if h.ReceiveFunc == nil {
		return nil
	}
	return h.ReceiveFunc(ctx, l, values)
}

// Closed implements Handler.
func (h HandlerFuncs) Closed(l Link, err error) {
	if h.ClosedFunc != nil {
		h.ClosedFunc(l, err)
	}
}

// Control implements Controller; without ControlFunc every declared
// operation fails with UNKNOWN_OP.
func (h HandlerFuncs) Control(ctx context.Context, l Link, op string, arg gene.Value) (gene.Value, error) {
	if h.ControlFunc == nil {
		return gene.Value{}, fmt.Errorf("%w: %q has no implementation", ErrUnknownOp, op)
	}
	return h.ControlFunc(ctx, l, op, arg)
}

// Echo is a Handler that sends every value back on the link it came on.
// It is the reference interface of the tests and benchmarks.
var Echo Handler = HandlerFuncs{ReceiveFunc: func(ctx context.Context, l Link, values []gene.Value) error {
	for _, v := range values {
		if err := l.Send(ctx, v); err != nil {
			return err
		}
	}
	return nil
}}
