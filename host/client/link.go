package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host/internal/session"
	"github.com/genehost/genehost/proto"
)

// ErrNoCredit is returned by TrySend when the host has not granted room
// for the value.
var ErrNoCredit = proto.ErrNoCredit

// ErrLinkClosed matches the errors of operations on a closed link.
var ErrLinkClosed = proto.ErrLinkClosed

// Link is one data or control link. Values are received either by polling
// (Recv) or by a handler (Handle); Request correlates replies on ^id.
type Link struct {
	conn  *Conn
	sl    *session.Link
	iface string
	hash  string

	mu      sync.Mutex
	disp    *dispatcher
	closeFn func(error)
	nextID  atomic.Int64
}

// ID returns the link id on its connection (what a control call's ^link
// names).
func (l *Link) ID() uint32 { return l.sl.ID() }

// Interface returns the interface name.
func (l *Link) Interface() string { return l.iface }

// Direction returns the link's direction (named from the host's side).
func (l *Link) Direction() proto.Direction { return l.sl.Open().Direction }

// ManifestHash returns the hash of the interface's manifest the host sent
// in ACCEPT.
func (l *Link) ManifestHash() string { return l.hash }

// Conn returns the connection the link is on.
func (l *Link) Conn() *Conn { return l.conn }

// Done is closed when the link is closed.
func (l *Link) Done() <-chan struct{} { return l.sl.Done() }

// Err returns why the link closed: nil for an orderly close.
func (l *Link) Err() error { return l.sl.Err() }

// Send sends v, waiting for credit until ctx is done.
func (l *Link) Send(ctx context.Context, v gene.Value) error {
	return l.wrap(l.sl.Send(ctx, v))
}

// TrySend sends v if the host has granted room for it, and fails with
// ErrNoCredit otherwise.
func (l *Link) TrySend(v gene.Value) error { return l.wrap(l.sl.TrySend(v)) }

// WaitCredit waits until a value of n encoded bytes could be sent at
// once.
func (l *Link) WaitCredit(ctx context.Context, n int) error {
	return l.wrap(l.sl.WaitCredit(ctx, n))
}

func (l *Link) wrap(err error) error {
	if err == nil || errors.Is(err, proto.ErrNoCredit) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("client: %s link %d: %w", l.iface, l.sl.ID(), err)
}

// Recv waits for the next value. It returns io.EOF when the host ended
// its direction, and the link's error when it was reset. It fails once a
// handler is set (Handle or Request).
func (l *Link) Recv(ctx context.Context) (gene.Value, error) {
	return l.sl.Recv(ctx)
}

// Stats returns the link's counters.
func (l *Link) Stats() session.LinkStats { return l.sl.Stats() }

// Handle switches the link to handler delivery: f is called with every
// value received that is not the reply to a Request, in order, on one
// goroutine; closed (may be nil) is called once when the link is gone.
// Returning from f consumes the value (its credit goes back to the host).
func (l *Link) Handle(f func(gene.Value), closed func(error)) {
	d := l.dispatcher()
	d.mu.Lock()
	d.other = f
	d.mu.Unlock()
	l.mu.Lock()
	l.closeFn = closed
	l.mu.Unlock()
}

func (l *Link) dispatcher() *dispatcher {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.disp == nil {
		l.disp = &dispatcher{l: l, waiters: make(map[string]chan gene.Value)}
		l.sl.SetHandler(l.disp)
	}
	return l.disp
}

// Request sends v with a correlation id in its ^id property (one is added
// when v has none; v must be a node) and waits for the value that comes
// back with the same ^id. Other values go to the Handle function.
func (l *Link) Request(ctx context.Context, v gene.Value) (gene.Value, error) {
	n := v.Node()
	if v.Kind() != gene.KindNode || n == nil {
		return gene.Value{}, fmt.Errorf("client: Request needs a node to carry ^id, got %s", v.Kind())
	}
	id, ok := n.Props.Get("id")
	if !ok {
		cp := *n
		cp.Props = append(gene.Props(nil), n.Props...)
		id = gene.Int(l.nextID.Add(1))
		cp.Props.Set("id", id)
		v = gene.NodeValue(&cp)
	}
	key := gene.Format(id)
	d := l.dispatcher()
	ch := make(chan gene.Value, 1)
	d.mu.Lock()
	if _, dup := d.waiters[key]; dup {
		d.mu.Unlock()
		return gene.Value{}, fmt.Errorf("client: a request with ^id %s is already waiting", key)
	}
	d.waiters[key] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.waiters, key)
		d.mu.Unlock()
	}()
	if err := l.Send(ctx, v); err != nil {
		return gene.Value{}, err
	}
	select {
	case r := <-ch:
		return r, nil
	case <-l.sl.Done():
		// The reply may have arrived just before the close.
		select {
		case r := <-ch:
			return r, nil
		default:
		}
		err := l.sl.Err()
		if err == nil {
			err = ErrLinkClosed
		}
		return gene.Value{}, fmt.Errorf("client: %s link %d closed before the reply to ^id %s: %w", l.iface, l.sl.ID(), key, err)
	case <-ctx.Done():
		return gene.Value{}, ctx.Err()
	}
}

// CloseSend ends the client's direction of the link (END): the host sees
// the end after every value sent before.
func (l *Link) CloseSend(ctx context.Context) error { return l.wrap(l.sl.CloseSend(ctx)) }

// Close closes the link: on a link the client sends on, it ends the
// client's direction and waits for the host to end its own (or ctx);
// otherwise, and when ctx ends first, it resets the link (CANCELLED).
func (l *Link) Close(ctx context.Context) error {
	if l.sl.Sends() {
		if err := l.sl.CloseSend(ctx); err == nil {
			select {
			case <-l.sl.Done():
				return nil
			case <-ctx.Done():
			}
		}
	}
	l.sl.Reset(proto.Errorf(proto.CodeCancelled, "closed by the client"))
	return nil
}

// Reset aborts the link with code and text.
func (l *Link) Reset(code proto.Code, text string) { l.sl.Reset(proto.Errorf(code, "%s", text)) }

// Pause stops handler delivery (and the return of credit to the host);
// Resume undoes it.
func (l *Link) Pause()  { l.sl.Pause() }
func (l *Link) Resume() { l.sl.Resume() }

// dispatcher routes received values to Request waiters and the Handle
// function.
type dispatcher struct {
	l       *Link
	mu      sync.Mutex
	waiters map[string]chan gene.Value
	other   func(gene.Value)
	dropped atomic.Uint64
}

func (d *dispatcher) Values(_ *session.Link, values []gene.Value) {
	for _, v := range values {
		if n := v.Node(); v.Kind() == gene.KindNode && n != nil {
			if id, ok := n.Props.Get("id"); ok {
				d.mu.Lock()
				ch := d.waiters[gene.Format(id)]
				d.mu.Unlock()
				if ch != nil {
					select {
					case ch <- v:
					default:
					}
					continue
				}
			}
		}
		d.mu.Lock()
		f := d.other
		d.mu.Unlock()
		if f != nil {
			f(v)
		} else {
			d.dropped.Add(1)
		}
	}
}

func (d *dispatcher) Closed(_ *session.Link, err error) {
	d.l.mu.Lock()
	f := d.l.closeFn
	d.l.mu.Unlock()
	if f != nil {
		f(err)
	}
}
