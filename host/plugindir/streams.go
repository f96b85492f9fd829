package plugindir

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/genehost/genehost/gene"
	"github.com/genehost/genehost/host"
	"github.com/genehost/genehost/host/plugin"
	"github.com/genehost/genehost/proto"
)

// The host side of the streams capability: a plugin's plugin.Streams
// resolves its links to Sinks, and the backend (Options.Streams) pushes
// deliveries to them, encoded once per Delivery, without calling the
// plugin.

var _ plugin.StreamsHost = (*inst)(nil)

// Streams implements plugin.StreamsHost, only with the streams grant.
func (x *inst) Streams() (plugin.Streams, error) {
	st, err := x.v.streamStore()
	if err != nil {
		return nil, err
	}
	return &pluginStreams{StreamStore: st, x: x}, nil
}

// streamStore returns the plugin's streams from the backend.
func (v *version) streamStore() (plugin.StreamStore, error) {
	if !v.cfg.Grants.Streams {
		return nil, fmt.Errorf("%w: plugin %q may not use streams (grant it in %s with ^grants {^streams true})",
			plugin.ErrNotGranted, v.cfg.Name, v.cfg.File)
	}
	b := v.e.d.opts.Streams
	if b == nil {
		return nil, fmt.Errorf("%w: plugin %q: streams are granted but this host runs without a streams backend", plugin.ErrNotGranted, v.cfg.Name)
	}
	return b.Streams(v.cfg.Name)
}

// pluginStreams is plugin.Streams over the backend: the methods that
// name a link hand the backend a linkSink for it.
type pluginStreams struct {
	plugin.StreamStore
	x *inst
}

func (s *pluginStreams) sink(link plugin.LinkID) (*linkSink, error) {
	l, err := s.x.v.e.link(link)
	if err != nil {
		return nil, err
	}
	if !l.Direction().Sends(proto.SideHost) {
		return nil, fmt.Errorf("%w: link %d does not carry values to the client", plugin.ErrDirection, link)
	}
	return &linkSink{id: link, l: l, x: s.x, ls: s.x.v.e.linkState(link)}, nil
}

func (s *pluginStreams) Attach(link plugin.LinkID, stream, group string, o plugin.AttachOptions) (uint64, error) {
	k, err := s.sink(link)
	if err != nil {
		return 0, err
	}
	return s.StreamStore.Attach(k, stream, group, o)
}

func (s *pluginStreams) Subscribe(link plugin.LinkID, topic string) error {
	k, err := s.sink(link)
	if err != nil {
		return err
	}
	return s.StreamStore.Subscribe(k, topic)
}

// linkSink is a link as the streams backend sees it. Its first send
// waits until the instance that attached it is between callbacks (its
// lock is free), so that the reply the plugin sends in the callback that
// attached goes first.
type linkSink struct {
	id    plugin.LinkID
	l     host.Link
	x     *inst
	ls    *linkState // nil when the link closed meanwhile
	ready atomic.Bool
}

var _ plugin.Sink = (*linkSink)(nil)

func (k *linkSink) ID() plugin.LinkID     { return k.id }
func (k *linkSink) Done() <-chan struct{} { return k.l.Done() }

func (k *linkSink) wait() {
	if !k.ready.Load() {
		k.x.mu.Lock()
		k.x.mu.Unlock() //nolint:staticcheck // an empty critical section: waits for the callback in progress
		k.ready.Store(true)
	}
}

// Send implements plugin.Sink: the delivery encoded once for the link's
// transport encoding (shared with every link of that encoding), waiting
// for credit under the interface's stall timeout.
func (k *linkSink) Send(ctx context.Context, d *plugin.Delivery) error {
	k.wait()
	if k.ls != nil {
		if err := k.ls.acks.wait(ctx, k.l); err != nil {
			return err
		}
	}
	el, ok := k.l.(host.EncodedLink)
	if !ok {
		v, err := d.Message()
		if err != nil {
			return err
		}
		return sendErr(k.id, k.l.Send(ctx, v))
	}
	p, err := d.Encoded(el.Encoding())
	if err != nil {
		return err
	}
	return sendErr(k.id, el.SendEncoded(ctx, p))
}

// TrySend implements plugin.Sink.
func (k *linkSink) TrySend(d *plugin.Delivery) error {
	if !k.ready.Load() {
		if !k.x.mu.TryLock() {
			return fmt.Errorf("%w (link %d: its plugin is in a callback)", plugin.ErrNoCredit, k.id)
		}
		k.x.mu.Unlock()
		k.ready.Store(true)
	}
	if k.ls != nil && k.ls.acks.busy() {
		return fmt.Errorf("%w (link %d: replies to acks wait ahead)", plugin.ErrNoCredit, k.id)
	}
	el, ok := k.l.(host.EncodedLink)
	if !ok {
		v, err := d.Message()
		if err != nil {
			return err
		}
		return sendErr(k.id, k.l.TrySend(v))
	}
	p, err := d.Encoded(el.Encoding())
	if err != nil {
		return err
	}
	return sendErr(k.id, el.TrySendEncoded(p))
}

// ackBatch serves a batch made only of the plugin's declared stream acks
// (Config.StreamAck, ^streams {^ack "ack"} in plugin.gene) without calling
// the plugin: each (ACK ^topic T ^group G ^seq N ^id X) acknowledges
// message N of stream T for group G and is answered with (acked ^topic T
// ^group G ^seq N ^id X), or (error ^code C ^message M ^id X) with C
// "not-delivered", "bad-request" or "store". A batch holding anything else
// goes to the plugin whole, acks included, so replies keep their order
// (and a paused link gets no batch at all until its plugin resumes it).
// It reports whether it served the batch.
func (v *version) ackBatch(ctx context.Context, l host.Link, values []gene.Value) (bool, error) {
	for _, val := range values {
		n := val.Node()
		if n == nil || !n.HasHead || !n.Head.IsSymbol(v.cfg.StreamAck) {
			return false, nil
		}
	}
	st, err := v.streamStore()
	ls := v.e.linkState(plugin.LinkID(l.ID()))
	if err != nil || ls == nil {
		return false, nil // the plugin answers, as without the declaration
	}
	// The outbox is busy from before the first ack, so that a message an
	// ack makes room for goes after its reply.
	ls.acks.mu.Lock()
	defer ls.acks.mu.Unlock()
	busy := ls.acks.idle != nil
	if !busy {
		ls.acks.idle = make(chan struct{})
	}
	replies := make([]gene.Value, len(values))
	for i, val := range values {
		replies[i] = ackReply(st, val.Node().Props)
	}
	v.values.Add(uint64(len(values)))
	ls.acks.sendLocked(v, l, replies, busy)
	return true, nil
}

// ackOutbox holds the replies to a link's acks that found no credit. They
// go before anything else the streams send on the link, and the link is
// paused until they are sent: a client that sends acks without reading
// is held back by flow control, never by a growing queue.
type ackOutbox struct {
	mu   sync.Mutex
	q    []gene.Value
	idle chan struct{} // closed when q empties; nil while it is empty
}

// sendLocked sends replies in order: at once while the link has credit
// (unless a flush is under way: busy), the rest by a goroutine (owned by
// v.wg) that waits for credit under the interface's stall timeout and
// then resumes the link. o.mu is held, and o.idle is set.
func (o *ackOutbox) sendLocked(v *version, l host.Link, replies []gene.Value, busy bool) {
	if busy {
		o.q = append(o.q, replies...)
		return
	}
	for len(replies) > 0 {
		err := l.TrySend(replies[0])
		if errors.Is(err, host.ErrNoCredit) {
			break
		}
		if err != nil {
			replies = nil // the link is gone
			break
		}
		replies = replies[1:]
	}
	if len(replies) == 0 {
		close(o.idle)
		o.idle = nil
		return
	}
	o.q = replies
	l.Pause()
	v.wg.Add(1)
	go o.flush(v, l)
}

func (o *ackOutbox) flush(v *version, l host.Link) {
	defer v.wg.Done()
	for {
		o.mu.Lock()
		if len(o.q) == 0 {
			close(o.idle)
			o.idle = nil
			o.mu.Unlock()
			l.Resume()
			return
		}
		r := o.q[0]
		o.q = o.q[1:]
		o.mu.Unlock()
		if err := l.Send(v.ctx, r); err != nil {
			o.mu.Lock()
			o.q = nil
			o.mu.Unlock()
		}
	}
}

// busy reports whether replies wait.
func (o *ackOutbox) busy() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.idle != nil
}

// wait returns once no reply waits.
func (o *ackOutbox) wait(ctx context.Context, l host.Link) error {
	o.mu.Lock()
	idle := o.idle
	o.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-l.Done():
		return fmt.Errorf("%w: link %d", plugin.ErrLinkClosed, l.ID())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ackReply acknowledges one ack's message and returns its answer.
func ackReply(st plugin.StreamStore, p gene.Props) gene.Value {
	topic, _ := p.Get("topic")
	group, _ := p.Get("group")
	seqv, _ := p.Get("seq")
	seq, ok := seqv.AsInt()
	out := gene.Props{}
	switch {
	case topic.Kind() != gene.KindString || group.Kind() != gene.KindString || !ok || seq < 1:
		out = errProps("bad-request", "(ack ...) needs ^topic and ^group strings and ^seq, an integer from 1")
	default:
		err := st.Ack(topic.Str(), group.Str(), uint64(seq))
		switch {
		case err == nil:
			out = gene.Props{{Key: "topic", Value: topic}, {Key: "group", Value: group}, {Key: "seq", Value: seqv}}
		case errors.Is(err, plugin.ErrNotDelivered):
			out = errProps("not-delivered", fmt.Sprintf("%s/%s: message %d has not been delivered", topic.Str(), group.Str(), seq))
		case errors.Is(err, plugin.ErrStreamName):
			out = errProps("bad-request", err.Error())
		default:
			out = errProps("store", err.Error())
		}
	}
	head := "acked"
	if len(out) == 2 && out[0].Key == "code" {
		head = "error"
	}
	if id, ok := p.Get("id"); ok {
		out = append(out, gene.Prop{Key: "id", Value: id})
	}
	return gene.NodeValue(&gene.Node{Head: gene.Symbol(head), HasHead: true, Props: out})
}

func errProps(code, msg string) gene.Props {
	return gene.Props{{Key: "code", Value: gene.String(code)}, {Key: "message", Value: gene.String(msg)}}
}
