package client

import (
	"context"
	"fmt"
	"time"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/proto"
)

// Control is a control link on one interface (or on "$sys"): it makes
// control calls and receives the events the host pushes.
type Control struct {
	l      *Link
	events chan gene.Value
}

// Control opens a control link on iface. It can be opened before, during
// or without any data link.
func (c *Conn) Control(ctx context.Context, iface string, opts LinkOptions) (*Control, error) {
	l, err := c.open(ctx, iface, proto.SubControl, proto.DirSendRecv, opts)
	if err != nil {
		return nil, err
	}
	ctl := &Control{l: l, events: make(chan gene.Value, 64)}
	l.Handle(func(v gene.Value) {
		if v.Kind() == gene.KindNode && v.Node() != nil && v.Node().Head.IsSymbol("event") {
			select {
			case ctl.events <- v:
			default: // nobody reads events: drop the oldest-first policy is the reader's job
			}
		}
	}, nil)
	return ctl, nil
}

// Link returns the underlying link.
func (c *Control) Link() *Link { return c.l }

// Events returns the events the host pushed ((event ^type ...) nodes).
// Up to 64 are buffered; later ones are dropped while nobody reads.
func (c *Control) Events() <-chan gene.Value { return c.events }

// Close closes the control link.
func (c *Control) Close(ctx context.Context) error { return c.l.Close(ctx) }

// OpError is a control operation that the host answered with an error.
type OpError struct {
	Op      string
	Code    string // BAD_REQUEST, UNKNOWN_OP, BAD_ARGS, UNKNOWN_LINK, FAILED, BAD_RESULT, NOT_SUPPORTED
	Message string
}

func (e *OpError) Error() string { return fmt.Sprintf("%s: %s: %s", e.Op, e.Code, e.Message) }

// CallOption modifies a call.
type CallOption func(*gene.Node)

// OnLink makes a call name a data link (^link), for pause, resume, stats
// of one link and declared per-link operations.
func OnLink(l *Link) CallOption {
	return func(n *gene.Node) { n.Props.Set("link", gene.Int(int64(l.ID()))) }
}

// Call runs op with arg (gene.Void() for none) and returns its result.
func (c *Control) Call(ctx context.Context, op string, arg gene.Value, opts ...CallOption) (gene.Value, error) {
	n := &gene.Node{Head: gene.Symbol(op), HasHead: true}
	for _, o := range opts {
		o(n)
	}
	if arg.Kind() != gene.KindVoid {
		n.Body = []gene.Value{arg}
	}
	reply, err := c.l.Request(ctx, gene.NodeValue(n))
	if err != nil {
		return gene.Value{}, err
	}
	rn := reply.Node()
	switch {
	case rn != nil && rn.Head.IsSymbol("ok"):
		if len(rn.Body) == 0 {
			return gene.Void(), nil
		}
		return rn.Body[0], nil
	case rn != nil && rn.Head.IsSymbol("error"):
		e := &OpError{Op: op}
		if v, ok := rn.Props.Get("code"); ok {
			e.Code = v.Str()
		}
		if v, ok := rn.Props.Get("message"); ok {
			e.Message = v.Str()
		}
		return gene.Value{}, e
	}
	return gene.Value{}, fmt.Errorf("client: %s: unexpected reply %s", op, gene.Format(reply))
}

// Manifest returns the interface's manifest (with ^hash and ^addresses).
func (c *Control) Manifest(ctx context.Context) (gene.Value, error) {
	return c.Call(ctx, "manifest", gene.Void())
}

// Ping checks the interface answers and returns the round-trip time.
func (c *Control) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := c.Call(ctx, "ping", gene.Void())
	return time.Since(start), err
}

// Health returns the interface's status ("serving", "draining",
// "failed") and the reason, if any.
func (c *Control) Health(ctx context.Context) (status, reason string, err error) {
	v, err := c.Call(ctx, "health", gene.Void())
	if err != nil {
		return "", "", err
	}
	if s, ok := v.Get("status"); ok {
		status = s.Str()
	}
	if r, ok := v.Get("reason"); ok {
		reason = r.Str()
	}
	return status, reason, nil
}

// Stats returns the interface's counters (a prop map).
func (c *Control) Stats(ctx context.Context) (gene.Value, error) {
	return c.Call(ctx, "stats", gene.Void())
}

// Pause asks the host to stop delivering the values of data link l to
// its handler (and so to stop returning credit).
func (c *Control) Pause(ctx context.Context, l *Link) error {
	_, err := c.Call(ctx, "pause", gene.Void(), OnLink(l))
	return err
}

// Resume undoes Pause.
func (c *Control) Resume(ctx context.Context, l *Link) error {
	_, err := c.Call(ctx, "resume", gene.Void(), OnLink(l))
	return err
}
