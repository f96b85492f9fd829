package plugindir

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
		if err := k.ls.replies.wait(ctx, k.l); err != nil {
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
	if k.ls != nil && k.ls.replies.busy() {
		return fmt.Errorf("%w (link %d: replies to stream requests wait ahead)", plugin.ErrNoCredit, k.id)
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

// streamBatch serves a batch made only of the plugin's declared stream
// requests (Config.StreamAck, StreamPublish and StreamBroadcast: ^streams
// {^ack "ack" ^publish "publish" ^broadcast "broadcast"} in plugin.gene)
// without calling the plugin, each answered in order:
//
//	(ACK ^topic T ^group G ^seq N ^id X)   -> (acked ^topic T ^group G ^seq N ^id X)
//	(ACK ... ^quiet true)                  -> nothing
//	(PUBLISH ^topic T ^value V ^id X)      -> (published ^topic T ^seq N ^id X)
//	(BROADCAST ^topic T ^value V ^id X)    -> (broadcasted ^topic T ^receivers N ^id X)
//
// or (error ^code C ^message M ^id X) with C "not-delivered" (an ack),
// "bad-request" or "store". The publishes of the batch that follow one
// another are committed together (one Publish) before anything after
// them, as the queue plugin does. A batch of publishes only, on a backend
// whose publishes can be in flight together (plugin.PublishStarter), is
// started and answered once durable, while the link's next batches are
// served: a producer's publishes stay in flight across batches, their
// replies in order, and a batch of anything else waits until they are
// answered. A batch holding anything else goes to the plugin
// whole, so replies keep their order (and a paused link gets no batch at
// all until its plugin resumes it). It reports whether it served the
// batch.
func (v *version) streamBatch(ctx context.Context, l host.Link, ls *linkState, values []gene.Value) (bool, error) {
	o := &ls.replies
	for _, val := range values {
		if v.streamRequest(val) == "" {
			// The plugin's replies go after those of the publishes still
			// in flight.
			_ = o.wait(ctx, l)
			return false, nil
		}
	}
	st, err := v.streamStore()
	if err != nil {
		return false, nil // the plugin answers, as without the declaration
	}
	// The batch's place among the link's replies is taken before its first
	// request is served, so that a message a request makes room for (an
	// ack), or sends (a publish or broadcast to a link that is also a
	// consumer) goes after its reply. The outbox's lock is not held
	// meanwhile: a broadcast may reach this very link.
	ps, pipelined := st.(plugin.PublishStarter)
	pipelined = pipelined && v.allPublishes(values)
	if !pipelined {
		// Publishes still in flight are durable, and answered, before
		// anything after them is served.
		if err := o.wait(ctx, l); err != nil {
			return true, nil // the link is gone
		}
	}
	slot := o.reserve()
	v.values.Add(uint64(len(values)))
	replies := make([]gene.Value, len(values))
	if pipelined {
		all := make([]int, len(values))
		for i := range all {
			all[i] = i
		}
		entries, ok := publishEntries(v.cfg.StreamPublish, values, all, replies)
		if len(entries) == 0 {
			o.fill(v, l, slot, replies)
			return true, nil
		}
		wait, err := ps.StartPublish(entries)
		if err != nil {
			publishAnswers(values, entries, ok, nil, err, replies)
			o.fill(v, l, slot, replies)
			return true, nil
		}
		values := slices.Clone(values) // the caller reuses its slice once this returns
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			seqs, err := wait()
			publishAnswers(values, entries, ok, seqs, err, replies)
			o.fill(v, l, slot, replies)
		}()
		return true, nil
	}
	var pub []int // the publishes not yet committed, by index in values
	commit := func() {
		publishReplies(st, v.cfg.StreamPublish, values, pub, replies)
		pub = pub[:0]
	}
	for i, val := range values {
		p := val.Node().Props
		switch v.streamRequest(val) {
		case "publish":
			pub = append(pub, i)
		case "ack":
			commit()
			replies[i] = ackReply(st, p)
		case "broadcast":
			commit()
			replies[i] = broadcastReply(st, v.cfg.StreamBroadcast, p)
		}
	}
	commit()
	o.fill(v, l, slot, replies)
	return true, nil
}

// allPublishes reports whether every value is a declared publish.
func (v *version) allPublishes(values []gene.Value) bool {
	for _, val := range values {
		if v.streamRequest(val) != "publish" {
			return false
		}
	}
	return true
}

// streamRequest returns which declared stream request val is ("ack",
// "publish", "broadcast"), or "" for anything else.
func (v *version) streamRequest(val gene.Value) string {
	n := val.Node()
	switch {
	case n == nil || !n.HasHead || n.Head.Kind() != gene.KindSymbol:
	case v.cfg.StreamAck != "" && n.Head.IsSymbol(v.cfg.StreamAck):
		return "ack"
	case v.cfg.StreamPublish != "" && n.Head.IsSymbol(v.cfg.StreamPublish):
		return "publish"
	case v.cfg.StreamBroadcast != "" && n.Head.IsSymbol(v.cfg.StreamBroadcast):
		return "broadcast"
	}
	return ""
}

// servesStreams reports whether the host answers some stream requests of
// the plugin itself.
func (c *Config) servesStreams() bool {
	return c.StreamAck != "" || c.StreamPublish != "" || c.StreamBroadcast != ""
}

// replyOutbox orders the replies the host sends on a link for the stream
// requests it serves: each batch takes a slot in arrival order
// (reserve), fills it when its replies are known (fill: at once, or when
// its publishes are durable), and replies go out slot by slot, a slot
// not yet filled holding back those after it. Replies that find no
// credit wait here and the link is paused until they are sent: a client
// that sends acks without reading is held back by flow control, never by
// a growing queue. A delivery to the link waits until the replies taken
// before it are sent (busy, wait), so that a reply goes before the
// messages its request caused, and is not held back by later ones.
type replyOutbox struct {
	mu      sync.Mutex
	slots   []*replySlot // in the link's order; slots[0] is sent first
	flusher bool         // a flush goroutine is sending, waiting for credit
}

type replySlot struct {
	replies []gene.Value  // what is left to send
	filled  bool          // replies is set
	sent    chan struct{} // closed when the slot leaves the outbox
}

// reserve appends a slot for the next batch's replies.
func (o *replyOutbox) reserve() *replySlot {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := &replySlot{sent: make(chan struct{})}
	o.slots = append(o.slots, r)
	return r
}

// popLocked removes the head slot, sent.
func (o *replyOutbox) popLocked() {
	close(o.slots[0].sent)
	o.slots[0] = nil
	o.slots = o.slots[1:]
}

// fill sets slot's replies (nil Values, quiet acks, are left out) and
// sends what can go now.
func (o *replyOutbox) fill(v *version, l host.Link, slot *replySlot, replies []gene.Value) {
	o.mu.Lock()
	defer o.mu.Unlock()
	slot.replies, slot.filled = slices.DeleteFunc(replies, gene.Value.IsNil), true
	if !o.flusher {
		o.sendLocked(v, l)
	}
}

// sendLocked sends the filled slots at the head at once while the link
// has credit; at the first reply that finds none it pauses the link and
// leaves the rest to a flush goroutine (owned by v.wg). o.mu is held and
// no flush goroutine runs.
func (o *replyOutbox) sendLocked(v *version, l host.Link) {
	for len(o.slots) > 0 && o.slots[0].filled {
		head := o.slots[0]
		for len(head.replies) > 0 {
			err := l.TrySend(head.replies[0])
			if errors.Is(err, host.ErrNoCredit) {
				o.flusher = true
				l.Pause()
				v.wg.Add(1)
				go o.flush(v, l)
				return
			}
			if err != nil { // the link is gone: nothing more goes out
				o.dropLocked()
				return
			}
			head.replies = head.replies[1:]
		}
		o.popLocked()
	}
}

// flush sends the filled slots at the head, waiting for credit, then
// resumes the link.
func (o *replyOutbox) flush(v *version, l host.Link) {
	defer v.wg.Done()
	for {
		o.mu.Lock()
		for len(o.slots) > 0 && o.slots[0].filled && len(o.slots[0].replies) == 0 {
			o.popLocked()
		}
		if len(o.slots) == 0 || !o.slots[0].filled {
			o.flusher = false
			o.mu.Unlock()
			l.Resume()
			return
		}
		head := o.slots[0]
		r := head.replies[0]
		head.replies = head.replies[1:]
		o.mu.Unlock()
		if err := l.Send(v.ctx, r); err != nil {
			o.mu.Lock()
			o.dropLocked()
			o.mu.Unlock()
		}
	}
}

// dropLocked forgets every reply: the link is gone. The slots not yet
// filled are dropped too; their fill finds them gone from the list.
func (o *replyOutbox) dropLocked() {
	for len(o.slots) > 0 {
		o.slots[0].replies, o.slots[0].filled = nil, true
		o.popLocked()
	}
}

// busy reports whether replies wait.
func (o *replyOutbox) busy() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.slots) > 0
}

// wait returns once the replies waiting now are sent.
func (o *replyOutbox) wait(ctx context.Context, l host.Link) error {
	o.mu.Lock()
	if len(o.slots) == 0 {
		o.mu.Unlock()
		return nil
	}
	sent := o.slots[len(o.slots)-1].sent
	o.mu.Unlock()
	select {
	case <-sent:
		return nil
	case <-l.Done():
		return fmt.Errorf("%w: link %d", plugin.ErrLinkClosed, l.ID())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ackReply acknowledges one ack's message and returns its answer, the
// nil Value for a quiet ack.
func ackReply(st plugin.StreamStore, p gene.Props) gene.Value {
	topic, _ := p.Get("topic")
	group, _ := p.Get("group")
	seqv, _ := p.Get("seq")
	seq, ok := seqv.AsInt()
	quiet := quietAck(p)
	if topic.Kind() != gene.KindString || group.Kind() != gene.KindString || !ok || seq < 1 {
		if quiet {
			return gene.Value{}
		}
		return streamReply(p, "", errProps("bad-request", "(ack ...) needs ^topic and ^group strings and ^seq, an integer from 1"), nil)
	}
	err := st.Ack(topic.Str(), group.Str(), uint64(seq))
	if quiet {
		return gene.Value{}
	}
	if errors.Is(err, plugin.ErrNotDelivered) {
		return streamReply(p, "", errProps("not-delivered", fmt.Sprintf("%s/%s: message %d has not been delivered", topic.Str(), group.Str(), seq)), nil)
	}
	return streamReply(p, "acked", gene.Props{{Key: "topic", Value: topic}, {Key: "group", Value: group}, {Key: "seq", Value: seqv}}, err)
}

// quietAck reports whether ack request p asked for no answer (^quiet
// true): a failed quiet ack is not reported either, and its message is
// delivered again after its ack timeout.
func quietAck(p gene.Props) bool {
	q, _ := p.Get("quiet")
	b, ok := q.AsBool()
	return ok && b
}

// topicValue reads the ^topic and ^value of a publish or a broadcast
// (whose head is head), or returns the properties of the error that
// answers it.
func topicValue(p gene.Props, head string) (topic gene.Value, value []byte, bad gene.Props) {
	topic, _ = p.Get("topic")
	val, ok := p.Get("value")
	switch {
	case topic.Kind() != gene.KindString:
		return topic, nil, errProps("bad-request", "^topic must be a string")
	case !ok:
		return topic, nil, errProps("bad-request", "("+head+" ...) needs ^value")
	}
	return topic, gene.AppendBinary(nil, val), nil
}

// publishReplies commits the publishes values[i] (whose head is head) for
// i in idx in one Publish and sets their answers in replies.
func publishReplies(st plugin.StreamStore, head string, values []gene.Value, idx []int, replies []gene.Value) {
	entries, ok := publishEntries(head, values, idx, replies)
	if len(entries) == 0 {
		return
	}
	seqs, err := st.Publish(entries)
	publishAnswers(values, entries, ok, seqs, err, replies)
}

// publishEntries reads the publishes values[i] (whose head is head) for i
// in idx: the entries of the good ones, with their indexes in values (ok),
// and the error answers of the bad ones, set in replies.
func publishEntries(head string, values []gene.Value, idx []int, replies []gene.Value) (entries []plugin.StreamEntry, ok []int) {
	entries = make([]plugin.StreamEntry, 0, len(idx))
	ok = make([]int, 0, len(idx))
	for _, i := range idx {
		p := values[i].Node().Props
		topic, value, bad := topicValue(p, head)
		if bad == nil && !plugin.ValidName(topic.Str()) {
			bad = errProps("bad-request", plugin.CheckName("topic", topic.Str()).Error())
		}
		if bad != nil {
			replies[i] = streamReply(p, "", bad, nil)
			continue
		}
		entries = append(entries, plugin.StreamEntry{Stream: topic.Str(), Value: value})
		ok = append(ok, i)
	}
	return entries, ok
}

// publishAnswers sets the answers of the publishes values[ok[j]], whose
// entries were committed with seqs, or failed with err.
func publishAnswers(values []gene.Value, entries []plugin.StreamEntry, ok []int, seqs []uint64, err error, replies []gene.Value) {
	for j, i := range ok {
		p := values[i].Node().Props
		if err != nil {
			replies[i] = streamReply(p, "", nil, err)
			continue
		}
		replies[i] = streamReply(p, "published", gene.Props{{Key: "topic", Value: gene.String(entries[j].Stream)}, {Key: "seq", Value: gene.Int(int64(seqs[j]))}}, nil)
	}
}

// broadcastReply sends one broadcast (whose head is head) to its topic's
// subscribers and returns its answer.
func broadcastReply(st plugin.StreamStore, head string, p gene.Props) gene.Value {
	topic, value, bad := topicValue(p, head)
	if bad != nil {
		return streamReply(p, "", bad, nil)
	}
	n, err := st.PublishTopic(topic.Str(), value)
	return streamReply(p, "broadcasted", gene.Props{{Key: "topic", Value: topic}, {Key: "receivers", Value: gene.Int(int64(n))}}, err)
}

// streamReply is the answer (head ^props... ^id X) to request p; with
// head "" it is (error ^props... ^id X), and when err is not nil (error
// ^code C ^message M ^id X), C "bad-request" for a bad name and "store"
// for anything else.
func streamReply(p gene.Props, head string, out gene.Props, err error) gene.Value {
	if err != nil {
		head, out = "", errProps("store", err.Error())
		if errors.Is(err, plugin.ErrStreamName) {
			out = errProps("bad-request", err.Error())
		}
	}
	if head == "" {
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
